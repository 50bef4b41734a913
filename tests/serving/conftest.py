"""Fixtures for the API tests: one model bundle per test session (and xdist worker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.serving.server import train_bundle


@pytest.fixture(scope="session")
def bundle(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both models trained on the small world, exported as a bundle (read-only)."""
    return train_bundle(small_world, tmp_path_factory.mktemp("api"))
