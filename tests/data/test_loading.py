"""Loading: the typed frames, fatal errors, optional tables and columns, warnings."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import DataContractError, Dataset, LoadReport, load_dataset, write_dataset
from recsys.data.contract import ID_DTYPE, TABLES

TextTables = dict[str, pd.DataFrame]


def _files(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def test_frames_follow_the_contract(world_csv: Path) -> None:
    ds = load_dataset(world_csv)
    assert list(ds.tables) == [t.name for t in TABLES]
    for t in TABLES:
        frame = ds.tables[t.name]
        assert list(frame.columns) == t.column_names
        assert isinstance(frame.index, pd.RangeIndex)
        assert frame.index.start == 0
        for column in t.columns:
            assert frame[column.name].dtype == column.dtype, (t.name, column.name)
        assert getattr(ds, t.name) is frame


def test_every_id_has_one_dtype(world_csv: Path) -> None:
    ds = load_dataset(world_csv)
    ids = [(t.name, c.name) for t in TABLES for c in t.columns if c.kind == "id"]
    assert len(ids) >= 15
    for name, column in ids:
        assert ds.tables[name][column].dtype == ID_DTYPE, (name, column)


def test_dataset_attributes(world_csv: Path) -> None:
    ds = load_dataset(world_csv)
    assert isinstance(ds, Dataset)
    assert isinstance(ds.report, LoadReport)
    assert ds.source == str(world_csv)
    assert ds.report.source == str(world_csv)
    assert ds.report.table("employees").source == str(world_csv / "employees.csv")
    with pytest.raises(AttributeError):
        ds.not_a_table  # type: ignore[attr-defined]  # noqa: B018


def test_progress_is_reported_per_table(world_csv: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    load_dataset(world_csv, on_progress=lambda *args: calls.append(args))
    assert calls == [(t.name, i, len(TABLES)) for i, t in enumerate(TABLES)]


# --- fatal errors --------------------------------------------------------------------------


def test_missing_required_table(csv_folder: Path) -> None:
    (csv_folder / "trainings.csv").unlink()
    before = _files(csv_folder)
    with pytest.raises(DataContractError) as caught:
        load_dataset(csv_folder)
    message = str(caught.value)
    assert "required table 'trainings' not found" in message
    assert "looked for trainings.csv, trainings.parquet" in message
    assert str(csv_folder) in message
    assert _files(csv_folder) == before


@pytest.mark.parametrize(("name", "column"), [("employees", "nip"), ("enrollments", "end_date")])
def test_missing_required_column(
    text_world: TextTables, write_text: Callable[[TextTables], Path], name: str, column: str
) -> None:
    text_world[name] = text_world[name].drop(columns=[column])
    folder = write_text(text_world)
    before = _files(folder)
    with pytest.raises(DataContractError) as caught:
        load_dataset(folder)
    error = caught.value
    assert str(error).startswith(f"{name}.csv: required column '{column}' is missing")
    assert error.column == column
    assert error.file == str(folder / f"{name}.csv")
    assert _files(folder) == before


def test_missing_required_column_in_sql(tmp_path: Path, world: dict[str, pd.DataFrame]) -> None:
    tables = dict(world)
    tables["competencies"] = world["competencies"].drop(columns=["kind"])
    url = f"sqlite:///{tmp_path / 'asn.db'}"
    write_dataset(tables, url)
    with pytest.raises(DataContractError, match=r"sql:competencies: required column 'kind'"):
        load_dataset(url)


def test_unparsable_parquet(csv_folder: Path) -> None:
    (csv_folder / "trainings.csv").unlink()
    (csv_folder / "trainings.parquet").write_bytes(b"this is not parquet at all")
    with pytest.raises(DataContractError, match=r"trainings\.parquet: cannot be parsed") as caught:
        load_dataset(csv_folder)
    assert caught.value.file == str(csv_folder / "trainings.parquet")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"code,name,kind\nM1,Integrit\x81s,manajerial\n", "not UTF-8 or Windows-1252"),
    ],
    ids=["empty", "neither-utf8-nor-cp1252"],
)
def test_unparsable_csv(csv_folder: Path, content: bytes, expected: str) -> None:
    (csv_folder / "competencies.csv").write_bytes(content)
    with pytest.raises(DataContractError, match=r"competencies\.csv: cannot be parsed") as caught:
        load_dataset(csv_folder)
    assert expected in str(caught.value)


def test_duplicate_header_column(csv_folder: Path) -> None:
    (csv_folder / "competencies.csv").write_text("code,name,code,kind\n", encoding="utf-8")
    with pytest.raises(DataContractError, match="column 'code' appears more than once"):
        load_dataset(csv_folder)


def test_csv_and_parquet_for_one_table_is_ambiguous(
    csv_folder: Path, world: dict[str, pd.DataFrame]
) -> None:
    world["trainings"].to_parquet(csv_folder / "trainings.parquet")
    with pytest.raises(DataContractError, match=r"both trainings\.csv and trainings\.parquet"):
        load_dataset(csv_folder)


def test_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(DataContractError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()


def test_database_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.db"
    with pytest.raises(DataContractError, match="does not exist"):
        load_dataset(f"sqlite:///{path}")
    assert not path.exists()


def test_database_without_required_table(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    with pytest.raises(DataContractError, match="required table 'competencies' not found"):
        load_dataset(f"sqlite:///{path}")


def test_bom_in_header_is_ignored(csv_folder: Path) -> None:
    path = csv_folder / "competencies.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_dataset(csv_folder).report.table("competencies").loaded == 4


# --- optional tables and columns, warnings ------------------------------------------------


def test_optional_tables_may_be_absent(csv_folder: Path) -> None:
    (csv_folder / "mentorships.csv").unlink()
    (csv_folder / "service_metrics.csv").unlink()
    ds = load_dataset(csv_folder)
    for name in ("mentorships", "service_metrics"):
        frame = ds.tables[name]
        spec = next(t for t in TABLES if t.name == name)
        assert frame.empty
        assert list(frame.columns) == spec.column_names
        assert dict(frame.dtypes) == spec.dtypes
        entry = ds.report.table(name)
        assert (entry.source, entry.read, entry.loaded, entry.quarantined) == ("", 0, 0, 0)
        assert any(f"optional table '{name}' not found" in w for w in ds.report.warnings)


def test_optional_columns_may_be_absent(
    text_world: TextTables, write_text: Callable[[TextTables], Path]
) -> None:
    text_world["employees"] = text_world["employees"].drop(columns=["supervisor_nip", "active"])
    text_world["trainings"] = text_world["trainings"].drop(columns=["capacity", "active"])
    text_world["enrollments"] = text_world["enrollments"].drop(columns=["pre_score"])
    ds = load_dataset(write_text(text_world))
    assert ds.report.quarantined == 0
    assert ds.employees["active"].dtype == bool
    assert ds.employees["active"].all()
    assert ds.employees["supervisor_nip"].isna().all()
    assert ds.employees["supervisor_nip"].dtype == ID_DTYPE
    assert ds.trainings["active"].all()
    assert ds.trainings["capacity"].dtype == "Int64"
    assert ds.trainings["capacity"].isna().all()
    assert ds.enrollments["pre_score"].isna().all()
    assert (
        list(ds.employees.columns) == next(t for t in TABLES if t.name == "employees").column_names
    )


def test_empty_optional_cells_take_defaults(
    text_world: TextTables, write_text: Callable[[TextTables], Path]
) -> None:
    text_world["employees"].loc[5, "active"] = ""
    text_world["trainings"].loc[2, "active"] = ""
    ds = load_dataset(write_text(text_world))
    assert ds.employees["active"][5]
    assert ds.trainings["active"][2]


def test_extra_columns_are_dropped_and_named(
    text_world: TextTables, write_text: Callable[[TextTables], Path]
) -> None:
    text_world["employees"]["nik"] = "1371"
    text_world["employees"]["email"] = "x@example.go.id"
    ds = load_dataset(write_text(text_world))
    assert "nik" not in ds.employees.columns
    assert "employees.csv: columns not in the contract, ignored: 'nik', 'email'" in (
        ds.report.warnings
    )
    assert ds.report.quarantined == 0


def test_positions_without_standard_are_warned(
    text_world: TextTables, write_text: Callable[[TextTables], Path]
) -> None:
    text_world["employees"].loc[[3, 5], "position"] = "Arsiparis"
    ds = load_dataset(write_text(text_world))
    warnings = [w for w in ds.report.warnings if "competency standard" in w]
    assert warnings == [
        "employees: no competency standard for 1 position (2 employees): 'Arsiparis'"
    ]


def test_valid_world_has_no_warnings(world_csv: Path) -> None:
    assert load_dataset(world_csv).report.warnings == []


def test_a_large_table_quarantines_exactly_its_bad_rows(
    tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    rng = np.random.default_rng(7)
    n = 300_000
    assessments = pd.DataFrame(
        {
            "nip": world["employees"]["nip"].to_numpy()[rng.integers(0, 6, n)],
            "competency": rng.choice(["M1", "M2", "SK1", "T-ADM-01"], n),
            "level": np.round(rng.uniform(1, 5, n), 2),
            "assessed_on": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, n), unit="D"),
        }
    )
    assessments.loc[::1000, "level"] = 9.0
    tables = {**world, "assessments": assessments}
    write_dataset(tables, tmp_path / "big")
    # its speed is measured in benchmarks/simulate_validate.py, not here
    ds = load_dataset(tmp_path / "big")
    entry = ds.report.table("assessments")
    assert (entry.read, entry.quarantined) == (n, n // 1000)
    assert entry.reasons == {"level: outside 1.0–5.0": n // 1000}


def test_demo_world_speaks_the_contract(small_world: Path) -> None:
    # The generator (recsys.simulation) and the loader must agree on the contract.
    ds = load_dataset(small_world)
    for t in TABLES:
        entry = ds.report.table(t.name)
        assert entry.loaded + entry.quarantined == entry.read
        assert entry.loaded > 0, t.name
        assert dict(ds.tables[t.name].dtypes) == t.dtypes
