"""Mentor suggestions on the small demo world: the first suggestion is the agency's
capacity-respecting matching, the others are mentors who still have room, and a person the
matching leaves out is told why."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from recsys.data.loading import Dataset, load_dataset
from recsys.models.mentors.recommender import RECOMMENDATION_COLUMNS, MentorRecommender
from recsys.models.requests import InactiveEmployeeError, UnknownEmployeeError, decision_date
from recsys.planning import matching
from recsys.planning.mentor_suggestions import (
    ALTERNATIVE,
    ASSIGNED,
    GRAPH_TOP,
    SUGGESTION_COLUMNS,
    SUGGESTION_EXPORT_COLUMNS,
    UNASSIGNED,
    MentorSuggestions,
    suggest_mentors,
)


@pytest.fixture(scope="module")
def world(small_world: Path) -> tuple[Dataset, MentorRecommender]:
    ds = load_dataset(small_world)
    return ds, MentorRecommender(n_bootstrap=5).fit(ds)


@pytest.fixture(scope="module")
def everyone(world: tuple) -> MentorSuggestions:
    """Every active employee, each mentor taking one mentee at most, in both languages."""
    ds, model = world
    active = ds.employees.loc[ds.employees["active"], "nip"].astype(str)
    return suggest_mentors(model, ds, active, k=4, capacity=1, also_in=("en",))


def _ongoing(ds: Dataset) -> pd.Series:
    """Mentorships running on the decision date, per mentor NIP."""
    when = decision_date(ds, None)
    m = ds.mentorships
    running = (m["start_date"] <= when) & (m["end_date"].isna() | (m["end_date"] > when))
    return m.loc[running.to_numpy(dtype=bool), "mentor_nip"].astype(str).value_counts()


def test_no_mentor_is_first_for_more_people_than_their_room(
    world: tuple, everyone: MentorSuggestions
) -> None:
    ds, _ = world
    recs = everyone.suggestions
    assert list(recs.columns) == [*SUGGESTION_COLUMNS, "reason_en", "distance_en"]
    assert list(SUGGESTION_COLUMNS) == [*RECOMMENDATION_COLUMNS, "status"]
    first = recs[recs["rank"] == 1]
    assert len(first) > 500
    # capacity 1: no mentor is anybody's first suggestion twice ...
    assert first["mentor_nip"].astype(str).value_counts().max() == 1
    # ... and a mentor already mentoring someone has no room at all
    ongoing = _ongoing(ds)
    assert len(ongoing) > 0, "the world must have ongoing mentorships for this check"
    assert not recs["mentor_nip"].astype(str).isin(ongoing.index).any()
    # the first suggestions are exactly the matching's assignments
    assigned = everyone.matching.assignments
    got = set(zip(first["nip"].astype(str), first["mentor_nip"].astype(str), strict=True))
    want = set(zip(assigned["nip"].astype(str), assigned["mentor_nip"].astype(str), strict=True))
    assert got == want
    assert (first["status"] == ASSIGNED).all()


def test_the_other_ranks_are_alternatives_with_room(everyone: MentorSuggestions) -> None:
    recs = everyone.suggestions
    assert set(recs["status"]) == {ASSIGNED, ALTERNATIVE}
    others = recs[recs["rank"] > 1]
    assert (others["status"] == ALTERNATIVE).all() and len(others) > 0
    # an alternative's mentor has room left once the matching is made (capacity 1: no
    # mentee assigned), and is someone else than the assigned mentor
    taken = set(everyone.matching.assignments["mentor_nip"].astype(str))
    assert not others["mentor_nip"].astype(str).isin(taken).any()
    assert (others["expected_gain"] > 0).all()
    for _, group in recs.groupby("nip"):
        assert list(group["rank"]) == list(range(1, len(group) + 1)) and len(group) <= 4
        assert group["mentor_nip"].is_unique
        assert group["expected_gain"].iloc[1:].is_monotonic_decreasing
    # each reason says which it is, in both languages
    assigned = recs["status"] == ASSIGNED
    assert recs.loc[assigned, "reason"].str.contains("pencocokan mentor instansi").all()
    assert recs.loc[assigned, "reason_en"].str.contains("agency's mentor matching").all()
    assert recs.loc[~assigned, "reason"].str.contains("alternatif: mentor ini masih").all()
    assert recs.loc[~assigned, "reason_en"].str.contains("alternative: this mentor").all()
    assert (recs["gain_lower"] <= recs["expected_gain"]).all()
    assert (recs["gaps_covered"].str.len() > 0).all()


def test_people_left_out_are_told_why(world: tuple, everyone: MentorSuggestions) -> None:
    ds, _ = world
    left_out = everyone.unassigned
    recs = everyone.suggestions
    active = set(ds.employees.loc[ds.employees["active"], "nip"].astype(str))
    assigned = set(recs.loc[recs["status"] == ASSIGNED, "nip"].astype(str))
    # everyone asked is either assigned or told why, never both
    assert assigned | set(left_out["nip"].astype(str)) == active
    assert not assigned & set(left_out["nip"].astype(str))
    assert set(left_out["reason_code"]) <= set(matching.UNMATCHED_REASONS)
    assert (left_out["reason_code"] == matching.CAPACITY).sum() > 100  # one mentee per mentor
    full = left_out["reason_code"] == matching.CAPACITY
    assert left_out.loc[full, "reason"].str.startswith("Semua calon mentor sudah penuh").all()
    assert left_out.loc[full, "reason_en"].str.startswith("Every candidate mentor is full").all()
    # the matching is optimal, so nobody left out has a positive-gain mentor with room
    assert not recs["nip"].astype(str).isin(left_out["nip"].astype(str)).any()


def test_the_candidate_graph_costs_the_agency_little(world: tuple) -> None:
    """The served matching uses each person's GRAPH_TOP best candidates, not all of them:
    with capacity binding, the best assignment takes mentors far down many lists, so a
    short graph leaves people unmatched who had a mentor with room (30 per person matched
    about half the staff of a 6,000-employee world)."""
    ds, model = world
    active = ds.employees.loc[ds.employees["active"], "nip"].astype(str)
    served = suggest_mentors(model, ds, active, k=1).matching
    every = model.candidates(ds, active)  # every eligible pair
    best = matching.match(every, active, 3, bound=False)
    assert every.groupby("nip").size().max() > GRAPH_TOP  # the graph is a real cut
    assert served.total_gain >= 0.98 * best.total_gain
    assert served.n_matched >= 0.98 * best.n_matched


def test_the_whole_agency_is_matched_whoever_is_asked(world: tuple) -> None:
    ds, model = world
    emp = ds.employees
    junior = emp["active"] & emp["position_type"].astype(str).eq("pelaksana")
    agency = str(emp.loc[junior, "agency"].iloc[0])
    asked = emp.loc[junior & emp["agency"].astype(str).eq(agency), "nip"].astype(str)
    asked = asked.iloc[[3, 0, 2]].tolist()
    few = suggest_mentors(model, ds, asked, k=3)
    staff = emp.loc[emp["active"] & emp["agency"].astype(str).eq(agency), "nip"].astype(str)
    whole = suggest_mentors(model, ds, staff, k=3)
    assert few.matching.n_mentees == whole.matching.n_mentees == len(staff)
    key = ["nip", "rank"]
    mine = few.suggestions.set_index(key)
    theirs = whole.suggestions.set_index(key)
    pd.testing.assert_frame_equal(mine, theirs.loc[mine.index])
    assert len(theirs[theirs.index.get_level_values("nip").isin(asked)]) == len(mine)
    # in the order asked, each person once at least (assigned or told why)
    assert few.export()["nip"].astype(str).drop_duplicates().tolist() == asked
    order = few.suggestions["nip"].astype(str).drop_duplicates().tolist()
    assert order == [n for n in asked if n in order]


def test_a_large_agency_is_matched_unit_by_unit(world: tuple) -> None:
    """Where the agency searches mentors in the unit kerja, the matching is the unit's:
    asking a few of its people gives what asking the whole unit gives, and every mentor
    suggested is of the person's unit."""
    ds, model = world
    emp = ds.employees
    agency = str(emp["agency"].astype(str).value_counts().index[0])
    scoped = model.eligibility_policies().replace_all(unit_search_above=0)
    local = copy.copy(model).set_params(policies=scoped)
    staff = emp[emp["active"] & emp["agency"].astype(str).eq(agency)]
    unit_name = str(staff["unit"].astype(str).value_counts().index[0])
    in_unit = staff.loc[staff["unit"].astype(str).eq(unit_name), "nip"].astype(str)
    few = suggest_mentors(local, ds, in_unit.iloc[[5, 1, 3]].tolist(), k=3)
    whole = suggest_mentors(local, ds, in_unit, k=3)
    assert few.matching.n_mentees == whole.matching.n_mentees == len(in_unit)
    key = ["nip", "rank"]
    mine = few.suggestions.set_index(key)
    pd.testing.assert_frame_equal(mine, whole.suggestions.set_index(key).loc[mine.index])
    unit = emp.set_index(emp["nip"].astype(str))["unit"].astype(str)
    mentors = whole.suggestions["mentor_nip"].astype(str)
    assert len(mentors) and (unit.reindex(mentors).to_numpy() == unit_name).all()


def test_a_mentor_full_with_ongoing_mentorships_is_a_capacity_reason(world: tuple) -> None:
    ds, model = world
    emp = ds.employees
    junior = emp["active"] & emp["position_type"].astype(str).eq("pelaksana")
    agency = str(emp.loc[junior, "agency"].iloc[0])
    juniors = emp.loc[junior & emp["agency"].astype(str).eq(agency), "nip"].astype(str)
    before = suggest_mentors(model, ds, juniors, k=3, capacity=1)
    nip = str(before.suggestions.loc[before.suggestions["status"] == ASSIGNED, "nip"].iloc[0])
    # every candidate mentor of this person starts mentoring someone today
    graph = model.candidates(ds, [nip], top=GRAPH_TOP)
    mentors = graph["mentor_nip"].astype(str).unique()
    extra = pd.DataFrame(
        {
            "mentorship_id": [f"NEW-{i}" for i in range(len(mentors))],
            "mentor_nip": mentors,
            "mentee_nip": nip,
            "competency": ds.mentorships["competency"].iloc[0],
            "start_date": decision_date(ds, None),
            "end_date": pd.NaT,
            "mentee_rating": np.nan,
        }
    ).astype(ds.mentorships.dtypes.to_dict())
    tables = {**ds.tables, "mentorships": pd.concat([ds.mentorships, extra], ignore_index=True)}
    busy = dataclasses.replace(ds, tables=tables)
    after = suggest_mentors(model, busy, [nip], k=3, capacity=1)
    # not "no eligible mentor": they are eligible, and full
    assert after.suggestions.empty
    assert after.unassigned["reason_code"].tolist() == [matching.CAPACITY]
    assert not after.matching.assignments["mentor_nip"].astype(str).isin(mentors).any()


def test_the_export_has_a_row_for_everyone(everyone: MentorSuggestions) -> None:
    frame = everyone.export()
    assert list(frame.columns) == list(SUGGESTION_EXPORT_COLUMNS)
    assert len(frame) == len(everyone.suggestions) + len(everyone.unassigned)
    left_out = frame[frame["status"] == UNASSIGNED]
    assert len(left_out) == len(everyone.unassigned)
    assert left_out["rank"].isna().all() and left_out["mentor_nip"].isna().all()
    assert (left_out["reason"].str.len() > 0).all()
    # each person's rows together, in the order asked
    first_rows = frame.drop_duplicates("nip")["nip"].astype(str).tolist()
    assert first_rows == everyone.people.astype(str).tolist()
    with pytest.raises(ValueError, match="no column"):
        everyone.export(("nip", "salary"))


def test_bad_requests_are_clear_errors(world: tuple) -> None:
    ds, model = world
    nip = str(ds.employees.loc[ds.employees["active"], "nip"].iloc[0])
    inactive = str(ds.employees.loc[~ds.employees["active"], "nip"].iloc[0])
    with pytest.raises(UnknownEmployeeError):
        suggest_mentors(model, ds, ["199901012020011999"])
    with pytest.raises(InactiveEmployeeError):
        suggest_mentors(model, ds, [inactive])
    with pytest.raises(ValueError, match="k must be at least 1"):
        suggest_mentors(model, ds, [nip], k=0)
    with pytest.raises(ValueError, match="capacity must be an int >= 1"):
        suggest_mentors(model, ds, [nip], capacity=0)
    with pytest.raises(ValueError, match="unsupported language"):
        suggest_mentors(model, ds, [nip], lang="fr")
    with pytest.raises(NotFittedError):
        suggest_mentors(MentorRecommender(), ds, [nip])
