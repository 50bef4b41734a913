"""CSV as Excel saves it: ``;`` or tab between fields, a byte order mark, Windows-1252."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from recsys.data import DataContractError, load_dataset, read_raw_tables
from recsys.data.dialect import CsvDialect, CsvEncodingError, detect_csv
from tests.data.conftest import assert_same_tables

TextTables = dict[str, pd.DataFrame]


def write_csv_tables(
    tables: TextTables, folder: Path, *, sep: str = ",", encoding: str = "utf-8"
) -> Path:
    """Write text frames the way Excel would with the given separator and encoding."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, sep=sep, encoding=encoding)
    return folder


@pytest.mark.parametrize(
    ("content", "delimiter"),
    [
        ("nip,name,unit\n1,Budi; S.,A\n", ","),
        ("nip;name;unit\n1;Budi, S.;A\n", ";"),
        ("nip\tname\tunit\n1\tBudi, S.; A\tA\n", "\t"),
        # Quotes are respected: the header has two fields, not three.
        ('"nip;x",name\n1,Budi\n', ","),
        ('"nip,x";name\n1;Budi\n', ";"),
        # A one-column file reads as comma-separated.
        ("nip\n1\n2\n", ","),
        ("", ","),
    ],
    ids=["comma", "semicolon", "tab", "quoted-semicolon", "quoted-comma", "one-column", "empty"],
)
def test_detects_the_delimiter(tmp_path: Path, content: str, delimiter: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content.encode("utf-8"))
    assert detect_csv(path) == CsvDialect(encoding="utf-8", delimiter=delimiter)


def test_a_tie_between_delimiters_is_settled_by_the_following_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    # ";" and tab both split the header in two; only tab splits the rows in two.
    path.write_text("a;b\tc\n1\t2\n3\t4\n", encoding="utf-8")
    assert detect_csv(path).delimiter == "\t"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"nip,name\n1,Budi\n", "utf-8"),
        ("nip,name\n1,Jürgen Müller\n".encode(), "utf-8"),
        ("\ufeffnip;name\n1;Jürgen Müller\n".encode(), "utf-8-sig"),
        ("nip;name\n1;Jürgen Müller – Café €\n".encode("cp1252"), "cp1252"),
    ],
    ids=["ascii", "utf-8", "bom", "cp1252"],
)
def test_detects_the_encoding(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    assert detect_csv(path).encoding == encoding


def test_utf8_is_checked_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    # A two-byte "é" across the first 1 MiB chunk boundary is still UTF-8 ...
    head = b"name\n" + b"a" * ((1 << 20) - 7) + b"\n"
    assert len(head) == (1 << 20) - 1
    path.write_bytes(head + "é\n".encode())
    assert detect_csv(path).encoding == "utf-8"
    # ... and a Windows-1252 "é" far into the file makes the whole file Windows-1252.
    path.write_bytes(head + b"a" * 100 + "é\n".encode("cp1252"))
    assert detect_csv(path).encoding == "cp1252"


def test_text_that_is_neither_utf8_nor_cp1252_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"nip,name\n1,Bud\xe9\x81\n")  # 0x81 is undefined in Windows-1252
    with pytest.raises(CsvEncodingError) as caught:
        detect_csv(path)
    message = str(caught.value)
    assert message.startswith("t.csv: cannot be parsed: not UTF-8 or Windows-1252 text")
    assert "byte 0xE9 at offset 14" in message
    assert "CSV UTF-8" in message


def test_a_byte_order_mark_before_invalid_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfnip\n\xff\n")
    with pytest.raises(CsvEncodingError, match="byte 0xFF at offset 7"):
        detect_csv(path)


def test_dialect_properties() -> None:
    dialect = CsvDialect(encoding="utf-8-sig", delimiter=";")
    assert dialect.decimal_comma
    assert not CsvDialect().decimal_comma
    assert dialect.as_dict() == {"format": "csv", "delimiter": ";", "encoding": "utf-8-sig"}


@pytest.mark.parametrize(
    ("sep", "encoding", "detected"),
    [
        (";", "utf-8-sig", {"format": "csv", "delimiter": ";", "encoding": "utf-8-sig"}),
        ("\t", "utf-8", {"format": "csv", "delimiter": "\t", "encoding": "utf-8"}),
        (";", "cp1252", {"format": "csv", "delimiter": ";", "encoding": "cp1252"}),
        (",", "cp1252", {"format": "csv", "delimiter": ",", "encoding": "cp1252"}),
    ],
    ids=["semicolon-bom", "tab", "semicolon-cp1252", "comma-cp1252"],
)
def test_excel_csv_loads_like_utf8(
    tmp_path: Path,
    text_world: TextTables,
    write_text: Callable[[TextTables], Path],
    sep: str,
    encoding: str,
    detected: dict[str, str],
) -> None:
    # Letters Windows-1252 has and ASCII does not, in a text column and a key column.
    employees = text_world["employees"]
    employees.loc[0, "name"] = "Björn Müller"
    employees["unit"] = employees["unit"].str.replace("Kependudukan", "Kependudukan é")
    text_world["service_metrics"]["unit"] = text_world["service_metrics"]["unit"].str.replace(
        "Kependudukan", "Kependudukan é"
    )
    # Numbers here have decimal points (decimal commas are the loader's business).
    utf8 = write_text(text_world)
    excel = write_csv_tables(text_world, tmp_path / "excel", sep=sep, encoding=encoding)

    expected = load_dataset(utf8)
    loaded = load_dataset(excel)
    assert_same_tables(dict(loaded.tables), dict(expected.tables))
    assert loaded.employees.loc[0, "name"] == "Björn Müller"
    assert loaded.report.quarantined == expected.report.quarantined == 0

    raw = read_raw_tables(excel, ["employees"])["employees"]
    assert dict(raw.dialect) == detected
    assert_same_tables(
        {"employees": raw.frame}, {"employees": read_raw_tables(utf8)["employees"].frame}
    )


def test_plain_csv_reports_its_dialect(world_csv: Path) -> None:
    raw = read_raw_tables(world_csv, ["trainings"])["trainings"]
    assert dict(raw.dialect) == {"format": "csv", "delimiter": ",", "encoding": "utf-8"}


def test_semicolon_lines_with_the_wrong_field_count_are_set_aside(csv_folder: Path) -> None:
    content = (
        "code;name;kind\n"
        "M1;Integritas;manajerial\n"
        "M2;Kerja; sama;manajerial\n"
        "SK1;Perekat Bangsa;sosial_kultural\n"
        "T-ADM-01;Administrasi Kepegawaian;teknis\n"
    )
    (csv_folder / "competencies.csv").write_bytes(content.encode("cp1252"))
    raw = read_raw_tables(csv_folder, ["competencies"])["competencies"]
    assert list(raw.frame["code"]) == ["M1", "SK1", "T-ADM-01"]
    assert list(raw.source_row) == [1, 3, 4]
    assert list(raw.bad_lines["source_row"]) == [2]
    assert raw.bad_lines.loc[0, "raw_line"] == "M2;Kerja; sama;manajerial"
    assert raw.bad_lines.loc[0, "reason"] == "row has 4 fields, expected 3"


def test_unreadable_text_names_the_file_and_the_fix(csv_folder: Path) -> None:
    (csv_folder / "competencies.csv").write_bytes(b"code,name,kind\nM1,Integrit\x81s,manajerial\n")
    with pytest.raises(DataContractError, match=r"competencies\.csv: cannot be parsed") as caught:
        load_dataset(csv_folder)
    assert "not UTF-8 or Windows-1252 text" in str(caught.value)
    assert "'CSV UTF-8 (Comma delimited) (*.csv)'" in str(caught.value)
    assert caught.value.file == str(csv_folder / "competencies.csv")
