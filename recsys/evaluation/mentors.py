"""Evaluation of mentor recommendations, suggestions and cohort matching on a demo world's
ground truth, beside simple baselines (a random senior, a random senior of the same unit).

The oracle knows every pair's true gain (:class:`~recsys.simulation.oracle.MentorOracle`).
Its choices are taken over everyone who **could** mentor the mentee, whatever a policy says:
every active colleague of the mentee's agency more senior than the mentee (position type,
then grade), whatever their last appraisal or record, the direct supervisor included (plus
any pair the model itself proposes, so the model can never beat the oracle).

* :func:`evaluate_recommendations`: the model's top-k against the oracle's top-k, interval
  coverage of the true gain. Where mentoring has no effect (the oracle's gains are all
  ≈ 0) the share is undefined (NaN); what matters there is whether the model says so: its
  mean |expected gain| and how often its intervals contain 0.
* :func:`evaluate_matching`: the true gain of capacity-respecting assignments (the model's
  matching, greedy, the rule-based pool of before, the first suggestions followed) as a
  share of the best assignment computed on the true gains.
* :func:`first_suggestion_checks`: does one mentor come first for many people, and is
  anyone's first suggestion a mentor already over capacity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from recsys.data import cohorts
from recsys.data.loading import Dataset
from recsys.data.snapshot import latest_date
from recsys.models.mentors.eligibility import seniority
from recsys.models.mentors.recommender import MentorRecommender
from recsys.planning import matching
from recsys.planning.mentor_suggestions import GRAPH_TOP, suggest_mentors
from recsys.simulation.oracle import MentorOracle

BASELINES = ("random_senior", "same_unit_senior")
#: The true optimum (:func:`_true_optimum`): true-gain mentors per mentee it starts from;
#: rounds of adding the pairs LP duality says could raise it; how close to its prices a
#: pair comes along (share); the slack allowed there (SKP points).
OPTIMUM_TOP = 50
OPTIMUM_ROUNDS = 10
PRICE_MARGIN = 0.05
DUAL_TOLERANCE = 1e-6
#: Below this true gain per oracle pair (SKP points) mentoring has no effect in the world.
NO_EFFECT = 1e-6
#: The fixed candidate rule before per-agency policies: steps more senior, good ratings,
#: supervisor excluded (the "rule-based pool" of :func:`evaluate_matching`).
RULE_SENIOR_STEPS = 2
RULE_RATINGS = ("baik", "sangat_baik")
#: Pairs looked at a time (bounds memory); pairs the model scores at once.
PAIR_BLOCK = 1_000_000
FORECAST_BATCH = 4_000_000

#: ``suggest(model, ds, nips)``: suggestions frame with nip, rank, mentor_nip (rank 1 first).
SuggestFn = Callable[[MentorRecommender, Dataset, pd.Series], pd.DataFrame]


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


@dataclass(frozen=True)
class _Staff:
    """The active staff with what "could mentor" and the fixed rule of before need; kept
    apart from :mod:`recsys.models.mentors.eligibility` on purpose, so the yardstick does
    not move when the policies do."""

    nip: np.ndarray  # str
    agency: np.ndarray
    unit: np.ndarray
    seniority: np.ndarray
    supervisor: np.ndarray  # NIP of the direct supervisor ("" if none)
    good_rating: np.ndarray  # last appraisal before the decision date in RULE_RATINGS
    index: pd.Index

    @classmethod
    def of(cls, ds: Dataset) -> _Staff:
        emp = ds.employees[ds.employees["active"].fillna(True).astype(bool)]  # as cohorts
        emp = emp.reset_index(drop=True)
        nip = emp["nip"].astype(str).to_numpy(dtype=object)
        perf = ds.performance
        perf = perf[perf["period_end"] < latest_date(ds)].sort_values("period_end")
        last = perf.groupby(perf["nip"].astype(str), sort=False)["rating"].last().astype(str)
        good = last.reindex(nip).isin(RULE_RATINGS).to_numpy()
        return cls(
            nip=nip,
            agency=emp["agency"].astype(str).to_numpy(dtype=object),
            unit=(emp["agency"].astype(str) + "|" + emp["unit"].astype(str)).to_numpy(dtype=object),
            seniority=seniority(emp),
            supervisor=emp["supervisor_nip"].astype(object).fillna("").astype(str).to_numpy(),
            good_rating=good,
            index=pd.Index(nip),
        )

    def rows(self, nips: pd.Series) -> np.ndarray:
        rows = self.index.get_indexer(pd.Index(pd.Series(nips).astype(str)))
        if (rows < 0).any():
            raise ValueError(f"{int((rows < 0).sum())} mentees are not active employees")
        return rows

    def could_mentor(self, mentees: pd.Series) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(mentee rows, mentor rows) of every colleague who could mentor each mentee: the
        mentee's agency, more senior; blocks of whole mentees, each about
        :data:`PAIR_BLOCK` pairs, row-major by mentee."""
        rows = self.rows(mentees)
        for agency in pd.unique(self.agency[rows]):
            group = rows[self.agency[rows] == agency]
            colleagues = np.flatnonzero(self.agency == agency)
            step = max(1, PAIR_BLOCK // max(len(colleagues), 1))
            for start in range(0, len(group), step):
                block = group[start : start + step]
                i, j = np.nonzero(
                    self.seniority[colleagues][None, :] > self.seniority[block][:, None]
                )
                yield block[i], colleagues[j]

    def could(self, mentees: pd.Series, mentors: pd.Series) -> np.ndarray:
        """Which aligned (mentee, mentor) pairs are could-mentor pairs (an inactive mentor
        is not)."""
        i = self.rows(mentees)
        j = self.index.get_indexer(pd.Index(pd.Series(mentors).astype(str)))
        return (
            (j >= 0) & (self.agency[j] == self.agency[i]) & (self.seniority[j] > self.seniority[i])
        )

    def by_rule(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Which of the pairs (rows) the fixed rule of before allowed."""
        return (
            (self.seniority[j] >= self.seniority[i] + RULE_SENIOR_STEPS)
            & self.good_rating[j]
            & (self.nip[j] != self.supervisor[i])
        )


def _top_mask(group: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` highest ``score`` rows of each ``group`` (ties by position)."""
    order = np.lexsort((np.arange(len(score)), -score, group))
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    mask = np.zeros(len(score), dtype=bool)
    mask[order[rank < k]] = True
    return mask


def _realized(oracle: MentorOracle, assignments: pd.DataFrame) -> float:
    """Total true gain of an assignment, each mentor with their actual load (SKP points)."""
    if assignments.empty:
        return 0.0
    load = assignments.groupby("mentor_nip")["nip"].transform("size").to_numpy()
    nips, mentors = assignments["nip"].astype(str), assignments["mentor_nip"].astype(str)
    return float(oracle.gain(nips, mentors, load).sum())


def _share(value: float, best: float, n: int) -> float:
    """``value / best``; NaN where the best is ≈ 0 (mentoring has no effect)."""
    return value / best if best > NO_EFFECT * max(n, 1) else float("nan")


def evaluate_recommendations(
    model: MentorRecommender,
    ds: Dataset,
    world_dir: str | Path,
    *,
    k: int = 3,
    max_mentees: int = 500,
    seed: int = 0,
) -> dict[str, float]:
    """The model's top-k against the oracle's and the baselines' (module docstring).

    Keys: ``mentor_share_of_oracle_top{k}`` and each baseline's (realized true gain of the
    top-k as a share of the oracle's, 0–1; NaN where mentoring has no effect),
    ``mentor_oracle_mean_gain_top{k}`` (mean true gain of the oracle's pairs, SKP points),
    ``mentor_true_mean_gain_topk`` and ``mentor_mean_abs_gain_topk`` (mean true gain and
    mean |forecast| of the model's pairs), ``mentor_interval_coverage_topk`` (share of 90%
    intervals containing the true gain), ``mentor_interval_contains_zero_topk`` (share of
    intervals containing 0), ``mentor_interval_width_topk``, ``mentor_rmse_topk``,
    ``mentor_nonfinite_topk`` (share of pairs with a NaN or infinite forecast or bound),
    ``mentor_eval_mentees``, ``mentor_eval_with_candidates``.
    """
    oracle = MentorOracle.load(Path(world_dir))
    mentees = sample_mentees(ds, world_dir, max_mentees, seed)
    staff = _Staff.of(ds)
    recs = model.candidates(ds, mentees, top=k)
    rec_true = oracle.gain(recs["nip"].astype(str), recs["mentor_nip"].astype(str))
    rng = np.random.default_rng(seed)
    best = random = same_unit = 0.0
    n_best = 0
    for i, j in staff.could_mentor(mentees):
        pairs = pd.DataFrame({"nip": staff.nip[i], "mentor_nip": staff.nip[j]})
        true = oracle.gain(pairs["nip"], pairs["mentor_nip"])
        group = pd.factorize(pairs["nip"])[0]
        top = _top_mask(group, true, k)
        noise = rng.random(len(pairs))
        near = staff.unit[i] == staff.unit[j]
        best += float(true[top].sum())
        n_best += int(top.sum())
        random += float(true[_top_mask(group, noise, k)].sum())
        same_unit += float(true[_top_mask(group, noise + near, k)].sum())
    if not staff.could(recs["nip"], recs["mentor_nip"]).all():
        # a policy looking beyond the agency or at equals: the oracle may pick those too
        best = _best_with(oracle, recs, staff, mentees, k)
    metrics = {
        f"mentor_share_of_oracle_top{k}": _share(float(rec_true.sum()), best, n_best),
        f"random_senior_share_of_oracle_top{k}": _share(random, best, n_best),
        f"same_unit_senior_share_of_oracle_top{k}": _share(same_unit, best, n_best),
        f"mentor_oracle_mean_gain_top{k}": best / n_best if n_best else float("nan"),
    }
    lower, upper = recs["gain_lower"].to_numpy(float), recs["gain_upper"].to_numpy(float)
    expected = recs["expected_gain"].to_numpy(float)
    per_pair = {
        "mentor_true_mean_gain_topk": rec_true,
        "mentor_mean_abs_gain_topk": np.abs(expected),
        "mentor_interval_coverage_topk": (lower <= rec_true) & (rec_true <= upper),
        "mentor_interval_contains_zero_topk": (lower <= 0) & (upper >= 0),
        "mentor_interval_width_topk": upper - lower,
        "mentor_rmse_topk": (expected - rec_true) ** 2,
        "mentor_nonfinite_topk": ~(np.isfinite(expected) & np.isfinite(lower) & np.isfinite(upper)),
    }
    for name, values in per_pair.items():
        metrics[name] = float(np.mean(values)) if len(values) else float("nan")
    metrics["mentor_rmse_topk"] = float(np.sqrt(metrics["mentor_rmse_topk"]))
    metrics["mentor_eval_mentees"] = float(len(mentees))
    metrics["mentor_eval_with_candidates"] = float(recs["nip"].nunique())
    return metrics


def _best_with(
    oracle: MentorOracle, recs: pd.DataFrame, staff: _Staff, mentees: pd.Series, k: int
) -> float:
    """The oracle's top-k total over the could-mentor pairs and the model's own pairs."""
    parts = [
        pd.DataFrame({"nip": staff.nip[i], "mentor_nip": staff.nip[j]})
        for i, j in staff.could_mentor(mentees)
    ]
    parts.append(recs[["nip", "mentor_nip"]].astype(str))
    pairs = pd.concat(parts, ignore_index=True).drop_duplicates()
    true = oracle.gain(pairs["nip"], pairs["mentor_nip"])
    return float(true[_top_mask(pd.factorize(pairs["nip"])[0], true, k)].sum())


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
    the forecast total against the LP bound, and the true optimum's matching on the model's
    candidate graph for scale (:func:`evaluate_matching` compares with the optimum over
    everyone who could mentor)."""
    oracle = MentorOracle.load(Path(world_dir))
    mentees = sample_mentees(ds, world_dir, max_mentees, seed)
    graph = model.candidates(ds, mentees, top=GRAPH_TOP)
    optimal = matching.match(graph, mentees, capacity)
    greedy = matching.greedy(graph, mentees, capacity)
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
        "cohort_true_gain": _realized(oracle, optimal.assignments),
        "cohort_greedy_forecast_gain": greedy.total_gain,
        "cohort_greedy_true_gain": _realized(oracle, greedy.assignments),
        "cohort_oracle_true_gain": _realized(oracle, best.assignments),
    }


# --------------------------------------------------------------------------- matching


def served_suggestions(model: MentorRecommender, ds: Dataset, nips: pd.Series) -> pd.DataFrame:
    """The suggestions served (:func:`~recsys.planning.mentor_suggestions.suggest_mentors`:
    rank 1 the agency matching's mentor, then alternatives with room), three per person."""
    return suggest_mentors(model, ds, nips, k=3).suggestions


def ranked_suggestions(model: MentorRecommender, ds: Dataset, nips: pd.Series) -> pd.DataFrame:
    """Each person's three best mentors ranked on their own (``model.recommend``): the
    suggestions before they respected capacity, for comparison."""
    return model.recommend(ds, nips, k=3)


def ongoing_load(ds: Dataset, as_of: pd.Timestamp | None = None) -> pd.Series:
    """Mentees each mentor has at the decision date (mentorships started before it and not
    ended before it), by ``mentor_nip`` (str)."""
    when = latest_date(ds) if as_of is None else pd.Timestamp(as_of)
    m = ds.mentorships
    ongoing = (m["start_date"] < when) & (m["end_date"].isna() | (m["end_date"] >= when))
    counts = m.loc[ongoing, "mentor_nip"].astype(str).value_counts()
    return counts.rename("ongoing").astype("int64")


def first_suggestion_checks(
    suggestions: pd.DataFrame,
    *,
    capacity: int | pd.Series = 3,
    ongoing: pd.Series | None = None,
) -> dict[str, float]:
    """How concentrated the first suggestions are, and who is sent to a mentor without room.

    ``suggestions``: one row per (nip, rank) with ``mentor_nip`` (rank 1 = the first
    suggestion; rows without a mentor are ignored). ``capacity``: mentees per mentor (an int,
    or a Series by mentor NIP; missing mentors get 3), ``ongoing``: mentees each mentor
    already has (:func:`ongoing_load`). A mentor is over capacity when the people given
    them first plus their ongoing mentees exceed their capacity.

    Keys: ``first_people`` (people with a first suggestion), ``first_mentors`` (distinct
    first mentors), ``first_max`` (people sharing the most common first mentor),
    ``first_max_share`` (that over ``first_people``, 0–1; NaN without anyone),
    ``first_over_capacity`` (people whose first mentor is over capacity: the target is 0),
    ``first_over_capacity_mentors``, ``first_beyond_room`` (first suggestions beyond the
    mentors' room: people who would find no place if all followed them).
    """
    missing = [c for c in ("nip", "rank", "mentor_nip") if c not in suggestions.columns]
    if missing:
        raise ValueError(f"suggestions lack column(s) {missing}; need nip, rank, mentor_nip")
    rows = suggestions.dropna(subset=["mentor_nip"])
    rows = rows[pd.to_numeric(rows["rank"]) == 1]
    first = rows.drop_duplicates("nip")["mentor_nip"].astype(str)
    counts = first.value_counts()
    n = counts.to_numpy(dtype=float)
    if isinstance(capacity, pd.Series):
        per_mentor = pd.Series(capacity.to_numpy(float), index=capacity.index.astype(str))
        room = per_mentor.reindex(counts.index).fillna(matching.DEFAULT_CAPACITY).to_numpy()
    else:
        room = np.full(len(counts), float(capacity))
    already = np.zeros(len(counts))
    if ongoing is not None:
        by_mentor = pd.Series(ongoing.to_numpy(float), index=ongoing.index.astype(str))
        already = by_mentor.reindex(counts.index).fillna(0).to_numpy()
    over = n + already > room
    beyond = np.minimum(n, np.maximum(n + already - room, 0))
    return {
        "first_people": float(len(first)),
        "first_mentors": float(len(counts)),
        "first_max": float(counts.max()) if len(counts) else 0.0,
        "first_max_share": float(counts.max() / len(first)) if len(first) else float("nan"),
        "first_over_capacity": float(n[over].sum()),
        "first_over_capacity_mentors": float(over.sum()),
        "first_beyond_room": float(beyond.sum()),
    }


def _follow_first(suggestions: pd.DataFrame, cohort: pd.Series, capacity: int) -> pd.DataFrame:
    """The cohort's first suggestions followed, each mentor taking at most ``capacity`` of
    them (those with the highest forecast; the rest stay unmatched)."""
    rows = suggestions.dropna(subset=["mentor_nip"])
    rows = rows[(pd.to_numeric(rows["rank"]) == 1) & rows["nip"].astype(str).isin(cohort)]
    rows = rows.drop_duplicates("nip")
    if "expected_gain" in rows.columns:
        rows = rows.sort_values("expected_gain", ascending=False, kind="stable")
    taken = rows.groupby(rows["mentor_nip"].astype(str), sort=False).cumcount() < capacity
    return rows.loc[taken, ["nip", "mentor_nip"]].astype(str).reset_index(drop=True)


@dataclass(frozen=True)
class _Optimum:
    """The best capacity-respecting assignment on true gains (see :func:`_true_optimum`)."""

    assignments: pd.DataFrame
    bound: float  # its total at load 1 (SKP points)
    n_pairs: int  # could-mentor pairs
    n_mentors: int  # colleagues who could mentor someone
    n_edges: int  # pairs the final matching looked at
    exact: bool  # LP duality proves no other pair could raise it


def _true_optimum(
    oracle: MentorOracle, staff: _Staff, cohort: pd.Series, capacity: int
) -> _Optimum:
    """The best capacity-respecting assignment on true gains over everyone who could mentor.

    Matching every pair is costly, so it starts from each mentee's :data:`OPTIMUM_TOP` best
    mentors (on a whole cohort that alone fell 2% short: popular mentors fill up) and
    proves the result with LP duality: the LP relaxation's duals (a price per mentee and
    per mentor, :func:`_solve_lp`) must cover the gain of every pair left out; pairs they do
    not cover are added and it is solved again, until none is left (at most
    :data:`OPTIMUM_ROUNDS` times). The constraint matrix is totally unimodular, so the LP
    optimum is the matching optimum (within :data:`DUAL_TOLERANCE` per mentee).

    The true gain falls with the mentor's load, which a matching cannot see: it is solved
    on the gains at load 1, whose total bounds every assignment from above, and realized
    with the loads it gives (solving on the gains at full load instead changed the realized
    total by 0.01% on demo-6000-1)."""
    mentee_parts, mentor_parts, gain_parts = [], [], []
    n_pairs = 0
    could = np.zeros(len(staff.nip), dtype=bool)
    for i, j in staff.could_mentor(cohort):
        gain = oracle.gain(staff.nip[i], staff.nip[j])
        useful = gain > 0
        mentee_parts.append(i[useful])
        mentor_parts.append(j[useful])
        gain_parts.append(gain[useful])
        n_pairs += len(i)
        could[j] = True
    mentee = np.concatenate([np.empty(0, np.int64), *mentee_parts])
    mentor = np.concatenate([np.empty(0, np.int64), *mentor_parts])
    gain = np.concatenate([np.empty(0), *gain_parts])
    keep = _top_mask(mentee, gain, OPTIMUM_TOP)
    exact = False
    for _ in range(OPTIMUM_ROUNDS):
        lp = _solve_lp(mentee[keep], mentor[keep], gain[keep], capacity, len(staff.nip))
        priced = lp.price[mentee] + lp.room_price[mentor]
        if not (~keep & (gain > priced + DUAL_TOLERANCE)).any():
            exact = True
            break
        # the prices move once pairs are added: pairs close to them come along (fewer rounds)
        keep |= gain > priced * (1 - PRICE_MARGIN)
    graph = pd.DataFrame(
        {
            "nip": staff.nip[mentee[keep]],
            "mentor_nip": staff.nip[mentor[keep]],
            "expected_gain": gain[keep],
        }
    )
    if np.abs(lp.x - np.round(lp.x)).max(initial=0) < 1e-6 and exact:
        # the LP's vertex is integral (total unimodularity): it is the matching itself
        assignments, bound = graph[lp.x > 0.5].reset_index(drop=True), lp.objective
    else:
        best = matching.match(graph, cohort, capacity)
        assignments, bound = best.assignments, best.total_gain
    return _Optimum(assignments, bound, n_pairs, int(could.sum()), int(keep.sum()), exact)


@dataclass(frozen=True)
class _LP:
    """The matching LP's solution: ``x`` per edge, its objective (SKP points), and the
    optimal duals per staff row: the price of a mentee's place and of a mentor's room
    (≥ 0; 0 off the graph). An edge whose gain exceeds its two prices could raise the
    optimum."""

    x: np.ndarray
    objective: float
    price: np.ndarray
    room_price: np.ndarray


def _solve_lp(
    mentee: np.ndarray, mentor: np.ndarray, gain: np.ndarray, capacity: int, n_staff: int
) -> _LP:
    """The LP relaxation of the matching on the given edges (staff rows), by HiGHS
    (interior point, then crossover to a vertex: faster than the simplex here)."""
    price, room_price = np.zeros(n_staff), np.zeros(n_staff)
    if len(gain) == 0:
        return _LP(np.empty(0), 0.0, price, room_price)
    mentees, row = np.unique(mentee, return_inverse=True)
    mentors, col = np.unique(mentor, return_inverse=True)
    edges = np.arange(len(gain))
    a_ub = sparse.csc_array(
        (np.ones(2 * len(gain)), (np.r_[row, len(mentees) + col], np.r_[edges, edges])),
        shape=(len(mentees) + len(mentors), len(gain)),
    )
    b_ub = np.r_[np.ones(len(mentees)), np.full(len(mentors), float(capacity))]
    res = linprog(-gain, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs-ipm")
    if res.status != 0:
        raise RuntimeError(f"HiGHS could not solve the matching LP: {res.message}")
    dual = -np.asarray(res.ineqlin.marginals)
    price[mentees] = dual[: len(mentees)]
    room_price[mentors] = dual[len(mentees) :]
    return _LP(np.asarray(res.x), float(-res.fun), price, room_price)


def _empty_graph() -> pd.DataFrame:
    return pd.DataFrame(
        {"nip": pd.Series(dtype=str), "mentor_nip": pd.Series(dtype=str), "expected_gain": []}
    )


def _rule_pool_graph(
    model: MentorRecommender, ds: Dataset, staff: _Staff, cohort: pd.Series
) -> tuple[pd.DataFrame, int]:
    """The fixed rule's candidates (:data:`RULE_SENIOR_STEPS` more senior, last appraisal
    in :data:`RULE_RATINGS`, not the supervisor, same agency) scored by the model: the
    :data:`GRAPH_TOP` best per mentee; and the rule's distinct mentors."""
    parts = []
    mentors: set[str] = set()
    batch: list[tuple[np.ndarray, np.ndarray]] = []

    def score(batch: list[tuple[np.ndarray, np.ndarray]]) -> None:
        i, j = np.concatenate([b[0] for b in batch]), np.concatenate([b[1] for b in batch])
        scored = model.forecast(ds, staff.nip[i], staff.nip[j])
        gain = scored["expected_gain"].to_numpy(float)
        keep = _top_mask(pd.factorize(scored["nip"])[0], gain, GRAPH_TOP)
        parts.append(scored.loc[keep, ["nip", "mentor_nip", "expected_gain"]])
        mentors.update(staff.nip[np.unique(j)])

    # one forecast per few million pairs: each call builds its scoring pool
    for i, j in staff.could_mentor(cohort):
        ok = staff.by_rule(i, j)
        batch.append((i[ok], j[ok]))
        if sum(len(b[0]) for b in batch) >= FORECAST_BATCH:
            score(batch)
            batch = []
    if sum(len(b[0]) for b in batch):
        score(batch)
    if not parts:
        return _empty_graph(), 0
    return pd.concat(parts, ignore_index=True), len(mentors)


def matching_cohort(ds: Dataset, max_mentees: int | None, seed: int = 0) -> pd.Series:
    """The default mentee cohort (:func:`recsys.data.cohorts.mentee_cohort`: every active
    pelaksana and fungsional, as ``match-mentors``), a reproducible sample of
    ``max_mentees`` if larger (None: all)."""
    cohort = cohorts.mentee_cohort(ds).reset_index(drop=True)
    if max_mentees is not None and len(cohort) > max_mentees:
        cohort = cohort.sample(max_mentees, random_state=seed).reset_index(drop=True)
    return cohort


def evaluate_matching(
    model: MentorRecommender,
    ds: Dataset,
    world_dir: str | Path,
    *,
    capacity: int = 3,
    max_mentees: int | None = 2_000,
    seed: int = 0,
    suggest: SuggestFn | None = None,
    staff_limit: int = 20_000,
) -> dict[str, float]:
    """Capacity-respecting assignments judged by their true gain with each mentor's actual
    load, as a share of the best assignment computed on the true gains (over everyone who
    could mentor, module docstring; exact, proven by LP duality: :func:`_true_optimum`).

    On the cohort (:func:`matching_cohort` with ``max_mentees`` and ``seed``), each mentor
    taking at most ``capacity``: ``model`` (the exact matching on the model's forecasts,
    :data:`GRAPH_TOP` candidates per mentee, the served graph of
    :mod:`~recsys.planning.mentor_suggestions`, as ``match-mentors``), ``greedy`` (greedy on
    the same graph), ``rule_pool`` (the fixed rule of before: :data:`RULE_SENIOR_STEPS`
    more senior, last appraisal ``baik`` or better, supervisor excluded; its candidates
    scored by the model, then matched); and ``graph_optimum``, the best the model's
    candidate graph allows (matched on the true gains of its edges: what is lost to the
    graph and eligibility, not to the forecasts).

    On the whole active staff, as a batch for HR: ``suggest(model, ds, nips)`` (default:
    :func:`served_suggestions`) gives everyone's suggestions; ``first`` is everyone's first
    suggestion followed, each mentor taking at most ``capacity`` of them (highest forecast
    first), against the optimum for the whole staff (skipped, NaN, where the active staff
    exceeds ``staff_limit``: that optimum grows with the square of an agency's size); and
    :func:`first_suggestion_checks` (ongoing mentorships counted, :func:`ongoing_load`).

    Keys: ``matching_<name>_true_gain``, ``matching_<name>_share`` (0–1 in practice; NaN
    where mentoring has no effect) and ``matching_<name>_matched`` per assignment;
    ``matching_optimum_true_gain``, ``matching_optimum_bound`` (the optimum on the gains at
    load 1: no assignment does better), ``matching_optimum_matched``,
    ``matching_optimum_edges`` (pairs its matching looked at), ``matching_optimum_exact``
    (1.0 where LP duality proved that no pair left out could raise it),
    ``matching_mentees``, ``matching_could_mentor`` and ``matching_rule_pool_mentors``
    (distinct mentors), ``matching_could_pairs``; ``matching_staff_mentees`` and
    ``matching_staff_optimum_true_gain``; the ``first_*`` checks.
    """
    oracle = MentorOracle.load(Path(world_dir))
    cohort = matching_cohort(ds, max_mentees, seed)
    staff = _Staff.of(ds)
    optimum = _true_optimum(oracle, staff, cohort, capacity)
    graph = model.candidates(ds, cohort, top=GRAPH_TOP)
    rule_graph, n_rule = _rule_pool_graph(model, ds, staff, cohort)
    on_graph = graph[["nip", "mentor_nip"]].assign(
        expected_gain=oracle.gain(graph["nip"].astype(str), graph["mentor_nip"].astype(str))
    )
    assignments = {
        "model": matching.match(graph, cohort, capacity).assignments,
        "graph_optimum": matching.match(on_graph, cohort, capacity).assignments,
        "greedy": matching.greedy(graph, cohort, capacity).assignments,
        "rule_pool": matching.match(rule_graph, cohort, capacity).assignments,
    }
    best = _realized(oracle, optimum.assignments)
    metrics = {
        "matching_mentees": float(len(cohort)),
        "matching_could_mentor": float(optimum.n_mentors),
        "matching_could_pairs": float(optimum.n_pairs),
        "matching_rule_pool_mentors": float(n_rule),
        "matching_optimum_true_gain": best,
        "matching_optimum_bound": optimum.bound,
        "matching_optimum_matched": float(len(optimum.assignments)),
        "matching_optimum_edges": float(optimum.n_edges),
        "matching_optimum_exact": float(optimum.exact),
    }
    for name, assigned in assignments.items():
        gain = _realized(oracle, assigned)
        metrics[f"matching_{name}_true_gain"] = gain
        metrics[f"matching_{name}_share"] = _share(gain, best, len(optimum.assignments))
        metrics[f"matching_{name}_matched"] = float(len(assigned))

    everyone = pd.Series(staff.nip, dtype=str)
    suggestions = (suggest or served_suggestions)(model, ds, everyone)
    followed = _follow_first(suggestions, everyone, capacity)
    staff_best = float("nan")
    if len(everyone) <= staff_limit:
        staff_optimum = _true_optimum(oracle, staff, everyone, capacity)
        staff_best = _realized(oracle, staff_optimum.assignments)
    gain = _realized(oracle, followed)
    metrics["matching_staff_mentees"] = float(len(everyone))
    metrics["matching_staff_optimum_true_gain"] = staff_best
    metrics["matching_first_true_gain"] = gain
    metrics["matching_first_share"] = (
        _share(gain, staff_best, len(everyone)) if np.isfinite(staff_best) else float("nan")
    )
    metrics["matching_first_matched"] = float(len(followed))
    metrics.update(
        first_suggestion_checks(suggestions, capacity=capacity, ongoing=ongoing_load(ds))
    )
    return metrics
