"""Where a data set lives: a folder of CSV/Parquet/Excel files, an Excel workbook or a SQL
database.

This module only moves tables in and out. Reading keeps every value as it was read (CSV
and Excel cells as text, Parquet and SQL values in their native types) so that a bad row
can be quarantined exactly as the agency sent it; checking values against the contract is
:mod:`recsys.data.validation`'s job.

A source is a SQL database when it contains ``://`` (any SQLAlchemy URL, e.g.
``sqlite:///data/asn.db`` or ``postgresql://host/asn``), a workbook with a sheet per table
when it is an ``.xlsx`` or ``.xlsm`` file (:mod:`recsys.data.excel`), and a folder
otherwise. CSV files may be UTF-8 (with or without a byte order mark) or Windows-1252,
with ``,``, ``;`` or tab between fields, as Excel saves them (:mod:`recsys.data.dialect`).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy as sa

from recsys.data.contract import TABLES
from recsys.data.dialect import CsvDialect, CsvEncodingError, detect_csv

logger = logging.getLogger(__name__)

#: File formats a folder may hold, one file per table: ``<table>.csv``, ``<table>.parquet``
#: or ``<table>.xlsx``.
FILE_FORMATS = ("csv", "parquet", "xlsx")
#: File formats :func:`write_dataset` writes.
WRITE_FORMATS = ("csv", "parquet")
#: Suffixes of a workbook that holds a whole data set, a sheet per table.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: Column of :attr:`RawTable.bad_lines` holding a malformed CSV line as it was in the file.
RAW_LINE = "raw_line"
SOURCE_ROW = "source_row"
REASON = "reason"
_SQL_CHUNK_ROWS = 100_000


class DataContractError(Exception):
    """A data set that cannot be loaded at all: a missing table or column, an unreadable file.

    Bad *rows* never raise; they are quarantined. ``file`` is the file path (or
    ``sql:<table>``) and ``column`` the offending column, if any; the message names both.
    """

    def __init__(self, message: str, *, file: str, column: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.column = column


@dataclass(frozen=True)
class RawTable:
    """One table as read from its source, before any contract check.

    ``frame`` holds the well-formed rows with every column that was read (contract or not),
    values as read; ``source_row`` gives the 1-based data row number of each of them in
    the source (header excluded). ``bad_lines`` holds CSV lines that could not be split
    into the header's number of fields: columns ``source_row``, ``raw_line``, ``reason``.
    """

    name: str
    source: str
    label: str
    frame: pd.DataFrame
    source_row: np.ndarray
    bad_lines: pd.DataFrame
    #: How the file was written, as detected: ``{"format": "csv", "delimiter": ";",
    #: "encoding": "utf-8-sig"}``, ``{"format": "xlsx", "sheet": "employees"}``; empty for
    #: Parquet and SQL.
    dialect: Mapping[str, str] = field(default_factory=dict)
    #: The frame exactly as it was read, when ``frame`` holds values converted to the
    #: contract's format (dates, decimal commas, mapped headers): quarantine shows these.
    as_sent: pd.DataFrame | None = None

    @property
    def read(self) -> int:
        """Number of data rows read, malformed lines included."""
        return len(self.frame) + len(self.bad_lines)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


class Source(Protocol):
    """A place tables are read from."""

    description: str

    def locate(self, name: str) -> str | None:
        """Where table ``name`` is (a path, ``<workbook>[<sheet>]`` or ``sql:<name>``), or
        None if absent."""
        ...

    def missing(self, name: str) -> DataContractError:
        """The error for a required table ``name`` that is not there."""
        ...

    def read(self, name: str) -> RawTable:
        """Read table ``name``; raises :class:`DataContractError` if it cannot be read."""
        ...

    def close(self) -> None:
        """Release connections, if any."""
        ...


def is_url(source: str | Path) -> bool:
    """True if ``source`` is a SQLAlchemy URL rather than a folder path."""
    return isinstance(source, str) and "://" in source


def open_source(source: str | Path) -> Source:
    """The :class:`Source` for a folder, an ``.xlsx``/``.xlsm`` workbook or a SQLAlchemy
    URL; it must exist."""
    if is_url(source):
        return SqlSource(str(source))
    path = Path(source)
    if path.suffix.lower() in WORKBOOK_SUFFIXES and not path.is_dir():
        # Imported here, like below: recsys.data.excel builds on this module.
        from recsys.data.excel import WorkbookSource

        return WorkbookSource(path)
    if path.is_file():
        hint = (
            "; Excel 97-2003 workbooks cannot be read: save it as 'Excel Workbook (*.xlsx)'"
            if path.suffix.lower() == ".xls"
            else ""
        )
        raise DataContractError(
            f"{path} is a file: a data folder, an .xlsx workbook or a database URL is "
            f"expected{hint}",
            file=str(path),
        )
    return FolderSource(path)


def read_raw_tables(source: str | Path, tables: Iterable[str] | None = None) -> dict[str, RawTable]:
    """Read contract tables from ``source`` as they are, without checking them.

    ``tables`` defaults to every contract table. Tables absent from the source are left
    out of the result; deciding which tables are required is the loader's job.
    """
    src = open_source(source)
    names = list(tables) if tables is not None else [t.name for t in TABLES]
    try:
        return {name: src.read(name) for name in names if src.locate(name) is not None}
    finally:
        src.close()


def empty_bad_lines() -> pd.DataFrame:
    """:attr:`RawTable.bad_lines` of a table without malformed lines."""
    return pd.DataFrame(
        {
            SOURCE_ROW: pd.Series([], dtype="int64"),
            RAW_LINE: pd.Series([], dtype=object),
            REASON: pd.Series([], dtype=object),
        }
    )


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow table to a frame that keeps the exact arrow types (dates, nullable ints)."""
    frame = table.to_pandas(types_mapper=pd.ArrowDtype, ignore_metadata=True)
    return frame.reset_index(drop=True)


class FolderSource:
    """A folder with one ``<table>.csv``, ``<table>.parquet`` or ``<table>.xlsx`` file per
    table. A workbook's table is its sheet named like the table, or else its first sheet."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise DataContractError(f"data folder {folder} {what}", file=str(folder))
        self.folder = folder
        self.description = str(folder)

    def _candidates(self, name: str) -> list[Path]:
        return [self.folder / f"{name}.{ext}" for ext in FILE_FORMATS]

    def locate(self, name: str) -> str | None:
        found = [p for p in self._candidates(name) if p.is_file()]
        if len(found) > 1:
            names = " and ".join(p.name for p in found)
            raise DataContractError(
                f"table '{name}' is ambiguous in {self.folder}: both {names} exist; "
                "keep one of them",
                file=str(found[0]),
            )
        return str(found[0]) if found else None

    def missing(self, name: str) -> DataContractError:
        looked = ", ".join(p.name for p in self._candidates(name))
        return DataContractError(
            f"required table '{name}' not found in {self.folder} (looked for {looked})",
            file=str(self.folder),
        )

    def read(self, name: str) -> RawTable:
        location = self.locate(name)
        if location is None:
            raise self.missing(name)
        path = Path(location)
        if path.suffix == ".csv":
            return _read_csv(name, path)
        if path.suffix == ".xlsx":
            from recsys.data.excel import read_workbook_file

            return read_workbook_file(name, path)
        return _read_parquet(name, path)

    def close(self) -> None:
        """Nothing to release for files."""


def check_header(header: list[str], *, label: str, file: str) -> None:
    """Raise :class:`DataContractError` if a column name appears twice in ``header``."""
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise DataContractError(
                f"{label}: column '{column}' appears more than once in the header",
                file=file,
                column=column,
            )
        seen.add(column)


def _csv_dialect(path: Path) -> CsvDialect:
    try:
        return detect_csv(path)
    except CsvEncodingError as e:
        raise DataContractError(str(e), file=str(path)) from e
    except OSError as e:
        raise DataContractError(f"{path.name}: cannot be read: {e}", file=str(path)) from e


def _csv_header(path: Path, dialect: CsvDialect) -> list[str]:
    label = path.name
    # "utf-8-sig" also reads UTF-8 without a byte order mark.
    encoding = "cp1252" if dialect.encoding == "cp1252" else "utf-8-sig"
    try:
        with path.open(encoding=encoding, newline="") as f:
            header = next(csv.reader(f, delimiter=dialect.delimiter), None)
    except csv.Error as e:
        raise DataContractError(f"{label}: cannot be parsed: {e}", file=str(path)) from e
    if not header:
        raise DataContractError(
            f"{label}: cannot be parsed: the file is empty (no header row)", file=str(path)
        )
    check_header(header, label=label, file=str(path))
    return header


def _read_csv(name: str, path: Path) -> RawTable:
    """Read a CSV file with every column as text; lines with the wrong field count set aside."""
    dialect = _csv_dialect(path)
    header = _csv_header(path, dialect)
    bad: list[tuple[int, str, str]] = []

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        # Single-threaded reading makes ``number`` the logical row, header = 1.
        number = -1 if row.number is None else row.number - 1
        reason = f"row has {row.actual_columns} fields, expected {row.expected_columns}"
        bad.append((number, row.text, reason))
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                column_names=header,
                skip_rows=1,
                block_size=1 << 24,
                # Arrow reads UTF-8 natively (skipping a byte order mark) and transcodes
                # anything else through Python's codec.
                encoding="cp1252" if dialect.encoding == "cp1252" else "utf8",
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=dialect.delimiter,
                newlines_in_values=True,
                invalid_row_handler=on_invalid_row,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as e:
        raise DataContractError(f"{path.name}: cannot be parsed: {e}", file=str(path)) from e

    frame = _to_pandas(table)
    bad_lines = empty_bad_lines()
    if bad:
        bad_lines = pd.DataFrame(bad, columns=[SOURCE_ROW, RAW_LINE, REASON])
        bad_lines[SOURCE_ROW] = bad_lines[SOURCE_ROW].astype("int64")
    source_row = _interleave_rows(len(frame), bad_lines[SOURCE_ROW].to_numpy())
    if bad:
        logger.info("%s: %d lines with the wrong number of fields", path.name, len(bad))
    return RawTable(
        name=name,
        source=str(path),
        label=path.name,
        frame=frame,
        source_row=source_row,
        bad_lines=bad_lines,
        dialect=dialect.as_dict(),
    )


def _interleave_rows(n_good: int, bad_rows: np.ndarray) -> np.ndarray:
    """Row numbers of the good rows, given the row numbers taken by the bad ones."""
    total = n_good + len(bad_rows)
    taken = np.zeros(total + 1, dtype=bool)
    inside = bad_rows[(bad_rows >= 1) & (bad_rows <= total)]
    taken[inside] = True
    free = np.flatnonzero(~taken[1:]) + 1
    return free[:n_good].astype("int64")


def _read_parquet(name: str, path: Path) -> RawTable:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise DataContractError(f"{path.name}: cannot be parsed: {e}", file=str(path)) from e
    frame = _to_pandas(table)
    return RawTable(
        name=name,
        source=str(path),
        label=path.name,
        frame=frame,
        source_row=np.arange(1, len(frame) + 1, dtype="int64"),
        bad_lines=empty_bad_lines(),
    )


class SqlSource:
    """A SQL database (any SQLAlchemy URL) with one table per contract table."""

    def __init__(self, url: str) -> None:
        try:
            parsed = sa.make_url(url)
        except sa.exc.ArgumentError as e:
            raise DataContractError(f"not a database URL: {url} ({e})", file=url) from e
        self.description = parsed.render_as_string(hide_password=True)
        database = parsed.database
        if (
            parsed.get_backend_name() == "sqlite"
            and database
            and database != ":memory:"
            and not database.startswith("file:")
            and not Path(database).is_file()
        ):
            # SQLite would silently create an empty database instead.
            raise DataContractError(
                f"database {self.description} does not exist", file=self.description
            )
        try:
            self.engine = sa.create_engine(parsed)
        except (sa.exc.SQLAlchemyError, ImportError) as e:
            raise DataContractError(
                f"cannot open database {self.description}: {e}", file=self.description
            ) from e
        try:
            self._tables = set(sa.inspect(self.engine).get_table_names())
        except sa.exc.SQLAlchemyError as e:
            self.engine.dispose()
            raise DataContractError(
                f"cannot open database {self.description}: {e}", file=self.description
            ) from e

    def locate(self, name: str) -> str | None:
        return f"sql:{name}" if name in self._tables else None

    def missing(self, name: str) -> DataContractError:
        return DataContractError(
            f"required table '{name}' not found in database {self.description}",
            file=f"sql:{name}",
        )

    def read(self, name: str) -> RawTable:
        label = f"sql:{name}"
        if name not in self._tables:
            raise self.missing(name)
        quoted = self.engine.dialect.identifier_preparer.quote(name)
        chunks: list[list[np.ndarray]] = []
        driver_error = self.engine.dialect.loaded_dbapi.Error
        try:
            # The driver's own cursor: no SQLAlchemy type processing (so a bad value in a
            # DATE column reaches validation and quarantine instead of raising here), and
            # no per-row wrapping, which would double the time for millions of rows.
            connection = self.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute(f"SELECT * FROM {quoted}")
                keys = [str(d[0]) for d in cursor.description]
                while rows := cursor.fetchmany(_SQL_CHUNK_ROWS):
                    chunks.append([_objects(c) for c in zip(*rows, strict=True)])
                cursor.close()
            finally:
                connection.close()
        except (sa.exc.SQLAlchemyError, driver_error) as e:
            raise DataContractError(f"{label}: cannot be read: {e}", file=label) from e
        frame = pd.DataFrame(
            {
                key: _column_from_values(
                    np.concatenate([chunk[i] for chunk in chunks]) if chunks else _objects(())
                )
                for i, key in enumerate(keys)
            },
            columns=keys,
        )
        return RawTable(
            name=name,
            source=label,
            label=label,
            frame=frame,
            source_row=np.arange(1, len(frame) + 1, dtype="int64"),
            bad_lines=empty_bad_lines(),
        )

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()


def _objects(values: tuple[object, ...]) -> np.ndarray:
    objects = np.empty(len(values), dtype=object)
    objects[:] = values
    return objects


def _column_from_values(objects: np.ndarray) -> pd.Series:
    """A column of driver values: exact arrow types when they agree, objects otherwise."""
    try:
        array = pa.array(objects, from_pandas=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.Series(objects, dtype=object)
    if pa.types.is_null(array.type):
        return pd.Series(objects, dtype=object)
    return pd.Series(pd.arrays.ArrowExtensionArray(array))


# --- writing ---------------------------------------------------------------------------


def write_dataset(
    tables: Mapping[str, pd.DataFrame], target: str | Path, *, format: str = "csv"
) -> None:
    """Write ``tables`` (name -> frame) to a folder or a SQL database.

    A folder gets one ``<name>.csv`` or ``<name>.parquet`` per table (``format``), replacing
    the file of another format (an ``.xlsx`` too) if there is one, so that the folder stays
    unambiguous. CSV follows the contract: UTF-8, header row, ISO dates, ``true``/``false``,
    empty cells for missing values. A SQL URL gets one table per frame, replacing tables of the
    same name (``format`` is ignored); dates are written as ISO ``YYYY-MM-DD`` text.
    """
    if is_url(target):
        _write_sql(tables, str(target))
        return
    if format not in WRITE_FORMATS:
        raise ValueError(f"format must be one of {', '.join(WRITE_FORMATS)}, not {format!r}")
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        path = folder / f"{name}.{format}"
        tmp = path.with_name(path.name + ".tmp")
        arrow = _arrow_for_files(frame)
        if format == "csv":
            pacsv.write_csv(arrow, tmp, write_options=pacsv.WriteOptions(quoting_style="needed"))
        else:
            pq.write_table(arrow, tmp)
        tmp.replace(path)
        for other in FILE_FORMATS:
            sibling = folder / f"{name}.{other}"
            if other != format and sibling.exists():
                logger.info("replacing %s by %s", sibling.name, path.name)
                sibling.unlink()
    logger.info("wrote %d tables to %s (%s)", len(tables), folder, format)


def _is_midnight(values: pd.Series) -> bool:
    return bool((values.dropna() == values.dropna().dt.normalize()).all())


def _arrow_for_files(frame: pd.DataFrame) -> pa.Table:
    """Arrow table for CSV/Parquet: dates as date32, categories as plain text."""
    columns: dict[str, pa.Array] = {}
    for name in frame.columns:
        series = frame[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object).where(series.notna(), None)
        array = pa.array(series, from_pandas=True)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if pa.types.is_timestamp(array.type) and _is_midnight(pd.Series(series)):
            array = pc.cast(array, pa.date32())
        columns[str(name)] = array
    return pa.table(columns)


def _frame_for_sql(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO text and categories as text, so any database round-trips them."""
    out = frame.copy()
    for name in out.columns:
        series = out[name]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            fmt = "%Y-%m-%d" if _is_midnight(series) else "%Y-%m-%d %H:%M:%S"
            out[name] = series.dt.strftime(fmt).astype(object).where(series.notna(), None)
        elif isinstance(series.dtype, pd.CategoricalDtype):
            out[name] = series.astype(object).where(series.notna(), None)
    return out


def _write_sql(tables: Mapping[str, pd.DataFrame], url: str) -> None:
    parsed = sa.make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed)
    try:
        with engine.begin() as conn:
            for name, frame in tables.items():
                _frame_for_sql(frame).to_sql(
                    name, conn, if_exists="replace", index=False, chunksize=50_000
                )
    finally:
        engine.dispose()
    logger.info("wrote %d tables to %s", len(tables), parsed.render_as_string(hide_password=True))
