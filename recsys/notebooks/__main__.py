"""``python -m recsys.notebooks``: execute the notebooks, render them, keep them clean.

- ``run``: execute every notebook with papermill into ``<out>/executed/``, with parameters
  (each notebook gets those it declares in its ``parameters`` cell); a failing cell fails it;
- ``render``: the executed notebooks as standalone HTML in ``<out>/`` (code hidden unless
  ``--show-code``);
- ``check``: fail if a notebook is saved with outputs or execution counts (git keeps sources);
- ``strip``: remove them.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Annotated, Any

import typer

from recsys.notebooks.hygiene import check, strip
from recsys.notebooks.render import render
from recsys.notebooks.runner import (
    EXECUTED_DIR,
    NOTEBOOK_DIR,
    REPORT_DIR,
    Execution,
    NotebookError,
    declared_parameters,
    list_notebooks,
    run_all,
)

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
