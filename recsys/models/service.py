"""Forecast each unit's public service under a training plan: the change in its satisfaction
index (IKM/SKM points) and average service days, with intervals.

**The model.** Per unit *u* and year *t*, from :func:`~recsys.features.unit_service.
unit_service_features`::

    satisfaction_ut     = a_u (+ c_t) + b_gap · mean_gap_ut + b_trained · trained_share_ut + e
    log service_days_ut = a_u (+ c_t) + d_gap · mean_gap_ut + d_trained · trained_share_ut + e

Unit effects ``a_u`` absorb how units differ in level (a Puskesmas serves in a day, a public
works office in weeks), so the slopes are learned from how each unit's service moved as its
staff's competence and training moved. Year effects ``c_t`` (``year_effects``, on by
default) absorb whatever moved every unit at once: a new survey method, a pandemic year, and
also the common rise in competence. Without them that rise identifies the gap's slope, but
the assessments' picture of it lags (they are sparse and stale), and the trained share, which
rises alongside, takes the credit: on the demo worlds its slope is then 10–20 % too high and
the intervals miss. With them the gap's slope rests on how units' competence moved against
each other, which the sparse assessments measure with much noise, so it is attenuated
(−7 to −15 IKM points per level on demo worlds, against the mechanism's −22 per level of
weighted shortfall); the trained share's slope is unbiased there, and it carries most of a
plan's effect.
Least squares on the within-unit deviations; the covariance is clustered by unit (CR1), so
a unit's years are not counted as independent evidence.

**A plan** (``nip``, ``training_id``) changes two drivers against the same year without it
(nobody in the unit trains; competencies stay where they are):

* ``trained_share``: each person's chance of completing at least one of their planned
  trainings, 1 − Π(1 − p_t), averaged over the unit's active staff; ``p_t`` is the
  training's completion rate in the history (completed / finished), shrunk towards the
  overall rate with ``completion_prior`` pseudo-enrollments.
* ``mean_gap``: each planned training closes a share ``s·p_t`` of the remaining gap up to its
  target level in every competency it develops (several on one competency: 1 − Π(1 − s·p_t)
  of the gap to the highest target). The learning share ``s`` is learned from the history:
  the rise between two assessments of the same competency, against the headroom to the
  target of the trainings completed in between, with the time between them and the first
  assessment's shortfall as controls (regression to the mean). With fewer than
  ``min_learning_pairs`` such assessments, the prior
  :data:`~recsys.features.competency_state.IMPLIED_STEP` is used, with a standard error of
  half of it.

The change is ``b_gap·Δmean_gap + b_trained·Δtrained_share``; its interval counts the
uncertainty of the slopes (their clustered covariance) and of the learning share (delta
method), with a *t* quantile on (units − 1) degrees of freedom. It is the change in the
unit's expected metric; a single year's value also carries that year's noise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from recsys.data.contract import ID_DTYPE
from recsys.data.loading import Dataset
from recsys.features.competency_state import IMPLIED_STEP, competency_state
from recsys.features.unit_service import (
    MEAN_GAP,
    SATISFACTION,
    SERVICE_DAYS,
    STAFF,
    TRAINED_SHARE,
    UNIT,
    YEAR,
    capped_gap,
    unit_service_features,
)

log = logging.getLogger(__name__)

#: The regressions' outcomes: satisfaction (IKM points) and log average service days.
LOG_SERVICE_DAYS = "log_service_days"
OUTCOMES = (SATISFACTION, LOG_SERVICE_DAYS)
#: The drivers a plan moves, in the order of the coefficient vectors.
DRIVERS = (MEAN_GAP, TRAINED_SHARE)
#: What :meth:`ServiceForecaster.forecast` returns, in this order.
FORECAST_COLUMNS = (
    UNIT,
    STAFF,
    "trained_share_now",
    "trained_share_planned",
    "satisfaction_now",
    "satisfaction_change",
    "satisfaction_lower",
    "satisfaction_upper",
    "service_days_now",
    "service_days_change",
    "service_days_lower",
    "service_days_upper",
)
COEFFICIENT_COLUMNS = (
    "outcome",
    "term",
    "estimate",
    "std_error",
    "lower_90",
    "upper_90",
    "meaning",
)
_MEANING = {
    (SATISFACTION, MEAN_GAP): "IKM points per level of staff's mean gap",
    (SATISFACTION, TRAINED_SHARE): "IKM points from none to all staff trained in the year",
    (LOG_SERVICE_DAYS, MEAN_GAP): "log service days per level of staff's mean gap",
    (LOG_SERVICE_DAYS, TRAINED_SHARE): "log service days from none to all staff trained",
}
#: Least share of the units with metrics that must have ``min_periods`` usable years.
MIN_UNIT_SHARE = 0.5


class ServiceForecaster(BaseEstimator):
    """Each unit's forecast change in IKM/SKM and service days under a training plan.

    Parameters (stored as given):

    ``year_effects``
        A year effect in both regressions (see the module docstring: robust to common
        shocks; the gap's slope is attenuated).
    ``min_periods``
        Years with metrics and staff a unit needs to inform the slopes (≥ 2).
    ``completion_prior``
        Pseudo-enrollments at the overall completion rate added to each training's record.
    ``min_learning_pairs``
        Re-assessments after a completed training needed to learn the learning share.

    Learned: ``features_`` (the unit-year table it was fitted on), ``coef_`` (outcome ×
    driver), ``covariance_`` (per outcome, the drivers' clustered covariance),
    ``coefficients_`` (a table for people: :data:`COEFFICIENT_COLUMNS`),
    ``residuals_`` (per unit-year of the panel: each outcome's residual within its unit),
    ``residual_sd_`` (per outcome), ``learning_share_`` / ``learning_share_se_`` (share of
    the gap to its target a completed training closes), ``completion_rate_`` (overall) and
    ``completion_`` (per training), ``n_obs_``, ``n_units_`` and ``last_year_`` (the last
    year with metrics).
    """

    def __init__(
        self,
        *,
        year_effects: bool = True,
        min_periods: int = 2,
        completion_prior: float = 10.0,
        min_learning_pairs: int = 100,
    ) -> None:
        self.year_effects = year_effects
        self.min_periods = min_periods
        self.completion_prior = completion_prior
        self.min_learning_pairs = min_learning_pairs

    # ------------------------------------------------------------------------------ fit

    def fit(self, ds: Dataset) -> ServiceForecaster:
        """Learn the slopes from ``ds``'s service_metrics and its staff's records."""
        if self.min_periods < 2:
            raise ValueError(f"min_periods must be 2 or more, got {self.min_periods}")
        if ds.service_metrics.empty:
            raise ValueError(
                "service_metrics is empty: the service forecast learns from each unit's "
                "satisfaction_index and avg_service_days over several periods"
            )
        features = unit_service_features(ds)
        panel = _usable(features, self.min_periods)
        self.features_ = features
        self.last_year_ = int(features.loc[features[SATISFACTION].notna(), YEAR].max())
        fits = {
            outcome: _within_fit(panel, outcome, year_effects=self.year_effects)
            for outcome in OUTCOMES
        }
        self.coef_ = pd.DataFrame(
            {o: fit.beta[: len(DRIVERS)] for o, fit in fits.items()}, index=list(DRIVERS)
        ).T
        self.covariance_ = {
            o: pd.DataFrame(
                fit.cov[: len(DRIVERS), : len(DRIVERS)], index=list(DRIVERS), columns=list(DRIVERS)
            )
            for o, fit in fits.items()
        }
        self.residuals_ = panel[[UNIT, YEAR]].assign(**{o: fit.resid for o, fit in fits.items()})
        self.residual_sd_ = {
            o: float(np.sqrt(fit.resid @ fit.resid / fit.dof)) for o, fit in fits.items()
        }
        self.n_obs_ = len(panel)
        self.n_units_ = int(panel[UNIT].nunique())
        self.dof_ = self.n_units_ - 1
        share, share_se, n_pairs = _learning_share(ds, self.min_learning_pairs)
        self.learning_share_ = share
        self.learning_share_se_ = share_se
        self.completion_rate_, self.completion_ = _completion(ds, self.completion_prior)
        self.coefficients_ = self._coefficient_table(fits, n_pairs)
        log.info(
            "service forecaster: %d unit-years of %d units; IKM %+.2f per gap level, "
            "%+.2f per trained share; learning share %.3f",
            self.n_obs_,
            self.n_units_,
            self.coef_.loc[SATISFACTION, MEAN_GAP],
            self.coef_.loc[SATISFACTION, TRAINED_SHARE],
            share,
        )
        return self

    def _coefficient_table(self, fits: dict[str, _Fit], n_pairs: int) -> pd.DataFrame:
        q = stats.t.ppf(0.95, self.dof_)
        rows = []
        for outcome, fit in fits.items():
            se = np.sqrt(np.diag(fit.cov))
            for term, estimate, error in zip(fit.terms, fit.beta, se, strict=True):
                meaning = _MEANING.get((outcome, term), "year effect against the first year")
                rows.append((outcome, term, estimate, error, meaning))
        rows.append(
            (
                "competency",
                "learning_share",
                self.learning_share_,
                self.learning_share_se_,
                f"share of the gap to its target a completed training closes ({n_pairs:,} "
                "re-assessments)"
                if n_pairs >= self.min_learning_pairs
                else f"prior (only {n_pairs:,} re-assessments after a training)",
            )
        )
        table = pd.DataFrame(rows, columns=["outcome", "term", "estimate", "std_error", "meaning"])
        table["lower_90"] = table["estimate"] - q * table["std_error"]
        table["upper_90"] = table["estimate"] + q * table["std_error"]
        return table[list(COEFFICIENT_COLUMNS)]

    # ------------------------------------------------------------------------- forecast

    def forecast(
        self, ds: Dataset, planned: pd.DataFrame, *, year: int | None = None, alpha: float = 0.1
    ) -> pd.DataFrame:
        """Each unit's forecast change under ``planned`` (columns ``nip``, ``training_id``:
        the trainings planned for ``year``, by default the year after the last metrics).

        Returns :data:`FORECAST_COLUMNS`, one row per unit with active staff or metrics,
        sorted by unit: ``staff`` (active), ``trained_share_now`` (latest observed, 0–1),
        ``trained_share_planned`` (share of active staff with a planned training),
        ``satisfaction_now`` (latest IKM, points), ``satisfaction_change`` and its
        ``(1 − alpha)`` interval ``satisfaction_lower``/``_upper`` (points),
        ``service_days_now`` (latest, days) and ``service_days_change`` with its interval
        (days). A unit without service_metrics has NaN in the metric columns.
        """
        check_is_fitted(self, "coef_")
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
        plan = _checked_plan(ds, planned)
        year = self.last_year_ + 1 if year is None else int(year)
        staff = ds.employees.loc[ds.employees["active"], ["nip", UNIT]].reset_index(drop=True)
        person = self._person_changes(ds, staff, plan, year)
        units = self._unit_changes(staff, person)
        return self._answer(units, alpha)

    def _person_changes(
        self, ds: Dataset, staff: pd.DataFrame, plan: pd.DataFrame, year: int
    ) -> pd.DataFrame:
        """Per active employee: planned (bool), chance of completing ≥1 planned training,
        has a standard, the change in their mean gap and its derivative in the learning
        share."""
        p_done = self.completion_.reindex(plan["training_id"].to_numpy()).to_numpy(dtype=float)
        plan = plan.assign(_p=np.nan_to_num(p_done, nan=self.completion_rate_))
        index = pd.Index(staff["nip"])
        who = index.get_indexer(plan["nip"])
        log_miss = np.zeros(len(staff))
        np.add.at(log_miss, who, np.log1p(-np.clip(plan["_p"].to_numpy(), 0.0, 1.0 - 1e-12)))
        planned = np.zeros(len(staff), dtype=bool)
        planned[who] = True
        as_of = pd.Timestamp(f"{year}-01-01")
        state = competency_state(ds, staff[["nip"]].assign(as_of=as_of))
        n_standard = np.bincount(state["query"].to_numpy(), minlength=len(staff))
        step = 1e-3
        gap_now, gap_up = _gap_change(
            ds, state, plan, (self.learning_share_, self.learning_share_ + step), len(staff)
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            per_person = np.where(n_standard > 0, gap_now / n_standard, 0.0)
            slope = np.where(n_standard > 0, (gap_up - gap_now) / step / n_standard, 0.0)
        return pd.DataFrame(
            {
                UNIT: staff[UNIT].to_numpy(),
                "planned": planned,
                "p_trained": 1.0 - np.exp(log_miss),
                "has_standard": n_standard > 0,
                "d_gap": per_person,
                "d_gap_d_share": slope,
            }
        )

    def _unit_changes(self, staff: pd.DataFrame, person: pd.DataFrame) -> pd.DataFrame:
        """Per unit: active staff, planned share, Δtrained_share, Δmean_gap and its
        derivative, with the unit's latest observed values."""
        by_unit = person.groupby(UNIT, sort=True, observed=True).agg(
            staff=("planned", "size"),
            planned_share=("planned", "mean"),
            d_trained=("p_trained", "mean"),
            with_standard=("has_standard", "sum"),
            d_gap_sum=("d_gap", "sum"),
            slope_sum=("d_gap_d_share", "sum"),
        )
        denominator = by_unit["with_standard"].where(by_unit["with_standard"] > 0)
        by_unit["d_gap"] = (by_unit["d_gap_sum"] / denominator).fillna(0.0)
        by_unit["d_gap_d_share"] = (by_unit["slope_sum"] / denominator).fillna(0.0)
        by_unit.index = by_unit.index.astype(ID_DTYPE)
        latest = _latest(self.features_)
        units = by_unit.join(latest, how="outer")
        units["staff"] = units["staff"].fillna(0).astype("int64")
        # a unit with metrics but no active staff: the plan cannot move it
        moved = ["d_trained", "d_gap", "d_gap_d_share"]
        units[moved] = units[moved].fillna(0.0)
        return units

    def _answer(self, units: pd.DataFrame, alpha: float) -> pd.DataFrame:
        q = stats.t.ppf(1.0 - alpha / 2.0, self.dof_)
        out = pd.DataFrame({UNIT: units.index.astype(ID_DTYPE), STAFF: units["staff"].to_numpy()})
        out["trained_share_now"] = units["trained_share_now"].to_numpy()
        out["trained_share_planned"] = units["planned_share"].to_numpy()
        has_metrics = units["satisfaction_now"].notna().to_numpy()
        d_gap = units["d_gap"].to_numpy(dtype=float)
        d_trained = units["d_trained"].to_numpy(dtype=float)
        slope = units["d_gap_d_share"].to_numpy(dtype=float)
        changes = {}
        for outcome in OUTCOMES:
            beta = self.coef_.loc[outcome, list(DRIVERS)].to_numpy(dtype=float)
            cov = self.covariance_[outcome].to_numpy(dtype=float)
            grad = np.column_stack([d_gap, d_trained])
            change = grad @ beta
            var = np.einsum("ij,jk,ik->i", grad, cov, grad)
            var += (beta[0] * slope * self.learning_share_se_) ** 2
            half = q * np.sqrt(var)
            changes[outcome] = (change, change - half, change + half)
        change, lower, upper = changes[SATISFACTION]
        out["satisfaction_now"] = units["satisfaction_now"].to_numpy()
        for name, values in (("change", change), ("lower", lower), ("upper", upper)):
            out[f"satisfaction_{name}"] = np.where(has_metrics, values, np.nan)
        days_now = units["service_days_now"].to_numpy(dtype=float)
        change, lower, upper = changes[LOG_SERVICE_DAYS]
        out["service_days_now"] = days_now
        for name, values in (("change", change), ("lower", lower), ("upper", upper)):
            # exp is increasing: the log interval maps to the days interval
            out[f"service_days_{name}"] = np.where(has_metrics, days_now * np.expm1(values), np.nan)
        return out[list(FORECAST_COLUMNS)].reset_index(drop=True)


# ------------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Fit:
    terms: list[str]
    beta: np.ndarray
    cov: np.ndarray
    resid: np.ndarray  # per panel row, within units
    dof: int  # residual degrees of freedom (rows − units − terms)


def _usable(features: pd.DataFrame, min_periods: int) -> pd.DataFrame:
    """Unit-years with metrics and drivers, of units with ``min_periods`` of them; raises a
    ValueError naming service_metrics when most units have too few."""
    with_metrics = features[features[SATISFACTION].notna() & features[SERVICE_DAYS].notna()]
    rows = with_metrics[
        (with_metrics[STAFF] > 0)
        & with_metrics[MEAN_GAP].notna()
        & with_metrics[TRAINED_SHARE].notna()
        & (with_metrics[SERVICE_DAYS] > 0)
    ].copy()
    periods = rows.groupby(UNIT, observed=True)[YEAR].transform("size")
    panel = rows[periods >= min_periods].reset_index(drop=True)
    n_units = with_metrics[UNIT].nunique()
    n_panel = panel[UNIT].nunique()
    if n_panel < 2 or n_panel < MIN_UNIT_SHARE * n_units:
        raise ValueError(
            f"service_metrics is too short: {n_panel} of {n_units} units have at least "
            f"{min_periods} periods with staff on record; the forecast learns from how each "
            "unit's service changed over time, so most units need several periods"
        )
    panel[LOG_SERVICE_DAYS] = np.log(panel[SERVICE_DAYS])
    return panel


def _within_fit(panel: pd.DataFrame, outcome: str, *, year_effects: bool) -> _Fit:
    """Least squares of ``outcome`` on the drivers (and year dummies), within units, with
    the covariance clustered by unit."""
    unit, _ = pd.factorize(panel[UNIT])
    columns = [panel[list(DRIVERS)].to_numpy(dtype=float)]
    terms = list(DRIVERS)
    if year_effects:
        dummies = pd.get_dummies(panel[YEAR], prefix="year", drop_first=True, dtype=float)
        columns.append(dummies.to_numpy())
        terms += list(dummies.columns)
    x = _demean(np.column_stack(columns), unit)
    y = _demean(panel[[outcome]].to_numpy(dtype=float), unit)[:, 0]
    n, k = x.shape
    xtx = x.T @ x
    if np.linalg.matrix_rank(xtx) < k:
        raise ValueError(
            "service_metrics: mean_gap and trained_share do not vary within units over the "
            "periods on record, so their effects cannot be learned"
        )
    inverse = np.linalg.inv(xtx)
    beta = inverse @ (x.T @ y)
    resid = y - x @ beta
    scores = np.zeros((unit.max() + 1, k))
    np.add.at(scores, unit, x * resid[:, None])
    g = len(scores)
    small = g / (g - 1) * (n - 1) / max(n - k, 1)
    cov = small * inverse @ (scores.T @ scores) @ inverse
    return _Fit(terms=terms, beta=beta, cov=cov, resid=resid, dof=max(n - g - k, 1))


def _demean(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each column minus its group's mean."""
    counts = np.bincount(group)
    sums = np.zeros((len(counts), values.shape[1]))
    np.add.at(sums, group, values)
    return values - (sums / counts[:, None])[group]


def _learning_share(ds: Dataset, min_pairs: int) -> tuple[float, float, int]:
    """Share of the gap to its target level one completed training closes, from
    consecutive assessments of a competency with completed trainings between them.

    Least squares of the rise (levels) on the years between, the first assessment's shortfall
    to the standard, and the headroom to the highest target of the trainings completed in
    between (0 without one); the headroom's slope is the share. Standard error clustered by
    person. Returns (share, standard error, re-assessments after a training); the prior
    :data:`IMPLIED_STEP` (standard error half of it) when those are fewer than ``min_pairs``.
    """
    prior = (IMPLIED_STEP, IMPLIED_STEP / 2.0)
    a = ds.assessments[["nip", "competency", "level", "assessed_on"]]
    a = a.sort_values(["nip", "competency", "assessed_on"], kind="stable")
    grouped = a.groupby(["nip", "competency"], sort=False, observed=True)
    pairs = a.assign(prev_level=grouped["level"].shift(), prev_on=grouped["assessed_on"].shift())
    pairs = pairs[pairs["prev_level"].notna()]
    pairs = pairs.merge(ds.employees[["nip", "position"]], on="nip").merge(
        ds.competency_standards, on=["position", "competency"]
    )
    if pairs.empty:
        return (*prior, 0)
    pairs = pairs.reset_index(drop=True)
    done = ds.enrollments.loc[ds.enrollments["status"] == "completed", ["nip", "training_id"]]
    done = done.assign(end_date=ds.enrollments["end_date"]).merge(
        ds.training_competencies, on="training_id"
    )
    hits = (
        pairs[["nip", "competency", "prev_on", "assessed_on"]]
        .assign(_row=np.arange(len(pairs)))
        .merge(done[["nip", "competency", "end_date", "target_level"]], on=["nip", "competency"])
    )
    hits = hits[(hits["end_date"] >= hits["prev_on"]) & (hits["end_date"] < hits["assessed_on"])]
    target = np.full(len(pairs), -np.inf)
    np.maximum.at(target, hits["_row"].to_numpy(), hits["target_level"].to_numpy(dtype=float))
    prev = pairs["prev_level"].to_numpy(dtype=float)
    headroom = np.where(np.isfinite(target), np.clip(target - prev, 0.0, None), 0.0)
    n_trained = int((headroom > 0).sum())
    if n_trained < min_pairs:
        log.info("learning share: %d re-assessments after a training; using the prior", n_trained)
        return (*prior, n_trained)
    years = (pairs["assessed_on"] - pairs["prev_on"]).dt.days.to_numpy() / 365.25
    shortfall = pairs["required_level"].to_numpy(dtype=float) - prev
    x = np.column_stack([np.ones(len(pairs)), years, shortfall, headroom])
    y = pairs["level"].to_numpy(dtype=float) - prev
    person, _ = pd.factorize(pairs["nip"])
    inverse = np.linalg.pinv(x.T @ x)
    beta = inverse @ (x.T @ y)
    scores = np.zeros((person.max() + 1, x.shape[1]))
    np.add.at(scores, person, x * (y - x @ beta)[:, None])
    cov = inverse @ (scores.T @ scores) @ inverse
    share = float(np.clip(beta[3], 0.0, 1.0))
    return share, float(np.sqrt(cov[3, 3])), n_trained


def _completion(ds: Dataset, prior: float) -> tuple[float, pd.Series]:
    """Overall and per-training completion rate of finished enrollments (completed or
    dropped), each training's shrunk towards the overall with ``prior`` pseudo-enrollments."""
    finished = ds.enrollments[ds.enrollments["status"].isin(["completed", "dropped"])]
    completed = (finished["status"] == "completed").astype(float)
    overall = float(completed.mean()) if len(finished) else 1.0
    by_training = completed.groupby(finished["training_id"].astype(ID_DTYPE), observed=True)
    rate = (by_training.sum() + prior * overall) / (by_training.size() + prior)
    return overall, rate.astype(float)


def _checked_plan(ds: Dataset, planned: pd.DataFrame) -> pd.DataFrame:
    """The plan's (nip, training_id) rows, or a ValueError naming what is wrong."""
    missing = [c for c in ("nip", "training_id") if c not in planned.columns]
    if missing:
        raise ValueError(f"planned is missing column(s) {', '.join(missing)}")
    plan = pd.DataFrame(
        {
            "nip": planned["nip"].astype(ID_DTYPE).to_numpy(),
            "training_id": planned["training_id"].astype(ID_DTYPE).to_numpy(),
        }
    )
    active = ds.employees.loc[ds.employees["active"], "nip"]
    for column, known, what in (
        ("nip", active, "active employees"),
        ("training_id", ds.trainings["training_id"], "trainings"),
    ):
        unknown = pd.unique(plan.loc[~plan[column].isin(known), column])
        if len(unknown):
            shown = ", ".join(map(str, unknown[:5]))
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise ValueError(f"planned: {column} not among the {what}: {shown}{more}")
    return plan


def _gap_change(
    ds: Dataset,
    state: pd.DataFrame,
    plan: pd.DataFrame,
    shares: tuple[float, ...],
    n_people: int,
) -> list[np.ndarray]:
    """Per learning share, per person (query row of ``state``): the summed change over
    their standard competencies of the capped gap when each planned training closes
    ``share × p`` of the gap to its target level (≤ 0)."""
    targets = plan.merge(ds.training_competencies, on="training_id")
    if targets.empty:
        return [np.zeros(n_people) for _ in shares]
    p_done = targets["_p"].to_numpy(dtype=float)
    keep = {
        f"_keep{i}": np.log1p(-np.clip(s * p_done, 0.0, 1.0 - 1e-12)) for i, s in enumerate(shares)
    }
    per_competency = (
        targets[["nip", "competency", "target_level"]]
        .assign(**keep)
        .groupby(["nip", "competency"], observed=True)
        .agg({"target_level": "max", **{k: "sum" for k in keep}})
        .reset_index()
    )
    rows = state[["query", "nip", "competency", "required_level", "level_estimate"]].merge(
        per_competency, on=["nip", "competency"]
    )
    level = rows["level_estimate"].to_numpy(dtype=float)
    required = rows["required_level"].to_numpy(dtype=float)
    headroom = np.clip(rows["target_level"].to_numpy(dtype=float) - level, 0.0, None)
    query = rows["query"].to_numpy()
    changes = []
    for k in keep:
        closed = headroom * -np.expm1(rows[k].to_numpy(dtype=float))
        change = capped_gap(required, level + closed) - capped_gap(required, level)
        changes.append(np.bincount(query, weights=change, minlength=n_people))
    return changes


def _latest(features: pd.DataFrame) -> pd.DataFrame:
    """Per unit, its latest observed satisfaction, service days and trained share."""
    frame = features.sort_values([UNIT, YEAR], kind="stable")
    metrics = frame[frame[SATISFACTION].notna()].drop_duplicates(UNIT, keep="last")
    trained = frame[frame[TRAINED_SHARE].notna()].drop_duplicates(UNIT, keep="last")
    latest = pd.DataFrame(
        {
            "satisfaction_now": metrics.set_index(UNIT)[SATISFACTION],
            "service_days_now": metrics.set_index(UNIT)[SERVICE_DAYS],
        }
    ).join(trained.set_index(UNIT)[TRAINED_SHARE].rename("trained_share_now"), how="outer")
    latest.index = latest.index.astype(ID_DTYPE)
    return latest
