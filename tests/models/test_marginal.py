"""marginal_lists: substitutes credited only with what is left open, alternatives excluded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from recsys.models.marginal import MARGINAL_COLUMNS, marginal_lists


def _world(
    items: list[tuple[str, str, float, list[tuple[str, float, float, float]]]],
    index: list[int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``scored`` and ``detail`` from ``(nip, training_id, expected_gain, gaps)`` items;
    ``gaps`` are ``(competency, level, closable, weight)``. The weighted gap is the sum of
    closable × weight, as :func:`recsys.models.trainings.weighted_gaps` makes it; the
    interval is the gain ± 1."""
    index = list(range(len(items))) if index is None else index
    scored = pd.DataFrame(
        {
            "nip": [item[0] for item in items],
            "training_id": [item[1] for item in items],
            "expected_gain": [item[2] for item in items],
            "gain_lower": [item[2] - 1.0 for item in items],
            "gain_upper": [item[2] + 1.0 for item in items],
            "weighted_gap": [sum(c * w for _, _, c, w in item[3]) for item in items],
        },
        index=pd.Index(index),
    )
    detail = pd.DataFrame(
        [
            {"pair": pair, "competency": comp, "level": level, "closable": c, "weight": w}
            for pair, item in zip(index, items, strict=True)
            for comp, level, c, w in item[3]
        ],
        columns=["pair", "competency", "level", "closable", "weight"],
    )
    return scored, detail


# Person A, competency K1 at level 1: T1 and T2 both could raise it by 2 levels (weight 1),
# so they are substitutes; T3 develops K2 (level 2, closable 1) and complements them.
# Rule: T1 (gain 1.0 of a weighted gap 2) closes 1.0 / 2 = 50 % of the K1 gap: K1 rises to
# 1 + 0.5 × 2 = 2, leaving 1 of T2's 2 weighted levels open, so T2's marginal gain is
# 0.8 × 1 / 2 = 0.4. T3's gap is untouched: it keeps its 0.6, which beats T2's 0.4.
SUBSTITUTES = [
    ("A", "T1", 1.0, [("K1", 1.0, 2.0, 1.0)]),
    ("A", "T2", 0.8, [("K1", 1.0, 2.0, 1.0)]),
    ("A", "T3", 0.6, [("K2", 2.0, 1.0, 1.0)]),
]


def test_substitute_is_credited_only_with_what_the_first_left_open() -> None:
    scored, detail = _world(SUBSTITUTES)
    top = marginal_lists(scored, detail, k=3)
    assert list(top["training_id"]) == ["T1", "T3", "T2"]
    assert list(top["rank"]) == [1, 2, 3]
    np.testing.assert_allclose(top["gain_alone"], [1.0, 0.6, 0.8])
    np.testing.assert_allclose(top["expected_gain"], [1.0, 0.6, 0.4])
    # intervals are scaled with the gain they describe (share 1, 1, 0.5)
    np.testing.assert_allclose(top["gain_lower"], [0.0, -0.4, -0.1])
    np.testing.assert_allclose(top["gain_upper"], [2.0, 1.6, 0.9])
    np.testing.assert_allclose(top["list_gain"], 2.0)
    # the chosen rows keep scored's index
    assert list(top.index) == [0, 2, 1]


def test_weights_and_partial_overlap_follow_the_rule() -> None:
    # T1: K1 (level 1, closable 2, weight 2) → weighted gap 4, gain 2.0 → closes 50 %:
    # K1 rises to 2. T2: K1 (level 1, closable 3, weight 2) and K3 (level 0, closable 1,
    # weight 1) → weighted gap 7; after T1, K1 has 4 − 2 = 2 levels open (×2 = 4), K3 1:
    # 5 of 7 open, so its marginal gain is 1.4 × 5 / 7 = 1.0.
    items = [
        ("A", "T1", 2.0, [("K1", 1.0, 2.0, 2.0)]),
        ("A", "T2", 1.4, [("K1", 1.0, 3.0, 2.0), ("K3", 0.0, 1.0, 1.0)]),
    ]
    scored, detail = _world(items)
    top = marginal_lists(scored, detail, k=2)
    assert list(top["training_id"]) == ["T1", "T2"]
    np.testing.assert_allclose(top["expected_gain"], [2.0, 1.0])
    np.testing.assert_allclose(top["list_gain"], 3.0)


def test_a_gain_above_the_gap_closes_it_fully() -> None:
    # effectiveness is clipped to 1: T1 closes all of K1 and T2 is left nothing
    items = [
        ("A", "T1", 5.0, [("K1", 1.0, 2.0, 1.0)]),
        ("A", "T2", 0.8, [("K1", 1.0, 2.0, 1.0)]),
    ]
    scored, detail = _world(items)
    top = marginal_lists(scored, detail, k=2)
    np.testing.assert_allclose(top["expected_gain"], [5.0, 0.0])


def test_a_complementary_training_keeps_its_full_gain() -> None:
    scored, detail = _world(SUBSTITUTES)
    alone = marginal_lists(scored.loc[[2]], detail, k=1)
    together = marginal_lists(scored, detail, k=3).set_index("training_id")
    assert together.loc["T3", "expected_gain"] == pytest.approx(0.6)
    assert together.loc["T3", "expected_gain"] == pytest.approx(alone["expected_gain"].iloc[0])


def test_same_course_alternatives_are_never_both_in_a_list() -> None:
    # T1 and T1b are one course in two modalities; T1b's own gap is not even touched by T1
    items = [
        ("A", "T1", 1.0, [("K1", 1.0, 2.0, 1.0)]),
        ("A", "T1b", 0.9, [("K9", 0.0, 3.0, 1.0)]),
        ("A", "T3", 0.2, [("K2", 2.0, 1.0, 1.0)]),
        ("B", "T1b", 0.9, [("K9", 0.0, 3.0, 1.0)]),
        ("B", "T3", 0.2, [("K2", 2.0, 1.0, 1.0)]),
    ]
    scored, detail = _world(items)
    course = pd.Series(["C1", "C1", "C3", "C1", "C3"], index=scored.index)
    top = marginal_lists(scored, detail, k=5, course=course)
    a = top[top["nip"] == "A"]
    b = top[top["nip"] == "B"]
    assert list(a["training_id"]) == ["T1", "T3"]
    # the course is blocked per person only: B still gets its alternative
    assert list(b["training_id"]) == ["T1b", "T3"]
    # without course keys, both modalities would be listed
    free = marginal_lists(scored, detail, k=5)
    assert set(free.loc[free["nip"] == "A", "training_id"]) == {"T1", "T1b", "T3"}


def test_course_keys_align_on_the_index_not_the_position() -> None:
    items = [
        ("A", "T1", 1.0, [("K1", 1.0, 2.0, 1.0)]),
        ("A", "T1b", 0.9, [("K9", 0.0, 3.0, 1.0)]),
        ("A", "T3", 0.5, [("K2", 2.0, 1.0, 1.0)]),
    ]
    scored, detail = _world(items, index=[10, 20, 30])
    course = pd.Series(["C3", "C1", "C1"], index=[30, 20, 10])  # shuffled order
    top = marginal_lists(scored, detail, k=3, course=course)
    assert list(top["training_id"]) == ["T1", "T3"]
    assert list(top.index) == [10, 30]


def test_ranks_per_person_and_people_are_independent() -> None:
    items = [
        *SUBSTITUTES,
        ("B", "T2", 0.3, [("K1", 0.0, 1.0, 1.0)]),
        ("B", "T1", 0.9, [("K1", 0.0, 2.0, 1.0)]),
        ("C", "T3", 0.4, [("K2", 1.0, 2.0, 1.0)]),
    ]
    # people interleaved and indexed out of order
    order = [3, 0, 5, 1, 4, 2]
    scored, detail = _world([items[i] for i in order], index=[100 + i for i in order])
    top = marginal_lists(scored, detail, k=2)
    for nip, group in top.groupby("nip", sort=False):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        own = scored[scored["nip"] == nip]
        solo = marginal_lists(own, detail[detail["pair"].isin(own.index)], k=2)
        pd.testing.assert_frame_equal(group, solo)
    assert top.groupby("nip").size().to_dict() == {"A": 2, "B": 2, "C": 1}
    # people in the order they first appear
    assert list(pd.unique(top["nip"])) == ["B", "A", "C"]


def test_detail_of_pairs_left_out_is_ignored() -> None:
    # recommend drops taken trainings from the candidates but not from the detail
    scored, detail = _world(SUBSTITUTES)
    without_t1 = marginal_lists(scored.drop(index=0), detail, k=2)
    assert list(without_t1["training_id"]) == ["T2", "T3"]
    np.testing.assert_allclose(without_t1["expected_gain"], [0.8, 0.6])


def test_ties_keep_the_order_given() -> None:
    items = [
        ("A", "T2", 1.0, [("K1", 1.0, 1.0, 1.0)]),
        ("A", "T1", 1.0, [("K2", 1.0, 1.0, 1.0)]),
    ]
    scored, detail = _world(items)
    assert list(marginal_lists(scored, detail, k=1)["training_id"]) == ["T2"]


def test_ties_across_interleaved_people_and_gains_that_are_not_numbers() -> None:
    items = [
        ("B", "T1", 1.0, [("K1", 1.0, 1.0, 1.0)]),
        ("A", "T2", np.nan, [("K1", 1.0, 1.0, 1.0)]),
        ("B", "T2", 1.0, [("K2", 1.0, 1.0, 1.0)]),
        ("A", "T3", 0.5, [("K2", 1.0, 1.0, 1.0)]),
        ("C", "T1", np.nan, [("K1", 1.0, 1.0, 1.0)]),
    ]
    top = marginal_lists(*_world(items), k=1)
    # B's tie goes to the first given; an unknown gain is never chosen
    assert top[["nip", "training_id"]].to_numpy().tolist() == [["B", "T1"], ["A", "T3"]]


@pytest.mark.parametrize("k", [0, -1])
def test_k_below_one_is_a_clear_error(k: int) -> None:
    scored, detail = _world(SUBSTITUTES)
    with pytest.raises(ValueError, match="k must be at least 1"):
        marginal_lists(scored, detail, k=k)


def test_empty_input_gives_an_empty_list_with_the_columns() -> None:
    scored, detail = _world(SUBSTITUTES)
    empty = marginal_lists(scored.iloc[:0], detail.iloc[:0], k=3)
    assert empty.empty
    assert set(MARGINAL_COLUMNS) <= set(empty.columns)
    # candidates without any detail row: gains as they are, nothing to subtract
    top = marginal_lists(scored, detail.iloc[:0], k=3)
    np.testing.assert_allclose(top["expected_gain"], [1.0, 0.8, 0.6])


# ----------------------------------------------------------------------------- properties


def _reference(
    scored: pd.DataFrame, detail: pd.DataFrame, k: int, course: pd.Series | None
) -> dict[str, list[tuple[str, float]]]:
    """The docstring's rule, written out one person and one item at a time."""
    nip_of = dict(zip(scored.index, scored["nip"].astype(str), strict=True))
    gain_of = dict(zip(scored.index, scored["expected_gain"].astype(float), strict=True))
    gap_of = dict(zip(scored.index, scored["weighted_gap"].astype(float), strict=True))
    title_of = dict(zip(scored.index, scored["training_id"].astype(str), strict=True))
    key_of = {} if course is None else dict(zip(course.index, course.astype(str), strict=True))
    # per pair: (competency, level, ceiling, weight) rows
    gaps: dict[int, list[tuple[str, float, float, float]]] = {p: [] for p in scored.index}
    for p, comp, lv, c, w in detail[
        ["pair", "competency", "level", "closable", "weight"]
    ].itertuples(index=False):
        gaps[p].append((str(comp), float(lv), float(lv) + float(c), float(w)))
    out: dict[str, list[tuple[str, float]]] = {}
    for nip in pd.unique(scored["nip"].astype(str)):
        own = [p for p in scored.index if nip_of[p] == nip]
        level = {comp: lv for p in own for comp, lv, _, _ in gaps[p]}
        chosen: list[tuple[str, float]] = []
        taken: set[int] = set()
        blocked: set[str] = set()
        for _ in range(k):
            best, best_gain, runner_up = None, -np.inf, -np.inf
            for p in own:
                if p in taken or key_of.get(p, "") in blocked:
                    continue
                full = sum(w * (top - lv) for _, lv, top, w in gaps[p])
                left = sum(w * max(top - level[comp], 0.0) for comp, _, top, w in gaps[p])
                gain = gain_of[p] * (left / full if full > 0 else 1.0)
                if gain > best_gain:
                    best, best_gain, runner_up = p, gain, best_gain
                elif gain > runner_up:
                    runner_up = gain
            if best is None:
                break
            # near-ties may be broken either way by rounding: such cases are not compared
            assume(best_gain == runner_up or best_gain - runner_up > 1e-9)
            taken.add(best)
            if course is not None:
                blocked.add(key_of[best])
            gap = gap_of[best]
            share = min(max(gain_of[best] / gap, 0.0), 1.0) if gap > 0 else 0.0
            for comp, _, top, _ in gaps[best]:
                level[comp] = max(level[comp], level[comp] + share * max(top - level[comp], 0.0))
            chosen.append((title_of[best], best_gain))
        out[nip] = chosen
    return out


@st.composite
def candidate_sets(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, int]:
    """A few people, each with candidates over a few competencies (one level per person
    and competency), non-negative gains, and course keys shared by some candidates."""
    n_people = draw(st.integers(1, 3))
    competencies = ["K1", "K2", "K3"]
    items = []
    keys = []
    for person in range(n_people):
        levels = {c: draw(st.sampled_from([0.0, 1.0, 2.0, 2.5])) for c in competencies}
        for t in range(draw(st.integers(1, 5))):
            comps = draw(
                st.lists(st.sampled_from(competencies), min_size=0, max_size=3, unique=True)
            )
            gaps = [
                (
                    c,
                    levels[c],
                    draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0])),
                    draw(st.floats(0.1, 3.0, allow_nan=False)),
                )
                for c in comps
            ]
            gain = draw(st.floats(0.0, 6.0, allow_nan=False))
            items.append((f"P{person}", f"T{t}", gain, gaps))
            keys.append(f"C{draw(st.integers(0, 3))}")
    index = draw(st.permutations(list(range(len(items)))))
    scored, detail = _world(items, index=[1000 + i for i in index])
    course = pd.Series(keys, index=scored.index)
    return scored, detail, course, draw(st.integers(1, 4))


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)


@PROPERTY_SETTINGS
@given(candidate_sets(), st.booleans())
def test_invariants_of_any_list(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.Series, int], with_course: bool
) -> None:
    scored, detail, course, k = case
    keys = course if with_course else None
    top = marginal_lists(scored, detail, k, course=keys)
    # marginal gain never above the gain alone (non-negative gains), never below zero
    assert (top["expected_gain"] <= top["gain_alone"] + 1e-9).all()
    assert (top["expected_gain"] >= -1e-12).all()
    # the list's gain is the sum of its items' marginal gains
    sums = top.groupby("nip")["expected_gain"].transform("sum")
    np.testing.assert_allclose(top["list_gain"], sums, rtol=1e-12, atol=1e-12)
    for nip, group in top.groupby("nip"):
        n_candidates = int((scored["nip"] == nip).sum())
        assert len(group) <= min(k, n_candidates)
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        assert not group.index.duplicated().any()
        assert group.index.isin(scored.index).all()
        if with_course:
            assert not course.loc[group.index].duplicated().any()
        else:
            # nothing blocks a candidate: lists are as long as they can be
            assert len(group) == min(k, n_candidates)
        # the first item is the best one alone
        assert group["expected_gain"].iloc[0] == pytest.approx(
            scored.loc[scored["nip"] == nip, "expected_gain"].max()
        )
    # every person with a candidate gets a list
    assert set(top["nip"]) == set(scored["nip"])


@PROPERTY_SETTINGS
@given(candidate_sets(), st.booleans())
def test_lists_match_the_rule_written_out(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.Series, int], with_course: bool
) -> None:
    scored, detail, course, k = case
    keys = course if with_course else None
    expected = _reference(scored, detail, k, keys)
    top = marginal_lists(scored, detail, k, course=keys)
    for nip, items in expected.items():
        group = top[top["nip"] == nip]
        assert list(group["training_id"]) == [t for t, _ in items]
        np.testing.assert_allclose(group["expected_gain"], [g for _, g in items], atol=1e-9)
