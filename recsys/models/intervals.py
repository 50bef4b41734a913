"""Forecast intervals: estimation spread and calibrated model error, combined.

A forecast's error against the true effect is not observed; its square, out of fold, is
the squared error against the observed (de-baselined) outcome minus the outcome's own
noise, which control windows measure (:class:`recsys.models.baseline.ScoreBaseline`), plus,
for a training, the lottery of finishing it (:func:`dropout_noise`). The error is calibrated
per bin of forecast size, since bigger forecasts miss by more.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

ERROR_BINS = 5


def calibrate_error(
    oof: np.ndarray,
    observed: np.ndarray,
    noise_var: float | np.ndarray,
    bins: int = ERROR_BINS,
) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges over the out-of-fold forecast ``oof`` and the effect error's RMSE (same
    units) in each bin, never below the overall excess error. ``noise_var``: the outcome's
    own noise variance, one for every row or one per row."""
    noise = np.broadcast_to(np.asarray(noise_var, dtype=float), np.shape(oof))
    edges = np.unique(np.quantile(oof, np.linspace(0, 1, bins + 1)[1:-1]))
    which = np.searchsorted(edges, oof)
    scale = np.zeros(len(edges) + 1)
    overall = max(float(np.mean((observed - oof) ** 2 - noise)), 0.0)
    for b in range(len(edges) + 1):
        inside = which == b
        excess = float(np.mean((observed[inside] - oof[inside]) ** 2 - noise[inside]))
        scale[b] = np.sqrt(max(excess, overall, 1e-6))
    return edges, scale


def dropout_noise(forecast: np.ndarray, completion: np.ndarray) -> np.ndarray:
    """The variance an enrollment's outcome has around its expected gain because the
    person may not finish: the gain if finished, g, comes with probability p, so an
    expected gain f = g·p varies by g²·p·(1 − p) = f²·(1 − p)/p. It is the outcome's own
    noise, not an error of the forecast, so calibration subtracts it."""
    f = np.asarray(forecast, dtype=float)
    p = np.clip(np.asarray(completion, dtype=float), 0.05, 1.0)
    return f**2 * (1.0 - p) / p


def error_at(edges: np.ndarray, scale: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """The calibrated error of each forecast (its bin's RMSE)."""
    return scale[np.searchsorted(edges, np.nan_to_num(np.asarray(forecast, dtype=float)))]


def interval_half_width(alpha: float, spread: np.ndarray, error: np.ndarray) -> np.ndarray:
    """Half-width of a (1 − alpha) normal interval from estimation spread and model error."""
    return NormalDist().inv_cdf(1 - alpha / 2) * np.sqrt(
        np.asarray(spread, dtype=float) ** 2 + np.asarray(error, dtype=float) ** 2
    )
