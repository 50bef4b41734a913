"""Excel workbooks (``.xlsx``, ``.xlsm``) read as text, the way a CSV saved from them reads.

HR data often leaves its system as an Excel file. A sheet is one table: its first
non-blank row is the header, and every cell becomes the text Excel would write for it in
a CSV file (:func:`cell_text`), so that :mod:`recsys.data.validation` checks a workbook
exactly like the CSV file saved from it. In particular an 18-digit NIP that Excel stored
as a number (keeping only 15 significant digits) reads ``"1.97702E+17"``, recognisably
damaged, rather than as a plausible but wrong NIP.

Workbooks are read with calamine (``python-calamine``, a Rust reader: about 1 s per
million cells, against some 20 s for openpyxl). Two sources read workbooks:
:class:`~recsys.data.sources.FolderSource` takes a ``<table>.xlsx`` file for a table
(:func:`read_workbook_file`), and :class:`WorkbookSource` one workbook holding a sheet per
table.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from recsys.data.sources import (
    RAW_LINE,
    REASON,
    SOURCE_ROW,
    DataContractError,
    RawTable,
    check_header,
    empty_bad_lines,
)

logger = logging.getLogger(__name__)

#: What reading a file that is not a workbook, or is damaged inside, raises.
_BROKEN = (CalamineError, OSError, ValueError)
#: Excel keeps 15 significant digits, so a number this large has lost its last digits.
_EXACT_LIMIT = 1e15
_TEXT = pa.string()


# --- cells ------------------------------------------------------------------------------


def _float_text(value: float) -> str | None:
    if not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if abs(value) >= _EXACT_LIMIT:
        # Excel's "General" display of a large number: six significant digits, trailing
        # zeros dropped, e.g. 1.97702152005011e17 -> "1.97702E+17", 2e17 -> "2E+17".
        mantissa, exponent = f"{value:.5E}".split("E")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E{exponent}"
    if value.is_integer():
        return str(int(value))
    # Excel shows at most 15 significant digits: a formula's 0.1 + 0.2 reads "0.3".
    return f"{value:.15g}"


def _datetime_text(value: dt.datetime) -> str:
    if value.time() == dt.time():
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M:%S")


_CONVERTERS: dict[type, Callable[[Any], str | None]] = {
    str: lambda v: v if v else None,
    bool: lambda v: "true" if v else "false",
    int: str,
    float: _float_text,
    dt.datetime: _datetime_text,
    dt.date: lambda v: v.isoformat(),
    dt.time: lambda v: v.isoformat(),
}


def cell_text(value: object) -> str | None:
    """The text of a cell value read from a workbook as a CSV saved from Excel holds it.

    None and ``""`` are missing (None); text is kept as is; booleans read ``true`` and
    ``false``; whole numbers have no decimal point, others at most 15 significant digits
    (``3.5``), as Excel shows them; numbers of 10^15 or more that Excel stored as floating
    point (so that it dropped their last digits) read as Excel shows them too, e.g.
    ``1.97702E+17``; dates read ``YYYY-MM-DD``, date-times ``YYYY-MM-DD HH:MM:SS``, times
    ``HH:MM:SS``.
    """
    if value is None:
        return None
    convert = _CONVERTERS.get(type(value))
    if convert is not None:
        return convert(value)
    for kind, convert in _CONVERTERS.items():
        if isinstance(value, kind):
            return convert(value)
    return str(value)


def _blank(values: tuple[object, ...]) -> bool:
    return all(value is None or value == "" for value in values)


# --- workbooks --------------------------------------------------------------------------


def _unparsable(label: str, path: Path, error: BaseException) -> DataContractError:
    detail = str(error) or type(error).__name__
    if isinstance(error, CalamineError):
        detail = (
            f"not an Excel workbook ({detail}); open it in Excel and save it as "
            "'Excel Workbook (*.xlsx)'"
        )
    return DataContractError(f"{label}: cannot be parsed: {detail}", file=str(path))


class Workbook:
    """An open workbook: its worksheets' titles, and each sheet's rows of cell values."""

    def __init__(self, book: CalamineWorkbook, path: Path, label: str) -> None:
        self._book = book
        self.path = path
        self.label = label
        #: Titles of the worksheets (chart sheets left out), in workbook order.
        self.titles = [
            sheet.name
            for sheet in book.sheets_metadata
            if sheet.typ in (SheetTypeEnum.WorkSheet, SheetTypeEnum.MacroSheet)
        ]

    def rows(self, title: str) -> Iterator[tuple[object, ...]]:
        """Sheet ``title``'s rows from cell A1 on, as tuples of cell values."""
        try:
            sheet = self._book.get_sheet_by_name(title)
            for row in sheet.to_python(skip_empty_area=False):
                yield tuple(row)
        except _BROKEN as e:
            raise _unparsable(self.label, self.path, e) from e

    def close(self) -> None:
        """Release the file."""
        self._book.close()


def open_workbook(path: Path, label: str | None = None) -> Workbook:
    """The workbook at ``path`` (cached formula results, not formulas).

    Close it when done. Raises :class:`DataContractError` if the file is not a workbook.
    """
    label = label or path.name
    try:
        return Workbook(CalamineWorkbook.from_path(str(path)), path, label)
    except _BROKEN as e:
        raise _unparsable(label, path, e) from e


def _sheet_key(title: str) -> str:
    return title.strip().casefold()


def read_workbook_file(name: str, path: Path) -> RawTable:
    """Table ``name`` from the workbook ``<table>.xlsx`` of a folder: its sheet named like
    the table (case and surrounding spaces ignored), or else its first sheet."""
    book = open_workbook(path)
    try:
        titles = book.titles
        if not titles:
            raise DataContractError(
                f"{path.name}: cannot be parsed: the workbook has no worksheet", file=str(path)
            )
        named = [t for t in titles if _sheet_key(t) == _sheet_key(name)]
        title = named[0] if named else titles[0]
        return read_sheet(book, title, name=name, path=path, label=path.name, source=str(path))
    finally:
        book.close()


class WorkbookSource:
    """One ``.xlsx`` or ``.xlsm`` workbook with a sheet per table.

    A table's sheet is the one named like it, ignoring case and surrounding spaces
    (``Employees`` holds ``employees``). The workbook is opened once and its sheets are
    read as they are asked for; :meth:`close` releases the file.
    """

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            raise DataContractError(f"workbook {path} {what}", file=str(path))
        self.path = path
        self.description = str(path)
        self._book = open_workbook(path)
        self._titles = self._book.titles

    def _title(self, name: str) -> str | None:
        found = [t for t in self._titles if _sheet_key(t) == _sheet_key(name)]
        if len(found) > 1:
            names = " and ".join(f"'{t}'" for t in found)
            raise DataContractError(
                f"table '{name}' is ambiguous in {self.path.name}: sheets {names} both "
                "match it; rename or delete one of them",
                file=str(self.path),
            )
        return found[0] if found else None

    def locate(self, name: str) -> str | None:
        title = self._title(name)
        return None if title is None else f"{self.path}[{title}]"

    def missing(self, name: str) -> DataContractError:
        sheets = ", ".join(f"'{t}'" for t in self._titles) or "none"
        return DataContractError(
            f"required table '{name}' not found in workbook {self.path.name}: no sheet "
            f"named '{name}' (sheets: {sheets})",
            file=str(self.path),
        )

    def read(self, name: str) -> RawTable:
        title = self._title(name)
        if title is None:
            raise self.missing(name)
        return read_sheet(
            self._book,
            title,
            name=name,
            path=self.path,
            label=f"{self.path.name}[{title}]",
            source=f"{self.path}[{title}]",
        )

    def close(self) -> None:
        """Close the workbook file."""
        self._book.close()


# --- sheets -----------------------------------------------------------------------------


def read_sheet(
    book: Workbook, title: str, *, name: str, path: Path, label: str, source: str
) -> RawTable:
    """Sheet ``title`` of ``book`` as table ``name``, every cell as text (:func:`cell_text`).

    The first non-blank row is the header; blank rows are skipped. Row ``n`` of the
    table (:attr:`~recsys.data.sources.RawTable.source_row`) is row ``n + 1`` of the
    sheet, so with the header on the first row the first data row is 1, as in a CSV file.
    A row with values beyond the header's last column is set aside like a CSV line with
    too many fields.
    """
    try:
        rows = book.rows(title)
        header, header_row = _header(rows, label=label, path=path, title=title)
        width = len(header)
        good: list[tuple[object, ...]] = []
        numbers: list[int] = []
        bad: list[tuple[int, str, str]] = []
        for number, values in enumerate(rows, start=header_row + 1):
            if len(values) > width and not _blank(values[width:]):
                fields = max(i for i, v in enumerate(values) if v is not None and v != "") + 1
                cells = [cell_text(v) or "" for v in values[:fields]]
                bad.append(
                    (number - 1, ",".join(cells), f"row has {fields} fields, expected {width}")
                )
                continue
            if _blank(values):
                continue
            if len(values) != width:
                values = (values + (None,) * width)[:width]
            good.append(values)
            numbers.append(number - 1)
    except _BROKEN as e:
        raise _unparsable(label, path, e) from e

    columns = list(zip(*good, strict=True)) if good else [()] * width
    frame = pd.DataFrame(
        {
            column: pd.Series(
                pd.arrays.ArrowExtensionArray(pa.array([cell_text(v) for v in values], type=_TEXT))
            )
            for column, values in zip(header, columns, strict=True)
        },
        columns=header,
    )
    bad_lines = empty_bad_lines()
    if bad:
        bad_lines = pd.DataFrame(bad, columns=[SOURCE_ROW, RAW_LINE, REASON])
        bad_lines[SOURCE_ROW] = bad_lines[SOURCE_ROW].astype("int64")
        logger.info("%s: %d rows with values beyond the header", label, len(bad))
    return RawTable(
        name=name,
        source=source,
        label=label,
        frame=frame,
        source_row=np.array(numbers, dtype="int64"),
        bad_lines=bad_lines,
        dialect={"format": "xlsx", "sheet": title},
    )


def _header(
    rows: Iterator[tuple[object, ...]], *, label: str, path: Path, title: str
) -> tuple[list[str], int]:
    """The column names from the first non-blank row, and that row's number."""
    for number, values in enumerate(rows, start=1):
        if _blank(values):
            continue
        names = [(cell_text(v) or "").strip() for v in values]
        while names and not names[-1]:
            names.pop()
        for index, column in enumerate(names):
            if not column:
                cell = f"{_column_letter(index + 1)}{number}"
                raise DataContractError(
                    f"{label}: the header cell {cell} of sheet '{title}' is blank between "
                    "named columns; name the column or delete it",
                    file=str(path),
                )
        check_header(names, label=label, file=str(path))
        return names, number
    raise DataContractError(
        f"{label}: cannot be parsed: the sheet is empty (no header row)", file=str(path)
    )


def _column_letter(number: int) -> str:
    """Excel's name of the 1-based column ``number``: 1 -> A, 27 -> AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
