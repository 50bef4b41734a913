"""The mentor recommender on a small demo world: candidate rules, ranking, reasons, what-if
forecasts, and quality against the world's ground truth beside the baselines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data.loading import Dataset, load_dataset
from recsys.data.snapshot import latest_date
from recsys.evaluation import mentors as E
from recsys.features.competency_state import AS_OF
from recsys.models.mentors.coverage import (
    Profiles,
    coverage,
    lead_detail,
    profiles,
)
from recsys.models.mentors.eligibility import SENIOR_STEPS, Roster, eligible_pairs, seniority
from recsys.models.mentors.policy import MentorPolicy
from recsys.models.mentors.pool import SHORTLIST_EXTRA, Pool
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


def _reference_shortlist(
    pool: Pool, block: np.ndarray, mentors: np.ndarray, ok: np.ndarray, width: int
) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray, np.ndarray]:
    """The shortlist with whole-block numpy arrays: float32 coverage summed competency by
    competency in dictionary order, the pairwise effectiveness look-up in float32, each
    mentee's ``width`` best by (loss, mentor position), listed by mentee then mentor.
    Returns the pairs (roster rows), which eligible mentors cover a gap (mentees ×
    mentors), the coverage and the loss (minus the forecast)."""
    prof = pool.profiles
    n_vocab = prof.dense32.shape[1] - 1
    rows = np.arange(len(block))[:, None]
    weight = np.zeros((len(block), n_vocab + 1), dtype=np.float32)
    level = np.full((len(block), n_vocab + 1), 5.0, dtype=np.float32)
    weight[rows, prof.codes[block]] = prof.open_weight[block]
    level[rows, prof.codes[block]] = prof.level32[block]
    ahead = prof.dense32[mentors]
    cover = np.zeros((len(block), len(mentors)), dtype=np.float32)
    for c in range(n_vocab):
        lead = np.maximum(ahead[None, :, c] - level[:, c, None], np.float32(0.0))
        cover += lead * weight[:, c, None]
    i, j = np.meshgrid(block, mentors, indexing="ij")
    _, effectiveness, *_ = pool.lookup(i.ravel(), j.ravel())
    loss = -(effectiveness.astype(np.float32).reshape(cover.shape) * cover)
    useful = ok & (cover > 0)
    pairs = []
    for r in range(len(block)):
        cols = np.flatnonzero(useful[r] & np.isfinite(loss[r]))
        best = np.sort(cols[np.lexsort((cols, loss[r, cols]))][:width])
        pairs += [(int(block[r]), int(mentors[c])) for c in best]
    return pairs, useful, cover, loss


def _check_shortlist(pool: Pool, top: int | None) -> np.ndarray:
    """Assert that the pool's shortlist of a block is the reference's; returns the loss."""
    found = pool.roster.row(pool.roster.nip)
    block, mentors, ok = next(pool.roster.matrices(found[:200]))
    mi, mj, counts = pool.shortlist(block, mentors, ok, top)
    width = len(mentors) if top is None else top + SHORTLIST_EXTRA
    pairs, useful, cover, loss = _reference_shortlist(pool, block, mentors, ok, width)
    # the same pairs, by mentee then mentor, each with its eligible mentors who cover a gap
    assert list(zip(mi.tolist(), mj.tolist(), strict=True)) == pairs
    assert len(pairs) > len(block)
    at = {row: k for k, row in enumerate(block)}
    assert np.array_equal(counts, useful.sum(axis=1)[[at[r] for r in mi]])
    # the block's float32 coverage is the pairwise coverage
    i, j = np.meshgrid(block[:50], mentors, indexing="ij")
    pairwise, _ = coverage(pool.profiles, i.ravel(), pool.profiles, j.ravel())
    assert np.allclose(cover[:50].ravel(), pairwise, rtol=1e-5, atol=1e-5)
    assert (pairwise > 0).mean() > 0.3
    return np.where(useful, loss, np.inf)


@pytest.mark.parametrize("top", [1, 10, None])
def test_the_shortlist_is_each_mentees_best_by_the_block_forecast(
    world: tuple, top: int | None
) -> None:
    _check_shortlist(_pool(world), top)


def test_the_shortlist_breaks_ties_towards_the_lower_mentor(world: tuple) -> None:
    pool = _pool(world)
    # every mentor at level 5 in every competency and with the first one's effectiveness:
    # a mentee's mentors of one context tie
    twins = replace(
        pool,
        profiles=replace(pool.profiles, dense=np.full_like(pool.profiles.dense, 5.0)),
        effects=replace(
            pool.effects, point=np.repeat(pool.effects.point[:1], len(pool.effects.point), 0)
        ),
    )
    loss = _check_shortlist(twins, 1)
    finite = np.isfinite(loss[0])
    assert finite.sum() > 1 + SHORTLIST_EXTRA > len(np.unique(loss[0][finite]))


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


def test_intervals_given_later_are_those_of_the_candidates(world: tuple) -> None:
    ds, model = world
    mentees = _juniors(ds, 40)
    with_bounds, _ = model.candidates_in_pool(ds, mentees, top=5)
    plain, pool = model.candidates_in_pool(ds, mentees, top=5, alpha=None)
    assert "gain_lower" not in plain and len(plain) == len(with_bounds) > 100
    some = plain.iloc[::-3].reset_index(drop=True)  # a few, in another order
    later = model.with_intervals(pool, some)
    expected = with_bounds.iloc[::-3].reset_index(drop=True)
    pd.testing.assert_frame_equal(later[expected.columns], expected)
    assert (later["gain_lower"] < later["gain_upper"]).all()
    assert model.with_intervals(pool, some.iloc[:0])[["gain_lower", "gain_upper"]].empty
