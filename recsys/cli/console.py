"""What the command line shows people: the two consoles, warnings, progress bars, and the
one-line failure that ends a command.

A user mistake (a missing folder, a bad option, data that breaks the contract) ends with
:func:`fail`: one line on stderr and exit code 1, never a Python traceback. Wrong usage
(an unknown option) is click's business and exits with 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from recsys.cli.messages import t
from recsys.settings import Language

#: Results, tables and warnings.
console = Console()
#: Errors and progress bars (so that results can be piped).
err_console = Console(stderr=True)

#: Exit code of a command whose data or request cannot be used (2, wrong usage, is click's).
EXIT_DATA_ERROR = 1

#: A progress callback: ``(stage, done, total)``.
ProgressUpdate = Callable[[str, int, int], None]


def fail(message: str, lang: Language) -> NoReturn:
    """End the command with ``message`` on one line and :data:`EXIT_DATA_ERROR`."""
    err_console.print(f"[bold red]{t('error', lang)}:[/] {message}", highlight=False)
    raise typer.Exit(EXIT_DATA_ERROR)


def warn(message: str, lang: Language) -> None:
    """A warning the command goes on after."""
    console.print(f"[yellow]{t('warning', lang)}:[/] {message}", highlight=False)


@contextmanager
def progress(description: str) -> Iterator[ProgressUpdate]:
    """A progress bar on stderr; yields a callback ``(stage, done, total)``. Work that fails
    takes its bar away: the error that follows is all the user sees."""
    with Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"{description} · {stage}")

        try:
            yield update
        except BaseException:
            bar.remove_task(task)
            raise
        bar.update(task, completed=bar.tasks[0].total, description=description)
