"""Are forecast intervals as honest as they claim? Empirical coverage at several levels.

A 90% interval should hold the true value nine times in ten; a calibration table asks the
same at each nominal level, so that one lucky level cannot hide a miscalibrated model. It
needs the true values, so it is for demo worlds (ground truth) and synthetic checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from recsys.data.loading import Dataset
from recsys.models.trainings import TrainingRecommender

#: Nominal coverage levels checked by default.
LEVELS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)

#: ``interval(alpha) -> (lower, upper)``: a (1 − alpha) interval per row.
IntervalFn = Callable[[float], tuple[ArrayLike, ArrayLike]]


def coverage_by_level(
    interval: IntervalFn, truth: ArrayLike, levels: Sequence[float] = LEVELS
) -> pd.DataFrame:
    """Per nominal level (0–1): ``coverage`` (share of rows whose true value lies in the
    interval, 0–1), ``mean_width`` (same units as the truth) and ``n`` (rows)."""
    true = np.asarray(truth, dtype=float)
    rows = []
    for level in levels:
        if not 0.0 < level < 1.0:
            raise ValueError(f"levels must be in (0, 1), got {level}")
        lower, upper = (np.asarray(a, dtype=float) for a in interval(1.0 - level))
        if not len(lower) == len(upper) == len(true):
            raise ValueError("the intervals and the truth must have one value per row")
        inside = (lower <= true) & (true <= upper)
        rows.append(
            {
                "nominal": float(level),
                "coverage": float(inside.mean()),
                "mean_width": float(np.mean(upper - lower)),
                "n": len(true),
            }
        )
    return pd.DataFrame(rows)


def training_intervals(model: TrainingRecommender, ds: Dataset, pairs: pd.DataFrame) -> IntervalFn:
    """The fitted training recommender's interval for each (``nip``, ``training_id``) pair
    of ``pairs``, at any level (for :func:`coverage_by_level`)."""

    def interval(alpha: float) -> tuple[ArrayLike, ArrayLike]:
        forecast, _ = model.forecast(ds, pairs["nip"], pairs["training_id"], alpha=alpha)
        return forecast["gain_lower"].to_numpy(), forecast["gain_upper"].to_numpy()

    return interval
