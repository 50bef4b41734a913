"""Kirkpatrick level 4: what completing each training did to its participants' SKP score,
adjusted for who was sent.

**The counterfactual.** Each completed enrollment's outcome window (the data contract's: the
last appraisal before it started to the first at least six months after it ended) is set
against what the same person's score would have done without any activity:
:class:`~recsys.models.baseline.ScoreBaseline`, learned from the appraisal windows in which
people took part in nothing, from their features at the window's start and whether HR
sent them to a training within the next two years. A trained person's window is set against
the second kind, colleagues not yet trained: HR's choice of whom to send says something the
features do not (who is able, who is rising), and the not-yet-trained share it (the
comparison of staggered difference-in-differences; on the demo worlds it took the estimates'
mean bias from +0.17 to +0.07 SKP points). Sending able or improving staff to training
therefore does not count as the training's effect: it is in the baseline. What is left,
the window's *uplift*, is corrected for the shock its unit shared that year (a new head, a
reorganisation): the mean uplift of the unit's activity-free colleagues over the same
window, shrunk towards zero when there are few of them (``shrinkage`` pseudo-windows), a
difference-in-differences within the unit.

**The effects.** A person may complete several trainings (or a mentorship) inside one
window, so the effects are learned jointly: least squares of the windows' uplifts on how
many times each training was completed in the window (a column per training of the period,
one per other training, one for mentorships), without intercept. With one training per
window this is each training's mean uplift. A completion counts in a window when its effect
can show there: by the contract's outcome rule an activity shows in the first appraisal
ending at least six months after it ends, so it counts in the windows whose outcome
appraisal is that one or later and whose baseline appraisal is earlier. A training that
ended late in the baseline's year shows in the window, not in its baseline; one that ends
during the window's last months does not show yet. (Counting every completion that overlaps
the window credited a training with windows its effect had not reached, which pulled its
estimate towards zero by about a third on the demo worlds.) Each effect's variance is the
larger of the one clustered by unit and window period (the shock's level, with the usual
small-sample factor) and the model-based one (steadier for a training with few
participants).

**A placebo check of the variance.** The same regression on each participant's window
*before* the training (the previous appraisal to the baseline one), with a column for the
training still to come, must find nothing: the training had not happened. Where it finds
more than its standard errors allow (the placebo *z*-scores' mean square, the dispersion, is
above 1), the counterfactual misses something about who is sent (the baseline model's
error for that kind of participant), and the real estimates share it. Every effect's
variance is multiplied by the dispersion (never less than 1), as for overdispersed counts
(McCullagh & Nelder 1989, section 4.5), and each interval uses a *t* quantile on the
training's own clusters − 1 degrees of freedom. On the suite of demo worlds, with the rest of
this module, the intervals' coverage of the true effect went from 0.83 to 0.91
(benchmarks/RESULTS.md).
The pre-period placebo is the event-study check of difference-in-differences practice
(e.g. Roth et al. 2023, "What's trending in difference-in-differences?", Journal of
Econometrics 235(2)).

The estimate is the average effect on the trainings' own participants (an ATT): it says
what the training did for those it was given to, not what it would do for anyone else.

Everything is computed from observed records only; a demo world's truth is read by the
benchmark, never here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from recsys.data.contract import ID_DTYPE, OUTCOME_LAG_MONTHS
from recsys.data.loading import Dataset
from recsys.features import outcomes as O
from recsys.models.baseline import ScoreBaseline, busy_spans

#: Columns of :attr:`TrainingEffects.table`.
EFFECT_COLUMNS = (
    "training_id",
    "participants",
    "effect",
    "std_error",
    "lower",
    "upper",
)
#: Pseudo-windows of zero uplift a unit's shock estimate is shrunk with.
SHRINKAGE = 5.0
#: Prefix of the design's nuisance columns for trainings outside the period.
OTHER = "other:"
MENTORING = "mentoring"
#: The baseline's comparison: colleagues HR sent to a training within this many months after
#: their activity-free window (see :class:`~recsys.models.baseline.ScoreBaseline`).
SENT_WITHIN_MONTHS = 24
#: Fewest placebo windows a training needs to enter the dispersion.
MIN_PLACEBO = 10
#: Columns of :attr:`TrainingEffects.placebo`.
PLACEBO_COLUMNS = ("training_id", "windows", "effect", "std_error")


@dataclass(frozen=True)
class TrainingEffects:
    """Per training of the period: ``table`` (:data:`EFFECT_COLUMNS`; SKP points; the
    interval at ``1 − alpha``), ``covariance`` (of the effects, training × training, for
    aggregates such as a provider's), ``windows`` (the outcome windows used: ``nip``,
    ``unit``, ``uplift``), ``noise_sd`` (the baseline's error: an outcome's own noise), the
    number of ``clusters``, the ``placebo`` estimates before the trainings
    (:data:`PLACEBO_COLUMNS`) and their ``dispersion`` (the factor every variance was
    multiplied by, at least 1; see the module docstring)."""

    table: pd.DataFrame
    covariance: pd.DataFrame
    windows: pd.DataFrame
    noise_sd: float
    clusters: int
    alpha: float
    placebo: pd.DataFrame
    dispersion: float

    def aggregate(self, weights: pd.Series) -> tuple[float, float]:
        """A weighted mean of the effects (``weights`` by training_id, normalised here) and
        its standard error."""
        w = weights.reindex(self.covariance.index).fillna(0.0).to_numpy(dtype=float)
        if w.sum() <= 0:
            return float("nan"), float("nan")
        w = w / w.sum()
        effect = self.table.set_index("training_id")["effect"].reindex(self.covariance.index)
        value = float(np.nansum(w * effect.to_numpy(dtype=float)))
        var = float(w @ np.nan_to_num(self.covariance.to_numpy()) @ w)
        return value, float(np.sqrt(max(var, 0.0)))


def period_enrollments(ds: Dataset, year: int) -> pd.DataFrame:
    """Enrollments that started in ``year`` (any status)."""
    start = ds.enrollments["start_date"]
    return ds.enrollments[start.dt.year == year].reset_index(drop=True)


def training_effects(
    ds: Dataset,
    year: int,
    *,
    alpha: float = 0.1,
    shrinkage: float = SHRINKAGE,
    baseline: ScoreBaseline | None = None,
    random_state: int = 0,
) -> TrainingEffects:
    """Each training's effect on its participants' SKP score, for the trainings completed
    that started in ``year`` (see the module docstring). ``baseline``: a fitted
    no-activity baseline (default: one is fitted on ``ds``). Raises ValueError when no
    completed enrollment of the year has an appraisal outcome yet."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    completed = ds.enrollments[ds.enrollments["status"].astype(str) == "completed"]
    completed = completed.reset_index(drop=True)
    outcomes = O.activity_outcomes(completed, ds.performance, key="enrollment_id")
    has_outcome = outcomes[O.OUTCOME].notna().to_numpy()
    in_period = (completed["start_date"].dt.year == year).to_numpy()
    if not (has_outcome & in_period).any():
        raise ValueError(
            f"no training completed in {year} has an appraisal outcome yet: an outcome is "
            f"the first SKP appraisal at least six months after the training ends"
        )
    if baseline is None:
        # the unit shocks are taken out below, with this evaluation's own shrinkage
        baseline = ScoreBaseline(
            sent_within_months=SENT_WITHIN_MONTHS, unit_shocks=False, random_state=random_state
        ).fit(ds)
    # the windows of the period's participants; other completions inside them are nuisance
    period = completed[has_outcome & in_period].reset_index(drop=True)
    period_out = outcomes[has_outcome & in_period].reset_index(drop=True)
    windows = (
        pd.DataFrame(
            {
                "nip": period["nip"].astype(ID_DTYPE),
                O.BASELINE_PERIOD: period_out[O.BASELINE_PERIOD],
                O.OUTCOME_PERIOD: period_out[O.OUTCOME_PERIOD],
                O.HORIZON_DAYS: period_out[O.HORIZON_DAYS],
                O.OUTCOME: period_out[O.OUTCOME],
            }
        )
        .drop_duplicates(["nip", O.BASELINE_PERIOD, O.OUTCOME_PERIOD])
        .reset_index(drop=True)
    )
    shock = _unit_shocks(ds, baseline, shrinkage)
    windows = _with_uplift(ds, baseline, shock, windows)
    design, columns = _design(ds, completed, windows, in_period)
    cluster = _clusters(windows)
    beta, cov = _clustered_ols(design, windows["uplift"].to_numpy(dtype=float), cluster)
    reported = [i for i, c in enumerate(columns) if not c.startswith((OTHER, MENTORING))]
    ids = [columns[i] for i in reported]
    placebo = _placebo(ds, baseline, shock, completed, period, period_out)
    judged = placebo[placebo["windows"] >= MIN_PLACEBO]
    z2 = (judged["effect"] / judged["std_error"]) ** 2
    z2 = z2[np.isfinite(z2)]
    dispersion = max(float(z2.mean()), 1.0) if len(z2) else 1.0
    cov = cov * dispersion
    # completers with an outcome (a completion can sit inside several windows of its person)
    counts = period["training_id"].astype(str).value_counts().reindex(ids).fillna(0)
    se = np.sqrt(np.clip(np.diag(cov)[reported], 0.0, None))
    n_clusters = int(cluster.max()) + 1 if len(cluster) else 0
    # each training's own clusters are its degrees of freedom
    own = [len(np.unique(cluster[design[:, j] > 0])) for j in reported]
    q = stats.t.ppf(1 - alpha / 2, np.maximum(np.array(own) - 1, 1))
    effect = beta[reported]
    table = pd.DataFrame(
        {
            "training_id": pd.Series(ids, dtype=ID_DTYPE),
            "participants": counts.to_numpy().astype(int),
            "effect": effect,
            "std_error": se,
            "lower": effect - q * se,
            "upper": effect + q * se,
        }
    )
    covariance = pd.DataFrame(cov[np.ix_(reported, reported)], index=ids, columns=ids)
    return TrainingEffects(
        table=table,
        covariance=covariance,
        windows=windows[["nip", "unit", "uplift"]],
        noise_sd=float(np.sqrt(baseline.noise_var_)),
        clusters=n_clusters,
        alpha=alpha,
        placebo=placebo,
        dispersion=dispersion,
    )


def _with_uplift(
    ds: Dataset, baseline: ScoreBaseline, shock: pd.Series, windows: pd.DataFrame
) -> pd.DataFrame:
    """``windows`` with each one's ``unit`` and ``uplift``: the score change minus the
    no-activity baseline and the unit's shock over the same window."""
    expected = baseline.predict(ds, windows["nip"], windows, sent=True)
    uplift = windows[O.OUTCOME].to_numpy(dtype=float) - expected
    unit_of = ds.employees.set_index(ds.employees["nip"].astype(ID_DTYPE))["unit"].astype(str)
    windows = windows.assign(unit=windows["nip"].map(unit_of).fillna("").to_numpy())
    key = pd.MultiIndex.from_arrays(
        [windows["unit"], windows[O.BASELINE_PERIOD], windows[O.OUTCOME_PERIOD]]
    )
    return windows.assign(uplift=uplift - shock.reindex(key).fillna(0.0).to_numpy())


def _clusters(windows: pd.DataFrame) -> np.ndarray:
    """Each window's cluster: its unit and outcome period (the shock's level)."""
    key = windows["unit"].astype(str) + "|" + windows[O.OUTCOME_PERIOD].astype(str)
    return np.asarray(pd.factorize(key)[0])


def _placebo(
    ds: Dataset,
    baseline: ScoreBaseline,
    shock: pd.Series,
    completed: pd.DataFrame,
    period: pd.DataFrame,
    period_out: pd.DataFrame,
) -> pd.DataFrame:
    """Each period training's "effect" on its participants' window before it: from the
    appraisal before their baseline one to the baseline one (:data:`PLACEBO_COLUMNS`),
    estimated as the effects are, with the other completions in those windows netted out."""
    empty = pd.DataFrame({c: pd.Series(dtype=float) for c in PLACEBO_COLUMNS})
    earlier = O.appraisals_before(ds.performance, period["nip"], period_out[O.BASELINE_PERIOD])
    start, end = earlier["period_end"], period_out[O.BASELINE_PERIOD]
    windows = (
        pd.DataFrame(
            {
                "nip": period["nip"].astype(ID_DTYPE).to_numpy(),
                O.BASELINE_PERIOD: start.to_numpy(),
                O.OUTCOME_PERIOD: end.to_numpy(),
                O.HORIZON_DAYS: (end - start).dt.days.to_numpy(),
                O.OUTCOME: (period_out[O.BASELINE_SCORE] - earlier["score"]).to_numpy(),
            }
        )
        .dropna(subset=[O.BASELINE_PERIOD, O.OUTCOME])
        .drop_duplicates(["nip", O.BASELINE_PERIOD, O.OUTCOME_PERIOD])
        .reset_index(drop=True)
    )
    if windows.empty:
        return empty
    windows = _with_uplift(ds, baseline, shock, windows)
    nuisance, _ = _design(ds, completed, windows, np.zeros(len(completed), dtype=bool))
    coming = (
        windows[["nip"]]
        .assign(_row=np.arange(len(windows)))
        .merge(
            pd.DataFrame(
                {
                    "nip": period["nip"].astype(ID_DTYPE).to_numpy(),
                    "training_id": period["training_id"].astype(str).to_numpy(),
                }
            ).drop_duplicates(),
            on="nip",
        )
    )
    codes, ids = pd.factorize(coming["training_id"], sort=True)
    future = np.zeros((len(windows), len(ids)))
    future[coming["_row"].to_numpy(), codes] = 1.0
    beta, cov = _clustered_ols(
        np.hstack([future, nuisance]), windows["uplift"].to_numpy(dtype=float), _clusters(windows)
    )
    k = len(ids)
    return pd.DataFrame(
        {
            "training_id": pd.Series([str(i) for i in ids], dtype=ID_DTYPE),
            "windows": future.sum(0).astype(int),
            "effect": beta[:k],
            "std_error": np.sqrt(np.clip(np.diag(cov)[:k], 0.0, None)),
        }
    )


def _unit_shocks(ds: Dataset, baseline: ScoreBaseline, shrinkage: float) -> pd.Series:
    """Mean uplift of each unit's activity-free windows, by (unit, baseline period, outcome
    period), shrunk towards zero."""
    controls = O.control_windows(ds.performance, busy_spans(ds, "all"))
    if controls.empty:
        return pd.Series(dtype=float)
    residual = controls[O.OUTCOME].to_numpy(dtype=float) - baseline.predict(
        ds, controls["nip"], controls
    )
    unit_of = ds.employees.set_index(ds.employees["nip"].astype(ID_DTYPE))["unit"].astype(str)
    frame = pd.DataFrame(
        {
            "unit": controls["nip"].astype(ID_DTYPE).map(unit_of).fillna("").to_numpy(),
            O.BASELINE_PERIOD: controls[O.BASELINE_PERIOD].to_numpy(),
            O.OUTCOME_PERIOD: controls[O.OUTCOME_PERIOD].to_numpy(),
            "residual": residual,
        }
    )
    grouped = frame.groupby(["unit", O.BASELINE_PERIOD, O.OUTCOME_PERIOD])["residual"]
    return grouped.sum() / (grouped.size() + shrinkage)


def _design(
    ds: Dataset, completed: pd.DataFrame, windows: pd.DataFrame, in_period: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Completions (and mentorships) that show in each window (module docstring): one
    column per training of the period, per other training, and one for mentoring."""
    spans = completed.assign(
        nip=completed["nip"].astype(ID_DTYPE),
        column=np.where(
            in_period,
            completed["training_id"].astype(str),
            OTHER + completed["training_id"].astype(str),
        ),
    )[["nip", "start_date", "end_date", "column"]]
    mentored = ds.mentorships.rename(columns={"mentee_nip": "nip"})[
        ["nip", "start_date", "end_date"]
    ].assign(nip=lambda d: d["nip"].astype(ID_DTYPE), column=MENTORING)
    spans = pd.concat([spans, mentored], ignore_index=True)
    # when each shows: the first appraisal ending this long after it ends (running: never)
    spans["_shows"] = spans["end_date"] + pd.DateOffset(months=OUTCOME_LAG_MONTHS)
    rows = windows[["nip", O.BASELINE_PERIOD, O.OUTCOME_PERIOD]].assign(
        _row=np.arange(len(windows))
    )
    hits = rows.merge(spans.dropna(subset=["_shows"]), on="nip")
    inside = (hits["_shows"] <= hits[O.OUTCOME_PERIOD]) & (hits["_shows"] > hits[O.BASELINE_PERIOD])
    hits = hits[inside]
    codes, columns = pd.factorize(hits["column"], sort=True)
    design = np.zeros((len(windows), len(columns)))
    np.add.at(design, (hits["_row"].to_numpy(), codes), 1.0)
    return design, [str(c) for c in columns]


def _clustered_ols(
    x: np.ndarray, y: np.ndarray, cluster: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Least squares without intercept and its cluster-robust (CR1) covariance; a column
    that cannot be separated from the others gets NaN."""
    n, k = x.shape
    xtx = x.T @ x
    inverse = np.linalg.pinv(xtx)
    beta = inverse @ (x.T @ y)
    resid = y - x @ beta
    n_clusters = int(cluster.max()) + 1 if n else 0
    scores = np.zeros((n_clusters, k))
    np.add.at(scores, cluster, x * resid[:, None])
    small = n_clusters / max(n_clusters - 1, 1) * (n - 1) / max(n - k, 1)
    clustered = small * inverse @ (scores.T @ scores) @ inverse
    # the model-based covariance (one residual variance) is steadier for a training with
    # few participants, whose own clustered variance rests on a handful of residuals
    model = float(resid @ resid) / max(n - k, 1) * inverse
    worse = np.sqrt(np.clip(np.diag(clustered), 0, None) / np.clip(np.diag(model), 1e-300, None))
    scale = np.maximum(worse, 1.0)
    cov = model * np.outer(scale, scale)
    singular = np.abs(np.diag(xtx @ inverse) - 1.0) > 1e-6
    beta[singular] = np.nan
    cov[singular, :] = np.nan
    cov[:, singular] = np.nan
    return beta, cov
