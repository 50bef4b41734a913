"""Read a table as HR wrote it: their headers, their category words, day-first dates,
Excel serial dates, decimal commas; and refuse NIPs that Excel has destroyed.

:func:`normalize` turns a :class:`~recsys.data.sources.RawTable` as read into the
contract's text format before the row rules run (:mod:`recsys.data.validation`), and says
what it recognised (:class:`~recsys.data.report.Detected`). The rows as sent are kept
(``RawTable.as_sent``) so that quarantine shows them unchanged. Only whole-column
evidence converts anything:

- **dates**: the format most of a column's values use (``YYYY-MM-DD``, ``DD/MM/YYYY``,
  ``DD-MM-YYYY`` or an Excel serial number) is the column's format
  (:attr:`Normalized.dates`, read by the validation with :func:`parse_dates`); values in
  another format are quarantined with the format expected;
- **decimal commas and thousands dots**: in a ``;`` CSV or a workbook, a number column
  written ``3,5``, ``1.234,5`` or ``12.500.000``, and an integer column written ``1.500``;
- **headers and categories**: the mapping file's (:mod:`recsys.data.mapping`), then any
  header or category that differs from the contract's only by case and spaces.

A NIP in scientific notation (``1.97702E+17``), or a NIP column whose values mostly end
in ``000``, is what Excel does to an 18-digit number: the digits are gone, and the table
is refused with the way to store the column as text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recsys.data.contract import NIP_PATTERN, Column, Table
from recsys.data.contract import table as contract_table
from recsys.data.mapping import ColumnMapping, TableMapping, header_key
from recsys.data.report import Detected
from recsys.data.sources import DataContractError, RawTable

ISO = "YYYY-MM-DD"
EXCEL_SERIAL = "Excel date number"
#: Date formats recognised, with the pattern a value must match and how to read it.
DATE_FORMATS: dict[str, tuple[str, str | None]] = {
    ISO: (r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d"),
    "DD/MM/YYYY": (r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y"),
    "DD-MM-YYYY": (r"^\d{1,2}-\d{1,2}-\d{4}$", "%d-%m-%Y"),
    EXCEL_SERIAL: (r"^\d{1,5}(\.0+)?$", None),
}
#: Day zero of Excel's (1900) date serial numbers, after its 1900 leap-year bug.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Excel serials of 1900-01-01 and 2199-12-31: a number outside is not a date.
EXCEL_SERIAL_RANGE = (1, 109_572)
_SCIENTIFIC = re.compile(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")
_DECIMAL_COMMA = r"^[+-]?\d+,\d+$"
_GROUPED_COMMA = r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$"
#: Formats whose delimiter means the comma is the decimal separator.
_COMMA_LOCALES = (";",)


@dataclass
class Normalized:
    """A table in the contract's text format: the table, the date format of each date
    column that is not ISO (read with :func:`parse_dates`), and what was recognised."""

    raw: RawTable
    dates: dict[str, str] = field(default_factory=dict)
    detected: list[Detected] = field(default_factory=list)


def normalize(table: Table, raw: RawTable, mapping: ColumnMapping | None = None) -> Normalized:
    """``raw`` in the contract's text format (see the module docstring); raises
    :class:`DataContractError` for destroyed NIPs and for two headers that map to the same
    column."""
    own = (mapping or ColumnMapping()).for_table(table.name)
    frame = raw.frame
    detected: list[Detected] = []
    renamed = _rename(table, raw, own)
    if renamed:
        frame = frame.rename(columns=dict(renamed))
        detected.append(Detected("columns_mapped", {"file": raw.label, "pairs": renamed}))
    frame = frame.copy()
    changed = bool(renamed)
    comma_columns = []
    dates: dict[str, str] = {}
    for column in table.columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        if not _is_text(values):
            continue
        if _holds_nips(column):
            _refuse_destroyed_nips(raw, column.name, values)
        mapped, count = _map_values(values, own.values.get(column.name), column.categories)
        if count:
            values = mapped
            detected.append(
                Detected(
                    "values_mapped", {"file": raw.label, "column": column.name, "count": count}
                )
            )
        if column.kind in ("number", "int") and _comma_locale(raw):
            converted = _decimal_commas(values, whole=column.kind == "int")
            if converted is not None:
                values = converted
                comma_columns.append(column.name)
        if column.kind == "date":
            fmt = date_format(values)
            if fmt is not None:
                dates[column.name] = fmt
                detected.append(
                    Detected(
                        "date_format", {"file": raw.label, "column": column.name, "format": fmt}
                    )
                )
        if values is not frame[column.name]:
            frame[column.name] = values
            changed = True
    if comma_columns:
        detected.append(Detected("decimal_comma", {"file": raw.label, "columns": comma_columns}))
    if raw.dialect:
        detected.insert(0, _dialect_note(raw))
    if changed:
        raw = dataclasses.replace(raw, frame=frame, as_sent=raw.frame)
    return Normalized(raw, dates, detected)


def _dialect_note(raw: RawTable) -> Detected:
    params: dict[str, Any] = {"file": raw.label, **raw.dialect}
    kind = "xlsx" if raw.dialect.get("format") == "xlsx" else "csv_dialect"
    return Detected(kind, params)


def _is_text(values: pd.Series) -> bool:
    return bool(
        pd.api.types.is_string_dtype(values.dtype) or pd.api.types.is_object_dtype(values.dtype)
    )


def _comma_locale(raw: RawTable) -> bool:
    return raw.dialect.get("delimiter") in _COMMA_LOCALES or raw.dialect.get("format") == "xlsx"


# --- headers ----------------------------------------------------------------------------


def _rename(table: Table, raw: RawTable, own: TableMapping) -> list[list[str]]:
    """``[header, column]`` pairs to rename: the mapping's, then a contract name written
    with other case or spaces. Two headers naming one column is an error."""
    contract = {header_key(c): c for c in table.column_names}
    pairs: list[list[str]] = []
    target_of: dict[str, str] = {}
    for header in raw.columns:
        key = header_key(header)
        column = own.columns.get(key) or contract.get(key)
        if column is None or column == header:
            if column is not None:
                target_of.setdefault(column, header)
            continue
        pairs.append([header, column])
        if column in target_of:
            raise DataContractError(
                f"{raw.label}: columns '{target_of[column]}' and '{header}' both map to "
                f"'{column}'; keep one of them (or change the column mapping)",
                file=raw.source,
                column=column,
            )
        target_of[column] = header
    return pairs


# --- values -----------------------------------------------------------------------------


def _map_values(
    values: pd.Series, mapping: Mapping[str, str] | None, categories: tuple[str, ...] | None
) -> tuple[pd.Series, int]:
    """Values rewritten by the mapping, then categories written with other case or
    spaces (``Sangat Baik`` -> ``sangat_baik``); returns the values and how many changed."""
    lookup: dict[str, str] = {}
    if categories:
        for category in categories:
            lookup[header_key(category)] = category
            lookup[header_key(category.replace("_", " "))] = category
    lookup.update(mapping or {})
    if not lookup:
        return values, 0
    text = values.astype("string")
    unique = pd.Series(text.dropna().unique(), dtype="string")
    keys = unique.map(header_key)
    targets = keys.map(lookup)
    change = targets.notna() & (targets != unique)
    if not change.any():
        return values, 0
    replace = dict(zip(unique[change], targets[change], strict=True))
    hit = text.isin(list(replace))
    out = text.where(~hit, text.map(replace))
    return out.astype(values.dtype), int(hit.sum())


def _decimal_commas(values: pd.Series, *, whole: bool = False) -> pd.Series | None:
    """Numbers written the Indonesian way, as the contract writes them: ``3,5`` ->
    ``3.5``, and thousands dots dropped (``1.234,5`` -> ``1234.5``) where the column shows
    it uses them: a decimal comma somewhere, a number with two dots (``12.500.000``), or
    (``whole``: an integer column, which cannot hold decimals) any ``1.500``. None if
    nothing is written that way."""
    text = values.astype("string").str.strip()
    comma = text.str.fullmatch(_DECIMAL_COMMA).fillna(False).astype(bool)
    grouped = text.str.fullmatch(_GROUPED_COMMA).fillna(False).astype(bool)
    has_comma = text.str.contains(",", regex=False).fillna(False).astype(bool)
    two_dots = text.str.count(r"\.").fillna(0) >= 2
    if not (comma.any() or (grouped & (has_comma | two_dots)).any() or (whole and grouped.any())):
        return None
    fix = comma | grouped
    fixed = text[fix].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    out = values.astype("string").copy()
    out[fix] = fixed
    return out.astype(values.dtype)


def date_format(values: pd.Series) -> str | None:
    """The format most of a text column's dates use, if not ISO (one of
    :data:`DATE_FORMATS`); None if ISO prevails or nothing looks like a date."""
    text = values.astype("string").str.strip()
    present = text.notna() & (text != "")
    if not present.any():
        return None
    n_present = int(present.sum())
    counts: dict[str, int] = {}
    for name, (pattern, _) in DATE_FORMATS.items():
        counts[name] = int((text.str.fullmatch(pattern).fillna(False).astype(bool) & present).sum())
        if name == ISO and counts[name] == n_present:
            return None  # the contract's own format throughout: the common case, kept fast
    best = max(counts, key=lambda name: counts[name])
    if best == ISO or counts[best] <= counts[ISO]:
        return None
    return best


def parse_dates(text: pd.Series, fmt: str) -> pd.Series:
    """Text dates in ``fmt`` (one of :data:`DATE_FORMATS`) as timestamps; NaT where a
    value is not a date in that format."""
    pattern, strf = DATE_FORMATS[fmt]
    text = text.astype("string").str.strip()
    ok = text.str.fullmatch(pattern).fillna(False).astype(bool)
    candidates = text.where(ok)
    if strf is not None:
        return pd.to_datetime(candidates, format=strf, errors="coerce")
    serial = pd.to_numeric(candidates, errors="coerce")
    low, high = EXCEL_SERIAL_RANGE
    serial = serial.where((serial >= low) & (serial <= high))
    return EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")


# --- NIPs -------------------------------------------------------------------------------


def _holds_nips(column: Column) -> bool:
    """A NIP column, or one referring to a NIP column (``performance.nip``)."""
    if column.pattern == NIP_PATTERN:
        return True
    if column.references is None:
        return False
    target_table, target_column = column.references
    return contract_table(target_table).column(target_column).pattern == NIP_PATTERN


def _refuse_destroyed_nips(raw: RawTable, column: str, values: pd.Series) -> None:
    """A NIP column that Excel stored as a number: scientific notation anywhere, or most
    values ending in 000 (Excel keeps 15 significant digits)."""
    # the common case, a clean column, decided on literal searches (millions of rows)
    array = pa.array(values.astype("string"), type=pa.large_string(), from_pandas=True)
    exponent = pc.any(pc.match_substring(array, "e", ignore_case=True)).as_py()
    zeros = pc.sum(pc.ends_with(array, "000")).as_py() or 0
    if not exponent and zeros * 2 <= len(array) - array.null_count:
        return
    text = values.astype("string").str.strip().dropna()
    text = text[text != ""]
    if text.empty:
        return
    scientific = text.str.fullmatch(_SCIENTIFIC.pattern).fillna(False).astype(bool)
    rounded = text.str.fullmatch(r"\d{15}000").fillna(False).astype(bool)
    if scientific.any():
        damaged, why = scientific, "in scientific notation"
    elif rounded.sum() * 2 > len(text) and len(text) > 1:
        damaged, why = rounded, "with their last digits turned into 000"
    else:
        return
    example = str(text[damaged].iloc[0])
    count = int(damaged.sum())
    row = int(np.asarray(raw.source_row)[values.index.get_loc(text[damaged].index[0])])
    raise DataContractError(
        f"{raw.label}: column '{column}' holds {count:,} {'NIP' if count == 1 else 'NIPs'} "
        f"{why} (e.g. row {row}: '{example}'). Excel stored the column as numbers and kept "
        "only 15 digits, so the real NIPs cannot be recovered from this file. Store the "
        "column as text: in Excel, select the column, Format Cells → Text, paste the NIPs "
        "again from the source (e.g. SIASN), and save; or export to CSV without opening "
        "the file in Excel.",
        file=raw.source,
        column=column,
    )
