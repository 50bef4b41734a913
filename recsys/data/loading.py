"""Load a data set: read each contract table, check its rows, keep the valid ones typed.

    ds = load_dataset("data/raw")            # or "sqlite:///data/asn.db"
    ds.employees                              # typed frame of the valid rows
    ds.report.write("reports/load")           # counts, reasons, quarantined rows

Tables load in :data:`~recsys.data.contract.TABLES` order, each after the tables it
refers to, so references are checked against rows that were actually loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from recsys.data.contract import COMPETENCY_STANDARDS, EMPLOYEES, TABLES
from recsys.data.report import LoadReport, TableReport
from recsys.data.sources import Source, open_source
from recsys.data.validation import KnownValues, check_columns, empty_frame, validate_table

logger = logging.getLogger(__name__)

#: ``on_progress(table_name, index, total)``, called as each table starts; index is 0-based.
ProgressCallback = Callable[[str, int, int], None]

_MAX_LISTED = 5


@dataclass(frozen=True)
class Dataset:
    """A loaded data set: one typed frame per contract table, and the load report.

    Every frame has exactly the contract's columns, in contract order and dtypes, with a
    fresh RangeIndex; optional tables that were absent are empty frames.
    """

    tables: Mapping[str, pd.DataFrame]
    report: LoadReport
    source: str

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


def load_dataset(source: str | Path, on_progress: ProgressCallback | None = None) -> Dataset:
    """Load and validate a data set from a folder or a SQLAlchemy URL (anything with ``://``).

    Bad rows are quarantined (see :attr:`Dataset.report`), never raised. Raises
    :class:`~recsys.data.sources.DataContractError` if the source does not exist, a
    required table or column is missing, a file cannot be parsed, or a folder holds both
    ``<table>.csv`` and ``<table>.parquet``. Nothing is written either way.
    """
    src = open_source(source)
    try:
        return _load(src, on_progress)
    finally:
        src.close()


def _load(src: Source, on_progress: ProgressCallback | None) -> Dataset:
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
        raw = src.read(table.name)
        report.warnings += check_columns(table, raw)
        result = validate_table(table, raw, known)
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
    orphaned = supervisor.notna() & ~supervisor.isin(employees["nip"])
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
