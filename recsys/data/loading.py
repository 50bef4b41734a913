"""Load a data set: read each contract table, check its rows, keep the valid ones typed.

    ds = load_dataset("data/raw")            # or "sqlite:///data/asn.db"
    ds.employees                              # typed frame of the valid rows
    ds.report.write("reports/load")           # counts, reasons, quarantined rows

Tables load in :data:`~recsys.data.contract.TABLES` order, each after the tables it
refers to, so references are checked against rows that were actually loaded. Each is
first read the way HR wrote it (:mod:`recsys.data.formats`: their headers through a column
mapping, day-first dates, decimal commas). A table where most rows break the same rule
has a format problem, not bad rows: it is refused with the rule and an example.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from recsys.data.contract import COMPETENCY_STANDARDS, EMPLOYEES, TABLES, Table
from recsys.data.formats import normalize
from recsys.data.mapping import ColumnMapping, load_mapping
from recsys.data.report import LoadReport, TableReport
from recsys.data.sources import DataContractError, RawTable, Source, open_source
from recsys.data.validation import (
    KnownValues,
    TableResult,
    check_columns,
    empty_frame,
    validate_table,
)

logger = logging.getLogger(__name__)

#: ``on_progress(table_name, index, total)``, called as each table starts; index is 0-based.
ProgressCallback = Callable[[str, int, int], None]

_MAX_LISTED = 5
#: A rule broken by more than this share of a table's rows is a format problem: the
#: table is refused (with at least :data:`FORMAT_MIN_ROWS` rows read).
FORMAT_SHARE = 0.5
FORMAT_MIN_ROWS = 5
#: How a reference's reason says the row it refers to was quarantined in its own table.
_CASCADE = "(quarantined in "


@dataclass(frozen=True)
class Dataset:
    """A loaded data set: one typed frame per contract table, and the load report.

    Every frame has exactly the contract's columns, in contract order and dtypes, with a
    fresh RangeIndex; optional tables that were absent are empty frames.
    """

    tables: Mapping[str, pd.DataFrame]
    report: LoadReport
    source: str
    #: When this data set is a part of a larger one (an agency scored on its own), the
    #: larger one's summaries that features of a person read from everybody (see
    #: :mod:`recsys.features.population`); empty for a whole data set.
    context: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def competencies(self) -> pd.DataFrame:
        return self.tables["competencies"]

    @property
    def employees(self) -> pd.DataFrame:
        return self.tables["employees"]

    @property
    def competency_standards(self) -> pd.DataFrame:
        return self.tables["competency_standards"]

    @property
    def assessments(self) -> pd.DataFrame:
        return self.tables["assessments"]

    @property
    def performance(self) -> pd.DataFrame:
        return self.tables["performance"]

    @property
    def trainings(self) -> pd.DataFrame:
        return self.tables["trainings"]

    @property
    def training_competencies(self) -> pd.DataFrame:
        return self.tables["training_competencies"]

    @property
    def enrollments(self) -> pd.DataFrame:
        return self.tables["enrollments"]

    @property
    def mentorships(self) -> pd.DataFrame:
        return self.tables["mentorships"]

    @property
    def service_metrics(self) -> pd.DataFrame:
        return self.tables["service_metrics"]


def load_dataset(
    source: str | Path,
    on_progress: ProgressCallback | None = None,
    *,
    columns: str | Path | ColumnMapping | None = None,
) -> Dataset:
    """Load and validate a data set from a folder (CSV, Parquet or Excel files), an Excel
    workbook with a sheet per table, or a SQLAlchemy URL (anything with ``://``).

    ``columns``: the agency's column mapping (:func:`~recsys.data.mapping.load_mapping`:
    a YAML file, a shipped mapping's name, or a loaded mapping); default: the settings'
    ``columns`` (``RECSYS_COLUMNS``), if any.

    Bad rows are quarantined (see :attr:`Dataset.report`), never raised. Raises
    :class:`~recsys.data.sources.DataContractError` if the source does not exist, a
    required table or column is missing, a file cannot be parsed, a folder holds one
    table in two formats, a NIP column was destroyed by Excel, or most of a table's rows
    break the same rule; :class:`~recsys.data.mapping.MappingError` for a mapping that
    cannot be used. Nothing is written either way.
    """
    if not isinstance(columns, ColumnMapping):
        if columns is None:
            from recsys.settings import get_settings

            columns = get_settings().columns
        columns = load_mapping(columns)
    src = open_source(source)
    try:
        return _load(src, on_progress, columns)
    finally:
        src.close()


def _load(src: Source, on_progress: ProgressCallback | None, mapping: ColumnMapping) -> Dataset:
    # Fail on a missing or ambiguous table before spending time on the others.
    locations = {t.name: src.locate(t.name) for t in TABLES}
    for t in TABLES:
        if locations[t.name] is None and not t.optional:
            raise src.missing(t.name)

    report = LoadReport(source=src.description)
    frames: dict[str, pd.DataFrame] = {}
    known: dict[tuple[str, str], KnownValues] = {}
    total = len(TABLES)
    for index, table in enumerate(TABLES):
        if on_progress is not None:
            on_progress(table.name, index, total)
        if locations[table.name] is None:
            frames[table.name] = empty_frame(table)
            report.tables.append(TableReport(table.name, "", 0, 0, 0))
            report.warnings.append(
                f"optional table '{table.name}' not found in {src.description}; loaded as empty"
            )
            continue
        read = normalize(table, src.read(table.name), mapping)
        raw = read.raw
        report.warnings += check_columns(table, raw)
        result = validate_table(table, raw, known, read.dates)
        _refuse_format_problem(table, raw, result)
        known.update(result.known)
        frames[table.name] = result.frame
        report.tables.append(
            TableReport(
                name=table.name,
                source=raw.source,
                read=result.read,
                loaded=result.loaded,
                quarantined=result.quarantined,
                reasons=result.reasons,
                quarantine=result.quarantine,
                detected=read.detected,
            )
        )
        logger.info(
            "%s: read %d, loaded %d, quarantined %d",
            table.name,
            result.read,
            result.loaded,
            result.quarantined,
        )
        if result.loaded == 0 and not table.optional:
            report.warnings.append(f"{table.name}: no valid rows were loaded")
    report.warnings += _coverage_warnings(frames)
    return Dataset(tables=frames, report=report, source=src.description)


def _refuse_format_problem(table: Table, raw: RawTable, result: TableResult) -> None:
    """Raise if more than :data:`FORMAT_SHARE` of the rows break one rule: the file's
    format is wrong (a column in another format, another language, damaged by Excel).

    References to rows quarantined in another table do not count: that table is where
    the problem is, and its own report says so."""
    limit = FORMAT_SHARE * result.read
    # leaving out cascades only lowers the counts: most loads are decided here
    if result.read < FORMAT_MIN_ROWS or max(result.reasons.values(), default=0) <= limit:
        return
    quarantine = result.quarantine
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    for row, reason in zip(quarantine["source_row"], quarantine["reason"], strict=True):
        for message in str(reason).split("; "):
            if _CASCADE in message:
                continue
            rule = next((k for k in result.reasons if _is_instance(message, k)), None)
            if rule is None:
                continue
            counts[rule] = counts.get(rule, 0) + 1
            examples.setdefault(rule, f"row {row}: {message}")
    if not counts:
        return
    rule, count = max(counts.items(), key=lambda kv: kv[1])
    if count <= limit:
        return
    column = rule.split(":", 1)[0]
    raise DataContractError(
        f"{raw.label}: {count:,} of {result.read:,} rows break the same rule, "
        f"'{rule}' (e.g. {examples[rule]}). That is a problem with the file's format, not "
        f"with single rows: fix column '{column}' in the export and load again "
        "(`recsys validate --fix-report` writes a guide).",
        file=raw.source,
        column=column if column in table.column_names else None,
    )


def _is_instance(message: str, rule: str) -> bool:
    """Whether a row's reason ``message`` is an instance of the counted ``rule`` (its key):
    the message starts with the key, or (``level: 7.5 outside 1–5``) shares its column and
    ends with the rule's words."""
    if message.startswith(rule):
        return True
    column, _, words = rule.partition(": ")
    return message.startswith(column + ": ") and bool(words) and message.endswith(words)


def _listed(values: list[str]) -> str:
    shown = ", ".join(f"'{v}'" for v in values[:_MAX_LISTED])
    return shown + (f" and {len(values) - _MAX_LISTED} more" if len(values) > _MAX_LISTED else "")


def _coverage_warnings(frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Positions held by employees that have no competency standard (no gap to measure),
    and employees whose supervisor's own row was quarantined."""
    employees = frames[EMPLOYEES.name]
    standards = frames[COMPETENCY_STANDARDS.name]
    warnings = []
    supervisor = employees["supervisor_nip"]
    # by hash (pandas' isin of Arrow text builds a scalar per value: 5 s at a million)
    staff = pd.Index(employees["nip"].dropna().unique())
    orphaned = supervisor.notna() & (staff.get_indexer(pd.Index(supervisor)) < 0)
    if orphaned.any():
        count = int(orphaned.sum())
        warnings.append(
            f"employees: {count} loaded {'employee reports' if count == 1 else 'employees report'}"
            " to a supervisor whose own row was quarantined"
        )
    uncovered = ~employees["position"].isin(standards["position"])
    if not uncovered.any():
        return warnings
    positions = sorted(employees.loc[uncovered, "position"].dropna().unique().tolist())
    noun = "position" if len(positions) == 1 else "positions"
    held = int(uncovered.sum())
    warnings.append(
        f"employees: no competency standard for {len(positions)} {noun} "
        f"({held} {'employee' if held == 1 else 'employees'}): {_listed(positions)}"
    )
    return warnings
