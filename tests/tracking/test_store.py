"""Where MLflow runs go: one rule (``MLFLOW_TRACKING_URI``, else SQLite at
``mlflow/mlflow.db`` with artifacts in ``mlflow/artifacts``) for the CLI and the notebooks,
checked against a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

import mlflow
from recsys.settings import get_settings
from recsys.tracking import store


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty working directory and the settings' defaults (no tracking server)."""
    monkeypatch.chdir(tmp_path)
    for name in ("MLFLOW_TRACKING_URI", "RECSYS_MLFLOW_DIR"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    before = mlflow.get_tracking_uri()
    yield tmp_path
    mlflow.set_tracking_uri(before)
    get_settings.cache_clear()


def test_the_embedded_store_is_sqlite_under_mlflow(workdir: Path) -> None:
    assert store.tracking_uri() == f"sqlite:///{workdir / 'mlflow' / 'mlflow.db'}"
    assert (workdir / "mlflow").is_dir()  # made, so that SQLite can create the database
    project = workdir / "project"
    assert store.tracking_uri(root=project) == f"sqlite:///{project / 'mlflow' / 'mlflow.db'}"


def test_a_given_uri_then_the_environment_win(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = "http://mlflow.example:5000"
    assert store.tracking_uri(server) == server
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    get_settings.cache_clear()
    assert store.tracking_uri() == server
    assert store.tracking_uri(root=workdir / "project") == server
    assert store.tracking_uri("sqlite:///other.db") == "sqlite:///other.db"
    assert not (workdir / "mlflow").exists()


def test_a_moved_store_is_read_from_the_settings(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECSYS_MLFLOW_DIR", str(workdir / "elsewhere"))
    get_settings.cache_clear()
    expected = f"sqlite:///{workdir / 'elsewhere' / 'mlflow.db'}"
    assert store.tracking_uri() == expected
    assert store.tracking_uri(root=workdir / "project") == expected  # absolute: as it is


def test_artifacts_go_beside_a_sqlite_store(workdir: Path) -> None:
    database = workdir / "store" / "runs.db"
    expected = (workdir / "store" / "artifacts").as_uri()
    assert store.artifact_location(f"sqlite:///{database}") == expected
    assert store.artifact_location(f"sqlite:///{database}?timeout=30") == expected
    assert store.artifact_location("sqlite:///store/runs.db") == expected  # relative: cwd
    assert store.artifact_location("http://mlflow.example:5000") is None
    assert store.artifact_location("databricks") is None


def test_the_cli_uses_the_embedded_store(workdir: Path) -> None:
    from recsys.tracking.registry import EXPERIMENT, configure

    uri = configure()
    assert uri == f"sqlite:///{workdir / 'mlflow' / 'mlflow.db'}"
    assert mlflow.get_tracking_uri() == uri
    assert configure() == uri  # the experiment exists now: found, not created again
    experiments = MlflowClient(tracking_uri=uri).search_experiments()
    named = [e for e in experiments if e.name == EXPERIMENT]
    assert len(named) == 1
    assert named[0].artifact_location == (workdir / "mlflow" / "artifacts").as_uri()
    with mlflow.start_run() as run:
        mlflow.log_text("hello", "note.txt")
    assert run.info.experiment_id == named[0].experiment_id
    note = workdir / "mlflow" / "artifacts" / run.info.run_id / "artifacts" / "note.txt"
    assert note.read_text() == "hello"
    assert sorted(p.name for p in workdir.iterdir()) == ["mlflow"]  # nothing in ./mlruns
