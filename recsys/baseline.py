"""What a person's SKP score would have done anyway: the counterfactual every effect is
measured against.

A LightGBM model of the score change over appraisal windows in which the person took part
in no activity (no training, no mentorship), from their features just after the baseline
appraisal and the window's length. An activity's effect is its outcome minus this model's
prediction for the same person and window. The model's error on held-out windows is the
outcome's own noise, which interval calibration subtracts.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from recsys import features as F
from recsys import outcomes as O
from recsys.data.loading import Dataset

#: Fewest no-activity windows a baseline is learned from.
MIN_CONTROLS = 50
HELD_OUT_SHARE = 0.2


def busy_spans(ds: Dataset) -> pd.DataFrame:
    """Every activity span per person: enrollments and mentorships (as the mentee)."""
    return pd.concat(
        [
            ds.enrollments[["nip", "start_date", "end_date"]],
            ds.mentorships.rename(columns={"mentee_nip": "nip"})[["nip", "start_date", "end_date"]],
        ],
        ignore_index=True,
    )


def window_features(
    ds: Dataset, nips: pd.Series, baseline_period: pd.Series, horizon: pd.Series
) -> pd.DataFrame:
    """Person features just after the baseline appraisal, plus the outcome horizon (days)."""
    queries = pd.DataFrame(
        {
            "nip": pd.Series(nips).to_numpy(),
            F.AS_OF: (pd.Series(baseline_period) + pd.Timedelta(days=1)).to_numpy(),
        }
    )
    x = F.person_features(ds, queries)
    x["horizon_days"] = np.asarray(horizon, dtype=float)
    return x


class ScoreBaseline:
    """Score change without activity (SKP points), learned from control windows.

    Parameters are stored as given; ``fit`` learns ``model_`` (LightGBM), ``n_controls_``
    and ``noise_var_`` (squared error on held-out windows: the outcome's own noise).
    """

    def __init__(self, *, random_state: int = 0) -> None:
        self.random_state = random_state

    def _regressor(self) -> lgb.LGBMRegressor:
        return lgb.LGBMRegressor(
            n_estimators=300,
            learning_rate=0.05,
            num_leaves=31,
            min_child_samples=50,
            subsample=0.8,
            subsample_freq=1,
            random_state=self.random_state,
            # one thread: small data, and no OpenMP spinning when the machine is busy
            n_jobs=1,
            verbose=-1,
        )

    def fit(self, ds: Dataset) -> ScoreBaseline:
        controls = O.control_windows(ds.performance, busy_spans(ds))
        if len(controls) < MIN_CONTROLS:
            raise ValueError(
                f"too little history: fewer than {MIN_CONTROLS} appraisal windows without activity"
            )
        x = window_features(
            ds, controls["nip"], controls[O.BASELINE_PERIOD], controls[O.HORIZON_DAYS]
        )
        y = controls[O.OUTCOME].to_numpy()
        self.model_ = self._regressor().fit(x, y)
        held_out = np.random.default_rng(self.random_state).random(len(y)) < HELD_OUT_SHARE
        probe = self._regressor().fit(x[~held_out], y[~held_out])
        self.noise_var_ = float(np.mean((y[held_out] - probe.predict(x[held_out])) ** 2))
        self.n_controls_ = len(controls)
        return self

    def predict(
        self, ds: Dataset, nips: pd.Series, baseline_period: pd.Series, horizon: pd.Series
    ) -> np.ndarray:
        """Expected score change without activity for each (nip, window)."""
        return np.asarray(
            self.model_.predict(window_features(ds, nips, baseline_period, horizon)), dtype=float
        )

    def residuals(self, ds: Dataset, nips: pd.Series, outcomes: pd.DataFrame) -> np.ndarray:
        """Observed outcome minus the no-activity expectation, for activity outcomes
        (:func:`recsys.outcomes.activity_outcomes` frames aligned with ``nips``)."""
        expected = self.predict(ds, nips, outcomes[O.BASELINE_PERIOD], outcomes[O.HORIZON_DAYS])
        return outcomes[O.OUTCOME].to_numpy(dtype=float) - expected
