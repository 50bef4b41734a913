"""What drives a unit's public service, per unit and year, as the contract tables show it.

The drivers are the unit's staff's competence and training in the year:

``staff``
    Employees of the unit appraised in a period ending that year. The appraisal record is the
    contract's only trace of who served when: ``employees`` holds today's unit and an
    ``active`` flag, not a leaving date.
``mean_gap``
    The staff's mean competency gap to their position's standard (levels), as of the end of
    the year: per person, the mean over the standard's competencies of required − estimated
    level (:func:`~recsys.features.competency_state.competency_state`'s ``level_estimate``:
    the latest assessment raised by the trainings completed since, or the cold-start
    estimate), a surplus counting as a negative gap down to −:data:`SURPLUS_CAP`. Staff whose
    position has no standard do not count.
``trained_share``
    Share of the staff who completed at least one training ending that year (0–1).

These are joined with the unit's ``service_metrics`` of the year (IKM/SKM points 0–100 and
average service days; the mean over the year's periods where there are several).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from recsys.data.contract import ID_DTYPE
from recsys.data.loading import Dataset
from recsys.features.competency_state import competency_state

#: Column names of the unit-year frame.
UNIT = "unit"
YEAR = "year"
PERIOD_END = "period_end"
STAFF = "staff"
MEAN_GAP = "mean_gap"
TRAINED_SHARE = "trained_share"
SATISFACTION = "satisfaction_index"
SERVICE_DAYS = "avg_service_days"
UNIT_SERVICE_COLUMNS = (
    UNIT,
    YEAR,
    PERIOD_END,
    STAFF,
    MEAN_GAP,
    TRAINED_SHARE,
    SATISFACTION,
    SERVICE_DAYS,
)
#: Levels above the standard that still count, as a negative gap (beyond it, more does not
#: help); the same cap as the competency importance model's.
SURPLUS_CAP = 0.5


def capped_gap(required: np.ndarray | pd.Series, level: np.ndarray | pd.Series) -> np.ndarray:
    """Gap to the standard, levels: required − level, no lower than −:data:`SURPLUS_CAP`."""
    gap = np.asarray(required, dtype=float) - np.asarray(level, dtype=float)
    return np.maximum(gap, -SURPLUS_CAP)


def year_end_state(ds: Dataset, nips: pd.Series, years: np.ndarray) -> pd.DataFrame:
    """Each (person, year)'s standard competencies as of the end of the year.

    Rows as :func:`~recsys.features.competency_state.competency_state` returns them (its
    ``query`` is the row number in ``nips``), plus ``gap`` replaced by :func:`capped_gap`
    of the estimated level.
    """
    as_of = pd.to_datetime(pd.Series(np.asarray(years) + 1).astype(str) + "-01-01")
    state = competency_state(ds, pd.DataFrame({"nip": nips.to_numpy(), "as_of": as_of}))
    state["gap"] = capped_gap(state["required_level"], state["level_estimate"])
    return state


def person_mean_gap(state: pd.DataFrame, n_queries: int) -> np.ndarray:
    """Per query (row of the question), the mean capped gap over its standard competencies;
    NaN for a query without a standard."""
    query = state["query"].to_numpy()
    total = np.bincount(query, weights=state["gap"].to_numpy(dtype=float), minlength=n_queries)
    count = np.bincount(query, minlength=n_queries)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def unit_staff(ds: Dataset, *, years: Iterable[int] | None = None) -> pd.DataFrame:
    """Who served in each unit each year: ``nip``, ``unit``, ``year``, ``trained`` (completed
    a training ending that year). One row per employee appraised in a period ending that
    year, in the unit ``employees`` gives them."""
    # joins on integer codes (employee row × year): text joins cost several times more
    people = pd.Index(ds.employees["nip"])
    person = people.get_indexer(ds.performance["nip"])
    year = ds.performance[PERIOD_END].dt.year.to_numpy(dtype=np.int64)
    keep = person >= 0
    if years is not None:
        keep &= np.isin(year, np.asarray(list(years), dtype=np.int64))
    key = np.unique(_person_year(person[keep], year[keep]))
    status = ds.enrollments["status"]
    done = ds.enrollments[(status == "completed") & ds.enrollments["end_date"].notna()]
    trained = _person_year(
        people.get_indexer(done["nip"]), done["end_date"].dt.year.to_numpy(dtype=np.int64)
    )
    who, when = np.divmod(key, _YEARS)
    return pd.DataFrame(
        {
            "nip": ds.employees["nip"].take(who).reset_index(drop=True),
            UNIT: ds.employees[UNIT].take(who).reset_index(drop=True),
            YEAR: when,
            "trained": np.isin(key, trained),
        }
    )


#: Years a person-year key leaves room for (years are non-negative and below this).
_YEARS = 10_000


def _person_year(person: np.ndarray, year: np.ndarray) -> np.ndarray:
    """One integer per (employee row, year); -1 rows (unknown people) give negative keys."""
    return np.asarray(person, dtype=np.int64) * _YEARS + np.asarray(year, dtype=np.int64)


def service_by_year(ds: Dataset, *, years: Iterable[int] | None = None) -> pd.DataFrame:
    """``service_metrics`` per unit and year: the mean of the year's periods, the last
    period end."""
    metrics = ds.service_metrics
    frame = pd.DataFrame(
        {
            UNIT: metrics[UNIT].astype(ID_DTYPE),
            YEAR: metrics[PERIOD_END].dt.year.astype("int64"),
            PERIOD_END: metrics[PERIOD_END],
            SATISFACTION: metrics[SATISFACTION].astype(float),
            SERVICE_DAYS: metrics[SERVICE_DAYS].astype(float),
        }
    )
    if years is not None:
        frame = frame[frame[YEAR].isin(list(years))]
    return (
        frame.groupby([UNIT, YEAR], sort=True, observed=True)
        .agg({PERIOD_END: "max", SATISFACTION: "mean", SERVICE_DAYS: "mean"})
        .reset_index()
    )


def unit_service_features(ds: Dataset, *, years: Iterable[int] | None = None) -> pd.DataFrame:
    """One row per (unit, year) with its service drivers and metrics.

    Columns :data:`UNIT_SERVICE_COLUMNS`: ``unit``, ``year``, ``period_end`` (the year's
    last service period; NaT without metrics), ``staff`` (people), ``mean_gap`` (levels,
    NaN when no staff member has a standard), ``trained_share`` (0–1),
    ``satisfaction_index`` (IKM points 0–100) and ``avg_service_days`` (days). A unit-year
    with staff but no metrics, or metrics but no appraised staff (``staff`` 0, drivers NaN),
    is kept: nothing is dropped silently. ``years`` limits the frame to those years.
    """
    wanted = None if years is None else [int(y) for y in years]
    staff = unit_staff(ds, years=wanted)
    staff[MEAN_GAP] = _staff_mean_gap(ds, staff)
    drivers = (
        staff.groupby([UNIT, YEAR], sort=True, observed=True)
        .agg(
            **{
                STAFF: ("nip", "size"),
                MEAN_GAP: (MEAN_GAP, "mean"),
                TRAINED_SHARE: ("trained", "mean"),
            }
        )
        .reset_index()
    )
    drivers[UNIT] = drivers[UNIT].astype(ID_DTYPE)
    frame = drivers.merge(service_by_year(ds, years=wanted), on=[UNIT, YEAR], how="outer")
    frame[STAFF] = frame[STAFF].fillna(0).astype("int64")
    frame[YEAR] = frame[YEAR].astype("int64")
    frame = frame.sort_values([UNIT, YEAR], kind="stable").reset_index(drop=True)
    return frame[list(UNIT_SERVICE_COLUMNS)]


def _staff_mean_gap(ds: Dataset, staff: pd.DataFrame) -> np.ndarray:
    """Each staff-year's mean capped gap at the end of the year.

    Someone not yet assessed has the cold-start estimate of their position's standard,
    which depends on the position and the date only (the standard plus everyone's mean
    shortfall then), so one of them per position and year is asked for all: about half the
    staff-years of a typical history, and most of the time of this table.
    """
    as_of = pd.to_datetime((staff[YEAR] + 1).astype(str) + "-01-01").to_numpy()
    first = ds.assessments.groupby("nip", observed=True)["assessed_on"].min()
    first_on = first.reindex(pd.Index(staff["nip"])).to_numpy()
    cold = np.flatnonzero(~(first_on < as_of))  # NaT compares False: never assessed is cold
    position = ds.employees["position"].to_numpy()[
        pd.Index(ds.employees["nip"]).get_indexer(staff["nip"].iloc[cold])
    ]
    group, _ = pd.factorize(pd.MultiIndex.from_arrays([position, staff[YEAR].to_numpy()[cold]]))
    _, first_of_group = np.unique(group, return_index=True)
    source = np.arange(len(staff))  # the row whose answer each row takes
    source[cold] = cold[first_of_group][group]
    asked = np.flatnonzero(source == np.arange(len(staff)))
    state = year_end_state(ds, staff["nip"].iloc[asked], staff[YEAR].to_numpy()[asked])
    answer = np.full(len(staff), np.nan)
    answer[asked] = person_mean_gap(state, len(asked))
    return answer[source]
