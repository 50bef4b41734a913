"""A data set at a glance: the descriptive tables an analyst starts from.

Each function takes a loaded data set and, optionally, an agency (instansi), and returns a
small frame: who works there, how they are appraised, how current their assessments are,
what the training catalog offers and who takes what. Counts are of records; people are the
active staff (:func:`recsys.data.cohorts.staff`) unless a table says otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.cohorts import check_agency, staff
from recsys.data.contract import POSITION_TYPES, RATINGS
from recsys.data.loading import Dataset
from recsys.data.snapshot import latest_date


def _of_agency(
    ds: Dataset, frame: pd.DataFrame, agency: str | None, column: str = "nip"
) -> pd.DataFrame:
    """Rows of ``frame`` whose ``column`` is an employee of ``agency`` (any, if None;
    active or not: history belongs to the agency)."""
    if agency is None:
        return frame
    check_agency(ds, agency)
    members = ds.employees.loc[ds.employees["agency"].astype(str) == agency, "nip"]
    return frame[frame[column].astype(str).isin(set(members.astype(str)))]


def staff_profile(ds: Dataset, agency: str | None = None) -> pd.DataFrame:
    """Per agency: active ``staff``, ``units``, share in remote (3T) areas (0–1) and the
    staff of each position type; a ``total`` row last when there are several agencies."""
    people = staff(ds, agency)
    grouped = people.groupby("agency")
    out = pd.DataFrame(
        {
            "staff": grouped.size(),
            "units": grouped["unit"].nunique(),
            "remote_share": grouped["remote_area"].mean(),
        }
    )
    types = pd.crosstab(people["agency"], people["position_type"].astype(str))
    out = out.join(types.reindex(columns=list(POSITION_TYPES), fill_value=0))
    out = out.sort_values("staff", ascending=False)
    if len(out) > 1:
        total = out.sum(numeric_only=True)
        total["remote_share"] = people["remote_area"].mean()
        out.loc["total"] = total
    return out.rename_axis("agency").reset_index()


def appraisals(ds: Dataset, agency: str | None = None) -> pd.DataFrame:
    """The SKP appraisals (``performance``) of ``agency``'s employees."""
    return _of_agency(ds, ds.performance, agency)


def rating_table(ds: Dataset, agency: str | None = None) -> pd.DataFrame:
    """Appraisals per year and rating (``sangat_kurang`` … ``sangat_baik``), with the
    year's mean score (0–120)."""
    perf = appraisals(ds, agency)
    year = perf["period_end"].dt.year.rename("year")
    counts = pd.crosstab(year, perf["rating"].astype(str)).reindex(
        columns=list(RATINGS), fill_value=0
    )
    counts["mean_score"] = perf["score"].groupby(year).mean().round(1)
    return counts.rename_axis(columns=None).reset_index()


def assessment_currency(
    ds: Dataset, agency: str | None = None, *, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Per position type: active ``staff``, the share ever assessed (0–1), the share assessed
    in the two years before ``as_of`` (default: after the last appraisal) and the median
    age of the latest assessment (years)."""
    when = pd.Timestamp(as_of) if as_of is not None else latest_date(ds)
    people = staff(ds, agency)
    taken = ds.assessments[ds.assessments["assessed_on"] < when]
    latest = taken.groupby(taken["nip"].astype(str))["assessed_on"].max()
    last = latest.reindex(people["nip"].astype(str)).to_numpy()
    age = (when - pd.to_datetime(last)).days / 365.25
    frame = pd.DataFrame(
        {
            "position_type": people["position_type"].astype(str).to_numpy(),
            "ever": ~np.isnan(age),
            "recent": age < 2,
            "age": age,
        }
    )
    grouped = frame.groupby("position_type")
    out = pd.DataFrame(
        {
            "staff": grouped.size(),
            "ever_assessed": grouped["ever"].mean(),
            "assessed_last_2y": grouped["recent"].mean(),
            "median_years_since": grouped["age"].median(),
        }
    )
    return out.reindex([p for p in POSITION_TYPES if p in out.index]).reset_index()


def catalog_summary(ds: Dataset) -> pd.DataFrame:
    """Per modality: active ``trainings``, their mean JP, mean and total cost per
    participant (IDR)."""
    active = ds.trainings[ds.trainings["active"]]
    grouped = active.groupby(active["modality"].astype(str))
    return (
        pd.DataFrame(
            {
                "trainings": grouped.size(),
                "mean_jp": grouped["hours_jp"].mean().round(1),
                "mean_cost_idr": grouped["cost_idr"].mean().round(-3),
            }
        )
        .sort_values("trainings", ascending=False)
        .rename_axis("modality")
        .reset_index()
    )


def enrollment_trend(ds: Dataset, agency: str | None = None) -> pd.DataFrame:
    """Per year the enrollments started: counts by status, the completion rate among those
    finished (0–1) and the JP completed."""
    enrolled = _of_agency(ds, ds.enrollments, agency)
    year = enrolled["start_date"].dt.year.rename("year")
    counts = pd.crosstab(year, enrolled["status"].astype(str))
    for status in ("completed", "dropped", "in_progress"):
        if status not in counts:
            counts[status] = 0
    finished = counts["completed"] + counts["dropped"]
    counts["completion_rate"] = (counts["completed"] / finished.where(finished > 0)).round(3)
    hours = enrolled["training_id"].map(ds.trainings.set_index("training_id")["hours_jp"])
    done = enrolled["status"].astype(str) == "completed"
    counts["jp_completed"] = hours[done].groupby(year[done]).sum()
    columns = ["completed", "dropped", "in_progress", "completion_rate", "jp_completed"]
    return counts[columns].fillna({"jp_completed": 0}).rename_axis(columns=None).reset_index()


def modality_by_remote_area(ds: Dataset, agency: str | None = None) -> pd.DataFrame:
    """Share of each modality among the enrollments of staff in remote (3T) and other
    areas (columns sum to 1): who is sent to what."""
    enrolled = _of_agency(ds, ds.enrollments, agency)
    modality = enrolled["training_id"].map(
        ds.trainings.set_index("training_id")["modality"].astype(str)
    )
    remote = enrolled["nip"].map(ds.employees.set_index("nip")["remote_area"])
    area = np.where(remote.fillna(False).astype(bool), "remote (3T)", "other areas")
    table = pd.crosstab(
        modality.rename("modality"),
        pd.Series(area, name="area", index=enrolled.index),
        normalize="columns",
    )
    return table.round(3).rename_axis(columns=None).reset_index()
