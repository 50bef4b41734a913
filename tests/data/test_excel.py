"""Excel sources: a folder of ``<table>.xlsx`` files, or one workbook with a sheet per table,
read exactly like the CSV files saved from them."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from recsys.data import DataContractError, load_dataset, read_raw_tables, write_dataset
from recsys.data.contract import TABLES
from recsys.data.excel import cell_text
from recsys.data.sources import open_source
from tests.data.conftest import assert_same_tables

Rows = Iterable[Sequence[object]]


def _cell(value: object) -> object:
    """A typed frame's value as a person would enter it in Excel: dates as dates, numbers
    as numbers, booleans as booleans, missing values as empty cells."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _rows(frame: pd.DataFrame) -> list[list[object]]:
    """Header and rows of a typed frame (NIPs are text in the world, so they stay text)."""
    body = [[_cell(v) for v in row] for row in frame.astype(object).itertuples(index=False)]
    return [list(frame.columns), *body]


def write_workbook(path: Path, sheets: dict[str, Rows]) -> Path:
    """A workbook with the given sheets, in order, each a list of rows."""
    book = Workbook()
    default = book.worksheets[0]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.remove(default)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def world_xlsx_folder(
    tmp_path_factory: pytest.TempPathFactory, world: dict[str, pd.DataFrame]
) -> Path:
    """The world as a folder of ``<table>.xlsx`` files; shared, so never modify it."""
    folder = tmp_path_factory.mktemp("world_xlsx")
    for name, frame in world.items():
        write_workbook(folder / f"{name}.xlsx", {name: _rows(frame)})
    return folder


@pytest.fixture(scope="module")
def world_workbook(
    tmp_path_factory: pytest.TempPathFactory, world: dict[str, pd.DataFrame]
) -> Path:
    """The world as one workbook, a sheet per table (named as people do), after a sheet of
    notes; shared, so never modify it."""
    sheets: dict[str, Rows] = {"Petunjuk": [["Data pegawai ASN"], ["Diisi oleh BKPSDM"]]}
    for name, frame in world.items():
        title = f" {name.capitalize()} " if name == "employees" else name.upper()
        sheets[title] = _rows(frame)
    return write_workbook(tmp_path_factory.mktemp("workbook") / "agency.xlsx", sheets)


def test_a_folder_of_workbooks_loads_like_csv(world_xlsx_folder: Path, world_csv: Path) -> None:
    from_xlsx = load_dataset(world_xlsx_folder)
    from_csv = load_dataset(world_csv)
    assert_same_tables(dict(from_xlsx.tables), dict(from_csv.tables))
    assert from_xlsx.report.quarantined == 0
    assert from_xlsx.report.table("employees").source == str(world_xlsx_folder / "employees.xlsx")


def test_workbook_cells_read_as_the_csv_text(world_xlsx_folder: Path, world_csv: Path) -> None:
    from_xlsx = read_raw_tables(world_xlsx_folder)
    from_csv = read_raw_tables(world_csv)
    assert_same_tables(
        {n: t.frame for n, t in from_xlsx.items()}, {n: t.frame for n, t in from_csv.items()}
    )
    employees = from_xlsx["employees"]
    assert employees.label == "employees.xlsx"
    assert dict(employees.dialect) == {"format": "xlsx", "sheet": "employees"}
    assert list(employees.source_row) == [1, 2, 3, 4, 5, 6]
    assert len(employees.bad_lines) == 0


def test_one_workbook_with_a_sheet_per_table_loads_like_csv(
    world_workbook: Path, world_csv: Path
) -> None:
    from_workbook = load_dataset(world_workbook)
    assert_same_tables(dict(from_workbook.tables), dict(load_dataset(world_csv).tables))
    assert from_workbook.source == str(world_workbook)
    assert from_workbook.report.table("employees").source == f"{world_workbook}[ Employees ]"

    raw = read_raw_tables(world_workbook, ["employees", "trainings"])
    assert raw["employees"].label == "agency.xlsx[ Employees ]"
    assert dict(raw["trainings"].dialect) == {"format": "xlsx", "sheet": "TRAININGS"}


def test_an_xlsm_workbook_is_read_too(tmp_path: Path, world_workbook: Path) -> None:
    path = tmp_path / "agency.xlsm"
    path.write_bytes(world_workbook.read_bytes())
    source = open_source(path)
    try:
        assert source.locate("trainings") == f"{path}[TRAININGS]"
        assert len(source.read("trainings").frame) == 3
    finally:
        source.close()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("", None),
        (" Budi ", " Budi "),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (197702152005011001, "197702152005011001"),  # an int keeps every digit
        (115.0, "115"),
        (-3.0, "-3"),
        (3.5, "3.5"),
        (60.25, "60.25"),
        (0.1 + 0.2, "0.3"),
        (999_999_999_999_999.0, "999999999999999"),
        # Numbers Excel rounded to 15 digits read as Excel shows them.
        (1.97702152005011e17, "1.97702E+17"),
        (2e17, "2E+17"),
        (-1.5e15, "-1.5E+15"),
        (dt.datetime(2023, 3, 1), "2023-03-01"),
        (dt.datetime(2023, 3, 1, 13, 5, 9), "2023-03-01 13:05:09"),
        (dt.date(1970, 3, 14), "1970-03-14"),
        (dt.time(8, 30), "08:30:00"),
    ],
)
def test_cell_text(value: object, text: str | None) -> None:
    assert cell_text(value) == text


def test_a_nip_stored_as_a_number_reads_damaged(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "data" / "competencies.xlsx",
        {"Sheet1": [["code", "name", "kind"], [1.97702152005011e17, "Integritas", "manajerial"]]},
    )
    raw = read_raw_tables(path.parent, ["competencies"])["competencies"]
    assert raw.frame.loc[0, "code"] == "1.97702E+17"


def test_a_workbook_whose_nips_excel_stored_as_numbers_is_refused(
    tmp_path: Path, world_xlsx_folder: Path, world: dict[str, pd.DataFrame]
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for path in world_xlsx_folder.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    employees = world["employees"].astype({"nip": float, "supervisor_nip": float})
    write_workbook(folder / "employees.xlsx", {"employees": _rows(employees)})
    with pytest.raises(
        DataContractError, match=r"employees\.xlsx: column 'nip' holds .* in scientific notation"
    ):
        load_dataset(folder)


def test_blank_rows_are_skipped_and_rows_keep_their_sheet_numbers(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        [None, None, None, None],  # a blank row above the header
        ["code", "name", "kind", None, None],  # trailing blank header cells
        ["M1", "Integritas", "manajerial"],
        [None, "", None, None, None],  # formatted but blank
        ["M2", "Kerjasama", "manajerial", None, ""],
        ["SK1", "Perekat Bangsa", "sosial_kultural", None, "catatan"],
        ["T1", None, None],
    ]
    path = write_workbook(tmp_path / "data" / "competencies.xlsx", {"Kompetensi": rows})
    raw = read_raw_tables(path.parent, ["competencies"])["competencies"]
    assert raw.columns == ["code", "name", "kind"]
    assert list(raw.frame["code"]) == ["M1", "M2", "T1"]
    assert raw.frame["name"].isna().tolist() == [False, False, True]
    # Row n of the table is row n + 1 of the sheet.
    assert list(raw.source_row) == [2, 4, 6]
    assert raw.bad_lines.to_dict("records") == [
        {
            "source_row": 5,
            "raw_line": "SK1,Perekat Bangsa,sosial_kultural,,catatan",
            "reason": "row has 5 fields, expected 3",
        }
    ]
    assert raw.read == 4


def test_the_sheet_named_like_the_table_is_preferred(tmp_path: Path) -> None:
    header = ["code", "name", "kind"]
    path = write_workbook(
        tmp_path / "data" / "competencies.xlsx",
        {
            "Petunjuk": [["Isi lembar competencies"]],
            "Competencies": [header, ["M1", "Integritas", "manajerial"]],
        },
    )
    raw = read_raw_tables(path.parent, ["competencies"])["competencies"]
    assert dict(raw.dialect) == {"format": "xlsx", "sheet": "Competencies"}
    assert list(raw.frame["code"]) == ["M1"]


def test_a_blank_header_cell_between_columns_is_refused(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "data" / "competencies.xlsx",
        {"Kompetensi": [["code", None, "kind"], ["M1", "Integritas", "manajerial"]]},
    )
    with pytest.raises(DataContractError) as caught:
        read_raw_tables(path.parent, ["competencies"])
    message = str(caught.value)
    assert message.startswith("competencies.xlsx: the header cell B1 of sheet 'Kompetensi'")
    assert caught.value.file == str(path)


def test_a_duplicated_header_is_refused(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "agency.xlsx",
        {"competencies": [["code", "name", " code", "kind"], ["M1", "Integritas", "M1", "x"]]},
    )
    with pytest.raises(DataContractError) as caught:
        read_raw_tables(path, ["competencies"])
    assert str(caught.value) == (
        "agency.xlsx[competencies]: column 'code' appears more than once in the header"
    )
    assert caught.value.column == "code"


def test_an_empty_sheet_is_refused(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "data" / "competencies.xlsx", {"Sheet1": [[None, ""]]})
    with pytest.raises(
        DataContractError,
        match=r"competencies\.xlsx: cannot be parsed: the sheet is empty \(no header row\)",
    ):
        read_raw_tables(path.parent, ["competencies"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"this is not a workbook", "not an Excel workbook (invalid Zip archive"),
        (b"code,name,kind\nM1,Integritas,manajerial\n", "not an Excel workbook"),
    ],
    ids=["garbage", "csv-named-xlsx"],
)
def test_a_file_that_is_no_workbook_is_refused(
    csv_folder: Path, content: bytes, expected: str
) -> None:
    (csv_folder / "competencies.csv").unlink()
    path = csv_folder / "competencies.xlsx"
    path.write_bytes(content)
    with pytest.raises(DataContractError, match=r"competencies\.xlsx: cannot be parsed") as caught:
        load_dataset(csv_folder)
    assert expected in str(caught.value)
    assert caught.value.file == str(path)


def test_a_truncated_workbook_is_refused(tmp_path: Path, world_workbook: Path) -> None:
    path = tmp_path / "agency.xlsx"
    data = world_workbook.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataContractError, match=r"agency\.xlsx: cannot be parsed"):
        load_dataset(path)


def test_a_missing_sheet_lists_the_sheets_found(
    tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    sheets: dict[str, Rows] = {"Petunjuk": [["Data pegawai ASN"]]}
    sheets |= {name: _rows(frame) for name, frame in world.items() if name != "trainings"}
    path = write_workbook(tmp_path / "agency.xlsx", sheets)
    with pytest.raises(DataContractError) as caught:
        load_dataset(path)
    assert str(caught.value).startswith(
        "required table 'trainings' not found in workbook agency.xlsx: no sheet named "
        "'trainings' (sheets: 'Petunjuk', 'competencies', 'employees',"
    )
    assert caught.value.file == str(path)


def test_two_sheets_for_one_table_are_ambiguous(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "agency.xlsx",
        {"competencies": [["code"]], "Competencies ": [["code"]]},
    )
    with pytest.raises(DataContractError, match="sheets 'competencies' and 'Competencies '"):
        read_raw_tables(path, ["competencies"])


def test_one_table_in_csv_and_xlsx_is_ambiguous(
    csv_folder: Path, world: dict[str, pd.DataFrame]
) -> None:
    write_workbook(csv_folder / "trainings.xlsx", {"trainings": _rows(world["trainings"])})
    with pytest.raises(DataContractError, match=r"both trainings\.csv and trainings\.xlsx"):
        load_dataset(csv_folder)


def test_a_path_to_another_file_is_refused(world_csv: Path, tmp_path: Path) -> None:
    path = world_csv / "employees.csv"
    with pytest.raises(DataContractError) as caught:
        load_dataset(path)
    assert str(caught.value) == (
        f"{path} is a file: a data folder, an .xlsx workbook or a database URL is expected"
    )
    assert caught.value.file == str(path)

    old = tmp_path / "agency.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # the start of an OLE2 file
    with pytest.raises(DataContractError, match="Excel 97-2003 workbooks cannot be read"):
        load_dataset(old)


def test_a_missing_workbook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataContractError, match=r"workbook .*agency\.xlsx does not exist"):
        load_dataset(tmp_path / "agency.xlsx")


def test_every_contract_table_is_in_the_world_workbook(world_workbook: Path) -> None:
    source = open_source(world_workbook)
    try:
        assert all(source.locate(t.name) is not None for t in TABLES)
    finally:
        source.close()


def test_write_dataset_replaces_a_workbook_of_the_table(
    tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    folder = tmp_path / "data"
    write_workbook(folder / "trainings.xlsx", {"trainings": _rows(world["trainings"])})
    write_dataset({"trainings": world["trainings"]}, folder, format="csv")
    assert not (folder / "trainings.xlsx").exists()
    assert (folder / "trainings.csv").exists()
