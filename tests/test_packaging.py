"""The package's extras: the library, the API and the notebooks install apart (issue 11).

Walks the installed distributions' metadata from ``asn-recsys`` and one set of extras, the way
pip resolves them, and checks what the closure holds.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, distribution

import pytest
from packaging.requirements import Requirement

JUPYTER = {"jupyterlab", "ipykernel", "nbconvert", "papermill", "notebook", "jupyter-server"}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def closure(extras: set[str]) -> set[str]:
    """Names of every distribution ``pip install asn-recsys[extras]`` brings in (as installed
    here: the dev environment has them all)."""
    seen: set[tuple[str, frozenset[str]]] = set()
    names: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [("asn-recsys", frozenset(extras))]
    while todo:
        name, wanted = todo.pop()
        if (name, wanted) in seen:
            continue
        seen.add((name, wanted))
        names.add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:  # an optional dependency not installed here
            continue
        environments = [{"extra": e} for e in wanted] or [{"extra": ""}]
        for line in requires:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate(env) for env in environments):
                todo.append((_name(req.name), frozenset(req.extras)))
    return names


def test_the_api_does_not_install_jupyter() -> None:
    serve = closure({"serve"})
    assert {"fastapi", "uvicorn", "mlflow", "lightgbm"} <= serve
    assert not serve & JUPYTER, sorted(serve & JUPYTER)


def test_the_library_alone_does_not_install_jupyter() -> None:
    core = closure(set())
    assert {"pandas", "scikit-learn", "lightgbm", "mlflow", "typer"} <= core
    assert not core & JUPYTER


@pytest.mark.parametrize("extra", ["notebooks", "dev"])
def test_notebooks_and_dev_bring_jupyter(extra: str) -> None:
    assert {"jupyterlab", "papermill", "ipykernel"} <= closure({extra})
