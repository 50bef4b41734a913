"""An agency's part of a data set answers as the whole does: the features that read
everybody's records read the whole data set's summaries instead."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recsys.data import load_dataset
from recsys.features.competency_state import AS_OF, competency_state
from recsys.features.pair import enrolled_trainings, track_record
from recsys.features.population import agency_part, whole_context
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
