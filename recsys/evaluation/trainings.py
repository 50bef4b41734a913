"""Evaluation of training recommendations: against observed outcomes and, on the demo
world, against the ground truth. Every model is judged beside simple baselines.

Metrics are pure functions of frames; column names are keyword arguments with defaults.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data.contract import ID_DTYPE
from recsys.data.loading import Dataset
from recsys.data.snapshot import snapshot
from recsys.features import outcomes as O
from recsys.features.competency_state import AS_OF, QUERY, competency_state
from recsys.models.trainings import TrainingRecommender

BASELINES = ("popularity", "position_popularity", "gap_rule")


def share_of_oracle(
    chosen: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    k: int,
    gain_col: str = "expected_gain",
    eligible: pd.DataFrame | None = None,
) -> float:
    """Realized true gain of each person's chosen top-k as a share of the best possible.

    ``chosen``: nip, training_id (at most k per nip). ``truth``: nip, training_id and
    ``gain_col``. The oracle picks, per person, the k pairs of ``eligible`` (default: all of
    ``truth``) with the highest true gain. Range 0–1 (can exceed 1 only if ``chosen`` picks
    outside ``eligible``). Used in the style of "realized uplift vs the oracle policy".
    """
    pool = truth if eligible is None else truth.merge(eligible, on=["nip", "training_id"])
    oracle = pool.sort_values(gain_col, ascending=False).groupby("nip").head(k)
    people = set(chosen["nip"].astype(str))
    best = oracle.loc[oracle["nip"].astype(str).isin(people), gain_col].sum()
    got = (
        chosen[["nip", "training_id"]]
        .astype(str)
        .merge(
            truth.assign(
                nip=truth["nip"].astype(str), training_id=truth["training_id"].astype(str)
            ),
            on=["nip", "training_id"],
        )[gain_col]
        .sum()
    )
    return float(got / best) if best > 0 else float("nan")


def candidate_pairs(ds: Dataset, nips: pd.Series) -> pd.DataFrame:
    """Every active training for every person, minus the ones they completed."""
    catalog = ds.trainings.loc[ds.trainings["active"], "training_id"].to_numpy()
    people = pd.Series(pd.unique(nips.astype(str)))
    pairs = pd.DataFrame(
        {
            "nip": np.repeat(people.to_numpy(), len(catalog)),
            "training_id": np.tile(catalog.astype(str), len(people)),
        }
    )
    done = ds.enrollments.loc[ds.enrollments["status"] == "completed", ["nip", "training_id"]]
    taken = pd.MultiIndex.from_frame(done.astype(str))
    keep = ~pd.MultiIndex.from_frame(pairs).isin(taken)
    return pairs[keep].reset_index(drop=True)


def baseline_scores(ds: Dataset, pairs: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Scores of the simple baselines for each pair (higher = recommended first)."""
    enrolled = ds.enrollments[ds.enrollments["start_date"] < as_of]
    overall = enrolled["training_id"].astype(str).value_counts()
    by_position = (
        enrolled.merge(ds.employees[["nip", "position"]], on="nip")
        .assign(
            training_id=lambda d: d["training_id"].astype(str),
            position=lambda d: d["position"].astype(str),
        )
        .groupby(["position", "training_id"])
        .size()
    )
    position = ds.employees.set_index(ds.employees["nip"].astype(str))["position"].astype(str)
    keys = pd.MultiIndex.from_arrays([pairs["nip"].map(position), pairs["training_id"]])
    people = pd.Series(pd.unique(pairs["nip"]))
    index = pd.Series(np.arange(len(people)), index=people)
    state = competency_state(ds, pd.DataFrame({"nip": people, AS_OF: as_of}))
    query = pd.DataFrame(
        {
            QUERY: index.reindex(pairs["nip"]).to_numpy(),
            "training_id": pairs["training_id"].astype(ID_DTYPE),
        }
    )
    targets = (
        query.assign(pair=np.arange(len(query)))
        .merge(ds.training_competencies, on="training_id")
        .merge(
            state[[QUERY, "competency", "required_level", "level_estimate"]],
            on=[QUERY, "competency"],
        )
    )
    closable = (
        np.minimum(targets["target_level"], targets["required_level"]) - targets["level_estimate"]
    ).clip(lower=0)
    gap_rule = closable.groupby(targets["pair"]).sum().reindex(range(len(pairs)), fill_value=0)
    return pd.DataFrame(
        {
            "popularity": pairs["training_id"].map(overall).fillna(0).to_numpy(),
            "position_popularity": by_position.reindex(keys).fillna(0).to_numpy()
            + pairs["training_id"].map(overall).fillna(0).to_numpy() / 1e6,
            "gap_rule": gap_rule.to_numpy(),
        }
    )


def top_k(pairs: pd.DataFrame, score: np.ndarray, k: int) -> pd.DataFrame:
    """Each person's k best pairs by ``score`` (ties: catalog order)."""
    ranked = pairs.assign(_score=score).sort_values(
        ["nip", "_score"], ascending=[True, False], kind="stable"
    )
    return ranked.groupby("nip", sort=False).head(k).drop(columns="_score")


def evaluate_on_truth(
    model: TrainingRecommender,
    ds: Dataset,
    truth_dir: str | Path,
    *,
    k: int = 5,
    alpha: float = 0.1,
    max_people: int | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """On a demo world: the model's and the baselines' top-k realized true gain as a share
    of the oracle's (``candidate_<ranker>_...``: each candidate ranker's, whichever is
    served), and how often the model's interval covers the true expected gain."""
    truth = pd.read_parquet(Path(truth_dir) / "training_gain.parquet")
    truth = truth.assign(nip=truth["nip"].astype(str), training_id=truth["training_id"].astype(str))
    active = ds.employees.loc[ds.employees["active"], "nip"].astype(str)
    if max_people is not None and len(active) > max_people:
        active = active.sample(max_people, random_state=seed)
    pairs = candidate_pairs(ds, active)
    forecast, _ = model.forecast(ds, pairs["nip"], pairs["training_id"], alpha=alpha)
    score = np.where(forecast["weighted_gap"].to_numpy() > 0, forecast["expected_gain"], -np.inf)
    metrics: dict[str, float] = {}
    eligible = pairs
    metrics[f"share_of_oracle_top{k}"] = share_of_oracle(
        top_k(pairs, score, k), truth, k=k, eligible=eligible
    )
    if hasattr(model, "uplift_"):
        candidates = model.candidate_scores(ds, pairs["nip"], pairs["training_id"], model.as_of_)
        for name, candidate in candidates.items():
            metrics[f"candidate_{name}_share_of_oracle_top{k}"] = share_of_oracle(
                top_k(pairs, candidate, k), truth, k=k, eligible=eligible
            )
    baselines = baseline_scores(ds, pairs, model.as_of_)
    for name in BASELINES:
        chosen = top_k(pairs, baselines[name].to_numpy(), k)
        metrics[f"{name}_share_of_oracle_top{k}"] = share_of_oracle(
            chosen, truth, k=k, eligible=eligible
        )
    joined = forecast.assign(
        nip=forecast["nip"].astype(str), training_id=forecast["training_id"].astype(str)
    ).merge(truth, on=["nip", "training_id"], suffixes=("", "_true"))
    chosen = top_k(pairs, score, k).merge(joined, on=["nip", "training_id"])
    true_gain = chosen["expected_gain_true"]
    metrics["interval_coverage_topk"] = float(
        ((chosen["gain_lower"] <= true_gain) & (true_gain <= chosen["gain_upper"])).mean()
    )
    metrics["interval_width_topk"] = float((chosen["gain_upper"] - chosen["gain_lower"]).mean())
    metrics["rmse_topk"] = float(np.sqrt(np.mean((chosen["expected_gain"] - true_gain) ** 2)))
    metrics["people"] = float(len(active))
    return metrics


def evaluate_time_split(
    ds: Dataset, cutoff: pd.Timestamp, *, model: TrainingRecommender | None = None
) -> dict[str, float]:
    """Learn from the history before ``cutoff``; judge on the enrollments of the next year.

    For each enrollment of that year with an observed outcome, its observed uplift is the
    outcome minus what the baseline model expected without activity. Reported per ranking
    (model and baselines): Spearman correlation between the ranking's score and the
    observed uplift, and the mean uplift of the top fifth minus that of the bottom fifth
    (SKP points; higher is better).
    """
    cutoff = pd.Timestamp(cutoff)
    model = model or TrainingRecommender()
    model.fit(ds, as_of=cutoff)
    test = ds.enrollments[
        (ds.enrollments["start_date"] >= cutoff)
        & (ds.enrollments["start_date"] < cutoff + pd.DateOffset(years=1))
        & (ds.enrollments["status"] != "in_progress")
    ].reset_index(drop=True)
    outcomes = O.activity_outcomes(test, ds.performance, key="enrollment_id")
    keep = outcomes[O.OUTCOME].notna().to_numpy()
    test, outcomes = test[keep].reset_index(drop=True), outcomes[keep].reset_index(drop=True)
    past = snapshot(ds, cutoff)
    # the model's own view of the no-activity change
    uplift = model.baseline_.residuals(past, test["nip"], outcomes)
    forecast, _ = model.forecast(past, test["nip"], test["training_id"], as_of=cutoff)
    pairs = pd.DataFrame(
        {"nip": test["nip"].astype(str), "training_id": test["training_id"].astype(str)}
    )
    scores = {"model": forecast["expected_gain"].to_numpy()}
    baselines = baseline_scores(past, pairs, cutoff)
    for name in BASELINES:
        scores[name] = baselines[name].to_numpy()
    metrics: dict[str, float] = {"test_enrollments": float(len(test))}
    for name, score in scores.items():
        metrics[f"{name}_spearman"] = float(pd.Series(score).rank().corr(pd.Series(uplift).rank()))
        order = np.argsort(score, kind="stable")
        fifth = max(1, len(order) // 5)
        metrics[f"{name}_top_minus_bottom"] = float(
            uplift[order[-fifth:]].mean() - uplift[order[:fifth]].mean()
        )
    return metrics
