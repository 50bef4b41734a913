"""The mentor effectiveness model: a stable fit on any history (no overflow, no warning), a
world without mentoring effect that says so, the learned model against the simple rule on
the agency's own held-out outcomes, honest interval pieces, and the champion gate."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data.loading import Dataset, load_dataset
from recsys.models.mentors import effect as E
from recsys.models.mentors.recommender import (
    LOSS_Z,
    WHY_BEATS_RULE,
    WHY_FIXED,
    WHY_NO_BETTER,
    WHY_NO_EFFECT,
    WHY_TIES_RULE,
    MentorRecommender,
    choose_effect,
)
from recsys.simulation import simulate
from recsys.tracking.registry import mentor_champion_refusals, mentor_validation_metrics

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def _pairs(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Random pair features (as a history holds them) and coverage."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "distance": rng.choice([0.0, 1.0, 2.0], n, p=[0.5, 0.3, 0.2]),
            "mentee_remote": (rng.random(n) < 0.15).astype(float),
            "is_supervisor": (rng.random(n) < 0.4).astype(float),
            "mentor_rating_mean": np.where(rng.random(n) < 0.3, rng.normal(3.6, 0.3, n), np.nan),
            "mentor_developing_others": rng.normal(0.2, 0.9, n),
            E.LOAD: rng.choice([1.0, 2.0, 3.0], n, p=[0.8, 0.15, 0.05]),
        }
    )
    return x, rng.gamma(3.0, 5.0, n)


def _truth(x: pd.DataFrame, cover: np.ndarray) -> np.ndarray:
    """A known effect: nearer and better at developing others is better, load hurts."""
    log_effect = (
        np.log(0.06)
        - 0.35 * x["distance"].to_numpy()
        + 0.4 * x["mentor_developing_others"].to_numpy()
        - 0.3 * np.log(x[E.LOAD].to_numpy())
    )
    return cover * np.exp(log_effect)


# ----------------------------------------------------------------------------- the fit


def test_the_learned_effect_recovers_a_known_structure() -> None:
    x, cover = _pairs(6_000, 1)
    outcome = _truth(x, cover) + np.random.default_rng(2).normal(0.0, 1.0, len(cover))
    model = E.fit_learned(x, cover, outcome, prior_sd=0.35)
    slopes = dict(zip([name for name, _ in E.COLUMNS], model.slopes, strict=True))
    assert model.kind == "learned"
    assert slopes["distance"] == pytest.approx(-0.35, abs=0.1)
    assert slopes["developing_others"] == pytest.approx(0.4, abs=0.1)
    assert slopes["log_load"] == pytest.approx(-0.3, abs=0.2)
    assert model.scale == pytest.approx(0.06, rel=0.25)
    # forecasts are for one mentee at a time; the load factor says what more would cost
    assert model.load_factor(3.0) == pytest.approx(np.exp(slopes["log_load"] * np.log(3.0)))
    one_at_a_time = x.drop(columns=E.LOAD)
    assert np.allclose(model.predict(one_at_a_time), model.predict(x.assign(**{E.LOAD: 1.0})))
    coefficients = model.coefficients()
    assert list(coefficients.index) == ["scale", *(n for n, _ in E.COLUMNS), "rating_center"]


def test_a_slope_of_the_wrong_sign_is_held_at_zero() -> None:
    x, cover = _pairs(4_000, 3)
    # farther mentors "better": the model keeps nearer no worse
    outcome = cover * 0.05 * np.exp(0.3 * x["distance"].to_numpy())
    model = E.fit_learned(x, cover, outcome, prior_sd=0.35)
    distance = [name for name, _ in E.COLUMNS].index("distance")
    assert model.slopes[distance] == 0.0
    assert np.isfinite(model.slopes).all()


@pytest.mark.parametrize(
    "outcome",
    [
        lambda n, rng: rng.normal(0.0, 3.0, n),  # no effect at all
        lambda n, rng: -np.abs(rng.normal(5.0, 3.0, n)),  # mentoring seems to hurt
        lambda n, rng: rng.normal(0.0, 1.0, n) + 1e6 * (rng.random(n) < 0.01),  # wild values
        lambda n, rng: np.zeros(n),
    ],
)
def test_no_history_can_overflow_the_fit(outcome: object) -> None:
    x, cover = _pairs(2_000, 4)
    y = outcome(len(cover), np.random.default_rng(5))  # type: ignore[operator]
    for kind in E.KINDS:
        model = E.fit_effect(kind, x, cover, y, prior_sd=0.35)
        effect = model.predict(x)
        assert np.isfinite(effect).all()
        assert (effect >= E.EFFECT_FLOOR).all() and (effect <= E.EFFECT_CAP).all()
        assert np.isfinite(model.raw(x)).all()


def test_where_mentoring_has_no_effect_the_model_says_so() -> None:
    x, cover = _pairs(3_000, 6)
    noise = np.random.default_rng(7).normal(0.0, 3.0, len(cover))
    noise -= E.best_constant(cover, noise) * cover  # exactly no common effect
    for kind in E.KINDS:
        model = E.fit_effect(kind, x, cover, noise - 0.01 * cover, prior_sd=0.35)
        assert (model.predict(x) == E.EFFECT_FLOOR).all()  # a tiny common effect
        assert model.scale <= E.EFFECT_FLOOR
        assert not model.slopes.any()
    # ranked by coverage: the floor is common to every pair
    expected = cover * E.fit_constant(x, cover, noise).predict(x)
    assert (np.argsort(-expected, kind="stable") == np.argsort(-cover, kind="stable")).all()


def test_non_finite_history_is_a_clear_error() -> None:
    x, cover = _pairs(500, 8)
    outcome = np.ones(len(cover))
    outcome[3] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        E.fit_learned(x, cover, outcome, prior_sd=0.35)
    with pytest.raises(ValueError, match="prior_sd"):
        E.fit_learned(x, cover, np.ones(len(cover)), prior_sd=0.0)
    with pytest.raises(ValueError, match="effect must be one of"):
        E.fit_effect("boosted", x, cover, np.ones(len(cover)), prior_sd=0.35)


# ----------------------------------------------------------------------------- intervals


def test_the_interval_is_multiplicative_and_around_zero_without_effect() -> None:
    expected = np.array([0.0, 1.0, 4.0])
    lower, upper = E.gain_interval(expected, np.zeros(3), 0.5, 0.1)
    z = 1.6448536269514722
    assert np.allclose(lower, expected * np.exp(-z * 0.5))
    assert np.allclose(upper, expected * np.exp(z * 0.5))
    assert (upper - expected > expected - lower)[1:].all()  # skewed up, as the error is
    # no effect: the refits' spread alone, symmetric around 0
    lower, upper = E.gain_interval(np.zeros(2), np.array([0.2, 0.5]), 0.5, 0.1)
    assert np.allclose(lower, -z * np.array([0.2, 0.5]))
    assert np.allclose(upper, z * np.array([0.2, 0.5]))


def test_the_refits_spread_is_that_of_each_refits_raw_effectiveness() -> None:
    x, _ = _pairs(500, 3)
    models = [
        E.EffectModel("learned", 0.05 * (k + 1), np.linspace(-0.2, 0.3, 7) * k, 3.5 + 0.1 * k)
        for k in range(4)
    ]
    one_by_one = np.column_stack([m.raw(x) for m in models]).std(axis=1)
    assert np.array_equal(E.raw_spread(models, x), one_by_one)  # the design built once


def test_the_relative_error_leans_on_its_prior_until_the_history_is_long() -> None:
    rng = np.random.default_rng(9)

    def history(n: int, true_s: float, noise_var: float) -> tuple[np.ndarray, np.ndarray]:
        forecast = rng.gamma(2.0, 0.4, n)  # about a point, as mentoring forecasts are
        truth = forecast * np.exp(rng.normal(-(true_s**2) / 2, true_s, n))
        return forecast, truth + rng.normal(0.0, np.sqrt(noise_var), n)

    long = history(2_000_000, 0.2, 4.0)
    assert E.relative_error(*long, 4.0, prior=0.5) == pytest.approx(0.2, abs=0.05)
    # a history of 1,500 outcomes with noise sd 3.5 points tells little
    short = history(1_500, 0.2, 12.0)
    assert E.relative_error(*short, 12.0, prior=0.5) == pytest.approx(0.5, abs=0.06)
    # forecasts of nothing: nothing to learn from
    assert E.relative_error(np.zeros(50), short[1][:50], 12.0, prior=0.6) == 0.6


def test_concurrent_load_counts_the_mentors_overlapping_mentorships() -> None:
    day = pd.Timestamp
    every = pd.DataFrame(
        {
            "mentor_nip": ["A", "A", "A", "B"],
            "start_date": [
                day("2020-01-01"),
                day("2020-03-01"),
                day("2021-01-01"),
                day("2020-01-01"),
            ],
            "end_date": [day("2020-06-30"), pd.NaT, day("2021-03-01"), day("2020-06-30")],
        }
    )
    load = E.concurrent_load(every, every, day("2022-01-01"))
    # A's second mentorship is still running: it overlaps both others
    assert load.tolist() == [2.0, 3.0, 2.0, 1.0]


# ----------------------------------------------------------------------------- the recommender


@pytest.fixture(scope="module")
def fitted(small_world: Path) -> tuple[Dataset, MentorRecommender]:
    ds = load_dataset(small_world)
    return ds, MentorRecommender(n_bootstrap=5).fit(ds)


def test_the_choice_between_learned_model_and_rule_is_recorded(fitted: tuple) -> None:
    ds, model = fitted
    assert model.effect_ in E.KINDS and model.model_.kind == model.effect_
    assert (model.effect_, model.effect_reason_) == choose_effect(
        "auto", model.effect_loss_z_, no_effect=False
    )
    # the loss is measured on the same folds: its sign is the R² comparison's
    assert np.sign(model.effect_loss_z_) == np.sign(model.oof_r2_constant_ - model.oof_r2_learned_)
    served = model.oof_r2_learned_ if model.effect_ == "learned" else model.oof_r2_constant_
    assert model.oof_r2_ == served
    assert np.isfinite([model.oof_r2_, model.relative_error_]).all()
    assert len(model.bootstrap_) == 5 and {m.kind for m in model.bootstrap_} == {model.effect_}
    # the rule served on request, with a wider relative error (it ignores mentor differences)
    rule = MentorRecommender(n_bootstrap=3, effect="constant").fit(ds)
    assert (rule.effect_, rule.effect_reason_) == ("constant", WHY_FIXED)
    assert not rule.model_.slopes.any()
    assert rule.oof_r2_constant_ == pytest.approx(model.oof_r2_constant_)
    with pytest.raises(ValueError, match="effect must be one of"):
        MentorRecommender(effect="boosted").fit(ds)


@pytest.mark.parametrize(
    ("effect", "loss_z", "no_effect", "expected"),
    [
        ("auto", -2.0, False, ("learned", WHY_BEATS_RULE)),
        ("auto", 0.5 * LOSS_Z, False, ("learned", WHY_TIES_RULE)),  # within the noise
        ("auto", LOSS_Z, False, ("learned", WHY_TIES_RULE)),
        ("auto", LOSS_Z + 0.01, False, ("constant", WHY_NO_BETTER)),  # loses: the rule
        ("auto", float("nan"), False, ("constant", WHY_NO_BETTER)),
        ("auto", -5.0, True, ("constant", WHY_NO_EFFECT)),
        ("learned", 9.0, False, ("learned", WHY_FIXED)),
        ("constant", -9.0, False, ("constant", WHY_FIXED)),
    ],
)
def test_the_learned_model_is_served_unless_it_loses_to_the_rule_beyond_noise(
    effect: str, loss_z: float, no_effect: bool, expected: tuple[str, str]
) -> None:
    assert choose_effect(effect, loss_z, no_effect=no_effect) == expected


def test_pyfunc_forecasts_are_finite_or_a_clear_error(fitted: tuple) -> None:
    _, model = fitted
    example = model.example_features()
    out = model.forecast_from_features(example)
    assert np.isfinite(out.to_numpy(dtype=float)).all()
    assert (out["gain_lower"] <= out["expected_gain"]).all()
    assert (out["expected_gain"] <= out["gain_upper"]).all()
    busier = model.forecast_from_features(example.assign(**{E.LOAD: 3.0}))
    assert (busier["expected_gain"] <= out["expected_gain"] + 1e-12).all()
    with pytest.raises(ValueError, match="'coverage' must be finite"):
        model.forecast_from_features(example.assign(coverage=np.nan))
    with pytest.raises(ValueError, match="lack the columns"):
        model.forecast_from_features(example.drop(columns="distance"))


def test_a_refused_mentor_model_says_why(fitted: tuple) -> None:
    ds, model = fitted
    metrics = mentor_validation_metrics(model)
    assert mentor_champion_refusals(model, ds, metrics) == {}
    broken = {**metrics, "mentor_oof_r2": float("nan")}
    assert "non_finite_metrics" in mentor_champion_refusals(model, ds, broken)
    # a learned effectiveness that loses to the rule out of fold is never champion
    forced = MentorRecommender(n_bootstrap=2, effect="learned").fit(ds)
    assert "effect_loses_to_rule" not in mentor_champion_refusals(
        forced, ds, mentor_validation_metrics(forced)
    )
    forced.effect_loss_z_ = LOSS_Z + 1.0  # as a history where it loses would leave it
    refusals = mentor_champion_refusals(forced, ds, mentor_validation_metrics(forced))
    assert "standard errors" in refusals["effect_loses_to_rule"]


@pytest.mark.slow
def test_a_world_without_mentoring_effect(tmp_path: Path) -> None:
    world = tmp_path / "no_mentoring"
    simulate(world, employees=1_500, seed=5, mechanism="big_catalog_no_mentoring")
    ds = load_dataset(world)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MentorRecommender(n_bootstrap=5).fit(ds)
    assert (model.effect_, model.effect_reason_) == ("constant", WHY_NO_EFFECT)
    emp = ds.employees
    juniors = emp.loc[emp["active"] & (emp["position_type"] == "pelaksana"), "nip"].head(40)
    top = model.candidates(ds, juniors, top=3)
    assert len(top) > 0
    values = top[["expected_gain", "gain_lower", "gain_upper"]].to_numpy(dtype=float)
    assert np.isfinite(values).all()
    # effect ≈ 0, intervals around 0, still ordered by coverage
    assert np.allclose(top["expected_gain"], top["coverage"] * E.EFFECT_FLOOR)
    assert (top["gain_lower"] <= 0).all() and (top["gain_upper"] >= 0).all()
    for _, person in top.groupby("nip"):
        assert person["coverage"].is_monotonic_decreasing
    refusals = mentor_champion_refusals(model, ds, mentor_validation_metrics(model))
    assert refusals == {}
