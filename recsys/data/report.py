"""What a load did: rows read, loaded and quarantined per table, why, and warnings.

:meth:`LoadReport.write` puts the report beside the quarantined rows::

    <directory>/report.json             machine-readable
    <directory>/report.txt              for people
    <directory>/quarantine/<table>.csv  source_row, the row as read, reason
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.data.contract import TABLES

logger = logging.getLogger(__name__)

QUARANTINE_DIR = "quarantine"
REPORT_JSON = "report.json"
REPORT_TXT = "report.txt"


@dataclass(frozen=True)
class Detected:
    """One thing the loader recognised in how a table was written, and converted.

    ``key`` names the kind (see :mod:`recsys.data.messages` for the texts), ``params``
    its details, e.g. ``Detected("csv_dialect", {"delimiter": ";", "encoding": "utf-8-sig"})``.
    """

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class TableReport:
    """One table's load: where it came from and what happened to its rows.

    ``reasons`` counts rows per rule broken (e.g. ``{"nip: unknown employee": 3}``); a row
    that breaks several rules counts under each. ``quarantine`` holds the quarantined rows
    (``source_row``, the columns as read, ``reason``). ``source`` is empty for an optional
    table that was absent.
    """

    name: str
    source: str
    read: int
    loaded: int
    quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    #: What the loader recognised and converted in this table's format, as
    #: :class:`Detected` notes (separator, encoding, date format, mapped headers...).
    detected: list[Detected] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.loaded + self.quarantined != self.read:
            raise ValueError(
                f"{self.name}: loaded {self.loaded} + quarantined {self.quarantined} "
                f"!= read {self.read}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "reasons": dict(sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        }


@dataclass
class LoadReport:
    """The outcome of :func:`recsys.data.load_dataset`."""

    source: str
    tables: list[TableReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def table(self, name: str) -> TableReport:
        """The entry for table ``name``."""
        for entry in self.tables:
            if entry.name == name:
                return entry
        raise KeyError(f"no table {name!r} in this report")

    @property
    def read(self) -> int:
        return sum(t.read for t in self.tables)

    @property
    def loaded(self) -> int:
        return sum(t.loaded for t in self.tables)

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables)

    def to_frame(self) -> pd.DataFrame:
        """One row per table: ``table``, ``read``, ``loaded``, ``quarantined``."""
        return pd.DataFrame(
            {
                "table": [t.name for t in self.tables],
                "read": [t.read for t in self.tables],
                "loaded": [t.loaded for t in self.tables],
                "quarantined": [t.quarantined for t in self.tables],
            }
        ).astype({"read": "int64", "loaded": "int64", "quarantined": "int64"})

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return {
            "source": self.source,
            "totals": {
                "read": self.read,
                "loaded": self.loaded,
                "quarantined": self.quarantined,
            },
            "tables": [t.to_dict() for t in self.tables],
            "warnings": list(self.warnings),
        }

    def to_text(self) -> str:
        """The report for people: a table of counts, the reasons, the warnings."""
        width = max([len("table"), *(len(t.name) for t in self.tables)])
        lines = [
            f"Load report for {self.source}",
            "",
            f"{'table':<{width}}  {'read':>9}  {'loaded':>9}  {'quarantined':>11}  source",
        ]
        for t in self.tables:
            lines.append(
                f"{t.name:<{width}}  {t.read:>9,}  {t.loaded:>9,}  {t.quarantined:>11,}  "
                f"{t.source or '(absent)'}"
            )
        lines.append(
            f"{'total':<{width}}  {self.read:>9,}  {self.loaded:>9,}  {self.quarantined:>11,}"
        )
        bad = [t for t in self.tables if t.quarantined]
        if bad:
            lines += ["", f"Quarantined rows (see {QUARANTINE_DIR}/<table>.csv):"]
            for t in bad:
                lines.append(f"  {t.name}: {t.quarantined:,} rows")
                for reason, count in t.to_dict()["reasons"].items():
                    lines.append(f"    {count:>9,}  {reason}")
        if self.warnings:
            lines += ["", "Warnings:"]
            lines += [f"  - {w}" for w in self.warnings]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def write(self, directory: str | Path) -> Path:
        """Write ``report.json``, ``report.txt`` and ``quarantine/<table>.csv`` into ``directory``.

        Quarantine files of contract tables that have no quarantined rows this time are
        removed, so the folder never shows rows from an earlier load. Returns ``directory``.
        """
        directory = Path(directory)
        quarantine_dir = directory / QUARANTINE_DIR
        quarantine_dir.mkdir(parents=True, exist_ok=True)
        data = self.to_dict()
        for entry, table_data in zip(self.tables, data["tables"], strict=True):
            path = quarantine_dir / f"{entry.name}.csv"
            if entry.quarantined:
                entry.quarantine.to_csv(path, index=False)
                table_data["quarantine_file"] = f"{QUARANTINE_DIR}/{path.name}"
            else:
                table_data["quarantine_file"] = None
        known = {t.name for t in TABLES} | {t.name for t in self.tables}
        for name in known:
            path = quarantine_dir / f"{name}.csv"
            if path.exists() and not any(t.name == name and t.quarantined for t in self.tables):
                path.unlink()
        (directory / REPORT_JSON).write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (directory / REPORT_TXT).write_text(self.to_text(), encoding="utf-8")
        logger.info("load report written to %s", directory)
        return directory
