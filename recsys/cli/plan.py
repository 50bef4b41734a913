"""``recsys plan``: the agency's yearly development program (rencana pengembangan
kompetensi) within its budget, written as the plan document and logged to MLflow.

Everything the user typed or gave in a file is checked before the work starts; a bad value
ends the command with one line naming the option (and the unit, training or row), and no
file is written."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import pandas as pd
import typer
from rich.table import Table

from recsys.cli.champions import training_champion
from recsys.cli.console import console, fail, progress
from recsys.cli.data import load_data
from recsys.cli.messages import t, t_or
from recsys.cli.options import ColumnsOption, DataOption, LangOption, resolve_lang
from recsys.data import cohorts
from recsys.numbers import number
from recsys.planning.plan_document import PLAN_SUFFIXES
from recsys.planning.program import (
    SHORTFALL_REASONS,
    PlanInputError,
    PlanLimits,
    baseline_groups,
)
from recsys.settings import Language

if TYPE_CHECKING:
    from recsys.planning.agency_program import AgencyProgram

#: The option that sets each field of :class:`PlanLimits` (and of the planner's other input).
FIELD_OPTIONS = {
    "budget_idr": "--budget",
    "unit_budgets": "--unit-budgets",
    "seats": "--seats",
    "max_jp_per_person": "--max-jp",
    "classroom_share": "--classroom-share",
    "remote_budget_share": "--remote-share",
    "agency": "--agency",
    "year": "--year",
    "mandatory": "--mandatory",
    "excluded": "--exclude",
}
#: Columns of the ``--unit-budgets`` file: each name, then the Indonesian one it may have.
UNIT_BUDGET_COLUMNS = {"unit": ("unit", "unit_kerja"), "budget_idr": ("budget_idr", "anggaran")}
#: Columns of the ``--seats`` file.
SEAT_COLUMNS = {"training_id": ("training_id", "id_pelatihan"), "seats": ("seats", "kursi")}
#: Columns of the ``--mandatory`` file.
MANDATORY_COLUMNS = {"nip": ("nip",), "training_id": ("training_id", "id_pelatihan")}
#: File types of ``--unit-budgets``, ``--seats`` and ``--mandatory``.
TABLE_SUFFIXES = (".csv", ".xlsx")
#: The stages :func:`~recsys.planning.agency_program.plan_program` reports, in order.
STAGES = ("forecasts", "plan", "baselines", "curve", "service")

#: An amount with Indonesian thousands separators (``1.500.000.000``, ``1.500.000,50``).
_GROUPED = re.compile(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
#: An amount without separators (``1500000000``, ``1500000,5`` or ``1500000.5``).
_PLAIN = re.compile(r"-?\d+(?:[.,]\d+)?")


def plan_cmd(
    data: DataOption,
    budget: Annotated[
        str,
        typer.Option(
            "--budget",
            help="Total budget in IDR (rupiah): digits, or with Indonesian thousands "
            "separators, e.g. 1500000000 or 1.500.000.000.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Plan document: .xlsx (every sheet) or .csv (items).")
    ],
    mapping: ColumnsOption = None,
    agency: Annotated[
        str | None, typer.Option("--agency", help="Only this agency (instansi), by name.")
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Plan year (default: the year after the last appraisal)."),
    ] = None,
    unit_budgets: Annotated[
        Path | None,
        typer.Option(
            "--unit-budgets",
            help="CSV or XLSX with columns unit,budget_idr (or unit_kerja,anggaran): a budget "
            "per unit kerja, IDR. A CSV may use ';' and amounts like 1.500.000.",
        ),
    ] = None,
    seats: Annotated[
        Path | None,
        typer.Option(
            "--seats",
            help="CSV or XLSX with columns training_id,seats: seats per training, replacing "
            "the catalog's capacity.",
        ),
    ] = None,
    mandatory: Annotated[
        Path | None,
        typer.Option(
            "--mandatory",
            help="CSV or XLSX with columns nip,training_id (or nip,id_pelatihan): trainings "
            "every plan must fund (e.g. Latsar for new CPNS).",
        ),
    ] = None,
    exclude: Annotated[
        str | None,
        typer.Option(
            "--exclude",
            help="Trainings no plan may offer: a program evaluation workbook (its "
            "'Tinjau Ulang' sheet, from `recsys evaluate-program`) or training ids "
            "separated by commas. Mandatory trainings stay.",
        ),
    ] = None,
    max_jp: Annotated[
        float, typer.Option("--max-jp", help="Most JP planned for one person in the year.")
    ] = 120.0,
    classroom_share: Annotated[
        float,
        typer.Option(
            "--classroom-share",
            help="Most of a unit's staff away in classroom training at once (0–1).",
        ),
    ] = 0.25,
    remote_share: Annotated[
        float,
        typer.Option(
            "--remote-share",
            help="Least share of the spending for remote-area (3T) staff (0–1).",
        ),
    ] = 0.0,
    no_curve: Annotated[
        bool,
        typer.Option("--no-curve", help="Skip the budget curve (what other budgets would buy)."),
    ] = False,
    lang: LangOption = None,
) -> None:
    """Plan the agency's yearly development program: which trainings to fund for whom
    within the budget, seats and the 20-JP rule; write the plan document and log it to
    MLflow."""
    lang = resolve_lang(lang)
    if out.suffix.lower() not in PLAN_SUFFIXES:
        fail(t("plan.bad_out", lang, path=out, suffixes=", ".join(PLAN_SUFFIXES)), lang)
    limits = PlanLimits(
        budget_idr=_amount(budget, "--budget", lang),
        unit_budgets=read_unit_budgets(unit_budgets, lang) if unit_budgets else None,
        seats=read_seats(seats, lang) if seats else None,
        max_jp_per_person=max_jp,
        classroom_share=classroom_share,
        remote_budget_share=remote_share,
    )
    required = read_mandatory(mandatory, lang) if mandatory else None
    excluded = read_excluded(exclude, lang) if exclude else []
    # the limits that need no data are checked before the data are loaded
    _check(lambda: replace(limits, unit_budgets=None, seats=None).check(set(), set()), lang)
    dataset = load_data(data, lang, mapping)
    from recsys.planning.agency_program import plan_document, plan_program
    from recsys.planning.plan_document import write_plan
    from recsys.planning.program_inputs import plan_year

    try:
        cohorts.check_agency(dataset, agency)
    except cohorts.UnknownAgencyError as exc:
        fail(t("match.no_agency", lang, agency=agency, known="; ".join(exc.known)), lang)
    _check(lambda: plan_year(dataset, year), lang)
    champion = training_champion(lang)
    stages = [s for s in STAGES if not (no_curve and s == "curve")]
    try:
        with progress(t("planning", lang)) as update:

            def step(stage: str) -> None:
                done = stages.index(stage) if stage in stages else 0
                update(_stage(stage, lang), done, len(stages))

            program = plan_program(
                dataset,
                champion,
                limits,
                agency=agency,
                year=year,
                curve=not no_curve,
                required=required,
                excluded=excluded,
                on_progress=step,
            )
    except PlanInputError as exc:
        _fail_input(exc, lang)
    write_plan(plan_document(program, dataset), out, lang)
    print_summary(program, lang)
    console.print(t("plan.written", lang, path=out))
    from recsys.cli.champions import quiet_mlflow
    from recsys.tracking.plans import EXPERIMENT, log_plan

    quiet_mlflow()
    run_id = log_plan(program, out_path=out, data=data)
    console.print(t("plan.logged", lang, run_id=run_id, experiment=EXPERIMENT))


def read_excluded(value: str, lang: Language) -> list[str]:
    """``--exclude``: the flagged trainings of an evaluation workbook, or ids separated by
    commas; an unreadable workbook ends the command naming the option."""
    from recsys.evaluation.evaluation_document import read_flagged

    if value.lower().endswith(".xlsx"):
        try:
            return read_flagged(value)
        except ValueError as exc:
            _fail_input(PlanInputError("excluded", str(exc)), lang)
    return [part.strip() for part in value.split(",") if part.strip()]


def _check(check: Callable[[], object], lang: Language) -> None:
    """Run ``check``; a :class:`PlanInputError` ends the command."""
    try:
        check()
    except PlanInputError as exc:
        _fail_input(exc, lang)


def _fail_input(exc: PlanInputError, lang: Language) -> NoReturn:
    """End the command naming the option of the bad field (the library's reason after it)."""
    option = FIELD_OPTIONS.get(exc.field, exc.field)
    detail = t_or(f"plan.error.{exc.code}", lang, str(exc), **exc.values)
    fail(t("plan.bad_input", lang, option=option, detail=detail), lang)


def _stage(stage: str, lang: Language) -> str:
    """A planner stage's name in ``lang`` (its own name if it has no message)."""
    try:
        return t(f"plan.stage.{stage}", lang)
    except KeyError:
        return stage


# ----------------------------------------------------------------------------- input


def parse_idr(text: str) -> float:
    """An amount of rupiah as typed: digits (``1500000000``), with Indonesian thousands
    separators (``1.500.000.000``, decimals after a comma), optionally after ``Rp``/``IDR``.
    Anything else (``nan``, ``1,500,000``, words) is a :class:`ValueError`."""
    cleaned = re.sub(r"^(rp\.?|idr)", "", text.strip().lower()).strip().replace(" ", "")
    if _GROUPED.fullmatch(cleaned):
        return float(cleaned.replace(".", "").replace(",", "."))
    if _PLAIN.fullmatch(cleaned):
        return float(cleaned.replace(",", "."))
    raise ValueError(f"not an amount of rupiah: {text!r}")


def _amount(text: str, option: str, lang: Language) -> float:
    try:
        return parse_idr(text)
    except ValueError:
        fail(t("plan.bad_amount", lang, option=option, value=text), lang)


def read_unit_budgets(path: Path, lang: Language) -> dict[str, float]:
    """Budget per unit kerja (IDR) from ``path`` (:data:`UNIT_BUDGET_COLUMNS`); a bad file,
    amount or repeated unit ends the command naming it."""
    return _read_amounts(path, UNIT_BUDGET_COLUMNS, "--unit-budgets", lang, lambda v: True)


def read_seats(path: Path, lang: Language) -> dict[str, int]:
    """Seats per training id from ``path`` (:data:`SEAT_COLUMNS`); a bad file, a number of
    seats that is not a whole number ≥ 0 or a repeated training ends the command naming it."""
    seats = _read_amounts(path, SEAT_COLUMNS, "--seats", lang, lambda v: v >= 0 and v == int(v))
    return {training: int(value) for training, value in seats.items()}


def _read_amounts(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    option: str,
    lang: Language,
    valid: Callable[[float], bool],
) -> dict[str, float]:
    """A number per key from a two-column file (key, number): blank rows skipped; a row
    without its key, with a number that is not one or not ``valid``, or a repeated key ends
    the command naming the row."""
    frame = _read_table(path, columns, option, lang)
    key_column, value_column = columns
    amounts: dict[str, float] = {}
    for row, (key, cell) in enumerate(zip(frame[key_column], frame[value_column], strict=True)):
        key = "" if pd.isna(key) else str(key).strip()
        if not key and _blank(cell):
            continue
        value = _cell_number(cell)
        if not key or value is None or not valid(value):
            fail(
                t(
                    "plan.bad_row",
                    lang,
                    path=path,
                    row=row + 2,
                    option=option,
                    value=f"{key!r}: {cell!r}",
                ),
                lang,
            )
        if key in amounts:
            fail(t("plan.repeated", lang, path=path, name=key), lang)
        amounts[key] = value
    return amounts


def read_mandatory(path: Path, lang: Language) -> pd.DataFrame:
    """Mandatory (nip, training_id) pairs from ``path`` (:data:`MANDATORY_COLUMNS`); a row
    with an empty cell ends the command naming it."""
    frame = _read_table(path, MANDATORY_COLUMNS, "--mandatory", lang)
    cells = frame.astype("string").apply(lambda column: column.str.strip()).fillna("")
    empty = cells == ""
    for row in range(len(cells)):
        if empty.iloc[row].any() and not empty.iloc[row].all():
            value = ", ".join(cells.iloc[row].tolist())
            fail(
                t("plan.bad_row", lang, path=path, row=row + 2, option="--mandatory", value=value),
                lang,
            )
    return cells[~empty.all(axis=1)].astype(str).reset_index(drop=True)


def _read_table(
    path: Path, columns: Mapping[str, Sequence[str]], option: str, lang: Language
) -> pd.DataFrame:
    """The table at ``path`` (CSV separated by ``,`` or ``;``, or XLSX) as text and numbers,
    its columns renamed to ``columns``' keys (from any of their names, any case)."""
    wanted = " + ".join("/".join(names) for names in columns.values())
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        fail(t("plan.bad_table", lang, option=option, path=path, columns=wanted), lang)
    try:
        if suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=object, engine="openpyxl")
        else:
            text = path.read_text(encoding="utf-8-sig")
            header = text.partition("\n")[0]
            sep = ";" if header.count(";") > header.count(",") else ","
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, skipinitialspace=True)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError):
        fail(t("plan.bad_table", lang, option=option, path=path, columns=wanted), lang)
    names = {str(c).strip().lower(): c for c in frame.columns}
    renamed: dict[object, str] = {}
    for key, aliases in columns.items():
        found = next((names[a] for a in aliases if a in names), None)
        if found is None:
            fail(t("plan.bad_table", lang, option=option, path=path, columns=wanted), lang)
        renamed[found] = key
    return frame[list(renamed)].rename(columns=renamed)


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()
    )


def _cell_number(value: object) -> float | None:
    """A cell's number: a spreadsheet's number as it is, text by :func:`parse_idr`; None if
    it is empty or not a number."""
    if isinstance(value, str):
        try:
            return parse_idr(value)
        except ValueError:
            return None
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# ----------------------------------------------------------------------------- output


def print_summary(program: AgencyProgram, lang: Language) -> None:
    """The plan's figures for people: staff, cost against the budget, forecast gain with
    its interval, the 20-JP rule, the gap to the bound, what the forecasts were made from,
    the method and the baselines."""
    s = program.summary()
    scope = program.agency or t("plan.all_agencies", lang)
    table = Table(
        title=t("plan.title", lang, agency=scope, year=program.year),
        show_header=False,
        show_edge=False,
    )
    table.add_column(justify="left", style="bold")
    table.add_column(justify="right")
    budget = float(s["budget_idr"])
    cost = float(s["cost_idr"])
    table.add_row(t("plan.row.staff", lang), _number(float(s["people"]), lang))
    table.add_row(
        t("plan.row.cost", lang),
        t(
            "plan.cost",
            lang,
            cost=_idr(cost, lang),
            budget=_idr(budget, lang),
            share=_percent(cost / budget if budget else 0.0, lang),
        ),
    )
    table.add_row(
        t("plan.row.gain", lang),
        t(
            "plan.gain",
            lang,
            gain=_number(float(s["total_gain"]), lang, 1),
            lower=_number(float(s["gain_lower"]), lang, 1),
            upper=_number(float(s["gain_upper"]), lang, 1),
        ),
    )
    table.add_row(t("plan.row.at_minimum", lang), _percent(float(s["share_at_minimum"]), lang))
    table.add_row(t("plan.row.below", lang), _below(program, lang))
    gap = float(s["gap"])
    table.add_row(
        t("plan.row.gap", lang),
        _percent(gap, lang, 2) if math.isfinite(gap) else t("plan.no_bound", lang),
    )
    table.add_row(t("plan.row.values", lang), _values(program.rule_weight, lang))
    table.add_row(
        t("plan.row.method", lang),
        t("plan.method", lang, method=s["method"], seconds=_number(float(s["seconds"]), lang, 1)),
    )
    for names, baseline in baseline_groups(program.baselines):
        table.add_row(_baseline_label(names, lang), _number(baseline.total_gain, lang, 1))
    console.print(table)


def _baseline_label(names: tuple[str, ...], lang: Language) -> str:
    """A baseline's row: one plan under both names (greedy per rupiah on the gap rule's own
    forecasts) is one row that says so."""
    if names == ("greedy", "gap_rule"):
        return t("plan.row.greedy_is_gap_rule", lang)
    known = ("greedy", "gap_rule")
    return " = ".join(t(f"plan.row.{n}", lang) if n in known else n for n in names)


def _values(rule_weight: float, lang: Language) -> str:
    """What the plan's forecasts were made from: the gap rule, the champion, or a mixture."""
    if rule_weight >= 1.0:
        return t("plan.values.rule", lang)
    if rule_weight <= 0.0:
        return t("plan.values.champion", lang)
    return t("plan.values.mixed", lang, share=_percent(rule_weight, lang))


def _below(program: AgencyProgram, lang: Language) -> str:
    """Staff still below the JP minimum, with how many for each reason."""
    people = program.plan.people
    below = people[people["shortfall"] > 1e-9]
    if below.empty:
        return "0"
    counts = below["reason"].value_counts()
    reasons = "; ".join(
        f"{t(f'plan.reason.{code}', lang) if code in SHORTFALL_REASONS else code}: "
        f"{_number(float(n), lang)}"
        for code, n in counts.items()
    )
    return f"{_number(float(len(below)), lang)} ({reasons})"


def _number(value: float, lang: Language, decimals: int = 0) -> str:
    """``value`` with thousands separators: ``1.500.000,5`` in Indonesian, ``1,500,000.5``
    in English."""
    return number(value, lang, f",.{decimals}f")


def _idr(value: float, lang: Language) -> str:
    return f"Rp {_number(value, lang)}" if lang == "id" else f"IDR {_number(value, lang)}"


def _percent(share: float, lang: Language, decimals: int = 1) -> str:
    return f"{_number(100 * share, lang, decimals)}%"
