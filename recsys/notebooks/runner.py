"""Executing the analysts' notebooks: find the numbered ones, run them with papermill.

Kernels run on this interpreter (the project's environment), whichever ``python3``
kernelspec Jupyter would find first.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Folder of the notebooks, relative to the project folder.
NOTEBOOK_DIR = Path("notebooks")
#: Where ``make notebooks`` puts executed notebooks (``executed/``) and their HTML.
REPORT_DIR = Path("reports/notebooks")
EXECUTED_DIR = "executed"
KERNEL_NAME = "python3"
PARAMETERS_TAG = "parameters"
#: Seconds a kernel may take to start: generous, the machine may be busy.
START_TIMEOUT = 180
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


@dataclass(frozen=True)
class Execution:
    """One executed notebook: the source, the executed copy, the parameters it got and the
    wall time (seconds)."""

    notebook: Path
    output: Path
    parameters: dict[str, Any]
    seconds: float


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
    it declares, working in the notebook's folder as Jupyter does. ``timeout``: seconds a
    cell may run (None: no limit).

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
            start_timeout=START_TIMEOUT,
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
