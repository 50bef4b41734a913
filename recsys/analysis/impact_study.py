"""An impact study on an agency's own records: a table for
:class:`~recsys.models.impact.ImpactEstimator`.

The question: *did completing training in the first half of a year raise people's SKP score
at that year's appraisal, compared with colleagues who had no development at all that year?*

- **Window**: the calendar year. The baseline is the last scored appraisal ending before
  1 January, the outcome the first one ending at least six months after 30 June (the data
  contract's lag), which must fall within the year; outcome = the change in SKP score.
- **Treated**: everything the person did that year (enrollments of any status, mentorships)
  was one or more *completed* trainings held within January–June (of one modality, if asked).
  A training in the second half could not have shown by the appraisal and a mentorship
  would mix two treatments, so such people are left out rather than counted as either.
- **Controls**: no enrollment or mentorship overlapping the year at all.
- **Covariates**: the person's features as of 1 January (
  :data:`recsys.features.person.PERSON_FEATURES`, nothing dated later), ``position_type`` as a
  pandas category. No protected attribute.

Who is sent to training is far from random (able and central staff train more), so the naive
difference in mean outcome between the groups is confounded; the estimator adjusts for what
the covariates show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.data.cohorts import check_agency
from recsys.data.contract import DATE_DTYPE, ID_DTYPE, MODALITIES, OUTCOME_LAG_MONTHS
from recsys.data.loading import Dataset
from recsys.features import outcomes as O
from recsys.features.competency_state import AS_OF
from recsys.features.person import person_features
from recsys.planning.needs import default_year


@dataclass(frozen=True)
class Study:
    """The study table: ``X`` (covariates), ``treated`` (0/1), ``outcome`` (SKP points), the
    ``nips`` of the rows, and what was asked."""

    X: pd.DataFrame
    treated: np.ndarray
    outcome: np.ndarray
    nips: pd.Series
    year: int
    modality: str | None

    def naive_difference(self) -> float:
        """Mean outcome of the treated minus that of the controls (SKP points): the
        confounded comparison an adjusted estimate should be read against."""
        t = self.treated.astype(bool)
        return float(self.outcome[t].mean() - self.outcome[~t].mean())

    def describe(self) -> dict[str, float]:
        """Rows, treated, controls and the naive difference."""
        return {
            "rows": float(len(self.treated)),
            "treated": float(self.treated.sum()),
            "controls": float(len(self.treated) - self.treated.sum()),
            "naive_difference": self.naive_difference(),
        }


def training_study(
    ds: Dataset,
    year: int | None = None,
    *,
    modality: str | None = None,
    agency: str | None = None,
) -> Study:
    """The study of ``year`` (default: the data set's last appraisal year); see the module
    docstring. ``modality`` restricts the trainings that count as treatment; ``agency`` the
    people. Raises ValueError when one group is empty."""
    if modality is not None and modality not in MODALITIES:
        raise ValueError(f"unknown modality {modality!r}; known: {list(MODALITIES)}")
    check_agency(ds, agency)
    year = default_year(ds) if year is None else int(year)
    start = pd.Timestamp(year=year, month=1, day=1)
    mid = pd.Timestamp(year=year, month=7, day=1)
    end = pd.Timestamp(year=year + 1, month=1, day=1)

    people = ds.employees[ds.employees["hire_date"] < start]
    if agency is not None:
        people = people[people["agency"].astype(str) == agency]
    nips = people["nip"].astype(ID_DTYPE)

    enrolled = ds.enrollments.merge(ds.trainings[["training_id", "modality"]], on="training_id")
    activities = pd.concat(
        [
            pd.DataFrame(
                {
                    "nip": enrolled["nip"].astype(ID_DTYPE),
                    "start_date": enrolled["start_date"],
                    "end_date": enrolled["end_date"],
                    "qualifies": (enrolled["status"].astype(str) == "completed")
                    & (enrolled["start_date"] >= start)
                    & (enrolled["end_date"] < mid)
                    & (modality is None or (enrolled["modality"].astype(str) == modality)),
                }
            ),
            pd.DataFrame(
                {
                    "nip": ds.mentorships["mentee_nip"].astype(ID_DTYPE),
                    "start_date": ds.mentorships["start_date"],
                    "end_date": ds.mentorships["end_date"].fillna(pd.Timestamp.max),
                    "qualifies": False,
                }
            ),
        ],
        ignore_index=True,
    )
    in_year = activities[(activities["start_date"] < end) & (activities["end_date"] >= start)]
    per_person = in_year.groupby("nip")["qualifies"].agg(["all", "size"])
    treated_nips = set(per_person.index[per_person["all"]])
    busy = set(per_person.index)
    keep = nips[~nips.isin(busy) | nips.isin(treated_nips)].reset_index(drop=True)

    window = pd.DataFrame(
        {
            "row": np.arange(len(keep)),
            "nip": keep,
            "start_date": pd.Series(start, index=keep.index).astype(DATE_DTYPE),
            "end_date": pd.Series(mid - pd.Timedelta(days=1), index=keep.index).astype(DATE_DTYPE),
        }
    )
    change = O.activity_outcomes(
        window, ds.performance, key="row", lag_months=OUTCOME_LAG_MONTHS
    ).set_index("row")
    ok = (change[O.OUTCOME].notna() & (change[O.OUTCOME_PERIOD] < end)).to_numpy()
    keep = keep[ok].reset_index(drop=True)
    outcome = change.loc[ok, O.OUTCOME].to_numpy(dtype=float)
    treated = keep.isin(treated_nips).to_numpy().astype(int)
    if treated.sum() == 0 or treated.sum() == len(treated):
        raise ValueError(
            f"no {'treated' if treated.sum() == 0 else 'control'} people with an appraisal "
            f"outcome in {year}: choose another year or modality"
        )
    X = person_features(ds, pd.DataFrame({"nip": keep, AS_OF: start}))
    X["position_type"] = X["position_type"].astype("category")
    return Study(X=X, treated=treated, outcome=outcome, nips=keep, year=year, modality=modality)
