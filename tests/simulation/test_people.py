"""People of the demo world: NIP sequence numbers, ages, grades."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.simulation.catalog import build_positions, build_units
from recsys.simulation.people import NipAllocator, make_population
from recsys.simulation.world import HISTORY_END


def test_sequences_continue_across_chunks() -> None:
    allocator = NipAllocator()
    first = allocator.allocate(np.array([5, 7, 5, 5], dtype=np.int64))
    assert first.tolist() == [1, 1, 2, 3]
    second = allocator.allocate(np.array([7, 5, 9], dtype=np.int64))
    assert second.tolist() == [2, 4, 1]


def test_more_than_999_sharing_a_prefix_is_refused() -> None:
    allocator = NipAllocator()
    allocator.allocate(np.full(999, 42, dtype=np.int64))
    with pytest.raises(RuntimeError, match="999"):
        allocator.allocate(np.array([42], dtype=np.int64))


def test_ages_tenure_and_grades_are_plausible() -> None:
    rng = np.random.default_rng(0)
    pop = make_population(
        rng, 20_000, build_units(), build_positions(), HISTORY_END, NipAllocator()
    )
    e = pop.employees
    age = (HISTORY_END - e["birth_date"]).dt.days / 365.25
    hire_age = (e["hire_date"] - e["birth_date"]).dt.days / 365.25
    assert age.between(18, 58.01).all()
    assert (hire_age >= 18).all() and (hire_age <= 35.1).all()
    # no pile-up of birth dates (NIP prefixes must spread out)
    assert e["birth_date"].value_counts().max() < 20
    assert (e["hire_date"].dt.day == 1).all()
    by_type = age.groupby(e["position_type"]).median()
    assert by_type["jpt"] > by_type["pengawas"] > by_type["pelaksana"]
    grade_rank = pd.Series(pop.grade_idx).groupby(e["position_type"].to_numpy()).median()
    assert grade_rank["jpt"] > grade_rank["pengawas"] > grade_rank["pelaksana"]
