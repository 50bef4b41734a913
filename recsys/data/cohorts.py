"""Who is in scope: the active staff of an agency (instansi), optionally of some position types.

HR plans for the people still working: an inactive employee (retired, moved) needs no
training and mentors nobody. Every analysis of "an agency's staff" starts here, so the rule
lives in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from recsys.data.contract import POSITION_TYPES
from recsys.data.loading import Dataset

#: Columns of :func:`staff`: the least HR needs to place a person (no name, no birth date).
STAFF_COLUMNS = ("nip", "agency", "unit", "position", "position_type", "remote_area")
#: The default mentee cohort of a mentoring programme: staff without a structural position.
JUNIOR_POSITION_TYPES = ("pelaksana", "fungsional")


class UnknownAgencyError(ValueError):
    """An agency name that is not in the data set (the message lists the known ones)."""

    def __init__(self, agency: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown agency {agency!r}; the data set has: {'; '.join(known)}")
        self.agency = agency
        self.known = list(known)


def agencies(ds: Dataset) -> list[str]:
    """The agencies of ``ds``'s employees, sorted by name."""
    return sorted(ds.employees["agency"].dropna().astype(str).unique())


def check_agency(ds: Dataset, agency: str | None) -> None:
    """Raise :class:`UnknownAgencyError` if ``agency`` is given and not in ``ds``."""
    if agency is not None and agency not in set(agencies(ds)):
        raise UnknownAgencyError(agency, agencies(ds))


def staff(
    ds: Dataset,
    agency: str | None = None,
    *,
    position_types: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Active employees (of ``agency`` if given; of ``position_types`` if given), with
    :data:`STAFF_COLUMNS`, in data set order with a fresh index.

    Raises :class:`UnknownAgencyError` for an agency not in the data set and
    :class:`ValueError` for a position type outside the contract's.
    """
    check_agency(ds, agency)
    employees = ds.employees
    keep = employees["active"].fillna(True).astype(bool)
    if agency is not None:
        keep &= employees["agency"].astype(str) == agency
    if position_types is not None:
        unknown = sorted(set(position_types) - set(POSITION_TYPES))
        if unknown:
            raise ValueError(f"unknown position types {unknown}; known: {list(POSITION_TYPES)}")
        keep &= employees["position_type"].astype(str).isin(list(position_types))
    return employees.loc[keep, list(STAFF_COLUMNS)].reset_index(drop=True)


def mentee_cohort(ds: Dataset, agency: str | None = None) -> pd.Series:
    """NIPs of the default mentee cohort: active pelaksana and fungsional (of ``agency``)."""
    juniors = staff(ds, agency, position_types=JUNIOR_POSITION_TYPES)
    return juniors["nip"].astype(str).rename("nip")
