"""How much each competency matters for performance, by position type.

For every position type, a ridge regression of the SKP score at the first appraisal after an
assessment on the assessed shortfall against the standard in each competency
(``min(level − required, cap)``). The coefficient is the competency's weight: SKP points
per level of shortfall. It is an association, not a causal effect — able people are strong
in many competencies and score well — so its use is to *rank* gaps (which gap hurts most),
with the outcome models deciding how much a training actually moves performance.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import Ridge
from sklearn.utils.validation import check_is_fitted

from recsys.data.loading import Dataset

log = logging.getLogger(__name__)

#: Levels above the standard that still count (beyond it, more does not help).
SURPLUS_CAP = 0.5
#: An appraisal later than this after the assessment is not paired with it.
MAX_LAG_DAYS = 400


class CompetencyImportance(BaseEstimator):
    """Weight of each competency in performance, per position type (SKP points per level).

    Parameters are stored as given (scikit-learn convention); ``fit`` learns
    ``weights_``: a DataFrame indexed by competency code, one column per position type,
    values ≥ 0 (negative estimates are noise and are clipped). ``fallback_`` holds each
    competency's mean weight over position types, used where a type has no data.
    """

    def __init__(self, *, alpha: float = 10.0, cap: float = SURPLUS_CAP) -> None:
        self.alpha = alpha
        self.cap = cap

    def fit(self, ds: Dataset) -> CompetencyImportance:
        """Learn the weights from ``ds``'s assessments, standards and appraisals."""
        assessed = ds.assessments.merge(
            ds.employees[["nip", "position", "position_type"]], on="nip"
        ).merge(ds.competency_standards, on=["position", "competency"])
        if assessed.empty:
            raise ValueError("no assessments of standard competencies to learn importance from")
        assessed["shortfall"] = np.minimum(assessed["level"] - assessed["required_level"], self.cap)
        wide = assessed.pivot_table(
            index=["nip", "assessed_on"], columns="competency", values="shortfall"
        ).fillna(0.0)
        keys = wide.index.to_frame(index=False)
        scored = ds.performance.loc[ds.performance["score"].notna(), ["nip", "period_end", "score"]]
        paired = pd.merge_asof(
            keys.assign(_row=np.arange(len(keys))).sort_values("assessed_on", kind="stable"),
            scored.sort_values("period_end", kind="stable"),
            left_on="assessed_on",
            right_on="period_end",
            by="nip",
            direction="forward",
            tolerance=pd.Timedelta(days=MAX_LAG_DAYS),
        ).sort_values("_row")
        ptype = (
            assessed.drop_duplicates(["nip", "assessed_on"])
            .set_index(["nip", "assessed_on"])["position_type"]
            .reindex(wide.index)
            .astype(str)
            .to_numpy()
        )
        score = paired["score"].to_numpy()
        weights = {}
        for position_type in sorted(set(ptype)):
            rows = (ptype == position_type) & ~np.isnan(score)
            if rows.sum() < 30:
                log.info("importance: too few appraisals for %s (%d)", position_type, rows.sum())
                continue
            model = Ridge(alpha=self.alpha).fit(wide.to_numpy()[rows], score[rows])
            weights[position_type] = pd.Series(model.coef_, index=wide.columns)
        if not weights:
            raise ValueError("too few assessments followed by an appraisal to learn importance")
        frame = pd.DataFrame(weights).clip(lower=0.0)
        self.fallback_ = frame.mean(axis=1)
        self.weights_ = frame
        return self

    def weight(
        self, position_type: pd.Series | np.ndarray, competency: pd.Series | np.ndarray
    ) -> np.ndarray:
        """Weights for aligned (position type, competency) pairs; 0 for unknown competencies."""
        check_is_fitted(self, "weights_")
        # look up distinct values once, then index a (competency × position type) table:
        # a batch of recommendations weighs millions of pairs
        row = _positions(competency, self.weights_.index)
        column = _positions(position_type, self.weights_.columns)
        table = self.weights_.to_numpy(dtype=float)
        fallback = self.fallback_.reindex(self.weights_.index).to_numpy(dtype=float)
        known = row >= 0
        found = np.full(len(row), np.nan)
        both = known & (column >= 0)
        found[both] = table[row[both], column[both]]
        found[known & np.isnan(found)] = fallback[row[known & np.isnan(found)]]
        return np.nan_to_num(found, nan=0.0)


def _positions(values: pd.Series | np.ndarray, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (-1 if absent), looking each distinct value up
    once."""
    # a Series (Arrow text, as loaded) factorizes natively, without a copy to objects
    values = values if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    codes, uniques = pd.factorize(values)
    where = index.get_indexer(pd.Index(np.asarray(uniques, dtype=object), dtype=object))
    return np.where(codes >= 0, where[np.maximum(codes, 0)], -1)
