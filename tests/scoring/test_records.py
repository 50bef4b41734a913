"""What a what-if forecast reads from the store: each person's records and the generation's
shared part make a data set of just the people asked about, whose forecasts are exactly
those of the whole data set (training and mentor forecasts, a mentor of another agency,
the direct supervisor); a person's name and gender are not kept; the shared part stays
small whatever the staff's size (no mentorships, the running summaries as of the decision
date) and is read in place; what cannot be read is a clear error."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from recsys.data import load_dataset
from recsys.data.loading import Dataset
from recsys.features.competency_state import ASSESSMENT_LEVELS
from recsys.features.pair import TRACK_RECORDS
from recsys.features.population import PERSON_TABLES, people_part, whole_context
from recsys.models.requests import decision_date
from recsys.scoring import records
from recsys.scoring.records import (
    AS_OF_CONTEXT,
    CONTEXT,
    FACTS,
    LEFT_OUT,
    MENTORSHIPS,
    SHARED_TABLES,
    TABLE,
    RecordsError,
    SharedPart,
    as_of_context,
    person_records,
    shared_part,
)
from recsys.tracking.bundle import Bundle, load_bundle


@pytest.fixture(scope="module")
def whole(small_world: Path) -> Dataset:
    return load_dataset(small_world)


@pytest.fixture(scope="module")
def models(bundle: Path) -> Bundle:
    return load_bundle(bundle)


@pytest.fixture(scope="module")
def stored(whole: Dataset) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The shared part and every active employee's records, as ``recsys score`` keeps them."""
    context = whole_context(whole)
    employees = whole.employees
    active = employees.loc[employees["active"], "nip"].astype(str)
    return shared_part(whole, context, decision_date(whole, None)), person_records(whole, active)


def _active(whole: Dataset) -> pd.Series:
    return whole.employees.loc[whole.employees["active"], "nip"].astype(str)


def test_the_records_give_back_each_persons_rows(whole: Dataset, stored: tuple) -> None:
    entries, records = stored
    part = SharedPart.read(entries)
    assert part.as_of == decision_date(whole, None)
    for name in SHARED_TABLES:
        pd.testing.assert_frame_equal(part.tables[name], whole.tables[name])
    for name, frame in as_of_context(whole_context(whole), part.as_of).items():
        pd.testing.assert_frame_equal(part.context[name], frame)
    nips = _active(whole).sample(40, random_state=3).tolist()
    small = part.dataset({nip: records[nip] for nip in nips})
    expected = people_part(whole, nips, whole_context(whole))
    for name, key in PERSON_TABLES.items():
        want = expected.tables[name].copy()
        for column in LEFT_OUT.get(name, ()):  # not kept: empty, of the contract's type
            want[column] = pd.Series(pd.NA, index=want.index, dtype=want[column].dtype)
        got = small.tables[name]
        assert list(got.columns) == list(want.columns)
        pd.testing.assert_frame_equal(  # each person's rows in their order in the whole
            got.sort_values(key, kind="stable").reset_index(drop=True),
            want.sort_values(key, kind="stable").reset_index(drop=True),
        )
    assert len(small.employees) == 40
    mentorships = whole.mentorships
    theirs = mentorships["mentor_nip"].isin(nips) | mentorships["mentee_nip"].isin(nips)
    assert theirs.any() and not theirs.all()
    pd.testing.assert_frame_equal(  # each once, in the whole table's order
        small.mentorships, mentorships[theirs].reset_index(drop=True)
    )


def test_a_persons_name_and_gender_are_not_kept(whole: Dataset, stored: tuple) -> None:
    _, records = stored
    row = whole.employees[whole.employees["active"]].iloc[0]
    kept = zlib.decompress(records[str(row["nip"])]).decode()
    assert str(row["name"]) not in kept
    assert set(LEFT_OUT["employees"]) == {"name", "gender"}
    assert len(records[str(row["nip"])]) < 2_000  # a few hundred bytes


def test_forecasts_from_the_records_are_those_of_the_whole_data_set(
    whole: Dataset, models: Bundle, stored: tuple
) -> None:
    entries, records = stored
    part = SharedPart.read(entries)
    rng = np.random.default_rng(11)
    active = _active(whole).to_numpy()
    trainings = whole.trainings["training_id"].astype(str).tolist()
    for nip in rng.choice(active, 12, replace=False):
        small = part.dataset({nip: records[nip]})
        want, want_detail = models.trainings.forecast(whole, [nip] * len(trainings), trainings)
        got, got_detail = models.trainings.forecast(
            small, [nip] * len(trainings), trainings, as_of=part.as_of
        )
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        pd.testing.assert_frame_equal(got_detail, want_detail, check_exact=True)
    assert models.mentors is not None
    staff = whole.employees[whole.employees["active"]].set_index(
        whole.employees.loc[whole.employees["active"], "nip"].astype(str)
    )
    supervised = staff[staff["supervisor_nip"].astype(str).isin(staff.index)]
    pairs = [(str(n), str(supervised.loc[n, "supervisor_nip"])) for n in supervised.index[:3]]
    agency = staff["agency"].astype(str)
    pairs += [  # mentors of the same agency and of another one
        (str(a), str(b))
        for a, b in zip(rng.choice(active, 20), rng.choice(active, 20), strict=True)
        if a != b
    ]
    assert any(agency[a] != agency[b] for a, b in pairs)
    # mentors with a record of rated mentorships (read from their own records, shrunk
    # toward the whole's prior), one of them a mentor of the mentee already
    rated = whole.mentorships.dropna(subset=["end_date", "mentee_rating"])
    rated = rated[rated["mentor_nip"].isin(staff.index) & rated["mentee_nip"].isin(staff.index)]
    busiest = rated["mentor_nip"].astype(str).value_counts().index[:3]
    pairs += [(str(active[0]), mentor) for mentor in busiest if mentor != str(active[0])]
    again = rated.iloc[0]
    pairs.append((str(again["mentee_nip"]), str(again["mentor_nip"])))
    for mentee, mentor in pairs:
        small = part.dataset({mentee: records[mentee], mentor: records[mentor]})
        pd.testing.assert_frame_equal(
            models.mentors.forecast(small, [mentee], [mentor], as_of=part.as_of),
            models.mentors.forecast(whole, [mentee], [mentor]),
            check_exact=True,
        )


def test_the_shared_part_does_not_grow_with_the_staff(whole: Dataset, stored: tuple) -> None:
    """Issue 16: what every worker keeps resident is the catalog's size, not the staff's:
    the mentorships are kept per person, the running summaries as of the decision date."""
    entries, records = stored
    assert MENTORSHIPS not in SHARED_TABLES and f"{TABLE}{MENTORSHIPS}" not in entries
    part = SharedPart.read(entries)
    assert set(AS_OF_CONTEXT) == {ASSESSMENT_LEVELS, TRACK_RECORDS}
    context = whole_context(whole)
    for name, (key, date) in AS_OF_CONTEXT.items():
        kept = part.context[name]
        assert kept[key].is_unique and (kept[date] < part.as_of).all()
        assert len(kept) == context[name].loc[context[name][date] < part.as_of, key].nunique()
        assert len(kept) < len(context[name]) / 10
    # a mentor's records hold the mentorships they led, a mentee's those they had
    ended = whole.mentorships.dropna(subset=["end_date"])
    mentor = str(ended["mentor_nip"].value_counts().index[0])
    small = part.dataset({mentor: records[mentor]})
    assert (small.mentorships["mentor_nip"] == mentor).sum() == (
        whole.mentorships["mentor_nip"] == mentor
    ).sum()


def test_the_shared_part_is_read_in_place(stored: tuple) -> None:
    """Its tables are Arrow IPC files whose Arrow-backed columns point into the stored
    bytes: reading decodes nothing into Arrow's memory pool (Parquet did, and the pool kept
    tens of MB resident at 100k employees: issue 16)."""
    entries, _ = stored
    for name, data in entries.items():
        if name.startswith((TABLE, CONTEXT)):
            assert data[:6] == b"ARROW1", name
    frame = pd.DataFrame({"nip": pd.Series([f"{i:018d}" for i in range(20_000)], dtype="string")})
    data = records._arrow(frame)
    pool = pa.default_memory_pool()
    before = pool.bytes_allocated()
    back = records._frame(data)
    assert pool.bytes_allocated() - before < 4_096  # not the 20,000 NIPs' 360 kB
    pd.testing.assert_frame_equal(back, frame)


def test_what_cannot_be_read_is_a_clear_error(stored: tuple) -> None:
    entries, _ = stored
    with pytest.raises(RecordsError, match="no shared part"):
        SharedPart.read({})
    other = dict(entries)
    other[FACTS] = json.dumps({**json.loads(entries[FACTS]), "format": 99}).encode()
    with pytest.raises(RecordsError, match=r"format 99.*run `recsys score` again"):
        SharedPart.read(other)
    incomplete = {k: v for k, v in entries.items() if k != "table:trainings"}
    with pytest.raises(RecordsError, match="lacks table:trainings"):
        SharedPart.read(incomplete)
    part = SharedPart.read(entries)
    with pytest.raises(RecordsError, match="NIP 123 cannot be read"):
        part.dataset({"123": b"not compressed JSON"})
