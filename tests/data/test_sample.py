"""A data set restricted to a sample of its people."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recsys.data import load_dataset
from recsys.data.loading import Dataset
from recsys.data.sample import PERSON_TABLES, sample_people


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


def test_a_sample_keeps_every_record_of_its_people_and_none_of_the_others(ds: Dataset) -> None:
    part = sample_people(ds, 500, seed=3)
    drawn = set(part.employees["nip"].astype(str))
    assert len(drawn) == 500
    for name, column in PERSON_TABLES.items():
        whole = ds.tables[name]
        inside = whole[column].astype(str).isin(drawn)
        kept = part.tables[name]
        assert set(kept[column].astype(str)) <= drawn
        assert len(kept) == int(inside.sum()) > 0
        pd.testing.assert_frame_equal(kept, whole[inside].reset_index(drop=True))
    # shared tables stay whole
    for name in ("trainings", "competencies", "competency_standards", "training_competencies"):
        assert part.tables[name] is ds.tables[name]


def test_a_sample_is_reproducible_and_depends_on_the_seed(ds: Dataset) -> None:
    a = sample_people(ds, 300, seed=1).employees["nip"]
    b = sample_people(ds, 300, seed=1).employees["nip"]
    c = sample_people(ds, 300, seed=2).employees["nip"]
    assert a.tolist() == b.tolist()
    assert set(a) != set(c)


def test_a_sample_no_smaller_than_the_data_is_the_data(ds: Dataset) -> None:
    assert sample_people(ds, len(ds.employees)) is ds
    with pytest.raises(ValueError, match="at least one employee"):
        sample_people(ds, 0)
