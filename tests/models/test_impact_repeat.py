"""ImpactEstimator's repeated cross-fitting: a fixed default seed, means over fold splits
that other seeds reproduce, and ATE/ATT intervals that own up to the split noise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from recsys.models.impact import (
    AUTO_MAX_REPEATS,
    AUTO_MIN_REPEATS,
    REPEAT_TOLERANCE,
    ImpactEstimator,
)

#: One LightGBM thread per fit: the suite runs on 2 xdist workers over 2 cores.
JOBS = 1
#: Small final stage: these tests are about the averages, not the per-row effects.
FAST = {"n_bags": 4, "n_jobs": JOBS}


class World:
    """x ~ N(0, I_4), e(x) = sigmoid(s (x1 + x2 / 2)), tau(x) = 1 + x1,
    Y = x1 + x2 + sin(x3) + T tau(x) + N(0, 1). With s > 0 the treated have larger x1, so
    the effect on the treated (ATT) exceeds the average effect (ATE)."""

    def __init__(self, n: int, selection: float, seed: int) -> None:
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n, 4))
        self.X = pd.DataFrame(x, columns=["x1", "x2", "x3", "x4"])
        self.treated = (rng.random(n) < expit(selection * (x[:, 0] + 0.5 * x[:, 1]))).astype(int)
        self.tau = 1.0 + x[:, 0]
        self.outcome = (
            x[:, 0] + x[:, 1] + np.sin(x[:, 2]) + self.treated * self.tau + rng.normal(size=n)
        )

    def fit(self, **params: Any) -> ImpactEstimator:
        return ImpactEstimator(**{**FAST, **params}).fit(self.X, self.treated, self.outcome)


@pytest.fixture(scope="module")
def world() -> World:
    """Moderate selection: the ATT and ATE differ by about 3 se."""
    return World(1_500, selection=0.5, seed=0)


@pytest.fixture(scope="module")
def easy() -> World:
    """A small randomized trial: "auto" stops after 10-30 cheap repeats (a quick test)."""
    return World(500, selection=0.0, seed=1)


@pytest.fixture(scope="module")
def fitted(world: World) -> ImpactEstimator:
    return world.fit(n_repeats=6, random_state=3)


def test_defaults_are_a_fixed_seed_and_automatic_repeats() -> None:
    est = ImpactEstimator()
    assert est.random_state == 0
    assert est.n_repeats == "auto"


def test_default_settings_twice_give_identical_averages(easy: World) -> None:
    first = ImpactEstimator(n_jobs=JOBS).fit(easy.X, easy.treated, easy.outcome)
    second = ImpactEstimator(n_jobs=JOBS).fit(easy.X, easy.treated, easy.outcome)
    assert first.n_repeats_ == second.n_repeats_
    _assert_settled(first)
    for name in ("ate_", "ate_se_", "att_", "att_se_"):
        assert getattr(first, name) == getattr(second, name), name
    np.testing.assert_array_equal(first.att_repeats_, second.att_repeats_)
    np.testing.assert_array_equal(first.effect(easy.X), second.effect(easy.X))


def test_other_seeds_agree_to_a_small_share_of_the_se(easy: World) -> None:
    """With n_repeats="auto" each run's split noise is about REPEAT_TOLERANCE (0.06) se by
    its stopping rule: over five seeds the averages' sd is at most 0.15 se here, and one
    cross-fitting's is at least 1.5 times that. (Three folds: fewer fits, a quicker test.)"""
    runs = {
        repeats: [easy.fit(random_state=seed, n_repeats=repeats, n_folds=3) for seed in range(1, 6)]
        for repeats in ("auto", 1)
    }
    for est in runs["auto"]:
        _assert_settled(est)
    for name in ("ate", "att"):
        sd = {}
        for repeats, fits in runs.items():
            values = [getattr(est, f"{name}_") for est in fits]
            sd[repeats] = np.std(values, ddof=1) / np.median(
                [getattr(e, f"{name}_se_") for e in fits]
            )
        assert sd["auto"] <= 0.15, (name, sd)
        assert sd[1] >= 1.5 * sd["auto"], (name, sd)


def test_default_fits_with_other_seeds_agree() -> None:
    """Default settings (but a small final stage, which the averages do not use), two
    seeds, a small sample with some selection: the ATE and ATT agree to 0.25 se (here 0.05
    and 0.003 se apart; with one cross-fitting per fit the ATT differed by 0.5 se). Fails if
    the defaults go back to a seed-dependent answer."""
    small = World(500, selection=0.5, seed=5)
    one, two = (
        ImpactEstimator(random_state=seed, **FAST).fit(small.X, small.treated, small.outcome)
        for seed in (1, 2)
    )
    for name in ("ate", "att"):
        gap = abs(getattr(one, f"{name}_") - getattr(two, f"{name}_"))
        assert gap <= 0.25 * getattr(one, f"{name}_se_"), (name, gap)


def _assert_settled(est: ImpactEstimator) -> None:
    """The "auto" rule stopped within its bounds, and before the last repeat only once the
    split noise of both means (sd over repeats / sqrt(repeats)) was within the tolerance."""
    assert AUTO_MIN_REPEATS <= est.n_repeats_ <= AUTO_MAX_REPEATS
    if est.n_repeats_ < AUTO_MAX_REPEATS:
        for name in ("ate", "att"):
            theta = getattr(est, f"{name}_repeats_")
            noise = theta.std(ddof=1) / np.sqrt(len(theta))
            assert noise <= REPEAT_TOLERANCE * getattr(est, f"{name}_se_")


def test_ate_and_att_intervals_cover_the_known_effects(
    world: World, fitted: ImpactEstimator
) -> None:
    kept = fitted.in_overlap_
    true_ate = world.tau[kept].mean()
    true_att = world.tau[kept & (world.treated == 1)].mean()
    assert true_att - true_ate > 3 * fitted.att_se_  # the test can tell them apart
    for estimate, se, interval, truth in (
        (fitted.ate_, fitted.ate_se_, fitted.ate_interval_, true_ate),
        (fitted.att_, fitted.att_se_, fitted.att_interval_, true_att),
    ):
        lo, hi = interval
        assert lo < truth < hi
        assert (lo + hi) / 2 == pytest.approx(estimate)
        assert hi - lo == pytest.approx(2 * 1.959964 * se, rel=1e-4)


def test_per_repeat_values_and_mean_aggregation(fitted: ImpactEstimator) -> None:
    assert fitted.n_repeats_ == 6
    for name in ("ate", "att"):
        theta = getattr(fitted, f"{name}_repeats_")
        se = getattr(fitted, f"{name}_se_repeats_")
        assert theta.shape == se.shape == (6,)
        assert np.all(se > 0)
        assert len(np.unique(theta)) == 6  # the fold splits differ
        assert getattr(fitted, f"{name}_") == pytest.approx(np.mean(theta))
        total = getattr(fitted, f"{name}_se_")
        expected = np.sqrt(np.mean(se**2 + (theta - np.mean(theta)) ** 2))
        assert total == pytest.approx(expected)
        # The split spread is part of the se, not left out of it.
        assert total > np.sqrt(np.mean(se**2)) * (1 + 1e-6)


def test_a_repeat_is_the_same_whatever_the_number_of_repeats(world: World) -> None:
    two = world.fit(n_repeats=2, random_state=7)
    three = world.fit(n_repeats=3, random_state=7)
    np.testing.assert_array_equal(two.att_repeats_, three.att_repeats_[:2])
    np.testing.assert_array_equal(two.ate_se_repeats_, three.ate_se_repeats_[:2])


def test_the_overlap_set_depends_on_the_data_alone() -> None:
    """Strong selection, so that many units lie near the trim bound: other seeds and other
    numbers of repeats keep the same units (the population the ATE and ATT are about).
    Decided by the cross-fitted propensities of one or two repeats, the sets of these three
    fits differed by 112-124 units. The propensity model for new rows is deterministic too."""
    strong = World(1_000, selection=3.0, seed=2)
    fits = [strong.fit(n_repeats=r, random_state=seed) for r, seed in ((1, 1), (2, 2), (1, 3))]
    kept = fits[0].in_overlap_
    assert 0 < (~kept).sum() < len(kept) // 2  # some units are trimmed, most are kept
    for est in fits:
        np.testing.assert_array_equal(est.in_overlap_, kept)
        e = est.overlap_propensity_
        np.testing.assert_array_equal(kept, (e >= est.trim) & (e <= 1 - est.trim))
        np.testing.assert_array_equal(est.in_overlap(strong.X), fits[0].in_overlap(strong.X))
    assert fits[0].att_ != fits[2].att_  # the seeds do differ


def test_one_repeat_is_plain_cross_fitting(world: World) -> None:
    est = world.fit(n_repeats=1, random_state=4)
    assert est.n_repeats_ == 1
    assert est.att_ == est.att_repeats_[0] and est.att_se_ == est.att_se_repeats_[0]
    assert est.ate_ == pytest.approx(est.pseudo_outcome_[est.in_overlap_].mean())


@pytest.mark.parametrize("value", [0, -1, 2.5, "many", True, None])
def test_bad_n_repeats_raises_naming_it(value: object, world: World) -> None:
    est = ImpactEstimator(n_repeats=value, **FAST)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_repeats"):
        est.fit(world.X, world.treated, world.outcome)
