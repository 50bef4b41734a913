"""Sources: folder (CSV, Parquet) and SQL give the same data set; writing round-trips."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recsys.data import load_dataset, read_raw_tables, write_dataset
from recsys.data.contract import TABLES
from tests.data.conftest import assert_same_tables

TextTables = dict[str, pd.DataFrame]


def test_csv_parquet_and_sqlite_load_the_same(
    tmp_path: Path, world_csv: Path, world: dict[str, pd.DataFrame]
) -> None:
    write_dataset(world, tmp_path / "parquet", format="parquet")
    url = f"sqlite:///{tmp_path / 'asn.db'}"
    write_dataset(world, url)

    from_csv = load_dataset(world_csv)
    assert_same_tables(dict(from_csv.tables), world)
    assert_same_tables(dict(load_dataset(tmp_path / "parquet").tables), world)
    from_sql = load_dataset(url)
    assert_same_tables(dict(from_sql.tables), world)
    assert from_sql.report.table("employees").source == "sql:employees"


def test_folder_to_sqlite_to_load_round_trips(tmp_path: Path, world_csv: Path) -> None:
    first = load_dataset(world_csv)
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    write_dataset(first.tables, url)
    assert_same_tables(dict(load_dataset(url).tables), dict(first.tables))

    write_dataset(first.tables, tmp_path / "pq", format="parquet")
    assert_same_tables(dict(load_dataset(tmp_path / "pq").tables), dict(first.tables))


def test_sqlite_stores_dates_as_text_and_booleans_as_integers(
    tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    path = tmp_path / "asn.db"
    write_dataset(world, f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        birth, remote = conn.execute(
            "SELECT birth_date, remote_area FROM employees ORDER BY rowid LIMIT 1"
        ).fetchone()
    assert birth == "1970-03-14"
    assert remote in (0, False)


def test_bad_rows_are_quarantined_the_same_from_sql(
    tmp_path: Path,
    text_world: TextTables,
    write_text: Callable[[TextTables], Path],
    leaf: int,
) -> None:
    text_world["employees"].loc[leaf, "birth_date"] = "12/05/1980"
    text_world["assessments"].loc[1, "level"] = "7.5"
    text_world["trainings"].loc[0, "active"] = "maybe"
    folder = write_text(text_world)
    url = f"sqlite:///{tmp_path / 'text.db'}"
    # Text columns in the database, exactly as in the files.
    write_dataset({n: f.replace("", None) for n, f in text_world.items()}, url)

    from_csv, from_sql = load_dataset(folder), load_dataset(url)
    assert_same_tables(dict(from_csv.tables), dict(from_sql.tables))
    for a, b in zip(from_csv.report.tables, from_sql.report.tables, strict=True):
        assert (a.read, a.loaded, a.quarantined, a.reasons) == (
            b.read,
            b.loaded,
            b.quarantined,
            b.reasons,
        )
        assert list(a.quarantine["reason"]) == list(b.quarantine["reason"])
    assert from_csv.report.quarantined > 3


def test_native_parquet_values_are_checked(tmp_path: Path, world: dict[str, pd.DataFrame]) -> None:
    tables = {name: frame.copy() for name, frame in world.items()}
    tables["assessments"].loc[0, "level"] = 7.5
    tables["trainings"]["hours_jp"] = tables["trainings"]["hours_jp"].astype(float)
    tables["trainings"].loc[1, "hours_jp"] = 2.5
    write_dataset(tables, tmp_path / "pq", format="parquet")
    ds = load_dataset(tmp_path / "pq")
    assert ds.report.table("assessments").quarantine.loc[0, "reason"] == (
        "level: 7.5 outside 1.0–5.0"
    )
    assert ds.report.table("trainings").quarantine.loc[0, "reason"] == (
        "hours_jp: not an integer: '2.5'"
    )
    assert ds.trainings["hours_jp"].dtype == "int64"


def test_parquet_timestamps_with_a_time_of_day_are_not_dates(
    tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    write_dataset(world, tmp_path / "pq", format="parquet")
    stamps = world["performance"]["period_end"].copy()
    stamps[0] = stamps[0] + pd.Timedelta(hours=13)
    performance = world["performance"].assign(period_end=stamps).astype({"rating": str})
    pq.write_table(pa.Table.from_pandas(performance), tmp_path / "pq" / "performance.parquet")
    entry = load_dataset(tmp_path / "pq").report.table("performance")
    assert entry.quarantined == 1
    assert "period_end: not a date (has a time of day)" in entry.quarantine.loc[0, "reason"]


def test_write_dataset_replaces_the_other_format(
    tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    folder = tmp_path / "data"
    write_dataset(world, folder, format="csv")
    write_dataset({"trainings": world["trainings"]}, folder, format="parquet")
    assert not (folder / "trainings.csv").exists()
    assert (folder / "trainings.parquet").exists()
    assert_same_tables(dict(load_dataset(folder).tables), world)


def test_write_dataset_csv_follows_the_contract(
    tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    write_dataset(world, tmp_path, format="csv")
    lines = (tmp_path / "trainings.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].replace('"', "") == ",".join(world["trainings"].columns)
    assert lines[2].endswith(",,true")  # capacity missing, active true
    assert "2022-12-31" in (tmp_path / "mentorships.csv").read_text(encoding="utf-8")


def test_write_dataset_rejects_unknown_format(
    tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    with pytest.raises(ValueError, match="format must be one of csv, parquet"):
        write_dataset(world, tmp_path, format="xlsx")


def test_read_raw_tables_keeps_text_as_read(world_csv: Path) -> None:
    raw = read_raw_tables(world_csv)
    assert list(raw) == [t.name for t in TABLES]
    employees = raw["employees"]
    assert employees.read == 6
    assert employees.source == str(world_csv / "employees.csv")
    assert employees.frame["birth_date"][0] == "1970-03-14"
    assert list(employees.source_row) == [1, 2, 3, 4, 5, 6]


def test_parquet_nan_is_missing_and_infinity_is_not_a_number(
    tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    write_dataset(world, tmp_path / "pq", format="parquet")
    performance = world["performance"].astype({"rating": str})
    table = pa.Table.from_pandas(performance, preserve_index=False)
    scores = pa.array([1.0, float("nan"), None, 50.0, float("inf"), 3.0])
    table = table.set_column(table.schema.get_field_index("score"), "score", scores)
    pq.write_table(table, tmp_path / "pq" / "performance.parquet")

    ds = load_dataset(tmp_path / "pq")
    scores_loaded = ds.performance["score"]
    assert scores_loaded.isna().tolist() == [False, True, True, False, False]
    entry = ds.report.table("performance")
    assert entry.quarantined == 1
    assert entry.quarantine.loc[0, "reason"] == "score: not a number: 'inf'"
