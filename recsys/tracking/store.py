"""Where MLflow runs and models go: one rule for the CLI, the notebooks and the API.

``MLFLOW_TRACKING_URI`` if set (a team's tracking server, or any store MLflow reads), else
the embedded store: SQLite at ``<mlflow_dir>/mlflow.db`` with artifacts under
``<mlflow_dir>/artifacts`` (``RECSYS_MLFLOW_DIR``, default ``mlflow/``).
"""

from __future__ import annotations

from pathlib import Path

from recsys.settings import get_settings

#: The embedded store's database file and artifact folder, inside ``mlflow_dir``.
DATABASE = "mlflow.db"
ARTIFACTS = "artifacts"
_SQLITE = "sqlite:///"


def embedded_uri(folder: Path) -> str:
    """The tracking URI of an embedded store in ``folder`` (created if missing)."""
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"{_SQLITE}{folder / DATABASE}"


def tracking_uri(uri: str | None = None, *, root: Path | None = None) -> str:
    """The MLflow tracking URI: ``uri`` if given, else ``MLFLOW_TRACKING_URI``, else the
    embedded store under the settings' ``mlflow_dir``.

    ``root``: the folder a relative ``mlflow_dir`` is read from (default: the working
    directory; the notebooks, which run in ``notebooks/``, pass the project folder).
    """
    if uri:
        return uri
    settings = get_settings()
    if settings.mlflow_tracking_uri:
        return settings.mlflow_tracking_uri
    folder = settings.mlflow_dir.expanduser()
    if root is not None and not folder.is_absolute():
        folder = root / folder
    return embedded_uri(folder)


#: Database backends MLflow can use directly (without a tracking server).
_DATABASES = ("postgresql", "mysql", "mssql")


def artifact_location(uri: str) -> str | None:
    """Where a new experiment keeps its artifacts: beside a SQLite store (``artifacts/``
    next to the database file); for another database backend (e.g. PostgreSQL),
    ``<mlflow_dir>/artifacts`` (``RECSYS_MLFLOW_DIR``); so that they never land in the
    working directory. None for a tracking server (it decides for itself)."""
    if uri.startswith(_SQLITE):
        database = Path(uri[len(_SQLITE) :].split("?")[0]).resolve()
        return (database.parent / ARTIFACTS).as_uri()
    if uri.split(":", 1)[0].split("+", 1)[0] in _DATABASES:
        folder = get_settings().mlflow_dir.expanduser().resolve() / ARTIFACTS
        folder.mkdir(parents=True, exist_ok=True)
        return folder.as_uri()
    return None


def use_experiment(name: str, uri: str | None = None, *, root: Path | None = None) -> str:
    """Point MLflow at the store (see :func:`tracking_uri`) and make ``name`` the active
    experiment, creating it with its artifacts beside a SQLite store (see
    :func:`artifact_location`); returns the tracking URI."""
    from mlflow.exceptions import MlflowException

    import mlflow

    uri = tracking_uri(uri, root=root)
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(name) is None:
        try:
            mlflow.create_experiment(name, artifact_location=artifact_location(uri))
        except MlflowException as exc:  # another process created it in between
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
    mlflow.set_experiment(name)
    return uri
