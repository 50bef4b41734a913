"""The load report and the quarantine files it writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from recsys.data import Detected, LoadReport, TableReport, load_dataset
from recsys.data.contract import TABLES
from tests.data.conftest import read_text_tables, write_text_tables

TextTables = dict[str, pd.DataFrame]


def test_report_write_holds_raw_rows_and_reasons(
    tmp_path: Path,
    text_world: TextTables,
    write_text: Callable[[TextTables], Path],
    leaf: int,
) -> None:
    text_world["employees"].loc[leaf, "gender"] = "X"
    text_world["trainings"].loc[1, "cost_idr"] = "-1"
    text_world["trainings"].loc[1, "provider"] = "NA"
    raw_employee = text_world["employees"].loc[leaf].to_dict()
    ds = load_dataset(write_text(text_world))

    out = ds.report.write(tmp_path / "report")
    assert out == tmp_path / "report"

    employees = pd.read_csv(out / "quarantine" / "employees.csv", dtype=str, keep_default_na=False)
    assert list(employees.columns) == ["source_row", *text_world["employees"].columns, "reason"]
    assert employees.loc[0, "source_row"] == str(leaf + 1)
    for column, value in raw_employee.items():
        assert employees.loc[0, column] == value, column
    # In Bahasa Indonesia by default; the report in memory keeps the canonical reason.
    assert employees.loc[0, "reason"] == "gender: bukan salah satu dari M, F: 'X'"
    assert ds.report.table("employees").quarantine.loc[0, "reason"] == (
        "gender: not one of M, F: 'X'"
    )

    trainings = pd.read_csv(out / "quarantine" / "trainings.csv", dtype=str, keep_default_na=False)
    assert trainings.loc[0, "cost_idr"] == "-1"
    assert trainings.loc[0, "provider"] == "NA"
    assert trainings.loc[0, "capacity"] == ""

    written = {p.name for p in (out / "quarantine").iterdir()}
    assert written == {
        "employees.csv",
        "trainings.csv",
        "training_competencies.csv",
        "assessments.csv",
        "performance.csv",
        "enrollments.csv",
    }

    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["source"] == ds.source
    assert [t["name"] for t in data["tables"]] == [t.name for t in TABLES]
    by_name = {t["name"]: t for t in data["tables"]}
    assert by_name["employees"]["quarantined"] == 1
    assert by_name["employees"]["reasons"] == {"gender: not one of M, F": 1}
    assert by_name["employees"]["quarantine_file"] == "quarantine/employees.csv"
    assert by_name["competencies"]["quarantine_file"] is None
    assert data["totals"]["read"] == data["totals"]["loaded"] + data["totals"]["quarantined"]

    assert data["lang"] == "id"

    text = (out / "report.txt").read_text(encoding="utf-8")
    assert "gender: bukan salah satu dari M, F" in text
    assert "Laporan pemuatan untuk" in text
    assert "employees" in text


def test_report_write_removes_stale_quarantine_files(
    tmp_path: Path,
    world_csv: Path,
    text_world: TextTables,
    write_text: Callable[[TextTables], Path],
) -> None:
    text_world["competencies"].loc[0, "kind"] = "x"
    load_dataset(write_text(text_world)).report.write(tmp_path / "report")
    assert (tmp_path / "report" / "quarantine" / "competencies.csv").exists()

    load_dataset(world_csv).report.write(tmp_path / "report")
    assert list((tmp_path / "report" / "quarantine").iterdir()) == []
    data = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert data["totals"]["quarantined"] == 0


def test_report_to_frame(world_csv: Path) -> None:
    frame = load_dataset(world_csv).report.to_frame()
    assert list(frame.columns) == ["table", "read", "loaded", "quarantined"]
    assert list(frame["table"]) == [t.name for t in TABLES]
    assert (frame["read"] == frame["loaded"] + frame["quarantined"]).all()
    assert frame.loc[frame["table"] == "employees", "read"].item() == 6


def test_bad_lines_are_written_with_their_raw_text(world_csv: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for path in world_csv.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    with (folder / "competencies.csv").open("a", encoding="utf-8") as f:
        f.write("M9,Orientasi,manajerial,extra\n")
    out = load_dataset(folder).report.write(tmp_path / "report")
    q = pd.read_csv(out / "quarantine" / "competencies.csv", dtype=str, keep_default_na=False)
    assert list(q.columns) == ["source_row", "code", "name", "kind", "raw_line", "reason"]
    assert q.loc[0].to_dict() == {
        "source_row": "5",
        "code": "",
        "name": "",
        "kind": "",
        "raw_line": "M9,Orientasi,manajerial,extra",
        "reason": "baris berisi 4 kolom, seharusnya 3",
    }


def _broken(text_world: TextTables, write_text: Callable[[TextTables], Path]) -> LoadReport:
    text_world["performance"].loc[1, "rating"] = "istimewa"
    text_world["assessments"].loc[2, "level"] = "7.5"
    text_world["enrollments"].loc[1, "nip"] = "199901012020011999"
    return load_dataset(write_text(text_world)).report


def test_report_write_in_english_on_request(
    tmp_path: Path,
    text_world: TextTables,
    write_text: Callable[[TextTables], Path],
) -> None:
    report = _broken(text_world, write_text)
    out = report.write(tmp_path / "report", lang="en")

    def reasons(name: str) -> list[str]:
        q = pd.read_csv(out / "quarantine" / f"{name}.csv", dtype=str, keep_default_na=False)
        return list(q["reason"])

    assert reasons("performance") == [
        "rating: not one of sangat_kurang, kurang, butuh_perbaikan, baik, sangat_baik: 'istimewa'"
    ]
    assert reasons("assessments") == ["level: 7.5 outside 1.0–5.0"]
    assert reasons("enrollments") == ["nip: unknown employee '199901012020011999'"]
    text = (out / "report.txt").read_text(encoding="utf-8")
    assert text == report.to_text("en") == report.to_text()
    assert "Load report for" in text
    assert "level: outside 1.0–5.0" in text
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["lang"] == "en"


def test_report_write_in_indonesian_by_default(
    tmp_path: Path,
    text_world: TextTables,
    write_text: Callable[[TextTables], Path],
) -> None:
    report = _broken(text_world, write_text)
    out = report.write(tmp_path / "report")

    def reasons(name: str) -> list[str]:
        q = pd.read_csv(out / "quarantine" / f"{name}.csv", dtype=str, keep_default_na=False)
        return list(q["reason"])

    assert reasons("performance") == [
        "rating: bukan salah satu dari sangat_kurang, kurang, butuh_perbaikan, baik, "
        "sangat_baik: 'istimewa'"
    ]
    assert reasons("assessments") == ["level: 7.5 di luar 1.0–5.0"]
    assert reasons("enrollments") == ["nip: pegawai tidak dikenal '199901012020011999'"]
    text = (out / "report.txt").read_text(encoding="utf-8")
    assert text == report.to_text("id")
    for label in ("Laporan pemuatan untuk", "tabel", "dibaca", "dimuat", "dikarantina"):
        assert label in text
    assert "Baris dikarantina" in text
    assert "level: di luar 1.0–5.0" in text
    assert "nip: pegawai tidak dikenal" in text
    assert "outside" not in text and "unknown" not in text


def test_report_json_keeps_canonical_reasons_whatever_the_language(
    tmp_path: Path,
    text_world: TextTables,
    write_text: Callable[[TextTables], Path],
) -> None:
    report = _broken(text_world, write_text)
    written = {
        lang: json.loads(
            (report.write(tmp_path / lang, lang=lang) / "report.json").read_text(encoding="utf-8")
        )
        for lang in ("id", "en")
    }
    for data in written.values():
        by_name = {t["name"]: t for t in data["tables"]}
        assert list(by_name["performance"]["reasons"]) == [
            "rating: not one of sangat_kurang, kurang, butuh_perbaikan, baik, sangat_baik"
        ]
        assert by_name["assessments"]["reasons"] == {"level: outside 1.0–5.0": 1}
        assert by_name["enrollments"]["reasons"] == {"nip: unknown employee": 1}
        assert data["warnings"] == report.warnings
    assert {lang: data["lang"] for lang, data in written.items()} == {"id": "id", "en": "en"}
    # The in-memory quarantine is never translated.
    assert report.table("assessments").quarantine.loc[0, "reason"] == ("level: 7.5 outside 1.0–5.0")


def test_detected_notes_are_in_json_and_text(world_csv: Path, tmp_path: Path) -> None:
    tables = read_text_tables(world_csv)
    birth = pd.to_datetime(tables["employees"]["birth_date"])
    tables["employees"]["birth_date"] = birth.dt.strftime("%d/%m/%Y")
    folder = write_text_tables(tables, tmp_path / "data")
    report = load_dataset(folder).report
    employees = report.table("employees")
    assert any(d.key == "date_format" for d in employees.detected)

    data = json.loads(
        (report.write(tmp_path / "report") / "report.json").read_text(encoding="utf-8")
    )
    notes = {t["name"]: t["detected"] for t in data["tables"]}["employees"]
    dates = next(n for n in notes if n["key"] == "date_format")
    assert dates["params"] == {
        "file": "employees.csv",
        "column": "birth_date",
        "format": "DD/MM/YYYY",
    }
    assert "birth_date" in dates["text"] and "DD/MM/YYYY" in dates["text"]
    assert "tanggal" in dates["text"]

    assert "Dikenali" in report.to_text("id")
    assert "Detected" in report.to_text("en")
    assert "tanggal di kolom birth_date ditulis DD/MM/YYYY" in report.to_text("id")


def test_table_report_to_dict_holds_detected() -> None:
    entry = TableReport(
        "employees",
        "employees.csv",
        2,
        2,
        0,
        detected=[Detected("csv_dialect", {"file": "employees.csv", "delimiter": ";"})],
    )
    data = entry.to_dict("id")
    assert data["detected"] == [
        {
            "key": "csv_dialect",
            "params": {"file": "employees.csv", "delimiter": ";"},
            "text": "employees.csv: pemisah titik koma (;), encoding ?",
        }
    ]
    assert entry.to_dict()["detected"][0]["text"].startswith("employees.csv: semicolon (;)")
    assert LoadReport("x", [entry]).to_dict()["lang"] == "en"
