"""What a year's training did to each unit's public service, and which units served better
than expected.

The estimate is the unit panel of :class:`~recsys.models.service.ServiceForecaster`: per
unit and year, the satisfaction index (IKM/SKM points) and log average service days against
the share of the unit's staff who completed a training that year and their mean competency
gap, with unit and year effects (a two-way fixed-effects difference-in-differences with a
continuous dose: each unit is compared with itself in other years, and with the other units
in the same year). Its covariance is clustered by unit. A unit's effect of the year's
training is the trained-share slope times the share it trained, with the slope's interval
(*t* on units − 1 degrees of freedom): the direct effect of training staff that year, the
competence channel being the gap's slope (reported in the coefficient table).

A unit *served better than expected* when its satisfaction rose above what its own level,
the year and its drivers predict by more than ``z`` residual standard deviations, or its
service days fell by as much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from recsys.data.loading import Dataset
from recsys.features.unit_service import (
    SATISFACTION,
    SERVICE_DAYS,
    STAFF,
    TRAINED_SHARE,
    UNIT,
    YEAR,
)
from recsys.models.service import LOG_SERVICE_DAYS, ServiceForecaster

#: Columns of :attr:`UnitEffects.units`.
UNIT_COLUMNS = (
    UNIT,
    STAFF,
    TRAINED_SHARE,
    SATISFACTION,
    "satisfaction_effect",
    "satisfaction_lower",
    "satisfaction_upper",
    "satisfaction_surprise",
    SERVICE_DAYS,
    "service_days_effect",
    "service_days_lower",
    "service_days_upper",
    "service_days_surprise",
    "better_than_expected",
)
#: Residual standard deviations beyond which a unit served better than expected.
SURPRISE_Z = 1.645


@dataclass(frozen=True)
class UnitEffects:
    """``units`` (:data:`UNIT_COLUMNS`, one row per unit with metrics in ``year``; effects
    in IKM points and days, intervals at ``1 − alpha``; surprises in residual standard
    deviations, positive = better than expected), ``coefficients`` (the panel's slopes,
    :data:`recsys.models.service.COEFFICIENT_COLUMNS`), ``n_units`` and ``n_obs`` of the
    panel."""

    year: int
    units: pd.DataFrame
    coefficients: pd.DataFrame
    n_units: int
    n_obs: int
    alpha: float


def unit_effects(
    ds: Dataset,
    year: int,
    *,
    alpha: float = 0.1,
    z: float = SURPRISE_Z,
    forecaster: ServiceForecaster | None = None,
) -> UnitEffects:
    """Each unit's effect of ``year``'s training on its service (see the module docstring).
    Raises ValueError when ``service_metrics`` is empty or too short, or has no value in
    ``year``."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    model = forecaster if forecaster is not None else ServiceForecaster().fit(ds)
    features = model.features_
    rows = features[(features[YEAR] == year) & features[SATISFACTION].notna()]
    if rows.empty:
        years = sorted(features.loc[features[SATISFACTION].notna(), YEAR].unique().tolist())
        raise ValueError(
            f"service_metrics has no value for {year}; years with metrics: "
            f"{', '.join(str(y) for y in years) or 'none'}"
        )
    rows = rows.reset_index(drop=True)
    q = stats.t.ppf(1 - alpha / 2, max(model.dof_, 1))
    share = rows[TRAINED_SHARE].fillna(0.0).to_numpy(dtype=float)
    units = pd.DataFrame(
        {
            UNIT: rows[UNIT].to_numpy(),
            STAFF: rows[STAFF].to_numpy(),
            TRAINED_SHARE: share,
            SATISFACTION: rows[SATISFACTION].to_numpy(dtype=float),
            SERVICE_DAYS: rows[SERVICE_DAYS].to_numpy(dtype=float),
        }
    )
    residuals = model.residuals_[model.residuals_[YEAR] == year].set_index(UNIT)
    for outcome, name in ((SATISFACTION, "satisfaction"), (LOG_SERVICE_DAYS, "service_days")):
        slope = float(model.coef_.to_numpy()[list(model.coef_.index).index(outcome), 1])
        variance = model.covariance_[outcome].to_numpy(dtype=float)[1, 1]
        se = float(np.sqrt(variance))
        effect, lower, upper = share * slope, share * (slope - q * se), share * (slope + q * se)
        if outcome == LOG_SERVICE_DAYS:
            # days: the change from today's days had the unit trained nobody
            days = units[SERVICE_DAYS].to_numpy(dtype=float)
            without = days / np.exp(effect)
            effect, lower, upper = (
                days - without,
                days - days / np.exp(lower),
                days - days / np.exp(upper),
            )
        units[f"{name}_effect"] = effect
        units[f"{name}_lower"] = np.minimum(lower, upper)
        units[f"{name}_upper"] = np.maximum(lower, upper)
        resid = residuals[outcome].reindex(units[UNIT]).to_numpy(dtype=float)
        sign = -1.0 if outcome == LOG_SERVICE_DAYS else 1.0  # fewer days is better
        units[f"{name}_surprise"] = sign * resid / model.residual_sd_[outcome]
    units["better_than_expected"] = (units["satisfaction_surprise"] > z) | (
        units["service_days_surprise"] > z
    )
    return UnitEffects(
        year=int(year),
        units=units[list(UNIT_COLUMNS)],
        coefficients=model.coefficients_,
        n_units=model.n_units_,
        n_obs=model.n_obs_,
        alpha=alpha,
    )
