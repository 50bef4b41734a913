"""A data set as it stood on a date: the records an agency had then, nothing later.

Used for time splits (learn from history up to a date, judge on what came after) and to
keep every model honest about what it could have known.
"""

from __future__ import annotations

import pandas as pd

from recsys.data.loading import Dataset


def latest_date(ds: Dataset) -> pd.Timestamp:
    """The day after the last appraisal period: the natural decision date of a data set."""
    last = ds.performance["period_end"].max()
    if pd.isna(last):
        raise ValueError("the data set has no appraisals (performance is empty)")
    return pd.Timestamp(last) + pd.Timedelta(days=1)


def snapshot(ds: Dataset, when: pd.Timestamp) -> Dataset:
    """``ds`` restricted to what was recorded before ``when``.

    Appraisals with a period ending before it, assessments taken before it, enrollments and
    mentorships that had started; an enrollment still running on that date is
    ``in_progress`` (its scores unknown), a mentorship still running has no end date yet.
    """
    when = pd.Timestamp(when)
    tables = dict(ds.tables)
    tables["performance"] = ds.performance[ds.performance["period_end"] < when].reset_index(
        drop=True
    )
    tables["assessments"] = ds.assessments[ds.assessments["assessed_on"] < when].reset_index(
        drop=True
    )
    enrollments = ds.enrollments[ds.enrollments["start_date"] < when].copy()
    running = enrollments["end_date"] >= when
    enrollments.loc[running, "status"] = "in_progress"
    for column in ("post_score", "reaction_score", "behavior_score"):
        enrollments.loc[running, column] = float("nan")
    tables["enrollments"] = enrollments.reset_index(drop=True)
    mentorships = ds.mentorships[ds.mentorships["start_date"] < when].copy()
    ongoing = mentorships["end_date"] >= when
    mentorships["end_date"] = mentorships["end_date"].mask(ongoing)
    mentorships["mentee_rating"] = mentorships["mentee_rating"].mask(ongoing)
    tables["mentorships"] = mentorships.reset_index(drop=True)
    if len(ds.service_metrics):
        tables["service_metrics"] = ds.service_metrics[
            ds.service_metrics["period_end"] < when
        ].reset_index(drop=True)
    return Dataset(tables=tables, report=ds.report, source=f"{ds.source} (as of {when.date()})")
