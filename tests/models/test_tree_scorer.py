"""The compiled tree scorer gives LightGBM's own predictions, bit for bit."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from recsys.models import tree_scorer


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Numerical features with zeros and missing values, two categorical codes (one of
    them with missing values), and an outcome that depends on all of them."""
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [
            rng.normal(size=n),
            np.where(rng.random(n) < 0.3, 0.0, rng.exponential(2.0, n)),
            np.where(rng.random(n) < 0.1, np.nan, rng.uniform(-3, 3, n)),
            rng.integers(0, 40, n).astype(float),
            np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 6, n).astype(float)),
        ]
    )
    codes = x[:, 3].astype(int)
    y = (
        x[:, 0]
        + np.sin(x[:, 1])
        + np.nan_to_num(x[:, 2]) * (codes % 3 == 0)
        + (codes % 7) / 3
        + np.nan_to_num(x[:, 4], nan=2.5)
        + rng.normal(0, 0.3, n)
    )
    return x, y


def _edges(x: np.ndarray, seed: int) -> np.ndarray:
    """``x`` with the values LightGBM reads apart: missing, zero, within 1e-35 of zero,
    negative, fractional and unseen categories, huge values."""
    rng = np.random.default_rng(seed)
    y = x.copy()
    y[rng.random(y.shape) < 0.08] = np.nan
    y[rng.random(y.shape) < 0.08] = 0.0
    y[rng.random(y.shape) < 0.04] = -1e-40
    y[rng.random(y.shape) < 0.04] = 1e-36
    for column in (3, 4):
        pick = rng.random(len(y))
        y[pick < 0.05, column] = -2.0
        y[(pick >= 0.05) & (pick < 0.1), column] = -0.5
        y[(pick >= 0.1) & (pick < 0.15), column] = 3.7
        y[(pick >= 0.15) & (pick < 0.2), column] = 500.0
    y[rng.random(y.shape) < 0.02] = 1e300
    return y


def _fit(**params: object) -> lgb.Booster:
    x, y = _data(4_000, 1)
    settings = {
        "objective": "regression",
        "num_leaves": 15,
        "learning_rate": 0.1,
        "min_data_in_leaf": 20,
        "max_cat_to_onehot": 4,
        "min_data_per_group": 5,
        "cat_smooth": 1.0,
        "verbose": -1,
        "num_threads": 1,
        "seed": 3,
    }
    settings.update(params)
    data = lgb.Dataset(x, y, categorical_feature=[3, 4], free_raw_data=False)
    return lgb.train(settings, data, num_boost_round=60)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(np.asarray(a, float).view(np.int64), np.asarray(b, float).view(np.int64))


@pytest.mark.parametrize(
    "params",
    [
        {},  # missing values as NaN (LightGBM's default)
        {"zero_as_missing": True},  # zero is the missing value
        {"use_missing": False},  # no missing handling: NaN reads as zero
        {"num_leaves": 64, "min_data_in_leaf": 5},  # the most leaves compiled
    ],
    ids=["nan-missing", "zero-missing", "no-missing", "64-leaves"],
)
def test_the_compiled_scorer_gives_lightgbms_predictions_bit_for_bit(params: dict) -> None:
    booster = _fit(**params)
    model = tree_scorer.compile_model(booster.model_to_string())
    assert model is not None
    assert len(model.categorical) > 0  # categorical splits are exercised
    x, _ = _data(3_000, 2)
    for rows in (x, _edges(x, 4)):
        expected = booster.predict(rows, num_threads=1)
        assert _same_bits(model.predict(rows), expected)
        assert _same_bits(tree_scorer.predict(booster, rows), expected)


def test_a_tree_of_one_leaf_adds_its_value() -> None:
    # nothing can be split: the model is one tree of one leaf, the mean outcome
    booster = _fit(min_gain_to_split=1e12)
    text = booster.model_to_string()
    assert "num_leaves=1\n" in text
    model = tree_scorer.compile_model(text)
    assert model is not None
    x, _ = _data(500, 5)
    assert _same_bits(model.predict(x), booster.predict(x, num_threads=1))


@pytest.mark.parametrize(
    "params",
    [
        {"objective": "binary"},  # the output goes through a sigmoid
        {"linear_tree": True},  # leaves hold linear models
        {"num_leaves": 80, "min_data_in_leaf": 5},  # more leaves than bits
    ],
    ids=["binary", "linear-trees", "80-leaves"],
)
def test_other_models_are_left_to_lightgbm(params: dict) -> None:
    x, y = _data(4_000, 1)
    if params.get("objective") == "binary":
        y = (y > np.median(y)).astype(float)
    settings = {"verbose": -1, "num_threads": 1, "objective": "regression", **params}
    booster = lgb.train(settings, lgb.Dataset(x, y), num_boost_round=20)
    assert tree_scorer.compile_model(booster.model_to_string()) is None
    assert tree_scorer.compiled(booster) is None
    # the caller's prediction is then LightGBM's own
    assert _same_bits(tree_scorer.predict(booster, x), booster.predict(x, num_threads=1))


def test_a_matrix_of_other_width_is_refused() -> None:
    model = tree_scorer.compile_model(_fit().model_to_string())
    assert model is not None
    with pytest.raises(ValueError, match="5 feature columns"):
        model.predict(np.zeros((3, 4)))


def test_a_few_rows_are_left_to_lightgbm_without_compiling() -> None:
    # a what-if forecast predicts a few pairs: compiling (and importing numba, ~100 MB in an
    # API worker) would cost more than LightGBM's own answer, which has the same bits
    booster = _fit()
    x, _ = _data(tree_scorer.COMPILED_FROM, 6)
    few = x[: tree_scorer.COMPILED_FROM - 1]
    assert _same_bits(tree_scorer.predict(booster, few), booster.predict(few, num_threads=1))
    assert booster not in tree_scorer._COMPILED  # not even read
    assert _same_bits(tree_scorer.predict(booster, x), booster.predict(x, num_threads=1))
    assert tree_scorer.compiled(booster) is not None and booster in tree_scorer._COMPILED
