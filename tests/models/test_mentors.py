"""The mentor recommender on a small demo world: candidate rules, ranking, reasons, what-if
forecasts, and quality against the world's ground truth beside the baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data.loading import Dataset, load_dataset
from recsys.data.snapshot import latest_date
from recsys.evaluation import mentors as E
from recsys.features.competency_state import AS_OF
from recsys.models.mentors import coverage as mentor_coverage
from recsys.models.mentors.coverage import (
    Profiles,
    block_coverage,
    coverage,
    lead_detail,
    profiles,
)
from recsys.models.mentors.eligibility import SENIOR_STEPS, Roster, eligible_pairs, seniority
from recsys.models.mentors.policy import MentorPolicy
from recsys.models.mentors.pool import Pool
from recsys.models.mentors.recommender import RECOMMENDATION_COLUMNS, MentorRecommender
from recsys.models.requests import InactiveEmployeeError, UnknownEmployeeError


@pytest.fixture(scope="module")
def world(small_world: Path) -> tuple[Dataset, MentorRecommender]:
    ds = load_dataset(small_world)
    return ds, MentorRecommender(n_bootstrap=5).fit(ds)


def _juniors(ds: Dataset, n: int) -> list[str]:
    emp = ds.employees
    junior = emp["active"] & emp["position_type"].astype(str).isin(["pelaksana", "fungsional"])
    return emp.loc[junior, "nip"].astype(str).head(n).tolist()


def test_recommendations_follow_the_candidate_rules(world: tuple) -> None:
    ds, model = world
    mentees = _juniors(ds, 60)
    recs = model.recommend(ds, mentees, k=3)
    assert list(recs.columns) == list(RECOMMENDATION_COLUMNS)
    assert set(recs["nip"].astype(str)) <= set(mentees) and len(recs) > 100
    emp = ds.employees.set_index(ds.employees["nip"].astype(str))
    emp = emp.assign(seniority=seniority(emp))
    mentee, mentor = emp.loc[recs["nip"].astype(str)], emp.loc[recs["mentor_nip"].astype(str)]
    assert (mentee.index != mentor.index).all()
    assert (mentee["agency"].to_numpy() == mentor["agency"].to_numpy()).all()
    assert (mentor["seniority"].to_numpy() >= mentee["seniority"].to_numpy() + SENIOR_STEPS).all()
    assert mentor["active"].all()
    # a good last appraisal, or (the evidence rule) mentees who rated their mentoring well
    last = ds.performance.sort_values("period_end").groupby("nip").last()["rating"].astype(str)
    good = last.reindex(recs["mentor_nip"].astype(str)).isin(["baik", "sangat_baik"])
    roster = Roster.build(ds, None, latest_date(ds))
    by_record = roster.by_record(MentorPolicy())[roster.row(recs["mentor_nip"])]
    assert (good.to_numpy() | by_record).all()
    # ranked by expected gain, intervals around the forecast, every pair covers a gap
    for _, group in recs.groupby("nip"):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        assert group["expected_gain"].is_monotonic_decreasing
    assert (recs["gain_lower"] <= recs["expected_gain"]).all()
    assert (recs["expected_gain"] <= recs["gain_upper"]).all()
    assert (recs["gaps_covered"].str.len() > 0).all()


def test_supervisor_only_when_allowed(world: tuple) -> None:
    ds, _ = world
    mentees = _juniors(ds, 300)
    sup = ds.employees.set_index(ds.employees["nip"].astype(str))["supervisor_nip"]
    strict = eligible_pairs(ds, mentees, allow_supervisor=False)
    loose = eligible_pairs(ds, mentees, allow_supervisor=True)
    is_sup = lambda pairs: (  # noqa: E731
        sup.reindex(pairs["nip"].astype(str)).astype(object).fillna("").to_numpy()
        == pairs["mentor_nip"].astype(str).to_numpy()
    )
    assert not is_sup(strict).any()
    assert is_sup(loose).sum() > 0
    assert len(loose) == len(strict) + is_sup(loose).sum()


def test_reasons_in_both_languages(world: tuple) -> None:
    ds, model = world
    mentee = _juniors(ds, 1)
    indonesian = model.recommend(ds, mentee, k=2, lang="id")
    english = model.recommend(ds, mentee, k=2, lang="en")
    assert indonesian["reason"].str.contains("perkiraan kenaikan nilai SKP").all()
    assert english["reason"].str.contains("forecast SKP gain").all()
    assert (indonesian["mentor_nip"].to_numpy() == english["mentor_nip"].to_numpy()).all()
    with pytest.raises(ValueError, match="unsupported language"):
        model.recommend(ds, mentee, lang="fr")


def test_unknown_and_bad_requests(world: tuple) -> None:
    ds, model = world
    with pytest.raises(UnknownEmployeeError, match="199901012020011999"):
        model.recommend(ds, ["199901012020011999"])
    gone = ds.employees.loc[~ds.employees["active"], "nip"].astype(str).iloc[0]
    with pytest.raises(InactiveEmployeeError, match=gone):
        model.recommend(ds, [*_juniors(ds, 1), gone])
    with pytest.raises(InactiveEmployeeError, match=gone):
        model.candidates(ds, [gone], top=3)
    with pytest.raises(ValueError, match="k must be at least 1"):
        model.recommend(ds, _juniors(ds, 1), k=0)


def test_what_if_forecast_for_any_pair(world: tuple) -> None:
    ds, model = world
    mentees = _juniors(ds, 3)
    seniors = ds.employees.loc[
        ds.employees["position_type"].astype(str).eq("administrator") & ds.employees["active"],
        "nip",
    ].head(3)
    out = model.forecast(ds, mentees, seniors.tolist())
    assert len(out) == 3 and np.isfinite(out["expected_gain"]).all()
    assert (out["gain_lower"] <= out["gain_upper"]).all()
    with pytest.raises(ValueError, match="same length"):
        model.forecast(ds, mentees, seniors.head(2).tolist())


def test_coverage_counts_only_what_the_mentee_lacks_and_the_mentor_has() -> None:
    vocab = np.array(["A", "B", "C"])

    def profile(levels: list[float], required: list[float], codes: list[int]) -> Profiles:
        dense = np.full((1, 4), np.nan)
        dense[0, codes] = levels
        return Profiles(
            vocabulary=vocab,
            codes=np.array([codes]),
            level=np.array([levels]),
            required=np.array([required]),
            weight=np.array([[2.0] * len(codes)]),
            assessed=np.ones((1, len(codes)), dtype=bool),
            dense=dense,
        )

    # mentee: A below standard, B far above it, C unknown to the mentor
    mentee = profile([1.0, 4.0, 1.0], [3.0, 2.0, 3.0], [0, 1, 2])
    mentor = profile([3.5, 5.0], [3.0, 3.0], [0, 1])
    total, lead = coverage(mentee, np.array([0]), mentor, np.array([0]))
    assert lead.tolist() == [[2.5, 0.0, 0.0]]
    assert total.tolist() == [5.0]


def test_beats_the_baselines_on_the_ground_truth(world: tuple, small_world: Path) -> None:
    ds, model = world
    metrics = E.evaluate_recommendations(model, ds, small_world, k=3, max_mentees=300)
    share = metrics["mentor_share_of_oracle_top3"]
    assert share > metrics["same_unit_senior_share_of_oracle_top3"] + 0.15
    assert share > metrics["random_senior_share_of_oracle_top3"] + 0.25
    assert 0.0 < share <= 1.0


def test_matched_cohort_against_greedy_and_the_bound(world: tuple, small_world: Path) -> None:
    ds, model = world
    metrics = E.evaluate_cohort(model, ds, small_world, capacity=3, max_mentees=500)
    assert metrics["cohort_forecast_gain"] >= metrics["cohort_greedy_forecast_gain"] - 1e-6
    assert metrics["cohort_lp_bound"] >= metrics["cohort_forecast_gain"] - 1e-6
    assert abs(metrics["cohort_gap"]) < 1e-6
    assert 0 < metrics["cohort_true_gain"] <= metrics["cohort_oracle_true_gain"] + 1e-6


def test_shortlisting_changes_nothing(world: tuple) -> None:
    ds, model = world
    mentees = _juniors(ds, 80)
    everyone = model.candidates(ds, mentees)  # every eligible mentor, scored exactly
    top = model.candidates(ds, mentees, top=3)  # shortlisted block by block
    best = everyone.sort_values(["nip", "expected_gain"], ascending=[True, False])
    best = best.groupby("nip").head(3)
    assert len(top) == len(best) > 100
    key = ["nip", "mentor_nip"]
    assert set(map(tuple, top[key].astype(str).to_numpy())) == set(
        map(tuple, best[key].astype(str).to_numpy())
    )
    first = top.groupby("nip")["n_eligible"].first()
    counts = everyone.groupby("nip").size().reindex(first.index)
    assert (first.to_numpy() == counts.to_numpy()).all()


def _pool(world: tuple) -> Pool:
    ds, model = world
    return Pool.build(
        ds,
        None,
        latest_date(ds),
        importance=model.importance_,
        vocabulary=model.vocabulary_,
        effect_model=model.model_,
    )


def test_block_coverage_is_the_same_whichever_way_a_competency_is_summed(
    world: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = _pool(world)
    rows = np.arange(len(pool.roster.nip))
    mentees, mentors = rows[:300], rows[::2]
    mixed = block_coverage(pool.profiles, mentees, mentors)
    # every competency over the whole block, then each over its learners × mentors ahead
    monkeypatch.setattr(mentor_coverage, "DENSE_SHARE", -1.0)
    whole = block_coverage(pool.profiles, mentees, mentors)
    monkeypatch.setattr(mentor_coverage, "DENSE_SHARE", 2.0)
    parts = block_coverage(pool.profiles, mentees, mentors)
    assert np.array_equal(mixed, whole) and np.array_equal(parts, whole)  # bit for bit
    assert (whole > 0).mean() > 0.3


def test_block_effectiveness_equals_the_pairwise_lookup(world: tuple) -> None:
    pool = _pool(world)
    found = pool.roster.row(pool.roster.nip)
    block, mentors, _ = next(pool.roster.matrices(found[:200]))
    gain = pool._block_effectiveness(block, mentors)
    i, j = np.meshgrid(block, mentors, indexing="ij")
    _, pairwise, _, supervisor, _, _ = pool._lookup(i.ravel(), j.ravel())
    # the shortlist's float32 of the same look-up
    assert gain.dtype == np.float32 and np.array_equal(gain.ravel(), pairwise.astype(np.float32))
    assert supervisor.any()  # the supervisor's own context is looked up too


def test_the_gaps_a_mentor_covers_do_not_depend_on_who_else_was_profiled(world: tuple) -> None:
    ds, model = world
    pool = _pool(world)  # the whole roster profiled at once
    rows = np.array([5, 3, 40, 3, 17])
    queries = pd.DataFrame({"nip": pool.roster.nip.iloc[rows], AS_OF: latest_date(ds)})
    alone = profiles(ds, queries, model.importance_, model.vocabulary_)
    mentee, mentor = np.array([0, 1, 2, 4]), np.array([3, 2, 0, 1])  # positions in rows
    _, lead = coverage(alone, mentee, alone, mentor)
    _, lead_in_pool = coverage(pool.profiles, rows[mentee], pool.profiles, rows[mentor])
    detail = lead_detail(alone, mentee, lead)
    assert len(detail) > 0
    pd.testing.assert_frame_equal(
        detail, lead_detail(pool.profiles, rows[mentee], lead_in_pool), check_exact=True
    )


def test_block_coverage_equals_pairwise_coverage(world: tuple) -> None:
    from recsys.data.snapshot import latest_date

    ds, model = world
    pool = Pool.build(
        ds,
        None,
        latest_date(ds),
        importance=model.importance_,
        vocabulary=model.vocabulary_,
        effect_model=model.model_,
    )
    rng = np.random.default_rng(0)
    mentees = rng.choice(len(pool.roster.nip), 50, replace=False)
    mentors = rng.choice(len(pool.roster.nip), 40, replace=False)
    block = block_coverage(pool.profiles, mentees, mentors)
    i, j = np.meshgrid(np.arange(50), np.arange(40), indexing="ij")
    pairwise, _ = coverage(pool.profiles, mentees[i.ravel()], pool.profiles, mentors[j.ravel()])
    assert np.allclose(block.ravel(), pairwise, rtol=1e-5, atol=1e-5)
    assert (pairwise > 0).mean() > 0.3
