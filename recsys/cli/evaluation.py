"""``recsys evaluate-program``: what a year's development did, as a workbook for the
agency's leadership (Kirkpatrick levels 1–4 per training and provider, dropout, unit
service) and an MLflow run.

Bad options end the command with one line naming them, before the data are loaded and
before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from recsys.cli.console import console, fail, progress
from recsys.cli.data import load_data
from recsys.cli.messages import t
from recsys.cli.options import ColumnsOption, DataOption, LangOption, resolve_lang
from recsys.evaluation.verdicts import MIN_EFFECT, MIN_PARTICIPANTS, VERDICTS, verdict_text
from recsys.settings import Language

if TYPE_CHECKING:
    from recsys.evaluation.kirkpatrick import ProgramEvaluation


def evaluate_program_cmd(
    data: DataOption,
    year: Annotated[
        int,
        typer.Option(
            "--year",
            help="Year the evaluated trainings started. Their SKP outcome is the first "
            "appraisal at least six months after each training.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Evaluation workbook to write (.xlsx).")
    ] = Path("evaluasi.xlsx"),
    mapping: ColumnsOption = None,
    training: Annotated[
        list[str] | None,
        typer.Option("--training", help="Report only this training (repeatable)."),
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Report only this provider's trainings.")
    ] = None,
    min_effect: Annotated[
        float,
        typer.Option(
            "--min-effect",
            help="Smallest effect on SKP (points) worth funding: a training whose whole "
            "interval lies below it does not work.",
        ),
    ] = MIN_EFFECT,
    min_participants: Annotated[
        int,
        typer.Option(
            "--min-participants",
            help="Fewest completers with an SKP outcome for a training's effect to be given.",
        ),
    ] = MIN_PARTICIPANTS,
    lang: LangOption = None,
) -> None:
    """Evaluate a year's development program: Kirkpatrick levels 1–4 per training and
    provider, dropout, and the effect on each unit's public service; write the workbook
    and log it to MLflow."""
    lang = resolve_lang(lang)
    from recsys.evaluation.evaluation_document import SUFFIXES, write_evaluation
    from recsys.evaluation.kirkpatrick import evaluate_program

    if out.suffix.lower() not in SUFFIXES:
        fail(t("evaluation.bad_out", lang, path=out), lang)
    if min_effect < 0:
        fail(t("evaluation.bad_option", lang, option="--min-effect", value=min_effect), lang)
    if min_participants < 2:
        fail(
            t("evaluation.bad_option", lang, option="--min-participants", value=min_participants),
            lang,
        )
    dataset = load_data(data, lang, mapping)
    try:
        with progress(t("evaluating", lang)) as update:
            update("", 0, 1)
            evaluation = evaluate_program(
                dataset,
                year,
                trainings=training,
                provider=provider,
                min_effect=min_effect,
                min_participants=min_participants,
            )
            update("", 1, 1)
    except ValueError as exc:
        fail(t("evaluation.failed", lang, reason=str(exc)), lang)
    write_evaluation(evaluation, out, lang)
    _print_summary(evaluation, lang)
    console.print(t("evaluation.written", lang, path=out))
    from recsys.cli.champions import quiet_mlflow
    from recsys.tracking.evaluations import EXPERIMENT, log_evaluation

    quiet_mlflow()
    run_id = log_evaluation(evaluation, out_path=out, data=data)
    console.print(t("plan.logged_evaluation", lang, run_id=run_id, experiment=EXPERIMENT))


def _print_summary(evaluation: ProgramEvaluation, lang: Language) -> None:
    counts = evaluation.trainings["verdict"].value_counts()
    table = Table(title=t("evaluation.title", lang, year=evaluation.year))
    table.add_column(t("evaluation.verdict", lang))
    table.add_column(t("evaluation.trainings", lang), justify="right")
    for verdict in VERDICTS:
        table.add_row(verdict_text(verdict, lang), str(int(counts.get(verdict, 0))))
    console.print(table)
    flagged = evaluation.flagged()
    if flagged:
        console.print(t("evaluation.flagged", lang, ids=", ".join(flagged)))
    if evaluation.units is None:
        console.print(t("evaluation.no_units", lang, reason=evaluation.unit_note))
