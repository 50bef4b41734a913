"""The data commands: ``simulate`` (a demo world), ``validate`` (a data set against the
contract) and ``contract`` (the contract as Markdown); and loading a data set for any
command."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from recsys.cli.console import console, fail, progress, warn
from recsys.cli.messages import t, t_or
from recsys.cli.options import ColumnsOption, DataOption, LangOption, resolve_lang
from recsys.data import DataContractError, Dataset, LoadReport, load_dataset
from recsys.data.contract_doc import render_markdown
from recsys.data.mapping import MappingError
from recsys.data.messages import detected_text, error_text, notable, reason_text, warning_text
from recsys.numbers import number
from recsys.settings import Language, get_settings
from recsys.simulation import SimulationError, simulate
from recsys.simulation.mechanism import MECHANISMS, RANDOM, mechanism_names
from recsys.simulation.world import FORMATS, TRUTH_DIR, check_request

#: What the loader recognised (separator, date formats...): at most this many lines on
#: screen; report.txt has them all.
MAX_NOTES_SHOWN = 8
#: The guide ``validate --fix-report`` writes in the report folder.
FIX_GUIDE_FILE = "panduan-perbaikan.md"


def simulate_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the demo world to.")],
    employees: Annotated[
        int, typer.Option("--employees", "-n", help="Number of employees (100 to 5,000,000).")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same world.")] = 42,
    fmt: Annotated[
        str, typer.Option("--format", help=f"File format: {' or '.join(FORMATS)}.")
    ] = "csv",
    force: Annotated[
        bool, typer.Option("--force", help="Replace the folder if it is not empty.")
    ] = False,
    mechanism: Annotated[
        str,
        typer.Option(
            "--mechanism",
            help="How the world works: "
            f"{', '.join(MECHANISMS)}; or '{RANDOM}' (every dimension drawn from the seed). "
            "The truth records it in _truth/params.json.",
        ),
    ] = "demo",
    lang: LangOption = None,
) -> None:
    """Write a realistic demo world: every table of the data contract, plus ground truth.

    --mechanism builds a differently working world (gain shape, training quality spread,
    modality fit, assessment staleness, who is sent to which training, outcome noise, catalog
    size, mentoring), so that models can be judged on a family of worlds.
    """
    write_world(out, employees, seed, fmt, force, resolve_lang(lang), mechanism=mechanism)


def write_world(
    out: Path,
    employees: int,
    seed: int,
    fmt: str,
    force: bool,
    lang: Language,
    *,
    mechanism: str = "demo",
) -> None:
    """Simulate a demo world into ``out`` (by the named ``mechanism``) and print its tables'
    sizes."""
    if mechanism not in mechanism_names():
        fail(
            t("simulate.bad_mechanism", lang, name=mechanism, valid=", ".join(mechanism_names())),
            lang,
        )
    try:
        # checked before the progress bar starts: a bad request shows only its error
        check_request(out, employees=employees, seed=seed, fmt=fmt, overwrite=force)
        with progress(t("simulating", lang)) as update:
            summary = simulate(
                out,
                employees=employees,
                seed=seed,
                fmt=fmt,
                overwrite=force,
                on_progress=lambda stage, d, n: update(t(f"stage.{stage}", lang), d, n),
                mechanism=mechanism,
            )
    except SimulationError as exc:
        fail(t_or(f"simulate.error.{exc.code}", lang, str(exc), **exc.values), lang)
    except OSError as exc:
        fail(str(exc), lang)
    table = Table(title=None, show_edge=False)
    table.add_column(t("col.table", lang))
    table.add_column(t("col.rows", lang), justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, number(rows, lang))
    console.print(table)
    console.print(
        t("simulated", lang, employees=employees, out=summary.out, seconds=summary.seconds)
    )
    if summary.mechanism != "demo":
        console.print(t("simulate.mechanism", lang, name=summary.mechanism))
    console.print(t("truth_note", lang, path=summary.out / TRUTH_DIR))


def validate_cmd(
    data: DataOption,
    mapping: ColumnsOption = None,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report-dir", help="Where to write the report and quarantine files."),
    ] = None,
    fix_report: Annotated[
        bool,
        typer.Option(
            "--fix-report",
            help=f"Also write {FIX_GUIDE_FILE} in the report folder: a short guide for the "
            "HR data team on what to correct in their export, table by table.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """Load a data set, check every row against the data contract, and report.

    Bad rows go, whole and with their reason, to quarantine files beside the report; every
    valid row is kept. Exits non-zero only when the data set cannot be loaded at all (with
    --fix-report, the guide then says what stopped it).
    """
    lang = resolve_lang(lang)
    target = report_dir or default_report_dir(data)

    def guide_the_failure(exc: Exception) -> None:
        written = _write_guide(target, None, exc, lang)
        console.print(t("fix_report.written", lang, path=written))

    dataset = load_data(data, lang, mapping, on_failure=guide_the_failure if fix_report else None)
    try:
        dataset.report.write(target, lang=lang)
        guide = _write_guide(target, dataset.report, None, lang) if fix_report else None
    except OSError as exc:
        fail(f"{target}: {exc}", lang)
    if as_json:
        console.print_json(json.dumps(dataset.report.to_dict()))
        return
    print_report(dataset.report, lang)
    console.print(t("report.written", lang, path=target))
    if guide is not None:
        console.print(t("fix_report.written", lang, path=guide))


def _write_guide(
    target: Path, report: LoadReport | None, error: Exception | None, lang: Language
) -> Path:
    from recsys.data.fix_guide import write_fix_guide

    target.mkdir(parents=True, exist_ok=True)
    return write_fix_guide(target / FIX_GUIDE_FILE, report, error, lang)


def contract_cmd(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the Markdown here instead of printing.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Print the data contract: the tables an agency loads, their columns and rules."""
    text = render_markdown()
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console.print(t("contract.written", resolve_lang(lang), path=out))


def load_data(
    data: str,
    lang: Language,
    columns: str | None = None,
    on_failure: Callable[[Exception], None] | None = None,
) -> Dataset:
    """The data set at ``data`` (a folder, a workbook or a database URL), loaded and
    checked with a progress bar, through the column mapping ``columns`` (default: the
    settings'); one that cannot be loaded ends the command, after ``on_failure(error)``."""
    try:
        with progress(t("loading", lang)) as update:
            return load_dataset(
                data, on_progress=lambda name, i, n: update(name, i, n), columns=columns
            )
    except (DataContractError, MappingError) as exc:
        if on_failure is not None:
            on_failure(exc)
        fail(error_text(str(exc), lang), lang)


def default_report_dir(data: str) -> Path:
    """``reports/load/<name of the data set>``: a folder's name or a database's name."""
    name = re.split(r"[/\\]", data.rstrip("/\\"))[-1] or "data"
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.split("?")[0]) or "data"
    return get_settings().reports_dir / "load" / name


def print_report(report: LoadReport, lang: Language) -> None:
    """Per table: rows read, loaded and quarantined, with the main reasons."""
    table = Table(title=t("report.title", lang, source=report.source), show_edge=False)
    table.add_column(t("col.table", lang))
    table.add_column(t("col.read", lang), justify="right")
    table.add_column(t("col.loaded", lang), justify="right")
    table.add_column(t("col.quarantined", lang), justify="right")
    table.add_column(t("col.reasons", lang))
    for entry in report.tables:
        reasons = sorted(entry.reasons.items(), key=lambda kv: -kv[1])
        table.add_row(
            entry.name,
            number(entry.read, lang),
            number(entry.loaded, lang),
            f"[yellow]{number(entry.quarantined, lang)}[/]" if entry.quarantined else "0",
            "\n".join(
                f"{reason_text(reason, lang)} ({number(count, lang)})" for reason, count in reasons
            ),
        )
    console.print(table)
    notes = [item for entry in report.tables for item in entry.detected if notable(item)]
    for item in notes[:MAX_NOTES_SHOWN]:
        console.print(f"[cyan]•[/] {detected_text(item, lang)}")
    if len(notes) > MAX_NOTES_SHOWN:
        console.print(t("report.more_detected", lang, count=len(notes) - MAX_NOTES_SHOWN))
    for warning in report.warnings:
        warn(warning_text(warning, lang), lang)
    if report.quarantined:
        console.print(t("report.some_quarantined", lang, count=report.quarantined))
    else:
        console.print(t("report.clean", lang))
