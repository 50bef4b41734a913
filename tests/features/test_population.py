"""An agency's part of a data set answers as the whole does: the features that read
everybody's records read the whole data set's summaries instead."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import load_dataset
from recsys.features.competency_state import AS_OF, competency_state
from recsys.features.mentor import mentor_record, rating_prior
from recsys.features.pair import enrolled_trainings, track_record
from recsys.features.population import (
    MENTORSHIP_PLACES,
    PeopleIndex,
    agency_part,
    people_part,
    whole_context,
)
from recsys.models.requests import decision_date


@pytest.fixture(scope="module")
def whole(small_world: Path):
    return load_dataset(small_world)


def test_a_part_holds_only_its_agency_and_reads_the_whole_summaries(whole) -> None:
    agencies = sorted(whole.employees["agency"].astype(str).unique())
    agency = agencies[0]
    part = agency_part(whole, agency, whole_context(whole))
    staff = set(whole.employees.loc[whole.employees["agency"] == agency, "nip"].astype(str))
    assert set(part.employees["nip"].astype(str)) == staff
    for table in ("assessments", "performance", "enrollments"):
        assert set(part.tables[table]["nip"].astype(str)) <= staff
        assert len(part.tables[table]) < len(whole.tables[table])
    assert len(part.mentorships) == len(whole.mentorships)  # small, kept whole

    when = decision_date(whole, None)
    people = sorted(staff)
    queries = pd.DataFrame({"nip": people, AS_OF: when})
    pd.testing.assert_frame_equal(competency_state(part, queries), competency_state(whole, queries))
    # without the summaries the part would assume other levels for unassessed competencies
    alone = agency_part(whole, agency, {})
    assert not competency_state(alone, queries)["level_estimate"].equals(
        competency_state(whole, queries)["level_estimate"]
    )
    trainings = whole.trainings["training_id"]
    asked = pd.DataFrame({"training_id": trainings, AS_OF: when})
    pd.testing.assert_frame_equal(track_record(part, asked), track_record(whole, asked))
    assert not track_record(alone, asked).equals(track_record(whole, asked))
    assert enrolled_trainings(part) == enrolled_trainings(whole)


def test_a_part_of_a_few_people_answers_as_the_whole(whole) -> None:
    active = whole.employees.loc[whole.employees["active"], "nip"].astype(str)
    nips = sorted(active.sample(3, random_state=5))
    part = people_part(whole, [*nips, nips[0], "199001012020011999"], whole_context(whole))
    assert sorted(part.employees["nip"].astype(str)) == nips  # once each, unknown ones not
    for table in ("assessments", "performance", "enrollments"):
        mine = whole.tables[table][whole.tables[table]["nip"].astype(str).isin(nips)]
        pd.testing.assert_frame_equal(part.tables[table], mine.reset_index(drop=True))
    for table in ("trainings", "competency_standards", "mentorships", "service_metrics"):
        assert part.tables[table] is whole.tables[table]
    when = decision_date(whole, None)
    queries = pd.DataFrame({"nip": nips, AS_OF: when})
    pd.testing.assert_frame_equal(competency_state(part, queries), competency_state(whole, queries))
    # an agency's part is the part of its staff
    agency = str(whole.employees["agency"].iloc[0])
    staff = whole.employees.loc[whole.employees["agency"] == agency, "nip"].astype(str)
    by_agency = agency_part(whole, agency, {})
    by_people = people_part(whole, staff, {}, label=agency)
    assert by_agency.source == by_people.source == f"{whole.source} [{agency}]"
    for name, frame in by_agency.tables.items():
        pd.testing.assert_frame_equal(frame, by_people.tables[name])


def test_the_index_of_people_cuts_the_parts_people_part_cuts(whole) -> None:
    """A batch cuts its partitions through one :class:`PeopleIndex`: every table of each
    part is the one :func:`people_part` makes, rows in the same order, but for the
    mentorships, which are only the part's people's, with their places in the whole
    table."""
    employees = whole.employees
    agency = employees["agency"].astype(str).to_numpy()
    unit = employees["unit"].astype(str).to_numpy()
    index = PeopleIndex(whole)
    context = whole_context(whole)
    nobody = agency == "no such agency"
    for staff in (agency == agency[0], (agency == agency[-1]) & (unit == unit[-1]), nobody):
        part = index.part(staff, context, label="x")
        nips = employees.loc[staff, "nip"].astype(str)
        expected = people_part(whole, nips, context, label="x")
        assert part.source == expected.source
        for name, frame in expected.tables.items():
            if name != "mentorships":
                pd.testing.assert_frame_equal(part.tables[name], frame)
        assert len(part.employees) == int(staff.sum())
        m = whole.mentorships
        theirs = m["mentor_nip"].astype(str).isin(nips) | m["mentee_nip"].astype(str).isin(nips)
        pd.testing.assert_frame_equal(part.mentorships, m[theirs].reset_index(drop=True))
        places = part.context[MENTORSHIP_PLACES]["place"].tolist()
        assert places == np.flatnonzero(theirs.to_numpy()).tolist()
        assert {k: v for k, v in part.context.items() if k != MENTORSHIP_PLACES} == context
    assert len(index.part(agency == agency[0], context, label="x").mentorships) > 0


def test_a_part_with_only_its_mentors_mentorships_reads_the_whole_rating_prior(whole) -> None:
    """A mentor's rating is shrunk toward the mean of every mentorship's rating: a part that
    keeps only its people's mentorships (a what-if forecast's, from the store) reads it from
    the context, and gives each mentor the record the whole gives (issue 16)."""
    rated = whole.mentorships.dropna(subset=["end_date", "mentee_rating"])
    mentors = sorted(rated["mentor_nip"].astype(str).value_counts().index[:3])
    part = people_part(whole, mentors, whole_context(whole))
    theirs = part.mentorships["mentor_nip"].astype(str).isin(mentors)
    alone = dataclasses.replace(
        part, tables={**part.tables, "mentorships": part.mentorships[theirs]}
    )
    assert len(alone.mentorships) < len(rated) / 10
    assert (
        rating_prior(alone) == rating_prior(whole) == pytest.approx(rated["mentee_rating"].mean())
    )
    queries = pd.DataFrame({"nip": mentors, AS_OF: decision_date(whole, None)})
    want = mentor_record(whole, queries)
    assert (want["mentor_n_rated"] > 0).all()
    pd.testing.assert_frame_equal(mentor_record(alone, queries), want, check_exact=True)
    # without the prior in the context, the mentor's own ratings would be the prior
    bare = dataclasses.replace(alone, context={})
    assert not mentor_record(bare, queries)["mentor_rating_mean"].equals(want["mentor_rating_mean"])
