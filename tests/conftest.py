"""Shared fixtures: one small demo world per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys.simulation import simulate

SMALL_WORLD_EMPLOYEES = 3_000
SMALL_WORLD_SEED = 7


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-employee demo world in CSV (read-only: copy it before changing it)."""
    out = tmp_path_factory.mktemp("worlds") / "small"
    simulate(out, employees=SMALL_WORLD_EMPLOYEES, seed=SMALL_WORLD_SEED)
    return out
