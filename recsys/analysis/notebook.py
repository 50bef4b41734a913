"""What an analyst's notebook needs from inside (``notebooks/<number>-<topic>.ipynb``).

- :func:`data_location` turns the ``data`` parameter into something
  :func:`~recsys.data.loading.load_dataset` reads (None: the demo world of the settings;
  relative paths work from the project folder or from ``notebooks/``);
- :func:`truth_location` finds a demo world's ground truth, if the data set is one;
- :func:`log_run` logs what a notebook measured (parameters, metrics, figures, tables) as one
  MLflow run in the ``notebooks`` experiment.

Running, rendering and checking the notebooks is :mod:`recsys.notebooks`.
"""

from __future__ import annotations

import logging
import math
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recsys.evaluation.ground_truth import find_ground_truth
from recsys.settings import get_settings

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from recsys.data.loading import Dataset

#: MLflow experiment of notebook runs.
EXPERIMENT = "notebooks"


def project_root(start: Path | None = None) -> Path:
    """The project folder: the nearest folder at or above ``start`` (default: the working
    directory) holding ``pyproject.toml`` and the ``recsys`` package; else ``start``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "recsys").is_dir():
            return folder
    return here


def _from_root(path: Path) -> Path:
    """A relative path as seen from the working directory if it exists there, else from the
    project folder (notebooks run in ``notebooks/``, paths are written from the top)."""
    path = path.expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    return project_root() / path


def data_location(data: str | Path | None = None) -> str:
    """What ``load_dataset`` should read for a notebook's ``data`` parameter.

    None: the demo world of the settings (``RECSYS_DEMO_DIR``, default ``data/demo``). A
    database URL (anything with ``://``) is returned as it is; a folder is resolved (see
    :func:`project_root`) and must exist — a FileNotFoundError says how to make the demo
    world otherwise.
    """
    value = get_settings().demo_dir if data is None else data
    if "://" in str(value):
        return str(value)
    path = _from_root(Path(value))
    if not path.is_dir():
        raise FileNotFoundError(
            f"no data set at {path}: pass data= (a folder or a database URL), or generate the "
            "demo world with `recsys simulate --out data/demo` (or `make demo`)"
        )
    return str(path)


def truth_location(data: str) -> Path | None:
    """The training ground truth of a demo world (``<folder>/_truth``), or None for any other
    data or a ``_truth`` folder without it (skipped with a warning)."""
    truth = find_ground_truth(data)
    return truth.path if truth is not None and truth.trainings else None


def log_run(
    notebook: str,
    *,
    tracking: str | None = None,
    dataset: Dataset | None = None,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    figures: Mapping[str, Figure] | None = None,
    tables: Mapping[str, Any] | None = None,
) -> str:
    """Log one run of ``notebook`` in the :data:`EXPERIMENT` experiment and return its id.

    ``tracking``: the notebook's ``mlflow_tracking_uri`` parameter; None: the project's
    store (:func:`recsys.tracking.store.tracking_uri`, the embedded store in the project
    folder's ``mlflow/``). The run is tagged with the notebook, the data set and its
    fingerprint; non-finite metrics are left out; each figure goes to
    ``figures/<name>.png`` and each table (DataFrame) to ``tables/<name>.csv``.
    """
    with warnings.catch_warnings():
        # mlflow imports tqdm.auto, which warns in a kernel without ipywidgets
        warnings.filterwarnings("ignore", message="IProgress not found")
        import mlflow
        from recsys.tracking import store
        from recsys.tracking.registry import fingerprint

    for name in ("mlflow", "alembic"):  # database set-up notices are for developers
        logging.getLogger(name).setLevel(logging.WARNING)
    store.use_experiment(EXPERIMENT, tracking, root=project_root())
    tags = {"notebook": notebook}
    if dataset is not None:
        tags |= {"data": dataset.source, "data_fingerprint": fingerprint(dataset)}
    with mlflow.start_run(run_name=notebook, tags=tags) as run:
        if params:
            mlflow.log_params({key: str(value) for key, value in params.items()})
        if metrics:
            finite = {k: float(v) for k, v in metrics.items() if math.isfinite(float(v))}
            mlflow.log_metrics(finite)
        for name, figure in (figures or {}).items():
            mlflow.log_figure(figure, f"figures/{name}.png")
        if tables:
            with tempfile.TemporaryDirectory() as tmp:
                for name, table in tables.items():
                    table.to_csv(Path(tmp) / f"{name}.csv", index=False)
                mlflow.log_artifacts(tmp, artifact_path="tables")
    return str(run.info.run_id)
