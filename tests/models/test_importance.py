"""Competency importance: the weight of each (position type, competency) pair, looked up
for millions of pairs at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import load_dataset
from recsys.models.importance import CompetencyImportance


@pytest.fixture(scope="module")
def importance(small_world: Path) -> CompetencyImportance:
    return CompetencyImportance().fit(load_dataset(small_world))


def test_weights_are_the_learned_table_with_fallbacks(importance: CompetencyImportance) -> None:
    table = importance.weights_
    competencies = list(table.index)
    types = list(table.columns)
    rng = np.random.default_rng(3)
    competency = rng.choice([*competencies, "NO-SUCH"], 5_000)
    position_type = rng.choice([*types, "unknown_type"], 5_000)

    expected = []
    for c, t in zip(competency, position_type, strict=True):
        if c not in table.index:
            expected.append(0.0)  # an unknown competency weighs nothing
        elif t in table.columns and not np.isnan(table.loc[c, t]):
            expected.append(float(table.loc[c, t]))
        else:  # a position type without its own weight: the mean over types
            expected.append(float(np.nan_to_num(importance.fallback_[c])))
    got = importance.weight(position_type, competency)
    np.testing.assert_array_equal(got, np.array(expected))
    # text columns as loaded (Arrow strings) give the same
    arrow = importance.weight(
        pd.Series(position_type, dtype="string[pyarrow]"),
        pd.Series(competency, dtype="string[pyarrow]"),
    )
    np.testing.assert_array_equal(arrow, got)
    assert (got > 0).any() and (got == 0).any()


def test_no_pairs_give_no_weights(importance: CompetencyImportance) -> None:
    assert importance.weight(np.array([], dtype=object), np.array([], dtype=object)).shape == (0,)
