"""Shared fixtures: one small demo world per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recsys.simulation import simulate

#: A real PostgreSQL server for the tests that need one (tests/postgres.py).
pytest_plugins = ["tests.postgres"]

SMALL_WORLD_EMPLOYEES = 3_000
SMALL_WORLD_SEED = 7


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-employee demo world in CSV (read-only: copy it before changing it)."""
    out = tmp_path_factory.mktemp("worlds") / "small"
    simulate(out, employees=SMALL_WORLD_EMPLOYEES, seed=SMALL_WORLD_SEED)
    return out


@pytest.fixture(scope="session")
def bundle(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both models trained on the small world with the CLI, exported as a bundle
    (read-only): what the API and ``recsys score`` serve."""
    from tests.serving.server import train_bundle

    return train_bundle(small_world, tmp_path_factory.mktemp("api"))


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Settings are read once per process; read them afresh around every test, so that a
    test's environment (``monkeypatch.setenv``) is what the code sees, and never leaks."""
    from recsys.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
