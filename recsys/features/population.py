"""A part of a data set that answers as the whole would: some people's records (one
agency's staff, or the few people a what-if forecast is about), with the whole data set's
summaries that a person's features read from everybody.

Most features of a person read only that person's records. A few read everybody's: the
level assumed for a competency nobody assessed the person in (the mean shortfall of all
assessments of it, :func:`recsys.features.competency_state.assessment_levels`), a
training's track record (all its earlier participants, :func:`recsys.features.pair.
track_records`), whether a training is new (nobody enrolled yet) and the prior of mentor
ratings (the mean of all mentee ratings, :func:`recsys.features.mentor.rating_prior`).
:func:`people_part` keeps the people asked for and their records (the mentorships table,
small, stays whole) and carries those summaries in the data set's ``context``, so a
worker scoring one agency holds that agency's records only, a what-if forecast reads one
or two people's (from the store, only their own mentorships too:
:mod:`recsys.scoring.records`), and both give the same answers as with the whole data
set. The decision date (the day after the whole data set's last appraisal) is not a
summary the features read: a part is asked with it (``as_of``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.features.competency_state import (
    ASSESSMENT_LEVELS,
    assessment_levels,
    id_positions,
)
from recsys.features.mentor import RATING_PRIOR, rating_prior_context
from recsys.features.pair import (
    ENROLLED_TRAININGS,
    TRACK_RECORDS,
    enrolled_trainings,
    track_records,
)

#: Tables about one person, and that person's column (the mentorships table stays whole).
PERSON_TABLES = {
    "employees": "nip",
    "assessments": "nip",
    "performance": "nip",
    "enrollments": "nip",
}
#: Key of the context table with every agency of the whole data set and its active staff
#: (columns agency, staff): how large an agency is (a mentoring policy reads it) and which
#: agencies exist, whatever part is at hand.
AGENCY_STAFF = "agency_staff"
#: The context tables of a part (:func:`whole_context`).
CONTEXT_TABLES = (ASSESSMENT_LEVELS, TRACK_RECORDS, ENROLLED_TRAININGS, AGENCY_STAFF, RATING_PRIOR)
#: Key of a batch partition's context table (column ``place``) giving, for each of the
#: mentorships it keeps (its people's: :meth:`PeopleIndex.part`), the row's place in the
#: whole data set's table, which the stored records name a mentorship by.
MENTORSHIP_PLACES = "mentorship_places"


def whole_context(ds: Dataset) -> dict[str, pd.DataFrame]:
    """The summaries of ``ds`` its parts need (small whatever the staff's size)."""
    enrolled = pd.DataFrame({"training_id": sorted(enrolled_trainings(ds))})
    return {
        ASSESSMENT_LEVELS: assessment_levels(ds),
        TRACK_RECORDS: track_records(ds),
        ENROLLED_TRAININGS: enrolled,
        AGENCY_STAFF: _agency_staff(ds).rename("staff").rename_axis("agency").reset_index(),
        RATING_PRIOR: rating_prior_context(ds),
    }


def agency_staff(ds: Dataset) -> pd.Series:
    """Active employees per agency (agency name → count, every agency of the whole data
    set, 0 included): from the context when ``ds`` is a part that carries it, else
    counted."""
    carried = ds.context.get(AGENCY_STAFF)
    if carried is not None:
        return carried.set_index("agency")["staff"]
    return _agency_staff(ds)


def _agency_staff(ds: Dataset) -> pd.Series:
    employees = ds.employees
    agency = employees["agency"].astype(str)
    active = employees["active"].fillna(False).astype(bool).to_numpy()
    counts = agency[active].value_counts()
    return counts.reindex(sorted(agency.unique()), fill_value=0).astype("int64")


def people_part(
    ds: Dataset,
    nips: Iterable[str],
    context: dict[str, pd.DataFrame],
    *,
    label: str | None = None,
) -> Dataset:
    """``ds`` restricted to the employees ``nips`` (those of them in ``ds``) and their
    records, with ``context`` (:func:`whole_context` of ``ds``); the catalog, dictionary,
    standards, mentorships and unit metrics are kept whole (the store's records name a
    mentorship by its place in the whole table: :func:`recsys.scoring.records.
    person_records`). ``label`` names the part in its ``source`` (default: the number of
    people)."""
    wanted = pd.Index(pd.Series(list(nips), dtype=object).astype(str).unique())
    tables = dict(ds.tables)
    for name, column in PERSON_TABLES.items():
        frame = ds.tables[name]
        tables[name] = frame[
            wanted.get_indexer(pd.Index(frame[column].astype(str))) >= 0
        ].reset_index(drop=True)
    shown = label if label is not None else f"{len(wanted)} people"
    return Dataset(
        tables=tables, report=ds.report, source=f"{ds.source} [{shown}]", context=context
    )


class PeopleIndex:
    """Which employee each row of ``ds``' person tables and mentorships is about, worked out
    once: a batch cuts ``ds`` into many parts (:meth:`part`), each then a selection of rows
    instead of a search of the tables' text keys (at a million employees, the batch's
    partitions each searched every table again). Employees' NIPs are unique (the data
    contract)."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        nips = ds.employees["nip"]

        def positions(column: pd.Series) -> np.ndarray:  # −1: none of the employees
            return id_positions(column, nips)  # Arrow's hash join, not pandas' get_indexer

        #: per person table: each row's employee position
        self.owner = {
            name: positions(ds.tables[name][column]) for name, column in PERSON_TABLES.items()
        }
        mentorships = ds.mentorships
        #: each mentorship's mentor and mentee positions
        self.mentor = positions(mentorships["mentor_nip"])
        self.mentee = positions(mentorships["mentee_nip"])

    def part(self, staff: np.ndarray, context: dict[str, pd.DataFrame], *, label: str) -> Dataset:
        """:func:`people_part` of the employees where ``staff`` (one flag per employee row)
        is set: the same person tables, rows in the same order, but only the mentorships
        one of them is the mentor or the mentee of (every mentoring feature and record of
        the part's people reads only those; the whole table's summary, the rating prior,
        is in ``context``), with their places in the whole table (context
        :data:`MENTORSHIP_PLACES`). A million employees' mentorships, sent with each of a
        batch's hundreds of partitions, were most of what a partition weighed."""
        ds = self.ds
        chosen = np.r_[np.asarray(staff, dtype=bool), False]  # position −1: nobody's
        tables = dict(ds.tables)
        for name, owner in self.owner.items():
            tables[name] = ds.tables[name][chosen[owner]].reset_index(drop=True)
        theirs = np.flatnonzero(chosen[self.mentor] | chosen[self.mentee])
        tables["mentorships"] = ds.mentorships.iloc[theirs].reset_index(drop=True)
        places = pd.DataFrame({"place": theirs.astype(np.int64)})
        return Dataset(
            tables=tables,
            report=ds.report,
            source=f"{ds.source} [{label}]",
            context={**context, MENTORSHIP_PLACES: places},
        )


def agency_part(ds: Dataset, agency: str, context: dict[str, pd.DataFrame]) -> Dataset:
    """``ds`` restricted to one agency's employees and their records, with ``context``
    (:func:`whole_context` of ``ds``): :func:`people_part` of the agency's staff."""
    employees = ds.employees
    staff = employees.loc[employees["agency"].astype(str) == agency, "nip"].astype(str)
    return people_part(ds, staff, context, label=agency)
