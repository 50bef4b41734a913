"""Mentor cohort matching: exact optimum on hand-made and random graphs, the greedy baseline,
capacities, unmatched reasons, pass-through columns and input checks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import LinearConstraint, milp

from recsys.planning.matching import (
    CAPACITY,
    NO_CANDIDATES,
    NO_POSITIVE_GAIN,
    UNMATCHED_COLUMNS,
    MatchResult,
    greedy,
    match,
)


def edges(rows: list[tuple[str, str, float]], **extra: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["nip", "mentor_nip", "expected_gain"])
    return frame.assign(**{name: pd.Series(values) for name, values in extra.items()})


def pairs(result: MatchResult) -> set[tuple[str, str]]:
    a = result.assignments
    return set(zip(a["nip"], a["mentor_nip"], strict=True))


def check_valid(
    result: MatchResult, candidates: pd.DataFrame, cohort: list[str], capacity: pd.Series
) -> None:
    """Feasible assignment of positive edges, and every unmatched reason is true."""
    a = result.assignments
    assert not a["nip"].duplicated().any()
    load = a["mentor_nip"].value_counts()
    assert (load <= capacity.reindex(load.index)).all()
    gain = candidates.set_index(["nip", "mentor_nip"])["expected_gain"]
    assert np.allclose(
        gain.loc[list(zip(a["nip"], a["mentor_nip"], strict=True))], a["expected_gain"]
    )
    assert (a["expected_gain"] > 0).all()
    assert result.total_gain == pytest.approx(a["expected_gain"].sum())
    assert sorted([*a["nip"], *result.unmatched["nip"]]) == sorted(cohort)
    assert result.n_matched == len(a) and result.n_mentees == len(cohort)
    for row in result.unmatched.itertuples():
        own = candidates[candidates["nip"] == row.nip]
        assert row.n_candidates == len(own)
        positive = own.loc[own["expected_gain"] > 0, "mentor_nip"]
        if row.reason == NO_CANDIDATES:
            assert own.empty
        elif row.reason == NO_POSITIVE_GAIN:
            assert len(own) and positive.empty
        else:
            assert row.reason == CAPACITY
            assert (
                len(positive) and (load.reindex(positive, fill_value=0) == capacity[positive]).all()
            )


def milp_optimum(candidates: pd.DataFrame, capacity: pd.Series) -> float:
    """Best total gain by an independent MILP over all edges (HiGHS branch and bound)."""
    mentees = candidates["nip"].unique()
    mentors = capacity.index
    a = np.zeros((len(mentees) + len(mentors), len(candidates)))
    a[pd.Index(mentees).get_indexer(pd.Index(candidates["nip"])), np.arange(len(candidates))] = 1
    a[
        len(mentees) + mentors.get_indexer(pd.Index(candidates["mentor_nip"])),
        np.arange(len(candidates)),
    ] = 1
    upper = np.concatenate([np.ones(len(mentees)), capacity.to_numpy(dtype=float)])
    res = milp(
        -candidates["expected_gain"].to_numpy(),
        constraints=LinearConstraint(a, -np.inf, upper),
        integrality=np.ones(len(candidates)),
        bounds=(0, 1),
    )
    assert res.success
    return float(-res.fun)


def test_optimum_beats_greedy_on_the_classic_example() -> None:
    c = edges([("A", "m1", 10.0), ("A", "m2", 9.0), ("B", "m1", 8.0)])
    best = match(c, capacity=1)
    assert pairs(best) == {("A", "m2"), ("B", "m1")}
    assert best.total_gain == pytest.approx(17.0)
    assert best.lp_bound == pytest.approx(17.0)
    assert best.gap == pytest.approx(0.0, abs=1e-9)
    assert best.unconstrained_bound == pytest.approx(18.0)
    assert best.method == "min_cost_flow" and best.unmatched.empty

    base = greedy(c, capacity=1)
    assert pairs(base) == {("A", "m1")}
    assert base.total_gain == pytest.approx(10.0)
    assert base.lp_bound == pytest.approx(17.0)
    assert base.gap == pytest.approx(7 / 17)
    assert base.method == "greedy"
    assert base.unmatched.to_dict("records") == [
        {"nip": "B", "reason": CAPACITY, "n_candidates": 1}
    ]


def test_without_the_bound_the_assignment_is_the_same_and_the_bound_unknown() -> None:
    c = edges([("A", "m1", 10.0), ("A", "m2", 9.0), ("B", "m1", 8.0)])
    fast = match(c, capacity=1, bound=False)
    assert pairs(fast) == pairs(match(c, capacity=1))
    assert fast.total_gain == pytest.approx(17.0)
    assert np.isnan(fast.lp_bound) and np.isnan(fast.gap)


def test_capacity_series_with_default_for_missing_mentors() -> None:
    c = edges(
        [
            ("A", "m1", 5.0),
            ("B", "m1", 4.0),
            ("C", "m1", 3.0),
            ("A", "m2", 1.0),
            ("B", "m2", 1.0),
            ("C", "m2", 1.0),
        ]
    )
    result = match(c, capacity=pd.Series({"m1": 2}), default_capacity=1)
    assert pairs(result) == {("A", "m1"), ("B", "m1"), ("C", "m2")}
    assert result.total_gain == pytest.approx(10.0)
    # An int capacity applies to every mentor.
    assert pairs(match(c, capacity=3)) == {("A", "m1"), ("B", "m1"), ("C", "m1")}
    assert match(c, capacity=pd.Series({"m1": 1, "m2": 1})).n_matched == 2


def test_unmatched_reasons_and_candidate_counts() -> None:
    c = edges(
        [
            ("A", "m1", 3.0),
            ("B", "m1", 2.0),  # m1 full with A: capacity
            ("C", "m1", -1.0),
            ("C", "m2", 0.0),  # no edge with a positive gain
        ]
    )
    result = match(c, mentees=["A", "B", "C", "D"], capacity=1)
    assert pairs(result) == {("A", "m1")}
    got = result.unmatched.set_index("nip")
    assert list(result.unmatched.columns) == list(UNMATCHED_COLUMNS)
    assert got["reason"].to_dict() == {"B": CAPACITY, "C": NO_POSITIVE_GAIN, "D": NO_CANDIDATES}
    assert got["n_candidates"].to_dict() == {"B": 1, "C": 2, "D": 0}
    summary = result.summary()
    assert summary["unmatched_capacity"] == summary["unmatched_no_positive_gain"] == 1
    assert summary["unmatched_no_candidates"] == 1
    assert summary["n_mentees"] == 4 and summary["n_matched"] == 1 and summary["n_mentors"] == 2


def test_pass_through_columns_sorting_and_dtypes() -> None:
    c = edges(
        [("A", "m2", 1.0), ("B", "m1", 2.0), ("C", "m1", 5.0), ("D", "m2", 3.0)],
        gain_lower=[0.5, 1.5, 4.5, 2.5],
        reason=["ra", "rb", "rc", "rd"],
    )
    c.index = [10, 20, 30, 40]
    result = match(c, capacity=2)
    a = result.assignments
    assert list(a.columns) == ["nip", "mentor_nip", "expected_gain", "gain_lower", "reason"]
    assert list(a["nip"]) == ["C", "B", "D", "A"]  # by mentor, then gain descending
    assert list(a["reason"]) == ["rc", "rb", "rd", "ra"]
    assert np.allclose(a["expected_gain"] - a["gain_lower"], 0.5)
    assert list(a.index) == [0, 1, 2, 3]
    assert a["nip"].dtype == result.unmatched["nip"].dtype == "string"


def test_tiny_and_huge_gains_survive_integer_costs() -> None:
    tiny = match(edges([("A", "m1", 1e-9)]), capacity=1)
    assert tiny.n_matched == 1
    huge = edges([("A", "m1", 3e12), ("A", "m2", 2e12), ("B", "m1", 2.5e12)])
    result = match(huge, capacity=1)
    assert pairs(result) == {("A", "m2"), ("B", "m1")}
    assert result.gap == pytest.approx(0.0, abs=1e-9)


def test_progress_stages_and_empty_cohort() -> None:
    stages: list[str] = []
    c = edges([("A", "m1", 1.0)])
    match(c, on_progress=stages.append)
    assert stages == ["graph", "solve", "bound"]

    empty = edges([])
    for fn in (match, greedy):
        result = fn(empty, mentees=[])
        assert result.n_mentees == result.n_matched == 0
        assert result.total_gain == result.lp_bound == result.gap == 0.0
        assert result.assignments.empty and result.unmatched.empty
        assert list(result.unmatched.columns) == list(UNMATCHED_COLUMNS)
    no_edges = match(empty, mentees=["A", "B", "A"])
    assert no_edges.unmatched["reason"].tolist() == [NO_CANDIDATES] * 2


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_match_an_independent_milp(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mentees = [f"e{i:02d}" for i in range(30)]
    mentors = [f"m{j}" for j in range(8)]
    mask = rng.random((30, 8)) < 0.4
    i, j = np.nonzero(mask)
    # Odd seeds: integer gains, so ties are everywhere.
    gain = rng.normal(2.0, 3.0, len(i))
    c = edges([(mentees[a], mentors[b], g) for a, b, g in zip(i, j, gain, strict=True)])
    if seed % 2:
        c["expected_gain"] = np.round(c["expected_gain"])
    cap = pd.Series(rng.integers(1, 4, len(mentors)), index=mentors)
    cohort = [*mentees, "x1", "x2"]

    best, base = match(c, cohort, cap), greedy(c, cohort, cap)
    optimum = milp_optimum(c, cap)
    assert best.total_gain == pytest.approx(optimum, rel=1e-6, abs=1e-9)
    assert best.lp_bound == pytest.approx(optimum, rel=1e-6, abs=1e-9)
    assert best.lp_bound >= best.total_gain - 1e-7
    assert abs(best.gap) < 1e-6
    assert base.total_gain <= optimum + 1e-9
    assert base.lp_bound == pytest.approx(best.lp_bound)
    assert best.unconstrained_bound >= best.lp_bound - 1e-7
    for result in (best, base):
        check_valid(result, c, cohort, cap)


GOOD = edges([("A", "m1", 1.0), ("B", "m1", 2.0)])


@pytest.mark.parametrize(
    ("candidates", "kwargs", "message"),
    [
        (GOOD, {"capacity": 0}, "capacity must be an int >= 1"),
        (GOOD, {"capacity": True}, "capacity must be an int >= 1"),
        (GOOD, {"capacity": 1.5}, "capacity must be an int >= 1"),
        (GOOD, {"capacity": pd.Series({"m1": 0})}, "mentor_nip=m1"),
        (GOOD, {"capacity": pd.Series({"m9": 2.5})}, "mentor_nip=m9"),
        (GOOD, {"capacity": pd.Series({"m1": np.nan})}, "capacity must be an int >= 1"),
        (GOOD, {"capacity": pd.Series([1, 2], index=["m1", "m1"])}, "more than once"),
        (GOOD, {"default_capacity": 0}, "default_capacity must be"),
        (GOOD.drop(columns="expected_gain"), {}, "missing column(s) ['expected_gain']"),
        (edges([("A", "m1", np.nan)]), {}, "NaN or infinite 'expected_gain'"),
        (edges([("A", "m1", np.inf)]), {}, "NaN or infinite 'expected_gain'"),
        (edges([("A", "m1", 1.0), ("A", "m1", 2.0)]), {}, "duplicate (nip, mentor_nip)"),
        (edges([("A", "A", 1.0)]), {}, "its own mentor, e.g. nip=A"),
        (edges([("A", None, 1.0)]), {}, "missing 'mentor_nip'"),  # type: ignore[list-item]
        (GOOD, {"mentees": ["A"]}, "not in mentees, e.g. nip=B"),
        (GOOD, {"mentees": ["A", None]}, "mentees has 1 missing NIP"),
    ],
)
def test_bad_input_is_named(candidates: pd.DataFrame, kwargs: dict, message: str) -> None:
    for fn in (match, greedy):
        with pytest.raises(ValueError, match=re.escape(message)):
            fn(candidates, **kwargs)
