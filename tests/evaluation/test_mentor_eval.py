"""The mentor evaluation against a demo world's truth: the true-gain optimum beside the
assignments it judges, a world where mentoring has no effect, and the first-suggestion
checks on hand-made suggestions."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data.loading import Dataset, load_dataset
from recsys.data.snapshot import latest_date
from recsys.evaluation import mentors as E
from recsys.models.mentors.recommender import MentorRecommender
from recsys.planning import matching
from recsys.simulation.oracle import MentorOracle

ASSIGNMENTS = ("model", "graph_optimum", "greedy", "rule_pool")


@pytest.fixture(scope="module")
def fitted(small_world: Path) -> tuple[Dataset, MentorRecommender]:
    ds = load_dataset(small_world)
    return ds, MentorRecommender(n_bootstrap=5).fit(ds)


@pytest.fixture(scope="module")
def matched(fitted: tuple, small_world: Path) -> dict[str, float]:
    ds, model = fitted
    return E.evaluate_matching(model, ds, small_world, max_mentees=400)


def test_the_true_optimum_beats_every_assignment(matched: dict[str, float]) -> None:
    best = matched["matching_optimum_true_gain"]
    assert best > 0
    for name in (*ASSIGNMENTS, "first"):
        assert matched[f"matching_{name}_true_gain"] >= 0
    for name in ASSIGNMENTS:
        gain = matched[f"matching_{name}_true_gain"]
        assert gain <= best + 1e-9, name
        assert 0 < matched[f"matching_{name}_share"] <= 1.0
        assert math.isclose(matched[f"matching_{name}_share"], gain / best)
    # the same for the whole staff and everyone's first suggestion followed
    staff_best = matched["matching_staff_optimum_true_gain"]
    assert 0 < matched["matching_first_true_gain"] <= staff_best
    assert 0 < matched["matching_first_share"] <= 1.0
    # a mentor's load only lowers the gain: the load-1 optimum bounds the realized one
    assert matched["matching_optimum_bound"] >= best
    # matched on the true gains of the model's own graph beats both assignments on it
    graph_best = matched["matching_graph_optimum_true_gain"]
    assert graph_best >= matched["matching_model_true_gain"] - 1e-9
    assert graph_best >= matched["matching_greedy_true_gain"] - 1e-9


def test_matching_counts(matched: dict[str, float], fitted: tuple) -> None:
    ds, _ = fitted
    assert matched["matching_mentees"] == 400
    for name in (*ASSIGNMENTS, "optimum"):
        assert 0 < matched[f"matching_{name}_matched"] <= 400
    # the fixed rule of before is stricter than "could mentor"
    assert 0 < matched["matching_rule_pool_mentors"] < matched["matching_could_mentor"]
    assert matched["matching_staff_mentees"] == int(ds.employees["active"].sum())
    assert matched["first_people"] <= matched["matching_staff_mentees"]


def test_recommendations_against_the_oracle(fitted: tuple, small_world: Path) -> None:
    ds, model = fitted
    metrics = E.evaluate_recommendations(model, ds, small_world, k=3, max_mentees=200)
    share = metrics["mentor_share_of_oracle_top3"]
    assert metrics["random_senior_share_of_oracle_top3"] + 0.2 < share <= 1.0
    assert 0 < metrics["same_unit_senior_share_of_oracle_top3"] < share
    assert metrics["mentor_oracle_mean_gain_top3"] > metrics["mentor_true_mean_gain_topk"] > 0
    for key in ("interval_coverage", "interval_contains_zero", "nonfinite"):
        assert 0 <= metrics[f"mentor_{key}_topk"] <= 1


def _without_mentoring(small_world: Path, tmp_path: Path) -> Path:
    """A copy of the small world whose truth says mentoring does nothing."""
    world = tmp_path / "no-mentoring"
    shutil.copytree(small_world, world)
    params_file = world / "_truth" / "params.json"
    params = json.loads(params_file.read_text())
    params["mechanism"]["mentoring"] = "none"
    params_file.write_text(json.dumps(params))
    return world


def test_a_world_without_mentoring_effect(fitted: tuple, small_world: Path, tmp_path: Path) -> None:
    ds, model = fitted
    world = _without_mentoring(small_world, tmp_path)
    mentees = E.sample_mentees(ds, world, 5)
    assert (MentorOracle.load(world).gain(mentees, mentees) == 0).all()

    metrics = E.evaluate_recommendations(model, ds, world, k=3, max_mentees=100)
    for name in ("mentor", *E.BASELINES):
        assert math.isnan(metrics[f"{name}_share_of_oracle_top3"])
    assert metrics["mentor_oracle_mean_gain_top3"] == 0
    assert metrics["mentor_true_mean_gain_topk"] == 0
    # what matters there: what the model says, and whether its intervals contain 0
    recs = model.candidates(ds, E.sample_mentees(ds, world, 100), top=3)
    assert math.isclose(
        metrics["mentor_mean_abs_gain_topk"], float(np.abs(recs["expected_gain"]).mean())
    )
    holds_zero = (recs["gain_lower"] <= 0) & (recs["gain_upper"] >= 0)
    assert math.isclose(metrics["mentor_interval_contains_zero_topk"], float(holds_zero.mean()))
    assert math.isclose(metrics["mentor_interval_coverage_topk"], float(holds_zero.mean()))

    matched = E.evaluate_matching(model, ds, world, max_mentees=100, suggest=E.ranked_suggestions)
    assert matched["matching_optimum_true_gain"] == 0
    for name in (*ASSIGNMENTS, "first"):
        assert matched[f"matching_{name}_true_gain"] == 0
        assert math.isnan(matched[f"matching_{name}_share"])


def _suggestions(firsts: dict[str, str]) -> pd.DataFrame:
    """Rank-1 rows from ``firsts`` (person → mentor), plus rows that must not count."""
    rows = [{"nip": p, "rank": 1, "mentor_nip": m, "expected_gain": 1.0} for p, m in firsts.items()]
    rows += [
        {"nip": "p1", "rank": 2, "mentor_nip": "C", "expected_gain": 0.5},
        {"nip": "p2", "rank": 3, "mentor_nip": "B", "expected_gain": 0.2},
        {"nip": "p9", "rank": 1, "mentor_nip": None, "expected_gain": np.nan},  # left out
    ]
    return pd.DataFrame(rows)


FIRSTS = {"p1": "A", "p2": "A", "p3": "A", "p4": "A", "p5": "B", "p6": "B", "p7": "C"}


def test_first_suggestion_checks_on_hand_made_suggestions() -> None:
    ongoing = pd.Series({"B": 2, "D": 3})
    checks = E.first_suggestion_checks(_suggestions(FIRSTS), capacity=3, ongoing=ongoing)
    assert checks["first_people"] == 7
    assert checks["first_mentors"] == 3
    assert checks["first_max"] == 4
    assert math.isclose(checks["first_max_share"], 4 / 7)
    # A: 4 first > 3; B: 2 first + 2 ongoing > 3; C: 1 first, room left
    assert checks["first_over_capacity"] == 6
    assert checks["first_over_capacity_mentors"] == 2
    assert checks["first_beyond_room"] == 2  # one of A's, one of B's

    # capacity per mentor: A takes 5, the others the default
    room = pd.Series({"A": 5})
    checks = E.first_suggestion_checks(_suggestions(FIRSTS), capacity=room, ongoing=ongoing)
    assert checks["first_over_capacity"] == 2
    assert checks["first_beyond_room"] == 1

    spread = {"p1": "A", "p2": "A", "p3": "B", "p4": "C"}
    checks = E.first_suggestion_checks(_suggestions(spread), capacity=3)
    assert checks["first_over_capacity"] == checks["first_beyond_room"] == 0
    assert checks["first_max"] == 2


def test_first_suggestion_checks_need_the_columns() -> None:
    with pytest.raises(ValueError, match="rank"):
        E.first_suggestion_checks(pd.DataFrame({"nip": ["p1"], "mentor_nip": ["A"]}))


def test_following_first_suggestions_respects_capacity() -> None:
    suggestions = _suggestions(FIRSTS)
    suggestions.loc[suggestions["nip"] == "p4", "expected_gain"] = 9.0
    cohort = pd.Series(list(FIRSTS))
    followed = E._follow_first(suggestions, cohort, capacity=3)
    assert followed.groupby("mentor_nip").size().to_dict() == {"A": 3, "B": 2, "C": 1}
    # A takes the three with the highest forecast: p4 first, then the earliest of the ties
    assert set(followed.loc[followed["mentor_nip"] == "A", "nip"]) == {"p4", "p1", "p2"}


def test_ongoing_load_counts_running_mentorships(fitted: tuple) -> None:
    ds, _ = fitted
    m = ds.mentorships
    assert E.ongoing_load(ds, m["start_date"].min()).empty  # nothing has started yet
    load = E.ongoing_load(ds)
    assert load.sum() > 0 and (load >= 1).all()
    # only unfinished mentorships count, at most all of a mentor's own
    unfinished = m["end_date"].isna() | (m["end_date"] >= latest_date(ds))
    assert load.sum() <= unfinished.sum()
    assert (load <= m["mentor_nip"].astype(str).value_counts().reindex(load.index)).all()


def test_the_pruned_optimum_is_proven_exact(
    fitted: tuple, small_world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started from a few mentors per mentee, LP duality brings in every pair that could
    raise the optimum: the result equals the matching over every could-mentor pair."""
    ds, _ = fitted
    oracle = MentorOracle.load(small_world)
    staff = E._Staff.of(ds)
    cohort = E.matching_cohort(ds, 600, seed=1)
    pairs = pd.concat(
        [
            pd.DataFrame({"nip": staff.nip[i], "mentor_nip": staff.nip[j]})
            for i, j in staff.could_mentor(cohort)
        ],
        ignore_index=True,
    )
    pairs["expected_gain"] = oracle.gain(pairs["nip"], pairs["mentor_nip"])
    everything = matching.match(pairs, cohort, 1)

    monkeypatch.setattr(E, "OPTIMUM_TOP", 2)
    pruned = E._true_optimum(oracle, staff, cohort, 1)
    assert pruned.exact and pruned.n_edges < len(pairs)
    assert math.isclose(pruned.bound, everything.total_gain, rel_tol=1e-7)
    assert pruned.assignments["nip"].is_unique
    assert pruned.assignments["mentor_nip"].is_unique  # capacity 1
    gains = oracle.gain(pruned.assignments["nip"], pruned.assignments["mentor_nip"])
    assert math.isclose(float(gains.sum()), pruned.bound, rel_tol=1e-7)
