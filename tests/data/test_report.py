"""The load report and the quarantine files it writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from recsys.data import load_dataset
from recsys.data.contract import TABLES

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
    assert employees.loc[0, "reason"] == "gender: not one of M, F: 'X'"

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

    text = (out / "report.txt").read_text(encoding="utf-8")
    assert "gender: not one of M, F" in text
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
        "reason": "row has 4 fields, expected 3",
    }
