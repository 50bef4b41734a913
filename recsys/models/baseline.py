"""What a person's SKP score would have done anyway: the counterfactual every effect is
measured against.

A LightGBM model of the score change over appraisal windows in which the person took part
in no activity (no training, no mentorship), from their features just after the baseline
appraisal and the window's length. An activity's effect is its outcome minus this model's
prediction for the same person and window. The model's error on held-out windows is the
outcome's own noise, which interval calibration subtracts.

Colleagues share a year: appraisals in a unit rise or fall together (a new head, a
reorganisation, a hard year). With ``unit_shocks`` the baseline also learns each unit's
shared change over each window of years from the colleagues without activity over the same
years (their mean residual, shrunk towards zero by how many there are: empirical Bayes), and
adds it to that unit's windows over those years. A training's effect is then measured
against the same unit's untrained colleagues in the same years (the comparison of a
difference-in-differences with unit × period effects), not against the agency's average;
this matters most where a unit sends everyone to the same courses. A window no colleague
has been appraised over (a forecast) adds nothing.
"""

from __future__ import annotations

from typing import Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from recsys.data.loading import Dataset
from recsys.features import outcomes as O
from recsys.features.competency_state import AS_OF
from recsys.features.person import person_features
from recsys.models.threads import fit_threads, predict_threads

#: Fewest no-activity windows a baseline is learned from.
MIN_CONTROLS = 50
HELD_OUT_SHARE = 0.2
#: Index names of :attr:`ScoreBaseline.unit_shocks_`.
SHOCK_INDEX = ("unit", "from_year", "to_year")


Excluded = Literal["all", "mentorships"]


def busy_spans(ds: Dataset, excluded: Excluded = "all") -> pd.DataFrame:
    """Activity spans per person that disqualify a control window: mentorships (as the
    mentee), and enrollments too unless only mentorships are excluded."""
    mentored = ds.mentorships.rename(columns={"mentee_nip": "nip"})[
        ["nip", "start_date", "end_date"]
    ]
    if excluded == "mentorships":
        return mentored.reset_index(drop=True)
    return pd.concat(
        [ds.enrollments[["nip", "start_date", "end_date"]], mentored], ignore_index=True
    )


def trainings_in_window(ds: Dataset, nips: pd.Series, windows: pd.DataFrame) -> pd.DataFrame:
    """Completed trainings (count and JP) that started after the baseline appraisal and
    ended before the outcome appraisal of each window (aligned with ``nips``)."""
    q = pd.DataFrame(
        {
            "nip": pd.Series(nips).astype(str).to_numpy(),
            "_lo": pd.Series(windows[O.BASELINE_PERIOD]).to_numpy(),
            "_hi": pd.Series(windows[O.OUTCOME_PERIOD]).to_numpy(),
            "_row": np.arange(len(windows)),
        }
    )
    done = ds.enrollments[ds.enrollments["status"] == "completed"].merge(
        ds.trainings[["training_id", "hours_jp"]], on="training_id"
    )
    done = pd.DataFrame(
        {
            "nip": done["nip"].astype(str),
            "start_date": done["start_date"],
            "end_date": done["end_date"],
            "hours_jp": done["hours_jp"].astype(float),
        }
    )
    hits = q.merge(done, on="nip")
    inside = (hits["start_date"] > hits["_lo"]) & (hits["end_date"] < hits["_hi"])
    hits = hits[inside].groupby("_row").agg(n=("hours_jp", "size"), jp=("hours_jp", "sum"))
    hits = hits.reindex(range(len(q)), fill_value=0)
    return pd.DataFrame(
        {
            "window_trainings": hits["n"].to_numpy(dtype=float),
            "window_jp": hits["jp"].to_numpy(dtype=float),
        }
    )


def window_features(
    ds: Dataset,
    nips: pd.Series,
    windows: pd.DataFrame,
    *,
    with_trainings: bool = False,
) -> pd.DataFrame:
    """Person features just after the baseline appraisal, the outcome horizon (days) and,
    if asked, the trainings completed inside the window. ``windows`` holds the outcome
    frame's period columns, aligned with ``nips``."""
    queries = pd.DataFrame(
        {
            "nip": pd.Series(nips).to_numpy(),
            AS_OF: (pd.Series(windows[O.BASELINE_PERIOD]) + pd.Timedelta(days=1)).to_numpy(),
        }
    )
    x = person_features(ds, queries)
    x["horizon_days"] = np.asarray(windows[O.HORIZON_DAYS], dtype=float)
    if with_trainings:
        x = pd.concat([x, trainings_in_window(ds, nips, windows)], axis=1)
    return x


def sent_later(ds: Dataset, nips: pd.Series, after: pd.Series, months: int) -> np.ndarray:
    """1.0 where the person enrolled in a training that started within ``months`` after
    ``after`` (aligned with ``nips``), else 0.0."""
    asked = pd.DataFrame(
        {
            "nip": pd.Series(nips).astype(str).to_numpy(),
            "_from": pd.Series(after).to_numpy(),
            "_row": np.arange(len(nips)),
        }
    )
    starts = pd.DataFrame(
        {
            "nip": ds.enrollments["nip"].astype(str).to_numpy(),
            "start_date": ds.enrollments["start_date"].to_numpy(),
        }
    )
    hits = asked.merge(starts, on="nip")
    inside = (hits["start_date"] > hits["_from"]) & (
        hits["start_date"] <= hits["_from"] + pd.DateOffset(months=months)
    )
    out = np.zeros(len(asked))
    out[hits.loc[inside, "_row"].to_numpy()] = 1.0
    return out


def refuse_look_ahead(baseline: ScoreBaseline, model: str) -> None:
    """ValueError if a forecasting ``model``'s baseline looks at who was sent to training
    after a window (``sent_within_months``): a forecast cannot know the future."""
    if baseline.sent_within_months is not None:
        raise ValueError(
            f"the {model}'s baseline must not look at who was sent to training "
            "after a window (sent_within_months=None): a forecast cannot know the future, "
            f"got sent_within_months={baseline.sent_within_months!r}"
        )


class ScoreBaseline(BaseEstimator):
    """Score change without activity (SKP points), learned from control windows.

    ``excluded``: which activities a control window must be free of. ``"all"`` (for
    trainings); ``"mentorships"`` (for mentoring: trainings may happen in a window, and the
    trainings completed inside it are features, so that their effect is not credited to a
    mentor). ``n_estimators``, ``learning_rate``, ``num_leaves``, ``min_child_samples`` and
    ``subsample`` are the LightGBM model's settings. Parameters are stored as given; ``fit``
    learns ``model_`` (LightGBM), ``n_controls_`` and ``noise_var_`` (squared error on
    held-out windows: the outcome's own noise).

    ``unit_shocks``: learn each unit's shared change per year from its colleagues without
    activity (module docstring); ``fit`` then also learns ``unit_shocks_`` (SKP points,
    indexed by unit and the years of a window's two appraisals) and
    ``unit_shock_var_`` (their spread between units, points²; 0: none found), and
    ``noise_var_`` is measured with each held-out window's own colleagues' shock taken
    out.

    ``sent_within_months``: for a look back at trainings already done (a program
    evaluation), tell the control windows apart by whether HR sent the person to a training
    within that many months after the window (feature ``sent_later``). The people HR sends
    resemble each other in what the features do not show (who is able, who is rising), so
    the counterfactual of a trained person's window is learned with ``sent_later`` = 1: from
    colleagues not yet trained (the not-yet-treated comparison of staggered
    difference-in-differences, Callaway & Sant'Anna 2021, "Difference-in-differences with
    multiple time periods", Journal of Econometrics 225(2)). Pass ``sent=True`` to
    :meth:`predict` for the windows of trained people. It uses what happened after the
    window, so it is for evaluations only, never for forecasts. None (default): no such
    feature.
    """

    #: A baseline pickled before unit shocks existed was fitted without them (its own
    #: attributes lack the parameter; an instance made now always sets it).
    unit_shocks: bool = False

    def __init__(
        self,
        *,
        excluded: Excluded = "all",
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 50,
        subsample: float = 0.8,
        sent_within_months: int | None = None,
        unit_shocks: bool = True,
        random_state: int = 0,
    ) -> None:
        self.excluded = excluded
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.sent_within_months = sent_within_months
        self.unit_shocks = unit_shocks
        self.random_state = random_state

    def _regressor(self, n_rows: int) -> lgb.LGBMRegressor:
        return lgb.LGBMRegressor(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=1,
            random_state=self.random_state,
            n_jobs=fit_threads(n_rows),
            verbose=-1,
        )

    def fit(self, ds: Dataset) -> ScoreBaseline:
        """Learn from ``ds``'s appraisal windows free of the ``excluded`` activities."""
        if self.excluded not in ("all", "mentorships"):
            raise ValueError(f"excluded must be 'all' or 'mentorships', got {self.excluded!r}")
        controls = O.control_windows(ds.performance, busy_spans(ds, self.excluded))
        if len(controls) < MIN_CONTROLS:
            raise ValueError(
                f"too little history: fewer than {MIN_CONTROLS} appraisal windows without activity"
            )
        x = self._features(ds, controls["nip"], controls)
        y = controls[O.OUTCOME].to_numpy()
        self.model_ = self._regressor(len(y)).fit(x, y)
        held_out = np.random.default_rng(self.random_state).random(len(y)) < HELD_OUT_SHARE
        probe = self._regressor(int((~held_out).sum())).fit(x[~held_out], y[~held_out])
        guess = probe.predict(x[held_out], num_threads=predict_threads(len(y)))
        miss = y[held_out] - guess
        self.unit_shocks_ = _no_shocks()
        self.unit_shock_var_ = 0.0
        if self.unit_shocks:
            fitted = self.model_.predict(x, num_threads=predict_threads(len(y)))
            key = _window_keys(ds, controls["nip"], controls)
            self.unit_shocks_, self.unit_shock_var_, groups, shrink = _shocks(key, y - fitted)
            # a held-out window's own residual is in its colleagues' mean: leave it out
            found = groups.index.get_indexer(key[held_out])
            known = found >= 0
            total = np.where(known, groups["sum"].to_numpy()[np.maximum(found, 0)], 0.0)
            count = np.where(known, groups["count"].to_numpy()[np.maximum(found, 0)], 1.0)
            others = total - (y - fitted)[held_out]
            miss = miss - np.where(known & (count > 1), others / (count - 1 + shrink), 0.0)
        self.noise_var_ = float(np.mean(miss**2))
        self.n_controls_ = len(controls)
        return self

    def _features(
        self, ds: Dataset, nips: pd.Series, windows: pd.DataFrame, sent: bool = False
    ) -> pd.DataFrame:
        x = window_features(ds, nips, windows, with_trainings=self.excluded == "mentorships")
        if self.sent_within_months is not None:
            x["sent_later"] = (
                np.ones(len(x))
                if sent
                else sent_later(ds, nips, windows[O.OUTCOME_PERIOD], self.sent_within_months)
            )
        return x

    def predict(
        self, ds: Dataset, nips: pd.Series, windows: pd.DataFrame, *, sent: bool = False
    ) -> np.ndarray:
        """Expected score change without the activity for each (nip, window); ``windows``
        has the outcome frame's period and horizon columns. ``sent``: the windows are
        trained people's (with ``sent_within_months``; ignored otherwise)."""
        check_is_fitted(self, "model_")
        x = self._features(ds, nips, windows, sent)
        expected = np.asarray(
            self.model_.predict(x, num_threads=predict_threads(len(x))), dtype=float
        )
        shocks = getattr(self, "unit_shocks_", None)  # absent in baselines saved before them
        if shocks is not None and len(shocks):
            expected = expected + _shock_of_windows(shocks, ds, nips, windows)
        return expected

    def residuals(self, ds: Dataset, nips: pd.Series, outcomes: pd.DataFrame) -> np.ndarray:
        """Observed outcome minus the no-activity expectation, for activity outcomes
        (:func:`recsys.features.outcomes.activity_outcomes` frames aligned with ``nips``)."""
        expected = self.predict(ds, nips, outcomes)
        return outcomes[O.OUTCOME].to_numpy(dtype=float) - expected


def _no_shocks() -> pd.Series:
    empty = pd.MultiIndex.from_arrays([[], [], []], names=SHOCK_INDEX)
    return pd.Series([], index=empty, dtype=float, name="shock")


def _window_keys(ds: Dataset, nips: pd.Series, windows: pd.DataFrame) -> pd.MultiIndex:
    """Each window's unit kerja ("" where unknown) and the years of its two appraisals."""
    unit = ds.employees.set_index(ds.employees["nip"].astype(str))["unit"].astype(str)
    units = unit.reindex(pd.Series(nips).astype(str).to_numpy()).fillna("").to_numpy(object)
    first = pd.DatetimeIndex(pd.Series(windows[O.BASELINE_PERIOD]).to_numpy()).year
    last = pd.DatetimeIndex(pd.Series(windows[O.OUTCOME_PERIOD]).to_numpy()).year
    return pd.MultiIndex.from_arrays([units, first, last], names=SHOCK_INDEX)


def _shocks(
    key: pd.MultiIndex, residual: np.ndarray
) -> tuple[pd.Series, float, pd.DataFrame, float]:
    """Each unit's shared change over each window of years, from its colleagues'
    residuals, shrunk by empirical Bayes: the mean of n windows times n / (n + σ²/τ²), with
    σ² the windows' spread within a unit and τ² the spread of the units' true means
    (method of moments). Returns the shocks, τ², the sum and count per unit and window, and
    σ²/τ²; no shocks (and an infinite σ²/τ²) where τ² is not above zero."""
    known = key.get_level_values(0) != ""
    frame = pd.DataFrame({"r": np.asarray(residual)[known]}, index=key[known])
    groups = frame.groupby(level=list(range(len(SHOCK_INDEX))))["r"].agg(["sum", "count", "var"])
    sizable = (groups["count"] >= 2).to_numpy()
    if sizable.sum() < 2:
        return _no_shocks(), 0.0, groups, np.inf
    count = groups["count"].to_numpy(float)
    within = float(np.average(groups["var"].to_numpy()[sizable], weights=count[sizable] - 1))
    means = groups["sum"].to_numpy() / count
    between = float(np.var(means[sizable]) - np.mean(within / count[sizable]))
    if not (between > 0 and within > 0):
        return _no_shocks(), 0.0, groups, np.inf
    shrink = within / between
    shocks = (groups["sum"] / (groups["count"] + shrink)).rename("shock")
    return shocks, between, groups, shrink


def _shock_of_windows(
    shocks: pd.Series, ds: Dataset, nips: pd.Series, windows: pd.DataFrame
) -> np.ndarray:
    """Each window's unit shock: its colleagues' shared change over the same years (0
    where none was learned, e.g. a window still to come)."""
    found = shocks.index.get_indexer(_window_keys(ds, nips, windows))
    return np.where(found >= 0, shocks.to_numpy(dtype=float)[np.maximum(found, 0)], 0.0)
