"""Forecast intervals: the outcome's own noise, the dropout lottery included, is taken out
of the calibrated error."""

import numpy as np
import pandas as pd
import pytest

from recsys.models.intervals import calibrate_error, dropout_noise
from recsys.models.trainings import completion_rates


def test_the_dropout_lottery_is_taken_out_of_the_calibrated_error() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    gain_if_finished = rng.uniform(1, 4, n)
    p = np.where(rng.random(n) < 0.5, 0.6, 0.95)
    expected = gain_if_finished * p
    forecast = expected + rng.normal(0, 0.5, n)  # the forecast's true error: 0.5
    outcome = gain_if_finished * (rng.random(n) < p) + rng.normal(0, 2.0, n)
    lottery = dropout_noise(expected, p)
    _, with_lottery = calibrate_error(forecast, outcome, 4.0 + lottery, bins=1)
    _, without = calibrate_error(forecast, outcome, 4.0, bins=1)
    assert with_lottery[0] == pytest.approx(0.5, abs=0.05)
    assert without[0] > 1.0  # the lottery mistaken for forecast error


def test_dropout_noise_is_the_bernoulli_variance_of_the_gain() -> None:
    # expected gain 2 at p = 0.5: the gain if finished is 4, its variance 16 · 0.25 = 4
    assert dropout_noise(np.array([2.0]), np.array([0.5]))[0] == pytest.approx(4.0)
    assert dropout_noise(np.array([2.0]), np.array([1.0]))[0] == 0.0


def test_completion_rates_by_modality_and_remote_area_are_shrunk() -> None:
    status = pd.Series(["completed"] * 8 + ["dropped"] * 2 + ["completed"] * 10)
    modality = np.array(["e_learning"] * 10 + ["klasikal"] * 10)
    remote = np.array([1] * 10 + [0] * 10)
    rate = completion_rates(status, modality, remote, prior=10.0)
    overall = 18 / 20
    assert rate[0] == pytest.approx((8 + 10 * overall) / 20)
    assert rate[-1] == pytest.approx((10 + 10 * overall) / 20)
    assert rate[0] < rate[-1]
