"""What a load did: rows read, loaded and quarantined per table, why, and warnings.

:meth:`LoadReport.write` puts the report beside the quarantined rows::

    <directory>/report.json             machine-readable (reasons in canonical English)
    <directory>/report.txt              for people, in Bahasa Indonesia or English
    <directory>/quarantine/<table>.csv  source_row, the row as read, reason (same language)

Reasons and warnings are held in canonical English (the keys code compares); they are
rendered for people by :mod:`recsys.data.messages`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.data.contract import TABLES
from recsys.data.messages import detected_text, notable, reason_text, warning_text
from recsys.data.sources import REASON
from recsys.settings import Language

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

    def sorted_reasons(self) -> dict[str, int]:
        """:attr:`reasons`, the most frequent first (ties by key)."""
        return dict(sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_dict(self, lang: Language = "en") -> dict[str, Any]:
        """The entry as plain JSON-ready data; reasons stay canonical (English), the
        ``text`` of each detected note is in ``lang``."""
        return {
            "name": self.name,
            "source": self.source,
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "reasons": self.sorted_reasons(),
            "detected": [
                {"key": d.key, "params": dict(d.params), "text": detected_text(d, lang)}
                for d in self.detected
            ],
        }

    def quarantine_in(self, lang: Language) -> pd.DataFrame:
        """:attr:`quarantine` with its ``reason`` column in ``lang`` (a copy if translated)."""
        if lang == "en" or REASON not in self.quarantine.columns or self.quarantine.empty:
            return self.quarantine
        reasons = self.quarantine[REASON]
        texts = {r: reason_text(r, lang) for r in pd.unique(reasons.dropna())}
        return self.quarantine.assign(**{REASON: reasons.map(texts).where(reasons.notna())})


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

    def to_dict(self, lang: Language = "en") -> dict[str, Any]:
        """The report as plain JSON-ready data: reasons and warnings canonical (English),
        the texts of detected notes in ``lang``, which ``"lang"`` records."""
        return {
            "source": self.source,
            "lang": lang,
            "totals": {
                "read": self.read,
                "loaded": self.loaded,
                "quarantined": self.quarantined,
            },
            "tables": [t.to_dict(lang) for t in self.tables],
            "warnings": list(self.warnings),
        }

    def to_text(self, lang: Language = "en") -> str:
        """The report for people, in ``lang``: a table of counts, the reasons, what was
        recognised and converted in each table's format (:func:`~recsys.data.messages.notable`
        notes), the warnings."""
        w = _WORDS.get(lang, _WORDS["en"])
        width = max([len(w["table"]), len(w["total"]), *(len(t.name) for t in self.tables)])
        read_w = max(9, len(w["read"]))
        loaded_w = max(9, len(w["loaded"]))
        quarantined_w = max(11, len(w["quarantined"]))
        lines = [
            f"{w['title']} {self.source}",
            "",
            f"{w['table']:<{width}}  {w['read']:>{read_w}}  {w['loaded']:>{loaded_w}}  "
            f"{w['quarantined']:>{quarantined_w}}  {w['source']}",
        ]
        for t in self.tables:
            lines.append(
                f"{t.name:<{width}}  {t.read:>{read_w},}  {t.loaded:>{loaded_w},}  "
                f"{t.quarantined:>{quarantined_w},}  {t.source or w['absent']}"
            )
        lines.append(
            f"{w['total']:<{width}}  {self.read:>{read_w},}  {self.loaded:>{loaded_w},}  "
            f"{self.quarantined:>{quarantined_w},}"
        )
        bad = [t for t in self.tables if t.quarantined]
        if bad:
            lines += ["", w["quarantine_head"].format(dir=QUARANTINE_DIR)]
            for t in bad:
                lines.append(f"  {t.name}: {t.quarantined:,} {w['rows']}")
                for reason, count in t.sorted_reasons().items():
                    lines.append(f"    {count:>9,}  {reason_text(reason, lang)}")
        noted = [(t, [d for d in t.detected if notable(d)]) for t in self.tables]
        noted = [(t, notes) for t, notes in noted if notes]
        if noted:
            lines += ["", w["detected_head"]]
            for t, notes in noted:
                lines.append(f"  {t.name}:")
                lines += [f"    - {detected_text(d, lang)}" for d in notes]
        if self.warnings:
            lines += ["", w["warnings_head"]]
            lines += [f"  - {warning_text(x, lang)}" for x in self.warnings]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def write(self, directory: str | Path, lang: Language = "id") -> Path:
        """Write ``report.json``, ``report.txt`` and ``quarantine/<table>.csv`` into ``directory``.

        The quarantine files' ``reason`` column and ``report.txt`` are in ``lang``;
        ``report.json`` keeps the canonical (English) reasons and warnings, with ``lang``
        and the detected notes' texts in it. Quarantine files of contract tables that have
        no quarantined rows this time are removed, so the folder never shows rows from an
        earlier load. Returns ``directory``.
        """
        directory = Path(directory)
        quarantine_dir = directory / QUARANTINE_DIR
        quarantine_dir.mkdir(parents=True, exist_ok=True)
        data = self.to_dict(lang)
        for entry, table_data in zip(self.tables, data["tables"], strict=True):
            path = quarantine_dir / f"{entry.name}.csv"
            if entry.quarantined:
                entry.quarantine_in(lang).to_csv(path, index=False)
                table_data["quarantine_file"] = f"{QUARANTINE_DIR}/{path.name}"
            else:
                table_data["quarantine_file"] = None
        known = {t.name for t in TABLES} | {t.name for t in self.tables}
        for name in known:
            path = quarantine_dir / f"{name}.csv"
            if path.exists() and not any(t.name == name and t.quarantined for t in self.tables):
                path.unlink()
        (directory / REPORT_JSON).write_text(
            json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
        (directory / REPORT_TXT).write_text(self.to_text(lang), encoding="utf-8")
        logger.info("load report written to %s", directory)
        return directory


#: The labels of :meth:`LoadReport.to_text`.
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Load report for",
        "table": "table",
        "read": "read",
        "loaded": "loaded",
        "quarantined": "quarantined",
        "source": "source",
        "absent": "(absent)",
        "total": "total",
        "rows": "rows",
        "quarantine_head": "Quarantined rows (see {dir}/<table>.csv):",
        "detected_head": "Detected (converted while loading):",
        "warnings_head": "Warnings:",
    },
    "id": {
        "title": "Laporan pemuatan untuk",
        "table": "tabel",
        "read": "dibaca",
        "loaded": "dimuat",
        "quarantined": "dikarantina",
        "source": "sumber",
        "absent": "(tidak ada)",
        "total": "total",
        "rows": "baris",
        "quarantine_head": "Baris dikarantina (lihat {dir}/<tabel>.csv):",
        "detected_head": "Dikenali (dikonversi saat pemuatan):",
        "warnings_head": "Peringatan:",
    },
}
