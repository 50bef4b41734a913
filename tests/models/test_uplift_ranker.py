"""PairUpliftModel: learns a known nonlinear effect, honest intervals, sklearn conventions."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from recsys.features.training_pair import CATEGORICAL, PAIR_FEATURES
from recsys.models.uplift_ranker import (
    CATEGORY_SHRINKAGES,
    PairUpliftModel,
    _most_pooled_within_one_se,
)

NOISE_SD = 1.0
N_TRAIN = 4_000


def _fast(random_state: int = 0) -> PairUpliftModel:
    """A small, quick model: the effect is simple enough for it."""
    return PairUpliftModel(
        n_estimators=150, learning_rate=0.08, min_child_samples=40, random_state=random_state
    )


def _features(n: int, seed: int) -> pd.DataFrame:
    """Random pair features in plausible ranges (every :data:`PAIR_FEATURES` column)."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({c: rng.normal(size=n) for c in PAIR_FEATURES})
    x["weighted_gap"] = rng.uniform(0, 4, n)
    x["gap_rule"] = rng.integers(0, 6, n).astype(float)
    x["training_code"] = rng.integers(0, 12, n)
    x["modality_code"] = rng.integers(0, 4, n)
    x["position_type_code"] = rng.integers(0, 3, n)
    x["remote_area"] = rng.integers(0, 2, n).astype(float)
    x.loc[rng.random(n) < 0.05, "last_score"] = np.nan  # missing values happen
    return x


def _effect(x: pd.DataFrame) -> np.ndarray:
    """The true effect: saturating in the gap, a threshold in the rule, an interaction
    with remote area and a per-training shift."""
    gap = x["weighted_gap"].to_numpy()
    shift = np.array([0.0, 1.0, -1.0, 0.5] * 3)[x["training_code"].to_numpy().clip(0)]
    return (
        2.0 * np.tanh(gap - 1.0)
        + 1.0 * (x["gap_rule"].to_numpy() >= 3)
        - 1.5 * x["remote_area"].to_numpy() * (gap > 2)
        + shift
    )


def _sample(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    x = _features(n, seed)
    truth = _effect(x)
    y = truth + np.random.default_rng(seed + 1).normal(0, NOISE_SD, n)
    return x, truth, y


@pytest.fixture(scope="module")
def fitted() -> PairUpliftModel:
    x, _, y = _sample(N_TRAIN, 0)
    return _fast(0).fit(x, y, NOISE_SD**2)


@pytest.fixture(scope="module")
def fresh() -> tuple[pd.DataFrame, np.ndarray]:
    x, truth, _ = _sample(3_000, 100)
    return x, truth


def test_learns_a_known_nonlinear_effect(
    fitted: PairUpliftModel, fresh: tuple[pd.DataFrame, np.ndarray]
) -> None:
    x, truth = fresh
    predicted = fitted.predict(x)
    assert predicted.shape == (len(x),)
    assert np.corrcoef(predicted, truth)[0, 1] > 0.9
    # far better than a linear fit in the gap alone (which cannot see the shape)
    linear = np.polyval(np.polyfit(x["weighted_gap"], truth, 1), x["weighted_gap"])
    assert np.mean((predicted - truth) ** 2) < 0.5 * np.mean((linear - truth) ** 2)
    # it learns from the enrollments it does not hold out to measure its error
    assert 0.75 * N_TRAIN < fitted.n_rows_ < 0.85 * N_TRAIN


def test_intervals_cover_the_true_effect_about_as_promised(
    fitted: PairUpliftModel, fresh: tuple[pd.DataFrame, np.ndarray]
) -> None:
    x, truth = fresh
    frame = fitted.forecast(x, alpha=0.1)
    assert list(frame.columns) == ["expected_gain", "gain_lower", "gain_upper"]
    assert (frame["gain_lower"] <= frame["expected_gain"]).all()
    assert (frame["expected_gain"] <= frame["gain_upper"]).all()
    covered = (frame["gain_lower"] <= truth) & (truth <= frame["gain_upper"])
    assert 0.8 <= covered.mean() <= 0.99
    # the interval is about the effect, not the noisy outcome: narrower than ±1.645 noise SDs
    half = (frame["gain_upper"] - frame["expected_gain"]).median()
    assert half < 1.645 * NOISE_SD
    # a wider promise, a wider interval
    wide = fitted.forecast(x, alpha=0.01)
    assert (
        (wide["gain_upper"] - wide["gain_lower"]) > (frame["gain_upper"] - frame["gain_lower"])
    ).all()


def test_too_little_history_is_a_clear_error() -> None:
    x, _, y = _sample(49, 1)
    with pytest.raises(ValueError, match="fewer than 50"):
        PairUpliftModel().fit(x, y, 1.0)


def test_unknown_category_codes_are_handled() -> None:
    x, _truth, y = _sample(1_500, 2)
    x.loc[x.index[:100], "training_code"] = -1  # some past enrollments of unknown trainings
    model = _fast(0).fit(x, y, NOISE_SD**2)
    probe = _features(200, 3)
    for column in CATEGORICAL:
        probe[column] = -1
    frame = model.forecast(probe)
    assert np.isfinite(frame.to_numpy()).all()
    # an unknown training code is not read as a known one (-1 is missing, not a category)
    matrix = PairUpliftModel._matrix(probe)
    assert matrix[list(CATEGORICAL)].isna().all().all()


def test_empty_input_gives_empty_forecasts(fitted: PairUpliftModel) -> None:
    empty = _features(0, 4)
    assert fitted.predict(empty).shape == (0,)
    assert len(fitted.forecast(empty)) == 0


def test_deterministic_for_a_random_state(fresh: tuple[pd.DataFrame, np.ndarray]) -> None:
    x, _, y = _sample(1_000, 5)
    probe = fresh[0].head(300)
    one = _fast(7).fit(x, y, 1.0)
    two = _fast(7).fit(x, y, 1.0)
    pd.testing.assert_frame_equal(one.forecast(probe), two.forecast(probe))
    np.testing.assert_array_equal(one.error_scale_, two.error_scale_)


def test_sklearn_conventions(fitted: PairUpliftModel) -> None:
    with pytest.raises(NotFittedError):
        PairUpliftModel().predict(_features(5, 6))
    params = fitted.get_params()
    assert params == {
        "n_estimators": 150,
        "learning_rate": 0.08,
        "num_leaves": 15,
        "min_child_samples": 40,
        "category_shrinkage": None,
        "holdout": 0.2,
        "max_rows": 200_000,
        "random_state": 0,
    }
    copy = clone(fitted)
    assert copy.get_params() == params
    assert not hasattr(copy, "model_")
    changed = clone(fitted).set_params(num_leaves=7)
    assert changed.num_leaves == 7 and fitted.num_leaves == 15
    # a pickled model forecasts the same
    probe = _features(50, 7)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(probe), fitted.predict(probe))


def test_learns_from_at_most_max_rows() -> None:
    x = _features(3000, 11)
    y = np.asarray(x["weighted_gap"], dtype=float) + np.random.default_rng(1).normal(0, 1, 3000)
    model = PairUpliftModel(n_estimators=20, max_rows=500).fit(x, y, noise_var=1.0)
    assert model.n_rows_ == 500
    assert np.isfinite(model.predict(x)).all()


def test_the_trainings_own_leaf_shrinkage_is_chosen_on_held_out_enrollments() -> None:
    """Real per-training shifts seen in a thousand enrollments each: the least pooling wins
    on the held-out enrollments; 300 trainings of noise, a dozen enrollments each: more
    than the least. The chosen setting is the most pooled one whose held-out error is
    within one standard error of the least."""
    x, _, y = _sample(3 * N_TRAIN, 11)  # 12 trainings with shifts of up to 1.5 points
    real = _fast().fit(x, y, noise_var=NOISE_SD**2)
    x, y = x.head(N_TRAIN), y[:N_TRAIN]
    rng = np.random.default_rng(5)
    noise = x.assign(training_code=rng.integers(0, 300, N_TRAIN))
    y_noise = 2.0 * np.tanh(x["weighted_gap"].to_numpy() - 1.0) + rng.normal(0, 3.0, N_TRAIN)
    pooled = _fast().fit(noise, y_noise, noise_var=9.0)
    for model in (real, pooled):
        errors = model.shrinkage_errors_
        assert set(errors) == set(CATEGORY_SHRINKAGES)
        least = min(errors, key=lambda k: errors[k])
        assert CATEGORY_SHRINKAGES.index(model.category_shrinkage_) >= (
            CATEGORY_SHRINKAGES.index(least)
        )
    assert real.category_shrinkage_ == CATEGORY_SHRINKAGES[0]
    assert pooled.category_shrinkage_ != CATEGORY_SHRINKAGES[0]


def test_the_most_pooled_setting_the_held_out_errors_cannot_reject_is_chosen() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 3.0, (3, 4000)) ** 2  # three settings, the same noisy rows
    same = [noise[0], noise[0] + 0.001 * rng.normal(size=4000), noise[0]]
    assert _most_pooled_within_one_se(same) == 2
    clear = [noise[0], noise[0] + 1.0, noise[0] + 2.0]  # pooling clearly costs
    assert _most_pooled_within_one_se(clear) == 0
    # the middle is least; the most pooled is worse by far less than its noise
    wobble = 0.5 * rng.normal(size=4000)
    middle = [noise[0] + 1.0, noise[0], noise[0] + wobble - wobble.mean() + 0.003]
    assert _most_pooled_within_one_se(middle) == 2
    assert _most_pooled_within_one_se([np.zeros(0)] * 3) == 0


def test_a_given_leaf_shrinkage_is_used_alone() -> None:
    x, _, y = _sample(1_000, 12)
    model = PairUpliftModel(n_estimators=20, category_shrinkage=(50.0, 200)).fit(x, y, 1.0)
    assert model.category_shrinkage_ == (50.0, 200)
    assert list(model.shrinkage_errors_) == [(50.0, 200)]
    params = model.model_.get_params()
    assert params["cat_smooth"] == 50.0 and params["min_data_per_group"] == 200


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"category_shrinkage": (-1.0, 100)}, "category_shrinkage"),
        ({"category_shrinkage": (20.0, 0)}, "category_shrinkage"),
        ({"category_shrinkage": (20.0, 2.5)}, "category_shrinkage"),
        ({"category_shrinkage": (float("nan"), 100)}, "category_shrinkage"),
        ({"category_shrinkage": 20.0}, "category_shrinkage"),
        ({"category_shrinkage": ("much", 100)}, "category_shrinkage"),
        ({"holdout": 0.0}, "holdout"),
        ({"holdout": 1.0}, "holdout"),
        ({"max_rows": 0}, "max_rows"),
    ],
)
def test_a_bad_parameter_is_named_before_anything_is_fitted(
    params: dict[str, object], named: str
) -> None:
    """A value LightGBM or the held-out split cannot use is a clear error naming the
    parameter, raised before any fit, so a model fitted before keeps its state."""
    x, _, y = _sample(200, 13)
    model = PairUpliftModel(n_estimators=5).fit(x, y, 1.0)
    before = model.predict(x)
    with pytest.raises(ValueError, match=named):
        model.set_params(**params).fit(x, y, 1.0)
    np.testing.assert_array_equal(model.predict(x), before)
