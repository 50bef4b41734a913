"""The ``recsys`` command: the Typer app, its global options and every command, each
registered from the module of its group.

- :mod:`.data`: ``simulate``, ``validate``, ``contract``
- :mod:`.training`: ``train``, ``evaluate``
- :mod:`.recommend`: ``recommend trainings``, ``recommend mentors``
- :mod:`.matching`: ``match-mentors``
- :mod:`.plan`: ``plan``
- :mod:`.evaluation`: ``evaluate-program``
- :mod:`.export`: ``export``
- :mod:`.score`: ``score``
- :mod:`.demo`: ``demo``
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from recsys import __version__
from recsys.cli import (
    data,
    demo,
    evaluation,
    export,
    matching,
    plan,
    recommend,
    score,
    training,
)
from recsys.cli.console import console

app = typer.Typer(
    name="recsys",
    help="ASN Recsys: competency-development recommendations for civil servants (ASN).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback(invoke_without_command=True)
def main_callback(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
) -> None:
    """ASN Recsys command line."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if version:
        console.print(f"asn-recsys {__version__}")
        raise typer.Exit()


app.command("simulate")(data.simulate_cmd)
app.command("validate")(data.validate_cmd)
app.command("train")(training.train_cmd)
app.command("evaluate")(training.evaluate_cmd)
app.command("match-mentors")(matching.match_mentors_cmd)
app.command("plan")(plan.plan_cmd)
app.command("evaluate-program")(evaluation.evaluate_program_cmd)
app.command("export")(export.export_cmd)
app.command("score")(score.score_cmd)
app.command("contract")(data.contract_cmd)
app.command("demo")(demo.demo_cmd)
app.add_typer(recommend.app, name="recommend")


def main() -> None:
    """Console-script entry point (``recsys``; ``python -m recsys`` runs it too)."""
    app()
