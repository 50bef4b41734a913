"""Data as HR has it: Excel workbooks, Indonesian-locale CSV (``;``, BOM, decimal commas),
day-first and Excel-serial dates, the agency's own headers and category words, and NIPs
that Excel destroyed. Every case is written as a real file (openpyxl, ``;`` CSV) and must
load to exactly the frames of the contract's own format, or be refused with a clear error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from recsys.data import DataContractError, load_dataset
from recsys.data.contract import TABLES
from recsys.data.mapping import MappingError, load_mapping
from recsys.data.messages import reason_text
from tests.data.conftest import assert_same_tables

Tables = dict[str, pd.DataFrame]

#: An agency's own headers, and the mapping file that names them.
HEADERS = {
    "employees": {"nip": "NIP BARU", "birth_date": "TGL LAHIR", "position": "JABATAN"},
    "performance": {"score": "NILAI SKP", "rating": "PREDIKAT KINERJA"},
}
MAPPING = """\
columns:
  NIP BARU: nip
tables:
  employees:
    columns:
      TGL LAHIR: birth_date
      JABATAN: position
    values:
      gender: {Laki-laki: M, Perempuan: F}
  performance:
    columns:
      NILAI SKP: score
      PREDIKAT KINERJA: rating
"""
WORDS = {("employees", "gender"): {"M": "Laki-laki", "F": "Perempuan"}}


def _cell(value: Any) -> Any:
    """A typed value as Excel holds it (None for missing)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    return str(value)


def _text(value: Any, *, date_format: str, decimal: str) -> str:
    """A typed value as an Indonesian-locale Excel writes it into a CSV cell."""
    cell = _cell(value)
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, dt.date):
        return cell.strftime(date_format)
    if isinstance(cell, float):
        text = str(int(cell)) if cell.is_integer() else repr(cell)
        return text.replace(".", decimal)
    return str(cell)


def hr_rows(
    name: str, frame: pd.DataFrame, *, agency_words: bool
) -> tuple[list[str], list[list[Any]]]:
    """The table's header and rows (typed cells), with the agency's headers and words."""
    headers = HEADERS.get(name, {}) if agency_words else {}
    header = [headers.get(c, c) for c in frame.columns]
    rows = []
    for record in frame.itertuples(index=False):
        row = []
        for column, value in zip(frame.columns, record, strict=True):
            cell = _cell(value)
            words = WORDS.get((name, column)) if agency_words else None
            if words and cell is not None:
                cell = words[cell]
            if name == "performance" and column == "rating" and agency_words and cell:
                cell = str(cell).replace("_", " ").title()  # "sangat_baik" -> "Sangat Baik"
            row.append(cell)
        rows.append(row)
    return header, rows


def write_semicolon_csv(
    world: Tables,
    folder: Path,
    *,
    date_format: str = "%d/%m/%Y",
    encoding: str = "utf-8-sig",
    agency_words: bool = False,
) -> Path:
    """Each table as Excel's id-ID "CSV" saves it: ``;``, BOM, decimal commas."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in world.items():
        header, rows = hr_rows(name, frame, agency_words=agency_words)
        lines = [";".join(header)]
        for row in rows:
            cells = [_text(v, date_format=date_format, decimal=",") for v in row]
            lines.append(";".join(f'"{c}"' if ";" in c or '"' in c else c for c in cells))
        text = "\r\n".join(line.replace('"Data"', '""Data""') for line in lines) + "\r\n"
        (folder / f"{name}.csv").write_bytes(text.encode(encoding))
    return folder


def write_workbook(
    world: Tables,
    path: Path,
    *,
    dates_as_text: str | None = None,
    decimals_as_text: bool = False,
    agency_words: bool = False,
    one_file_per_table: bool = False,
) -> Path:
    """The tables in real .xlsx files: one workbook with a sheet per table, or a folder
    of ``<table>.xlsx``; dates as Excel dates (or as text in ``dates_as_text``)."""

    def sheet(book: openpyxl.Workbook, name: str, frame: pd.DataFrame, first: bool) -> None:
        ws = book.active if first else book.create_sheet()
        assert ws is not None
        ws.title = name
        header, rows = hr_rows(name, frame, agency_words=agency_words)
        ws.append(header)
        for row in rows:
            cells = [
                c.strftime(dates_as_text) if dates_as_text and isinstance(c, dt.date) else c
                for c in row
            ]
            if decimals_as_text:
                cells = [
                    str(c).replace(".", ",") if isinstance(c, float) and not c.is_integer() else c
                    for c in cells
                ]
            ws.append(cells)

    if one_file_per_table:
        path.mkdir(parents=True, exist_ok=True)
        for name, frame in world.items():
            book = openpyxl.Workbook()
            sheet(book, name, frame, True)
            book.save(path / f"{name}.xlsx")
        return path
    book = openpyxl.Workbook()
    for i, (name, frame) in enumerate(world.items()):
        sheet(book, name, frame, i == 0)
    book.save(path)
    return path


# --- whole data sets, each format ---------------------------------------------------------


def test_semicolon_csv_with_bom_day_first_dates_and_decimal_commas_loads_the_same(
    tmp_path: Path, world: Tables
) -> None:
    folder = write_semicolon_csv(world, tmp_path / "id-ID")
    raw = (folder / "assessments.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";3,75;" in raw  # what Excel id-ID writes
    ds = load_dataset(folder)
    assert_same_tables(ds.tables, world)
    assert ds.report.quarantined == 0
    detected = {(d.key, d.params.get("column")) for d in ds.report.table("performance").detected}
    assert ("date_format", "period_end") in detected
    assert ("decimal_comma", None) in detected
    dialect = next(d for d in ds.report.table("employees").detected if d.key == "csv_dialect")
    assert dialect.params["delimiter"] == ";"


def test_windows_1252_dash_dates_load_the_same(tmp_path: Path, world: Tables) -> None:
    named = {**world, "employees": world["employees"].copy()}
    named["employees"].loc[0, "name"] = "Budi Santoso, S.Kom., M.Sc. (Jürgen)"
    folder = write_semicolon_csv(
        named, tmp_path / "cp1252", date_format="%d-%m-%Y", encoding="cp1252"
    )
    ds = load_dataset(folder)
    assert_same_tables(ds.tables, named)
    formats = {
        d.params["format"]
        for d in ds.report.table("enrollments").detected
        if d.key == "date_format"
    }
    assert formats == {"DD-MM-YYYY"}


@pytest.mark.parametrize("one_file_per_table", [False, True], ids=["workbook", "xlsx-per-table"])
def test_excel_files_load_the_same(tmp_path: Path, world: Tables, one_file_per_table: bool) -> None:
    target = tmp_path / ("xlsx" if one_file_per_table else "agency.xlsx")
    write_workbook(world, target, one_file_per_table=one_file_per_table)
    ds = load_dataset(target)
    assert_same_tables(ds.tables, world)
    assert ds.report.quarantined == 0


def test_excel_dates_and_decimals_typed_as_text_load_the_same(
    tmp_path: Path, world: Tables
) -> None:
    """Cells typed as text the Indonesian way: ``31/12/2023``, ``3,75``."""
    book = write_workbook(
        world, tmp_path / "agency.xlsx", dates_as_text="%d/%m/%Y", decimals_as_text=True
    )
    cells = [c.value for c in openpyxl.load_workbook(book)["assessments"]["C"]]
    assert "3,75" in cells
    ds = load_dataset(book)
    assert_same_tables(ds.tables, world)
    detected = {d.key for d in ds.report.table("assessments").detected}
    assert {"xlsx", "decimal_comma", "date_format"} <= detected


def test_the_agencys_headers_and_words_load_through_a_mapping_file(
    tmp_path: Path, world: Tables
) -> None:
    mapping = tmp_path / "kolom.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    folder = write_semicolon_csv(world, tmp_path / "csv", agency_words=True)
    book = write_workbook(world, tmp_path / "agency.xlsx", agency_words=True)
    header = (folder / "employees.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("NIP BARU;") and "TGL LAHIR" in header
    for source in (folder, book):
        ds = load_dataset(source, columns=mapping)
        assert_same_tables(ds.tables, world)
        keys = {d.key for d in ds.report.table("employees").detected}
        assert {"columns_mapped", "values_mapped"} <= keys
    # without the mapping the headers are not the contract's: a clear, fatal error
    with pytest.raises(DataContractError, match="nip"):
        load_dataset(folder)


def test_excel_serial_dates_are_read(tmp_path: Path, world: Tables) -> None:
    folder = write_semicolon_csv(world, tmp_path / "serial")
    perf = world["performance"]
    serial = (perf["period_end"] - pd.Timestamp("1899-12-30")).dt.days.astype(str)
    text = (folder / "performance.csv").read_text(encoding="utf-8-sig").splitlines()
    rows = [text[0]] + [
        line.replace(d.strftime("%d/%m/%Y"), s)
        for line, d, s in zip(text[1:], perf["period_end"], serial, strict=True)
    ]
    (folder / "performance.csv").write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    ds = load_dataset(folder)
    assert_same_tables(ds.tables, world)
    assert any(
        d.params.get("format") == "Excel date number"
        for d in ds.report.table("performance").detected
    )


# --- single cases of the issue --------------------------------------------------------------


def _rewrite(folder: Path, name: str, edit: Callable[[list[list[str]]], None]) -> None:
    path = folder / f"{name}.csv"
    lines = [line.split(";") for line in path.read_text(encoding="utf-8-sig").splitlines()]
    edit(lines)
    path.write_text("\n".join(";".join(cells) for cells in lines) + "\n", encoding="utf-8-sig")


def test_a_column_that_mixes_date_formats_is_quarantined_row_by_row(
    tmp_path: Path, world: Tables
) -> None:
    folder = write_semicolon_csv(world, tmp_path / "mixed")

    def mix(lines: list[list[str]]) -> None:
        column = lines[0].index("period_end")
        lines[2][column] = "2023-12-31"  # one ISO date in a DD/MM/YYYY column

    _rewrite(folder, "performance", mix)
    ds = load_dataset(folder)
    report = ds.report.table("performance")
    assert report.quarantined == 1
    assert report.reasons == {"period_end: not a date (DD/MM/YYYY)": 1}
    # quarantine shows the row as the agency sent it
    assert report.quarantine.loc[0, "period_end"] == "2023-12-31"
    assert report.quarantine.loc[0, "source_row"] == 2
    assert len(ds.performance) == len(world["performance"]) - 1


@pytest.mark.parametrize("damaged", ["1.97702E+17", "1,97702E+17", "1.97702152005011E17"])
def test_a_nip_in_scientific_notation_is_fatal_and_says_how_to_fix_it(
    tmp_path: Path, world: Tables, damaged: str
) -> None:
    folder = write_semicolon_csv(world, tmp_path / "sci")

    def damage(lines: list[list[str]]) -> None:
        lines[3][lines[0].index("nip")] = damaged

    _rewrite(folder, "enrollments", damage)
    with pytest.raises(DataContractError) as caught:
        load_dataset(folder)
    message = str(caught.value)
    assert caught.value.column == "nip"
    assert "enrollments.csv" in message and damaged in message and "row 3" in message
    assert "Format Cells → Text" in message
    assert "unknown employee" not in message


def test_nips_whose_last_digits_excel_rounded_to_000_are_fatal(
    tmp_path: Path, world: Tables
) -> None:
    folder = write_semicolon_csv(world, tmp_path / "rounded")

    def damage(lines: list[list[str]]) -> None:
        column = lines[0].index("nip")
        for line in lines[1:]:
            line[column] = line[column][:15] + "000"

    _rewrite(folder, "performance", damage)
    with pytest.raises(DataContractError, match="000") as caught:
        load_dataset(folder)
    assert caught.value.column == "nip"


def test_a_nip_column_stored_as_numbers_in_excel_is_fatal(tmp_path: Path, world: Tables) -> None:
    book = write_workbook(world, tmp_path / "agency.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["employees"]
    for row in ws.iter_rows(min_row=2, max_col=1):
        row[0].value = float(row[0].value)  # what Excel does to an 18-digit number
    wb.save(book)
    with pytest.raises(DataContractError, match="E\\+17") as caught:
        load_dataset(book)
    assert caught.value.column == "nip"


def test_a_table_where_most_rows_break_one_rule_is_fatal_and_names_it(
    tmp_path: Path, world: Tables
) -> None:
    folder = write_semicolon_csv(world, tmp_path / "english")

    def english(lines: list[list[str]]) -> None:
        column = lines[0].index("rating")
        for line in lines[1:]:
            line[column] = "Good"

    _rewrite(folder, "performance", english)
    with pytest.raises(DataContractError) as caught:
        load_dataset(folder)
    message = str(caught.value)
    assert caught.value.column == "rating"
    assert "performance.csv" in message and "6 of 6 rows" in message
    assert "rating: not one of" in message and "'Good'" in message


def test_a_few_bad_rows_still_go_to_quarantine(tmp_path: Path, world: Tables) -> None:
    folder = write_semicolon_csv(world, tmp_path / "few")

    def one(lines: list[list[str]]) -> None:
        lines[1][lines[0].index("rating")] = "Good"

    _rewrite(folder, "performance", one)
    ds = load_dataset(folder)
    assert ds.report.table("performance").quarantined == 1


# --- the mapping file ------------------------------------------------------------------------


def test_shipped_mappings_load_and_name_only_contract_columns() -> None:
    mapping = load_mapping("siasn,ekinerja")
    assert mapping.for_table("employees").columns["nip baru"] == "nip"
    assert mapping.for_table("employees").columns["tgl lahir"] == "birth_date"
    assert mapping.for_table("performance").columns["nilai skp"] == "score"
    assert mapping.for_table("employees").values["gender"]["laki-laki"] == "M"
    contract = {t.name: set(t.column_names) for t in TABLES}
    for name, table in mapping.tables.items():
        assert set(table.columns.values()) <= contract[name]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("tables:\n  pegawai:\n    columns: {NIP: nip}\n", "tables.pegawai"),
        ("tables:\n  employees:\n    columns: {NIP: nomor}\n", "tables.employees.columns.NIP"),
        ("columns: {X: not_a_column}\n", "columns.X"),
        ("kolom: {}\n", "'kolom'"),
        ("tables:\n  employees:\n    values: {sex: {L: M}}\n", "tables.employees.values.sex"),
        ("columns: [1, 2\n", "cannot be read"),
    ],
)
def test_a_bad_mapping_file_names_the_file_and_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "kolom.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(path) in str(caught.value) and named in str(caught.value)


def test_an_unknown_mapping_name_lists_the_shipped_ones() -> None:
    with pytest.raises(MappingError, match="siasn"):
        load_mapping("sapk")


def test_two_headers_for_one_column_are_refused(tmp_path: Path, world: Tables) -> None:
    folder = write_semicolon_csv(world, tmp_path / "twice")

    def twice(lines: list[list[str]]) -> None:
        lines[0].append("NIP BARU")
        for line in lines[1:]:
            line.append(line[0])

    _rewrite(folder, "employees", twice)
    with pytest.raises(DataContractError, match="both map to 'nip'"):
        load_dataset(folder, columns="siasn")


def test_thousands_dots_are_read_in_an_indonesian_csv(tmp_path: Path, world: Tables) -> None:
    """``12.500.000`` in a number column and ``1.500`` in an integer column of a ``;``
    file are thousands, as Excel id-ID writes them with a "#.##0" format."""
    trainings = world["trainings"].copy()
    trainings["capacity"] = pd.array([1500, None, 25], dtype=trainings["capacity"].dtype)
    trainings["cost_idr"] = [12_500_000.0, 0.0, 1_750_000.0]
    changed = {**world, "trainings": trainings}
    folder = write_semicolon_csv(changed, tmp_path / "thousands")

    def group(lines: list[list[str]]) -> None:
        cost, capacity = lines[0].index("cost_idr"), lines[0].index("capacity")
        lines[1][cost], lines[1][capacity] = "12.500.000", "1.500"
        lines[3][cost] = "1.750.000"

    _rewrite(folder, "trainings", group)
    ds = load_dataset(folder)
    assert_same_tables(ds.tables, changed)
    detected = [d for d in ds.report.table("trainings").detected if d.key == "decimal_comma"]
    assert detected[0].params["columns"] == ["cost_idr", "capacity"]


def test_dots_stay_decimal_points_where_nothing_says_otherwise(
    tmp_path: Path, world: Tables
) -> None:
    """A ``;`` file written with decimal points (no comma, no second dot) keeps them."""
    folder = write_semicolon_csv(world, tmp_path / "points")

    def points(lines: list[list[str]]) -> None:
        level = lines[0].index("level")
        for line in lines[1:]:
            line[level] = line[level].replace(",", ".")

    _rewrite(folder, "assessments", points)
    assert_same_tables(load_dataset(folder).tables, world)


def test_a_single_nip_ending_in_000_is_lost_digits_not_an_unknown_employee(
    tmp_path: Path, world: Tables
) -> None:
    folder = write_semicolon_csv(world, tmp_path / "one-000")
    column = list(world["enrollments"].columns).index("nip")
    damaged = world["enrollments"]["nip"].iloc[1][:15] + "000"

    def damage(lines: list[list[str]]) -> None:
        lines[2][column] = damaged

    _rewrite(folder, "enrollments", damage)
    report = load_dataset(folder).report.table("enrollments")
    assert report.reasons == {"nip: NIP ends in 000 (digits lost in Excel?)": 1}
    assert report.quarantine.loc[0, "reason"] == (
        f"nip: NIP ends in 000 (digits lost in Excel?): '{damaged}'"
    )
    assert "unknown" not in report.quarantine.loc[0, "reason"]
    indonesian = reason_text(report.quarantine.loc[0, "reason"], "id")
    assert indonesian == f"nip: NIP berakhiran 000 (digit hilang di Excel?): '{damaged}'"
