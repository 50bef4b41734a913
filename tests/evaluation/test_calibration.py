"""Interval coverage at several levels: exact normal intervals cover as they claim, narrow
ones do not, and bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from recsys.evaluation.calibration import LEVELS, coverage_by_level


def test_exact_intervals_cover_their_level_and_halved_ones_do_not() -> None:
    truth = np.random.default_rng(0).normal(size=50_000)

    def exact(alpha: float) -> tuple[np.ndarray, np.ndarray]:
        z = stats.norm.ppf(1 - alpha / 2)
        return np.full(len(truth), -z), np.full(len(truth), z)

    table = coverage_by_level(exact, truth)
    assert table["nominal"].tolist() == list(LEVELS)
    assert np.allclose(table["coverage"], table["nominal"], atol=0.01)
    assert (table["n"] == len(truth)).all()
    assert table["mean_width"].is_monotonic_increasing

    def halved(alpha: float) -> tuple[np.ndarray, np.ndarray]:
        low, high = exact(alpha)
        return low / 2, high / 2

    assert (coverage_by_level(halved, truth)["coverage"] < table["coverage"] - 0.1).all()


def test_bad_levels_and_lengths_are_refused() -> None:
    def interval(alpha: float) -> tuple[list[float], list[float]]:
        return [0.0], [1.0]

    with pytest.raises(ValueError, match=r"levels must be in \(0, 1\)"):
        coverage_by_level(interval, [0.5], levels=[1.0])
    with pytest.raises(ValueError, match="one value per row"):
        coverage_by_level(interval, [0.5, 0.6])
