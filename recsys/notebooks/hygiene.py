"""Notebooks in git keep their sources only: no outputs, execution counts or execution
records (the executed copies go to ``reports/``, which git ignores)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat


def read(path: Path) -> nbformat.NotebookNode:
    """A notebook file, as nbformat version 4."""
    import nbformat

    return nbformat.read(str(path), as_version=4)


def saved_outputs(notebook: Path) -> list[str]:
    """What should not be committed: each code cell with outputs or an execution count,
    and papermill's execution record. Empty: the notebook is clean."""
    nb = read(notebook)
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

    nb = read(notebook)
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
