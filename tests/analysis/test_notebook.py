"""What a notebook uses from inside: data locations read from the project folder, and its
MLflow run logged into a real store (the project's embedded one unless told otherwise)."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

import mlflow
from recsys.analysis.notebook import (
    EXPERIMENT,
    data_location,
    log_run,
    project_root,
    truth_location,
)
from recsys.settings import get_settings

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project folder (pyproject.toml, recsys/, notebooks/, data/world), working in
    notebooks/ as a Jupyter kernel does, with the settings' defaults (no tracking server)."""
    (tmp_path / "pyproject.toml").write_text("")
    for folder in ("recsys", "notebooks", "data/world"):
        (tmp_path / folder).mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "notebooks")
    for name in ("MLFLOW_TRACKING_URI", "RECSYS_MLFLOW_DIR", "RECSYS_DEMO_DIR"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    before = mlflow.get_tracking_uri()
    yield tmp_path
    mlflow.set_tracking_uri(before)
    get_settings.cache_clear()


def test_data_paths_are_read_from_the_project_folder(project: Path) -> None:
    assert project_root() == project
    assert data_location("data/world") == str(project / "data" / "world")
    assert data_location(project / "data" / "world") == str(project / "data" / "world")
    url = "postgresql://hr@db/siasn"
    assert data_location(url) == url
    with pytest.raises(FileNotFoundError, match="recsys simulate --out data/demo"):
        data_location("data/nowhere")
    with pytest.raises(FileNotFoundError, match=str(project / "data" / "demo")):
        data_location()  # the demo world of the settings, not made yet
    (project / "data" / "demo").mkdir()
    assert data_location() == str(project / "data" / "demo")


def test_truth_is_found_only_where_it_is_usable(
    project: Path, small_world: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = project / "data" / "world"
    assert truth_location(str(world)) is None
    (world / "_truth").mkdir()  # unrelated or incomplete: skipped with a warning
    with caplog.at_level(logging.WARNING):
        assert truth_location(str(world)) is None
    assert "_truth" in caplog.text
    assert truth_location("postgresql://hr@db/siasn") is None
    assert truth_location(str(small_world)) == small_world / "_truth"


def test_a_run_goes_to_the_projects_embedded_store(project: Path) -> None:
    figure, axes = plt.subplots()
    axes.plot([0, 1], [0, 1])
    table = pd.DataFrame({"unit": ["A", "B"], "jp_needed": [12.0, 0.0]})
    run_id = log_run(
        "9.9-test",
        params={"seed": 7, "agency": None},
        metrics={"share_top5": 0.8, "undefined": math.nan},
        figures={"diagonal": figure},
        tables={"needs": table},
    )
    plt.close(figure)

    # the project's store, not one in notebooks/ where the kernel works
    store = project / "mlflow"
    assert (store / "mlflow.db").is_file()
    assert sorted(p.name for p in (project / "notebooks").iterdir()) == []
    client = MlflowClient(tracking_uri=f"sqlite:///{store / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    assert experiment.artifact_location == (store / "artifacts").as_uri()
    run = client.get_run(run_id)
    assert run.info.experiment_id == experiment.experiment_id
    assert run.data.tags["notebook"] == "9.9-test"
    assert run.data.params == {"seed": "7", "agency": "None"}
    assert run.data.metrics == {"share_top5": 0.8}  # non-finite metrics are left out
    artifacts = store / "artifacts" / run_id / "artifacts"
    assert (artifacts / "figures" / "diagonal.png").read_bytes().startswith(b"\x89PNG")
    assert pd.read_csv(artifacts / "tables" / "needs.csv").equals(table)


def test_a_run_goes_where_the_notebook_says(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("team-store") / "runs.db"
    uri = f"sqlite:///{elsewhere}"
    run_id = log_run("9.9-test", tracking=uri, metrics={"share_top5": 0.5})

    assert not (project / "mlflow").exists()
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    assert experiment.artifact_location == (elsewhere.parent / "artifacts").as_uri()
    assert client.get_run(run_id).data.metrics == {"share_top5": 0.5}
