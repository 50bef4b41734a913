"""Evaluation of mentor recommendations and cohort matching on a demo world's ground truth,
beside simple baselines (a random senior, a random senior of the same unit).

The oracle knows every pair's true gain (:class:`~recsys.simulation.oracle.MentorOracle`);
its top-k is taken over the same eligibility rules as the recommender's (same agency, more
senior, not the supervisor unless allowed) but regardless of the mentor's last appraisal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.models.mentors.eligibility import eligible_pairs
from recsys.models.mentors.recommender import MentorRecommender
from recsys.planning import matching
from recsys.simulation.oracle import MentorOracle

BASELINES = ("random_senior", "same_unit_senior")
#: Candidate mentors per mentee in the cohort's matching graph.
GRAPH_TOP = 30


def sample_mentees(ds: Dataset, world_dir: str | Path, n: int, seed: int = 0) -> pd.Series:
    """Up to ``n`` of the truth's sampled mentees (active juniors), reproducibly."""
    truth = pd.read_parquet(
        Path(world_dir) / "_truth" / "mentor_gain.parquet", columns=["mentee_nip"]
    )
    mentees = pd.Series(truth["mentee_nip"].astype(str).unique())
    active = set(ds.employees.loc[ds.employees["active"], "nip"].astype(str))
    mentees = mentees[mentees.isin(active)].reset_index(drop=True)
    if len(mentees) > n:
        mentees = mentees.sample(n, random_state=seed).reset_index(drop=True)
    return mentees


def _true_top_sum(pairs: pd.DataFrame, score: np.ndarray, true: np.ndarray, k: int) -> float:
    """Sum over mentees of the true gain of their k best pairs by ``score``."""
    ranked = pd.DataFrame({"nip": pairs["nip"].to_numpy(), "s": score, "t": true})
    ranked = ranked.sort_values(["nip", "s"], ascending=[True, False], kind="stable")
    return float(ranked.groupby("nip", sort=False).head(k)["t"].sum())


def evaluate_recommendations(
    model: MentorRecommender,
    ds: Dataset,
    world_dir: str | Path,
    *,
    k: int = 3,
    max_mentees: int = 500,
    seed: int = 0,
) -> dict[str, float]:
    """Realized true gain of the model's and the baselines' top-k as a share of the
    oracle's; interval coverage, width and RMSE on the model's top-k."""
    oracle = MentorOracle.load(Path(world_dir))
    mentees = sample_mentees(ds, world_dir, max_mentees, seed)
    pairs = eligible_pairs(
        ds, mentees, allow_supervisor=model.allow_supervisor, any_performance=True
    )
    true = oracle.gain(pairs["nip"].astype(str), pairs["mentor_nip"].astype(str))
    best = _true_top_sum(pairs, true, true, k)
    recs = model.candidates(ds, mentees, top=k)
    rec_true = oracle.gain(recs["nip"].astype(str), recs["mentor_nip"].astype(str))
    rng = np.random.default_rng(seed)
    noise = rng.random(len(pairs))
    same_unit = (pairs["distance"] == "same_unit").to_numpy()
    metrics = {
        f"mentor_share_of_oracle_top{k}": float(rec_true.sum()) / best,
        f"random_senior_share_of_oracle_top{k}": _true_top_sum(pairs, noise, true, k) / best,
        f"same_unit_senior_share_of_oracle_top{k}": _true_top_sum(pairs, noise + same_unit, true, k)
        / best,
    }
    inside = (recs["gain_lower"].to_numpy() <= rec_true) & (rec_true <= recs["gain_upper"])
    metrics["mentor_interval_coverage_topk"] = float(inside.mean())
    metrics["mentor_interval_width_topk"] = float((recs["gain_upper"] - recs["gain_lower"]).mean())
    metrics["mentor_rmse_topk"] = float(
        np.sqrt(np.mean((recs["expected_gain"].to_numpy() - rec_true) ** 2))
    )
    metrics["mentor_eval_mentees"] = float(len(mentees))
    metrics["mentor_eval_with_candidates"] = float(recs["nip"].nunique())
    return metrics


def evaluate_cohort(
    model: MentorRecommender,
    ds: Dataset,
    world_dir: str | Path,
    *,
    capacity: int = 3,
    max_mentees: int = 2_000,
    seed: int = 0,
) -> dict[str, float]:
    """Match a cohort (the truth's sampled mentees) optimally and greedily on the model's
    forecasts; report each assignment's total true gain (with every mentor's actual load),
    the forecast total against the LP bound, and the true optimum's matching for scale."""
    oracle = MentorOracle.load(Path(world_dir))
    mentees = sample_mentees(ds, world_dir, max_mentees, seed)
    graph = model.candidates(ds, mentees, top=GRAPH_TOP)
    optimal = matching.match(graph, mentees, capacity)
    greedy = matching.greedy(graph, mentees, capacity)

    def realized(assignments: pd.DataFrame) -> float:
        if assignments.empty:
            return 0.0
        load = assignments.groupby("mentor_nip")["nip"].transform("size").to_numpy()
        return float(
            oracle.gain(
                assignments["nip"].astype(str), assignments["mentor_nip"].astype(str), load
            ).sum()
        )

    truth_graph = graph[["nip", "mentor_nip"]].copy()
    truth_graph["expected_gain"] = oracle.gain(
        truth_graph["nip"].astype(str), truth_graph["mentor_nip"].astype(str)
    )
    best = matching.match(truth_graph, mentees, capacity)
    return {
        "cohort_mentees": float(len(mentees)),
        "cohort_matched": float(optimal.n_matched),
        "cohort_forecast_gain": optimal.total_gain,
        "cohort_lp_bound": optimal.lp_bound,
        "cohort_gap": optimal.gap,
        "cohort_true_gain": realized(optimal.assignments),
        "cohort_greedy_forecast_gain": greedy.total_gain,
        "cohort_greedy_true_gain": realized(greedy.assignments),
        "cohort_oracle_true_gain": realized(best.assignments),
    }
