"""Analysts' notebooks: what they need from inside, and how they are run, checked and shared.

Inside a notebook (``notebooks/<number>-<topic>.ipynb``):

- :func:`data_location` turns the ``data`` parameter into something
  :func:`~recsys.data.loading.load_dataset` reads (None: the demo world of the settings;
  relative paths work from the project folder or from ``notebooks/``);
- :func:`truth_location` finds a demo world's ground truth, if the data set is one;
- :func:`log_run` logs what a notebook measured (parameters, metrics, figures, tables) as one
  MLflow run in the ``notebooks`` experiment.

Around them, the command ``python -m recsys.notebooks``:

- ``run``: execute every notebook with papermill into ``<out>/executed/``, with parameters
  (each notebook gets those it declares in its ``parameters`` cell); a failing cell fails it;
- ``render``: the executed notebooks as standalone HTML in ``<out>/`` (code hidden unless
  ``--show-code``), for sharing with the agency's leadership;
- ``check``: fail if a notebook is saved with outputs or execution counts (git keeps sources);
- ``strip``: remove them.

Kernels run on this interpreter (the project's environment), whichever ``python3``
kernelspec Jupyter would find first.
"""

from __future__ import annotations

import ast
import logging
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from recsys.evaluation.ground_truth import find_ground_truth
from recsys.settings import get_settings

if TYPE_CHECKING:
    import nbformat
    from matplotlib.figure import Figure

    from recsys.data.loading import Dataset

log = logging.getLogger(__name__)

#: MLflow experiment of notebook runs.
EXPERIMENT = "notebooks"
#: Folder of the notebooks, relative to the project folder.
NOTEBOOK_DIR = Path("notebooks")
#: Where ``make notebooks`` puts executed notebooks (``executed/``) and their HTML.
REPORT_DIR = Path("reports/notebooks")
EXECUTED_DIR = "executed"
KERNEL_NAME = "python3"
PARAMETERS_TAG = "parameters"
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)-[a-z0-9][a-z0-9-]*\.ipynb$")


class NotebookError(RuntimeError):
    """A notebook that failed to execute: which one, which cell, and the error."""

    def __init__(self, notebook: Path, output: Path, cell: int | None, error: str) -> None:
        where = f"cell {cell}" if cell is not None else "start-up"
        super().__init__(f"{notebook.name} failed at {where}: {error} (executed copy: {output})")
        self.notebook = notebook
        self.output = output
        self.cell = cell
        self.error = error


# ----------------------------------------------------------------------------- inside notebooks


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


def tracking_uri(uri: str | None = None) -> str:
    """The MLflow tracking URI of notebook runs: ``uri`` if given, else
    ``MLFLOW_TRACKING_URI``, else the embedded store (SQLite in the project's ``mlflow/``)."""
    if uri:
        return uri
    settings = get_settings()
    if settings.mlflow_tracking_uri:
        return settings.mlflow_tracking_uri
    store = _from_root(settings.mlflow_dir)
    store.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{store / 'mlflow.db'}"


def _artifact_location(uri: str) -> str | None:
    """Artifacts of a new experiment: beside a SQLite store (``artifacts/``), so that they
    never land in the kernel's working directory; a server decides for itself."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return None
    database = Path(uri[len(prefix) :].split("?")[0]).resolve()
    return (database.parent / "artifacts").as_uri()


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

    ``tracking``: the notebook's ``mlflow_tracking_uri`` parameter (see
    :func:`tracking_uri`). The run is tagged with the notebook, the data set and its
    fingerprint; non-finite metrics are left out; each figure goes to ``figures/<name>.png``
    and each table (DataFrame) to ``tables/<name>.csv``.
    """
    import math
    import warnings

    with warnings.catch_warnings():
        # mlflow imports tqdm.auto, which warns in a kernel without ipywidgets
        warnings.filterwarnings("ignore", message="IProgress not found")
        import mlflow
        from recsys.tracking.registry import fingerprint

    for name in ("mlflow", "alembic"):  # database set-up notices are for developers
        logging.getLogger(name).setLevel(logging.WARNING)
    uri = tracking_uri(tracking)
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        mlflow.create_experiment(EXPERIMENT, artifact_location=_artifact_location(uri))
    mlflow.set_experiment(EXPERIMENT)
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


# ----------------------------------------------------------------------------- finding them


def list_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebooks of ``folder`` (``<number>-<topic>.ipynb``), in number order."""
    found = [p for p in Path(folder).glob("*.ipynb") if _NUMBERED.match(p.name)]

    def number(path: Path) -> tuple[int, ...]:
        match = _NUMBERED.match(path.name)
        assert match is not None
        return tuple(int(part) for part in match.group(1).split("."))

    return sorted(found, key=lambda p: (number(p), p.name))


def declared_parameters(notebook: Path) -> dict[str, Any]:
    """The parameters a notebook declares in its ``parameters`` cell, with their defaults
    (as source text)."""
    import papermill

    return {
        name: info["default"] for name, info in papermill.inspect_notebook(str(notebook)).items()
    }


# ----------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Execution:
    """One executed notebook: the source, the executed copy, the parameters it got and the
    wall time (seconds)."""

    notebook: Path
    output: Path
    parameters: dict[str, Any]
    seconds: float


def _kernel_manager_class() -> type:
    """A kernel manager that starts the ``python3`` kernel on this interpreter.

    jupyter_client already swaps a bare ``python`` in a kernelspec for the running
    interpreter, but a user-level kernelspec may name another Python by its full path;
    notebooks must run with the project's packages, so any Python becomes this one.
    """
    import zmq
    from jupyter_client.manager import AsyncKernelManager

    class ProjectKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if zmq.has("curve"):  # encrypt the kernel's local sockets when pyzmq can
                self.transport_encryption = "auto"

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            cmd: list[str] = super().format_kernel_cmd(extra_arguments)
            if cmd and Path(cmd[0]).name.startswith("python"):
                cmd[0] = sys.executable
            return cmd

    return ProjectKernelManager


def execute(
    notebook: Path,
    out_dir: Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    timeout: int | None = None,
) -> Execution:
    """Execute ``notebook`` into ``out_dir`` (same file name) with those of ``parameters``
    it declares, working in the notebook's folder as Jupyter does.

    Raises :class:`NotebookError` if a cell fails (the executed copy, with the traceback,
    is written all the same) and FileNotFoundError if the notebook does not exist.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise FileNotFoundError(f"no notebook at {notebook}")
    out_dir.mkdir(parents=True, exist_ok=True)
    output = (out_dir / notebook.name).resolve()
    declared = declared_parameters(notebook)
    given = {k: v for k, v in (parameters or {}).items() if k in declared}
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=given,
            kernel_name=KERNEL_NAME,
            cwd=str(notebook.parent),
            progress_bar=False,
            execution_timeout=timeout,
            kernel_manager_class=_kernel_manager_class(),
        )
    except PapermillExecutionError as exc:
        raise NotebookError(notebook, output, exc.exec_count, f"{exc.ename}: {exc.evalue}") from exc
    except RuntimeError as exc:  # the kernel died or did not start
        raise NotebookError(notebook, output, None, str(exc)) from exc
    return Execution(notebook, output, given, time.perf_counter() - start)


def run_all(
    notebooks: Sequence[Path],
    out_dir: Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    timeout: int | None = None,
    on_start: Callable[[Path], None] | None = None,
    on_done: Callable[[Execution | NotebookError], None] | None = None,
) -> tuple[list[Execution], list[NotebookError]]:
    """Execute each notebook (see :func:`execute`) in order; a failure does not stop the
    others. ``on_start(notebook)`` and ``on_done(execution or error)`` report progress.
    Returns the executions and the failures."""
    done: list[Execution] = []
    failed: list[NotebookError] = []
    for notebook in notebooks:
        if on_start is not None:
            on_start(notebook)
        result: Execution | NotebookError
        try:
            result = execute(notebook, out_dir, parameters, timeout=timeout)
            done.append(result)
        except NotebookError as exc:
            log.error("%s", exc)
            result = exc
            failed.append(exc)
        if on_done is not None:
            on_done(result)
    return done, failed


# ----------------------------------------------------------------------------- outputs in git


def _read(path: Path) -> nbformat.NotebookNode:
    import nbformat

    return nbformat.read(str(path), as_version=4)


def saved_outputs(notebook: Path) -> list[str]:
    """What should not be committed: each code cell with outputs or an execution count,
    and papermill's execution record. Empty: the notebook is clean."""
    nb = _read(notebook)
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {index} has {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {index} has execution count {cell.execution_count}")
    if "papermill" in nb.metadata:
        problems.append("papermill metadata (an executed copy)")
    return problems


def check(notebooks: Sequence[Path]) -> dict[Path, list[str]]:
    """:func:`saved_outputs` of every notebook that has any."""
    found = {path: saved_outputs(path) for path in notebooks}
    return {path: problems for path, problems in found.items() if problems}


def strip(notebook: Path) -> bool:
    """Remove outputs, execution counts and execution metadata in place; True if the file
    changed."""
    import nbformat

    nb = _read(notebook)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
    nb.metadata.pop("papermill", None)
    after = nbformat.writes(nb)
    if after != before:
        Path(notebook).write_text(after, encoding="utf-8")
    return after != before


# ----------------------------------------------------------------------------- sharing

TEMPLATES = Path(__file__).with_name("templates")


def render(executed: Sequence[Path], out_dir: Path, *, show_code: bool = False) -> list[Path]:
    """Standalone HTML (figures embedded) of each executed notebook in ``out_dir``; code
    cells hidden unless ``show_code``. Returns the files written."""
    from nbconvert import HTMLExporter

    out_dir.mkdir(parents=True, exist_ok=True)
    # the lab template minus its CDN scripts: leadership may open the pages offline
    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    written = []
    for path in executed:
        body, _ = exporter.from_notebook_node(
            _read(path), resources={"metadata": {"name": path.stem}}
        )
        target = out_dir / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


# ----------------------------------------------------------------------------- command line

app = typer.Typer(
    help="Analysts' notebooks: execute, render to HTML, check for committed outputs.",
    no_args_is_help=True,
    add_completion=False,
)


def _console() -> Any:
    from rich.console import Console

    return Console(soft_wrap=True)  # paths and commands stay whole in logs


def _parse_parameter(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name.isidentifier():
        raise typer.BadParameter(f"expected NAME=VALUE, got {text!r}")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw  # a plain string, e.g. a path or an agency name
    return name, value


def _selected(folder: Path, only: list[str] | None) -> list[Path]:
    notebooks = list_notebooks(folder)
    if only:
        notebooks = [p for p in notebooks if any(p.name.startswith(o) for o in only)]
    if not notebooks:
        raise typer.BadParameter(
            f"no numbered notebooks in {folder}" + (f" matching {only}" if only else "")
        )
    return notebooks


@app.command("run")
def run_cmd(
    data: Annotated[
        str | None,
        typer.Option(help="Data set: a folder or a database URL. Default: the demo world."),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Report folder; executed copies go to <out>/executed.")
    ] = REPORT_DIR,
    notebooks: Annotated[Path, typer.Option(help="Folder of the notebooks.")] = NOTEBOOK_DIR,
    only: Annotated[
        list[str] | None,
        typer.Option(help="Only notebooks whose name starts with this (repeatable)."),
    ] = None,
    mlflow_tracking_uri: Annotated[
        str | None,
        typer.Option(
            help="MLflow tracking URI. Default: MLFLOW_TRACKING_URI or the embedded store."
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="NAME=VALUE for notebooks that declare NAME (repeatable)."
        ),
    ] = None,
    timeout: Annotated[int | None, typer.Option(help="Seconds a cell may run.")] = None,
) -> None:
    """Execute every notebook with papermill (each failing cell fails its notebook)."""
    console = _console()
    selected = _selected(notebooks, only)
    parameters: dict[str, Any] = dict(_parse_parameter(p) for p in param or [])
    if data is not None:
        parameters["data"] = data if "://" in data else str(Path(data).resolve())
    if mlflow_tracking_uri is not None:
        parameters["mlflow_tracking_uri"] = mlflow_tracking_uri
    declared = set().union(*(declared_parameters(p) for p in selected))
    unused = sorted(set(parameters) - declared)
    if unused:
        console.print(f"[yellow]warning:[/] no notebook declares {', '.join(unused)}")
    executed_dir = out / EXECUTED_DIR
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
    )
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("notebooks", total=len(selected))

        def started(notebook: Path) -> None:
            progress.update(task, description=f"running {notebook.name}")

        def finished(result: Execution | NotebookError) -> None:
            progress.advance(task)
            if isinstance(result, Execution):
                name, seconds = result.notebook.name, result.seconds
                progress.console.print(f"[green]ok[/]     {name} ({seconds:.0f} s)")
            else:
                progress.console.print(f"[red]failed[/] {result}", highlight=False)

        _, failed = run_all(
            selected, executed_dir, parameters, timeout=timeout, on_start=started, on_done=finished
        )
        progress.update(task, description="done")
    console.print(f"executed notebooks: {executed_dir}")
    if failed:
        raise typer.Exit(1)


@app.command("render")
def render_cmd(
    out: Annotated[
        Path, typer.Option(help="Report folder: reads <out>/executed, writes HTML to <out>.")
    ] = REPORT_DIR,
    show_code: Annotated[bool, typer.Option(help="Keep the code cells in the HTML.")] = False,
) -> None:
    """Render every executed notebook to standalone HTML."""
    console = _console()
    executed = list_notebooks(out / EXECUTED_DIR)
    if not executed:
        console.print(
            f"[red]no executed notebooks in {out / EXECUTED_DIR}[/]: "
            "run `python -m recsys.notebooks run` first"
        )
        raise typer.Exit(1)
    for path in render(executed, out, show_code=show_code):
        console.print(f"wrote {path}")


@app.command("check")
def check_cmd(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Notebooks (default: every notebook in notebooks/).")
    ] = None,
) -> None:
    """Fail if a notebook is saved with outputs or execution counts."""
    console = _console()
    notebooks = paths or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    found = check(notebooks)
    for path, problems in found.items():
        console.print(f"[red]{path}[/]: {'; '.join(problems)}", highlight=False)
    if found:
        console.print("strip them with `python -m recsys.notebooks strip`")
        raise typer.Exit(1)
    console.print(f"{len(notebooks)} notebook(s) without outputs")


@app.command("strip")
def strip_cmd(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Notebooks (default: every notebook in notebooks/).")
    ] = None,
) -> None:
    """Remove outputs and execution counts, in place."""
    console = _console()
    for path in paths or sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        if strip(path):
            console.print(f"stripped {path}")


if __name__ == "__main__":
    app()
