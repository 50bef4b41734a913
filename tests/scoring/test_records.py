"""What a what-if forecast reads from the store: each person's records and the generation's
shared part make a data set of just the people asked about, whose forecasts are exactly
those of the whole data set (training and mentor forecasts, a mentor of another agency,
the direct supervisor); a person's name and gender are not kept; what cannot be read is a
clear error."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import load_dataset
from recsys.data.loading import Dataset
from recsys.features.population import PERSON_TABLES, people_part, whole_context
from recsys.models.requests import decision_date
from recsys.scoring.records import (
    FACTS,
    LEFT_OUT,
    SHARED_TABLES,
    RecordsError,
    SharedPart,
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
    for name, frame in whole_context(whole).items():
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
    for mentee, mentor in pairs:
        small = part.dataset({mentee: records[mentee], mentor: records[mentor]})
        pd.testing.assert_frame_equal(
            models.mentors.forecast(small, [mentee], [mentor], as_of=part.as_of),
            models.mentors.forecast(whole, [mentee], [mentor]),
            check_exact=True,
        )


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
