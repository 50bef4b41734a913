"""The flexible ranker: a LightGBM model of a pair's effect over person × training features.

Its target is each past enrollment's de-baselined outcome (the SKP change minus what the
person would have done anyway, :class:`~recsys.models.baseline.ScoreBaseline`): a regression
adjustment, so that, given the features, what is left is the training's effect. It assumes
no form for how gaps, modality, quality and the person combine (unlike the structured
model), at the price of needing more history. Its interval is its own error, measured on a
held-out share of enrollments with the outcome's noise removed
(:func:`~recsys.models.intervals.calibrate_error`). How far each training's own leaf values
are pooled toward the others is chosen on the same held-out enrollments
(:data:`CATEGORY_SHRINKAGES`), pooling the most where those outcomes cannot tell.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from recsys.features.training_pair import CATEGORICAL, PAIR_FEATURES
from recsys.models import tree_scorer
from recsys.models.intervals import (
    calibrate_error,
    dropout_noise,
    error_at,
    interval_half_width,
)
from recsys.models.threads import fit_threads, predict_threads

#: Candidate (``cat_smooth``, ``min_data_per_group``) settings for the trainings' own
#: leaf values: from LightGBM's usual to strong pooling. A training seen in few enrollments
#: otherwise gets leaf values that are mostly noise, which a plan comparing trainings
#: across people then buys.
CATEGORY_SHRINKAGES: tuple[tuple[float, int], ...] = ((20.0, 100), (200.0, 400), (1000.0, 1000))


class PairUpliftModel(BaseEstimator):
    """Effect of a (person, training) pair in SKP points, learned from enrollments.

    Parameters (stored as given): LightGBM's ``n_estimators``, ``learning_rate``,
    ``num_leaves``, ``min_child_samples``; ``category_shrinkage`` (LightGBM's ``cat_smooth``
    and ``min_data_per_group``: how far each training's own leaf values are pulled toward
    the rest; None: chosen among :data:`CATEGORY_SHRINKAGES` on the held-out enrollments,
    the most pooled whose squared error is within one standard error of the least);
    ``holdout`` (share of enrollments held out: the
    model learns from the rest and its error is measured on them); ``max_rows`` (at most
    this many enrollments are learned from, a random sample); ``random_state``. Learned:
    ``model_``, ``error_bins_``, ``error_scale_``, ``n_rows_`` (rows learned from),
    ``category_shrinkage_`` (the one used) and ``shrinkage_errors_`` (held-out mean squared
    error of each candidate, when chosen).
    """

    def __init__(
        self,
        *,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 100,
        category_shrinkage: tuple[float, int] | None = None,
        holdout: float = 0.2,
        max_rows: int = 200_000,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.category_shrinkage = category_shrinkage
        self.holdout = holdout
        self.max_rows = max_rows
        self.random_state = random_state

    def _regressor(self, n_rows: int, shrinkage: tuple[float, int]) -> lgb.LGBMRegressor:
        smooth, per_group = shrinkage
        return lgb.LGBMRegressor(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            # the effect is a small part of a noisy outcome: keep leaves smooth
            reg_lambda=5.0,
            cat_smooth=float(smooth),
            min_data_per_group=int(per_group),
            random_state=self.random_state,
            n_jobs=fit_threads(n_rows),
            verbose=-1,
        )

    @staticmethod
    def _matrix(features: pd.DataFrame) -> pd.DataFrame:
        x = features[list(PAIR_FEATURES)].astype(float).copy()
        for column in CATEGORICAL:
            codes = x[column].to_numpy()
            x[column] = np.where(codes >= 0, codes, np.nan)
        return x

    def holdout_mask(self, n_rows: int) -> np.ndarray:
        """Which of ``n_rows`` enrollments :meth:`fit` holds out (the same rows every time)."""
        return self._split(n_rows)[0]

    def _split(self, n_rows: int) -> tuple[np.ndarray, np.random.Generator]:
        """The held-out rows, and the generator that drew them (for the sample of the rest)."""
        rng = np.random.default_rng(self.random_state)
        return rng.random(n_rows) < self.holdout, rng

    def fit(
        self,
        features: pd.DataFrame,
        target: np.ndarray,
        noise_var: float,
        completion: np.ndarray | None = None,
    ) -> PairUpliftModel:
        """Learn from pair ``features`` (:data:`PAIR_FEATURES`) and de-baselined outcomes.
        The measured error has the outcome's own noise taken out: ``noise_var``, and the
        lottery of finishing the training where each enrollment's ``completion``
        probability is given (:func:`~recsys.models.intervals.dropout_noise`)."""
        self._check_params()
        x = self._matrix(features)
        y = np.asarray(target, dtype=float)
        if len(y) < 50:
            raise ValueError("too little history: fewer than 50 enrollments with an outcome")
        held, rng = self._split(len(y))
        learn = np.flatnonzero(~held)
        if len(learn) > self.max_rows:
            # beyond a few hundred thousand enrollments more rows barely change the trees
            learn = np.sort(rng.choice(learn, self.max_rows, replace=False))
        options = (
            CATEGORY_SHRINKAGES if self.category_shrinkage is None else (self.category_shrinkage,)
        )
        fits = []
        for shrinkage in options:
            model = self._regressor(len(learn), shrinkage).fit(
                x.iloc[learn], y[learn], categorical_feature=list(CATEGORICAL)
            )
            pred = model.predict(x[held], num_threads=predict_threads(len(y)))
            fits.append((model, np.asarray(pred, dtype=float)))
        squared = [(y[held] - p) ** 2 for _, p in fits]
        errors = [float(np.mean(e)) if held.any() else 0.0 for e in squared]
        best = _most_pooled_within_one_se(squared)
        self.model_, oof = fits[best]
        self.category_shrinkage_ = tuple(options[best])
        self.shrinkage_errors_ = dict(zip(options, errors, strict=True))
        noise = noise_var + (
            0.0 if completion is None else dropout_noise(oof, np.asarray(completion)[held])
        )
        self.error_bins_, self.error_scale_ = calibrate_error(oof, y[held], noise)
        self.n_rows_ = len(learn)
        return self

    def _check_params(self) -> None:
        """A ``ValueError`` naming the parameter whose value cannot be used (before any fit,
        so nothing is changed)."""
        shrinkage = self.category_shrinkage
        if shrinkage is not None:
            try:
                smooth, per_group = shrinkage
                usable = (
                    np.isfinite(float(smooth))
                    and float(smooth) >= 0
                    and float(per_group) == int(per_group)
                    and int(per_group) >= 1
                )
            except (TypeError, ValueError):
                usable = False
            if not usable:
                raise ValueError(
                    "category_shrinkage must be None or a pair (cat_smooth >= 0, "
                    f"min_data_per_group: a whole number >= 1), got {shrinkage!r}"
                )
        if not 0 < self.holdout < 1:
            raise ValueError(
                "holdout must be a share of the enrollments between 0 and 1 (exclusive), "
                f"got {self.holdout!r}"
            )
        if not (isinstance(self.max_rows, int | np.integer) and self.max_rows >= 1):
            raise ValueError(f"max_rows must be a whole number >= 1, got {self.max_rows!r}")

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Expected effect (SKP points) of each pair."""
        check_is_fitted(self, "model_")
        if len(features) == 0:
            return np.zeros(0)
        # a plain matrix in the learned column order, scored by the compiled trees (the
        # booster's own answer, bit for bit): a batch of recommendations predicts millions
        # of pairs
        x = np.column_stack([np.asarray(features[c], dtype=float) for c in PAIR_FEATURES])
        codes = x[:, [PAIR_FEATURES.index(c) for c in CATEGORICAL]]
        x[:, [PAIR_FEATURES.index(c) for c in CATEGORICAL]] = np.where(codes >= 0, codes, np.nan)
        return tree_scorer.predict(self.model_.booster_, x, predict_threads(len(x)))

    def forecast(
        self, features: pd.DataFrame, alpha: float = 0.1, *, expected: np.ndarray | None = None
    ) -> pd.DataFrame:
        """Expected gain and its (1 − alpha) interval per pair; ``expected``: the pairs'
        :meth:`predict`, if already made."""
        expected = self.predict(features) if expected is None else np.asarray(expected)
        half = interval_half_width(
            alpha, np.zeros(len(expected)), error_at(self.error_bins_, self.error_scale_, expected)
        )
        return pd.DataFrame(
            {
                "expected_gain": expected,
                "gain_lower": expected - half,
                "gain_upper": expected + half,
            }
        )


def _most_pooled_within_one_se(squared: list[np.ndarray]) -> int:
    """Of candidates listed from the least to the most pooled (each one's squared errors on
    the same held-out rows), the most pooled whose mean error is within one standard error
    of the paired difference from the least error's (the one-standard-error rule, Breiman
    et al. 1984): the held-out outcomes are noisy, and where they cannot tell the settings
    apart, a training's own leaf values are pooled the most."""
    if not len(squared[0]):
        return 0
    means = [float(np.mean(e)) for e in squared]
    best = int(np.argmin(means))
    chosen = best
    for i in range(best + 1, len(squared)):
        diff = squared[i] - squared[best]
        se = float(np.std(diff)) / np.sqrt(len(diff))
        if float(np.mean(diff)) <= se:
            chosen = i
    return chosen
