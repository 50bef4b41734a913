"""MLflow with its backend store in a real PostgreSQL database (``MLFLOW_TRACKING_URI``).

The project's own ``registry.train`` logs the run, registers the model and sets the
``champion`` alias; the test then reads them back from PostgreSQL's tables directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import mlflow
from recsys.data import load_dataset
from recsys.tracking import registry, store


@pytest.fixture
def postgres_tracking(
    postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """``MLFLOW_TRACKING_URI`` on an empty PostgreSQL database, the artifacts under
    ``RECSYS_MLFLOW_DIR`` (``tmp_path/mlflow/artifacts``); the previous tracking URI
    afterwards."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", postgres_database)
    monkeypatch.setenv("RECSYS_MLFLOW_DIR", str(tmp_path / "mlflow"))
    monkeypatch.chdir(tmp_path)  # nothing of MLflow's lands in the checkout
    before = mlflow.get_tracking_uri()
    # a database server has no folder beside it: the experiment's artifacts go to the
    # project's MLflow folder, never to ./mlruns of wherever a command runs
    assert store.artifact_location(postgres_database) == (
        (tmp_path / "mlflow" / "artifacts").resolve().as_uri()
    )
    yield postgres_database
    mlflow.set_tracking_uri(before)


def _rows(url: str, query: str, **params: object) -> list[sa.Row[tuple[object, ...]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(query), params).all())
    finally:
        engine.dispose()


def test_train_logs_and_registers_into_postgres(
    postgres_tracking: str, small_world: Path, tmp_path: Path
) -> None:
    ds = load_dataset(small_world)
    result = registry.train(ds, params={"n_bootstrap": 3, "ranker": "structured"})

    assert result.tracking_uri == postgres_tracking
    assert (result.version, result.champion, result.previous_champion) == ("1", True, None)

    # Read back from PostgreSQL itself, not through MLflow.
    runs = _rows(
        postgres_tracking,
        "SELECT r.run_uuid, r.status, e.name FROM runs r "
        "JOIN experiments e ON e.experiment_id = r.experiment_id",
    )
    assert [(r.run_uuid, r.status, r.name) for r in runs] == [
        (result.run_id, "FINISHED", registry.EXPERIMENT)
    ]
    metric = _rows(
        postgres_tracking,
        "SELECT value FROM latest_metrics WHERE key = :key AND run_uuid = :run",
        key="validation_served_value",
        run=result.run_id,
    )
    assert metric[0].value == pytest.approx(result.metrics["validation_served_value"])
    versions = _rows(postgres_tracking, "SELECT name, version, run_id FROM model_versions")
    assert [(v.name, v.version, v.run_id) for v in versions] == [
        (registry.TRAINING_MODEL, 1, result.run_id)
    ]
    aliases = _rows(postgres_tracking, "SELECT name, alias, version FROM registered_model_aliases")
    assert [(a.name, a.alias, a.version) for a in aliases] == [
        (registry.TRAINING_MODEL, registry.CHAMPION, 1)
    ]

    # The artifacts went to the experiment's folder, and the champion loads back.
    assert any((tmp_path / "mlflow" / "artifacts").rglob("MLmodel"))
    assert not (tmp_path / "mlruns").exists()
    assert not (tmp_path / "mlruns").exists()
    champion = registry.load_champion()
    assert champion.ranker_ == result.ranker
