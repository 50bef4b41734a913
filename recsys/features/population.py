"""A part of a data set that answers as the whole would: one agency's records, with the
whole data set's summaries that a person's features read from everybody.

Most features of a person read only that person's records. A few read everybody's: the
level assumed for a competency nobody assessed the person in (the mean shortfall of all
assessments of it, :func:`recsys.features.competency_state.assessment_levels`), a
training's track record (all its earlier participants, :func:`recsys.features.pair.
track_records`), whether a training is new (nobody enrolled yet) and the prior of mentor
ratings (all mentorships: the mentorships table,
small, stays whole). :func:`agency_part` keeps the agency's people and their records and
carries those summaries in the data set's ``context``, so a worker scoring one agency
holds that agency's records only, and gives the same answers as with the whole data set.
"""

from __future__ import annotations

import pandas as pd

from recsys.data.loading import Dataset
from recsys.features.competency_state import ASSESSMENT_LEVELS, assessment_levels
from recsys.features.pair import (
    ENROLLED_TRAININGS,
    TRACK_RECORDS,
    enrolled_trainings,
    track_records,
)

#: Tables about one person, and that person's column (the mentorships table stays whole).
_PERSON_TABLES = {
    "employees": "nip",
    "assessments": "nip",
    "performance": "nip",
    "enrollments": "nip",
}


def whole_context(ds: Dataset) -> dict[str, pd.DataFrame]:
    """The summaries of ``ds`` its parts need (small whatever the staff's size)."""
    enrolled = pd.DataFrame({"training_id": sorted(enrolled_trainings(ds))})
    return {
        ASSESSMENT_LEVELS: assessment_levels(ds),
        TRACK_RECORDS: track_records(ds),
        ENROLLED_TRAININGS: enrolled,
    }


def agency_part(ds: Dataset, agency: str, context: dict[str, pd.DataFrame]) -> Dataset:
    """``ds`` restricted to one agency's employees and their records, with ``context``
    (:func:`whole_context` of ``ds``); the catalog, dictionary, standards, mentorships and
    unit metrics are kept whole."""
    employees = ds.employees
    staff = pd.Index(employees.loc[employees["agency"].astype(str) == agency, "nip"].astype(str))
    tables = dict(ds.tables)
    for name, column in _PERSON_TABLES.items():
        frame = ds.tables[name]
        tables[name] = frame[frame[column].astype(str).isin(staff)].reset_index(drop=True)
    return Dataset(
        tables=tables, report=ds.report, source=f"{ds.source} [{agency}]", context=context
    )
