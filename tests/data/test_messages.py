"""The loader's reasons, warnings and detected notes in Bahasa Indonesia and English.

The reasons checked are real: rows broken on purpose and loaded with ``load_dataset``,
so a rule whose words change in :mod:`recsys.data.validation` without a translation here
fails the test instead of reaching HR staff in English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from recsys.data import Detected, LoadReport, load_dataset
from recsys.data.messages import (
    detected_text,
    error_text,
    reason_keys,
    reason_text,
    warning_text,
)
from tests.data.conftest import LEAF, read_text_tables, write_text_tables

TextTables = dict[str, pd.DataFrame]
Value = str | Callable[[TextTables], str]
Changes = dict[str, dict[int, dict[str, Value]]]
UNKNOWN_NIP = "199901012020011999"

#: English rule words that must not survive translation (values in quotes are removed
#: before looking; column names such as ``birth_date`` do not match as whole words).
ENGLISH = (
    "outside",
    "unknown",
    "missing",
    "duplicate",
    "not",
    "an",
    "one of",
    "above",
    "below",
    "expected",
    "row",
    "has",
    "fields",
    "field",
    "digits",
    "disagrees",
    "with",
    "part",
    "sequence",
    "is",
    "invalid",
    "before",
    "age",
    "same as",
    "own",
    "quarantined",
    "in",
    "source",
    "wrong",
    "number",
    "integer",
    "time of day",
    "match",
    "or",
    "and",
    "more",
    "for",
    "no",
    "found",
    "loaded",
    "ignored",
    "columns",
    "table",
    "optional",
    "employee",
    "employees report",
    "position",
    "positions",
    "supervisor",
    "standard",
    "contract",
    "valid",
    "rows",
    "were",
)
#: Canonical phrases the broken worlds below must produce, so every rule is exercised.
PHRASES = (
    "missing",
    "not one of",
    "not a number",
    "not an integer",
    "not a boolean (true/false)",
    "not a date (YYYY-MM-DD)",
    "not a date (DD/MM/YYYY)",
    "not a date (has a time of day)",
    "outside 1677-09-22–2262-04-11",
    "outside 0–120",
    "not above 0",
    "below 0",
    "not 18 digits",
    "duplicate of source row",
    "birth date part",
    "TMT part",
    "gender digit",
    "sequence 000 is invalid",
    "is before age 18",
    "the employee's own nip",
    "before start_date",
    "same as mentor_nip",
    "unknown employee",
    "unknown competency",
    "unknown training",
    "unknown unit",
    "(quarantined in",
    "row has",
    "; ",
)
#: Warnings the broken worlds below must produce.
WARNING_PHRASES = (
    "optional table",
    "columns not in the contract",
    "no competency standard",
    "whose own row was quarantined",
    "no valid rows were loaded",
)


def emp(row: int, column: str = "nip") -> Callable[[TextTables], str]:
    return lambda t: str(t["employees"].loc[row, column])


def leaf_nip(*parts: tuple[int, str]) -> Callable[[TextTables], str]:
    """The leaf employee's NIP with each ``(start, text)`` written over it."""

    def value(t: TextTables) -> str:
        nip = str(t["employees"].loc[LEAF, "nip"])
        for start, text in parts:
            nip = nip[:start] + text + nip[start + len(text) :]
        return nip

    return value


def _dd_mm_yyyy(t: TextTables) -> None:
    """Enrollments' start dates written day first, one of them not a date at all."""
    start = pd.to_datetime(t["enrollments"]["start_date"]).dt.strftime("%d/%m/%Y")
    start.iloc[3] = "2023-01-09"
    t["enrollments"]["start_date"] = start


#: Worlds broken in many ways at once; each table has at most one row per rule broken,
#: so that no table is refused as a format problem.
ROUNDS: list[Changes] = [
    {
        "employees": {LEAF: {"nip": "19920701201601100"}},
        "competencies": {2: {"kind": "teknikal"}},
        "competency_standards": {1: {"required_level": "2.5"}},
        "assessments": {2: {"level": "3,5"}},
        "performance": {1: {"score": "130"}},
        "trainings": {1: {"hours_jp": "0"}},
        "mentorships": {1: {"mentee_nip": emp(1)}},
        "service_metrics": {1: {"avg_service_days": "-1"}},
    },
    {
        "employees": {LEAF: {"birth_date": "1992-07-02"}},
        "competencies": {2: {"code": "M2"}},
        "enrollments": {0: {"end_date": "2022-01-31"}},
        "trainings": {1: {"active": "ya"}},
        "assessments": {1: {"competency": "X1"}},
        "performance": {1: {"rating": "istimewa"}},
        "service_metrics": {1: {"unit": "Dinas Pariwisata"}},
    },
    {
        "employees": {LEAF: {"hire_date": "2016-02-01"}},
        "trainings": {2: {"training_id": "TR-001"}},
        "enrollments": {1: {"nip": UNKNOWN_NIP}},
        "mentorships": {0: {"mentee_rating": "6"}},
        "assessments": {2: {"assessed_on": "2023/03/01"}},
        "performance": {1: {"period_end": ""}},
    },
    {
        "employees": {LEAF: {"gender": "F", "supervisor_nip": emp(LEAF)}},
        "enrollments": {2: {"enrollment_id": "E-1"}},
        "mentorships": {1: {"mentor_nip": UNKNOWN_NIP}},
        "competencies": {1: {"name": ""}},
    },
    {
        # TMT 2009 with birth 1992: hired at 16; and a sequence of 000.
        "employees": {
            LEAF: {"hire_date": "2009-01-01", "nip": leaf_nip((8, "200901"), (15, "000"))}
        },
    },
    {
        "employees": {
            LEAF: {"birth_date": "1600-01-01"},
            1: {"gender": "X"},
            0: {"position": "Sekretaris"},
        },
        "training_competencies": {r: {"target_level": "9"} for r in range(4)},
    },
]


def _apply(t: TextTables, changes: Changes) -> None:
    resolved = {
        name: {
            row: {c: v(t) if callable(v) else v for c, v in cells.items()}
            for row, cells in rows.items()
        }
        for name, rows in changes.items()
    }
    for name, rows in resolved.items():
        for row, cells in rows.items():
            for column, value in cells.items():
                t[name].loc[row, column] = value


def _broken_folder(world_csv: Path, folder: Path, index: int) -> Path:
    tables = read_text_tables(world_csv)
    _apply(tables, ROUNDS[index])
    if index == 5:
        _dd_mm_yyyy(tables)
        tables["trainings"]["catatan"] = "x"
        del tables["mentorships"]
    write_text_tables(tables, folder)
    if index == 4:
        with (folder / "competencies.csv").open("a", encoding="utf-8") as f:
            f.write("M9,Orientasi,manajerial,extra\n")
    if index == 5:
        # Assessments as Parquet with real timestamps, one with a time of day.
        assessments = tables["assessments"].copy()
        stamps = pd.to_datetime(assessments["assessed_on"])
        stamps.iloc[1] = stamps.iloc[1] + pd.Timedelta(hours=9, minutes=30)
        assessments["assessed_on"] = stamps
        (folder / "assessments.csv").unlink()
        assessments.to_parquet(folder / "assessments.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def broken_reports(world_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> list[LoadReport]:
    """The load reports of every broken world in :data:`ROUNDS`."""
    base = tmp_path_factory.mktemp("broken")
    return [
        load_dataset(_broken_folder(world_csv, base / f"round{i}", i)).report
        for i in range(len(ROUNDS))
    ]


@pytest.fixture(scope="module")
def reasons(broken_reports: list[LoadReport]) -> list[str]:
    """Every reason of the broken worlds: rule keys and rows' messages."""
    found: list[str] = []
    for report in broken_reports:
        for entry in report.tables:
            found += list(entry.reasons)
            found += [str(r) for r in entry.quarantine.get("reason", pd.Series(dtype=object))]
    return sorted(set(found))


def _english_left(text: str) -> list[str]:
    """English rule words in ``text``, values in quotes left out."""
    bare = re.sub(r"'[^']*'", "''", text)
    return [w for w in ENGLISH if re.search(rf"(?<![\w'-]){re.escape(w)}(?![\w'-])", bare)]


def test_the_broken_worlds_produce_every_phrase(reasons: list[str]) -> None:
    joined = "\n".join(reasons)
    missing = [p for p in PHRASES if p not in joined]
    assert not missing, missing


def test_the_broken_worlds_produce_every_warning(broken_reports: list[LoadReport]) -> None:
    joined = "\n".join(w for r in broken_reports for w in r.warnings)
    assert not [p for p in WARNING_PHRASES if p not in joined]


def test_every_real_reason_is_translated(reasons: list[str]) -> None:
    for reason in reasons:
        text = reason_text(reason, "id")
        assert text != reason, reason
        assert not _english_left(text), (reason, text, _english_left(text))
        # Values and column names are kept as they were.
        for quoted in re.findall(r"'[^']*'", reason):
            assert quoted in text, (reason, text)
        english_parts, indonesian_parts = reason.split("; "), text.split("; ")
        assert len(english_parts) == len(indonesian_parts), (reason, text)
        for english, indonesian in zip(english_parts, indonesian_parts, strict=True):
            column = re.match(r"(\w+): ", english)
            if column and column.group(1) != "row":
                assert indonesian.startswith(column.group(0)), (english, indonesian)


def test_english_is_the_canonical_text(reasons: list[str]) -> None:
    for reason in reasons:
        assert reason_text(reason, "en") == reason


def test_every_message_maps_to_its_counted_key(broken_reports: list[LoadReport]) -> None:
    for report in broken_reports:
        for entry in report.tables:
            counted: dict[str, int] = {}
            for reason in entry.quarantine.get("reason", pd.Series(dtype=object)):
                for key in reason_keys(str(reason)):
                    counted[key] = counted.get(key, 0) + 1
            assert counted == entry.reasons, entry.name


def test_every_real_warning_is_translated(broken_reports: list[LoadReport]) -> None:
    for warning in {w for r in broken_reports for w in r.warnings}:
        text = warning_text(warning, "id")
        assert text != warning
        assert not _english_left(re.sub(r"\S*[/\\]\S*", "", text)), (warning, text)
        assert warning_text(warning, "en") == warning


@pytest.mark.parametrize(
    ("english", "indonesian"),
    [
        ("level: 7.5 outside 1.0–5.0", "level: 7.5 di luar 1.0–5.0"),
        ("level: outside 1.0–5.0", "level: di luar 1.0–5.0"),
        ("nip: unknown employee '123'", "nip: pegawai tidak dikenal '123'"),
        (
            "nip: unknown employee '123' (quarantined in employees)",
            "nip: pegawai tidak dikenal '123' (dikarantina di employees)",
        ),
        ("training_id: unknown training", "training_id: pelatihan tidak dikenal"),
        ("unit: unknown unit 'Dinas; Pariwisata'", "unit: unit tidak dikenal 'Dinas; Pariwisata'"),
        (
            "start_date: not a date (YYYY-MM-DD): '31/12/2023'",
            "start_date: bukan tanggal (YYYY-MM-DD): '31/12/2023'",
        ),
        (
            "start_date: not a date (DD/MM/YYYY): '2023-12-31'",
            "start_date: bukan tanggal (DD/MM/YYYY): '2023-12-31'",
        ),
        ("start_date: not a date (DD-MM-YYYY)", "start_date: bukan tanggal (DD-MM-YYYY)"),
        ("x: not a date (Excel date number)", "x: bukan tanggal (nomor tanggal Excel)"),
        ("missing", "kosong"),
        ("duplicate of source row 12", "duplikat baris sumber 12"),
        ("code: duplicate", "code: duplikat"),
        ("not one of a, b", "bukan salah satu dari a, b"),
        ("not a number", "bukan angka"),
        ("not an integer", "bukan bilangan bulat"),
        ("not a boolean (true/false)", "bukan boolean (true/false)"),
        ("row: wrong number of fields", "baris: jumlah kolom salah"),
        ("row has 5 fields, expected 7", "baris berisi 5 kolom, seharusnya 7"),
        ("hours_jp: 0 not above 0", "hours_jp: 0 tidak di atas 0"),
        ("x: 12 above 10", "x: 12 di atas 10"),
        ("x: -1 below 0 or above 10", "x: -1 di bawah 0 atau di atas 10"),
        ("x: does not match ^A$: 'b'", "x: tidak sesuai pola ^A$: 'b'"),
        ("nip: not 18 digits: '1,97702E+17'", "nip: bukan 18 digit: '1,97702E+17'"),
        ("hire_date: before age 18", "hire_date: sebelum usia 18 tahun"),
        ("end_date: before start_date", "end_date: sebelum start_date"),
        (
            "gender: not one of M, F: 'X'; grade: not one of I/a … IV/e: 'V/a'",
            "gender: bukan salah satu dari M, F: 'X'; "
            "grade: bukan salah satu dari I/a … IV/e: 'V/a'",
        ),
    ],
)
def test_reason_examples(english: str, indonesian: str) -> None:
    assert reason_text(english, "id") == indonesian
    assert reason_text(english, "en") == english


@pytest.mark.parametrize(
    "text", ["", "something new", "nip: something new", "nip: 'unbalanced", "; ;", "row has x"]
)
def test_unknown_reasons_pass_through(text: str) -> None:
    assert reason_text(text, "id") == text


def test_unknown_parts_pass_through_beside_known_ones() -> None:
    assert reason_text("nip: a new rule; level: missing", "id") == "nip: a new rule; level: kosong"
    assert reason_keys("nip: a new rule; level: 7 outside 1–5") == [
        "nip: a new rule",
        "level: outside 1–5",
    ]


def test_warning_examples() -> None:
    assert (
        warning_text("optional table 'mentorships' not found in data/raw; loaded as empty", "id")
        == "tabel opsional 'mentorships' tidak ditemukan di data/raw; dimuat sebagai tabel kosong"
    )
    assert warning_text(
        "employees: no competency standard for 7 positions (9 employees): "
        "'a', 'b', 'c', 'd', 'e' and 2 more",
        "id",
    ) == (
        "employees: tidak ada standar kompetensi untuk 7 jabatan (9 pegawai): "
        "'a', 'b', 'c', 'd', 'e' dan 2 lainnya"
    )
    assert warning_text("something new", "id") == "something new"


def test_error_examples() -> None:
    message = (
        "trainings.csv: required column 'hours_jp' is missing "
        "(columns found: 'training_id', 'title')"
    )
    assert error_text(message, "id") == (
        "trainings.csv: kolom wajib 'hours_jp' tidak ada "
        "(kolom yang ditemukan: 'training_id', 'title')"
    )
    assert error_text(message, "en") == message
    assert error_text("something new", "id") == "something new"


DETECTED = [
    (
        Detected(
            "csv_dialect", {"file": "employees.csv", "delimiter": ";", "encoding": "utf-8-sig"}
        ),
        "employees.csv: pemisah titik koma (;), encoding UTF-8 dengan BOM",
        "employees.csv: semicolon (;) between fields, UTF-8 with BOM encoding",
    ),
    (
        Detected("csv_dialect", {"file": "a.csv", "delimiter": "\t", "encoding": "cp1252"}),
        "a.csv: pemisah tab, encoding Windows-1252",
        "a.csv: tab between fields, Windows-1252 encoding",
    ),
    (
        Detected("xlsx", {"file": "data.xlsx", "sheet": "employees"}),
        "data.xlsx: dibaca dari lembar (sheet) 'employees' buku kerja Excel",
        "data.xlsx: read from the Excel workbook's sheet 'employees'",
    ),
    (
        Detected("decimal_comma", {"file": "assessments.csv", "columns": ["level", "score"]}),
        "assessments.csv: angka ditulis cara Indonesia (3,5 atau 1.500) dibaca sebagai 3.5 "
        "dan 1500 di kolom level, score",
        "assessments.csv: numbers written the Indonesian way (3,5 or 1.500) read as 3.5 and "
        "1500 in level, score",
    ),
    (
        Detected("date_format", {"file": "e.csv", "column": "birth_date", "format": "DD/MM/YYYY"}),
        "e.csv: tanggal di kolom birth_date ditulis DD/MM/YYYY; dibaca sebagai tanggal",
        "e.csv: dates in birth_date written as DD/MM/YYYY; read as dates",
    ),
    (
        Detected("date_format", {"file": "e.csv", "column": "hire_date", "format": "excel_serial"}),
        "e.csv: tanggal di kolom hire_date ditulis nomor tanggal Excel; dibaca sebagai tanggal",
        "e.csv: dates in hire_date written as Excel date number; read as dates",
    ),
    (
        Detected(
            "columns_mapped",
            {"file": "e.csv", "pairs": [["NIP BARU", "nip"], ["TGL LAHIR", "birth_date"]]},
        ),
        "e.csv: judul kolom dipetakan ke nama kontrak: 'NIP BARU' → nip, 'TGL LAHIR' → birth_date",
        "e.csv: headers mapped to the contract's names: 'NIP BARU' → nip, 'TGL LAHIR' → birth_date",
    ),
    (
        Detected("values_mapped", {"file": "e.csv", "column": "gender", "count": 12}),
        "e.csv: 12 nilai di kolom gender dipetakan ke nilai kontrak",
        "e.csv: 12 values in gender mapped to the contract's values",
    ),
    (
        Detected("something_new", {"file": "e.csv", "n": 3}),
        "something_new: file=e.csv, n=3",
        "something_new: file=e.csv, n=3",
    ),
]


@pytest.mark.parametrize(
    ("item", "indonesian", "english"), DETECTED, ids=[d[0].key for d in DETECTED]
)
def test_detected_texts(item: Detected, indonesian: str, english: str) -> None:
    assert detected_text(item, "id") == indonesian
    assert detected_text(item, "en") == english


def test_detected_text_with_missing_params_does_not_raise() -> None:
    for key in (
        "csv_dialect",
        "xlsx",
        "decimal_comma",
        "date_format",
        "columns_mapped",
        "values_mapped",
    ):
        assert "?" in detected_text(Detected(key, {}), "id")
        assert "?" in detected_text(Detected(key, {}), "en")
    assert detected_text(Detected("new"), "id") == "new"


def test_detected_notes_of_a_real_load(world_csv: Path, tmp_path: Path) -> None:
    tables = read_text_tables(world_csv)
    _dd_mm_yyyy(tables)
    tables["enrollments"].loc[3, "start_date"] = "09/01/2023"
    folder = write_text_tables(tables, tmp_path / "data")
    employees = (folder / "employees.csv").read_text(encoding="utf-8")
    (folder / "employees.csv").write_bytes(b"\xef\xbb\xbf" + employees.replace(",", ";").encode())
    report = load_dataset(folder).report
    notes = [detected_text(d, "id") for t in report.tables for d in t.detected]
    assert "employees.csv: pemisah titik koma (;), encoding UTF-8 dengan BOM" in notes
    assert any("start_date" in n and "DD/MM/YYYY" in n for n in notes)
