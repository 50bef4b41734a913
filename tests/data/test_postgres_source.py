"""A data set in a real PostgreSQL database loads like the same data set in files or SQLite.

The server is the throwaway one of ``tests/postgres.py``; each test gets an empty database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from recsys.data import DataContractError, load_dataset, write_dataset
from tests.data.conftest import assert_same_tables
from tests.postgres import PostgresServer

TextTables = dict[str, pd.DataFrame]


def _row_sorted(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every frame sorted by all its columns: the same rows, in an order that does not
    depend on where the database keeps them."""
    return {
        name: frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)
        for name, frame in tables.items()
    }


def test_world_round_trips_through_postgres(
    postgres_database: str, world_csv: Path, world: dict[str, pd.DataFrame]
) -> None:
    write_dataset(world, postgres_database)
    from_sql = load_dataset(postgres_database)
    assert_same_tables(dict(from_sql.tables), world)
    assert_same_tables(dict(from_sql.tables), dict(load_dataset(world_csv).tables))
    assert from_sql.report.table("employees").source == "sql:employees"
    assert from_sql.report.quarantined == 0
    # A password (ignored by the test server) stays out of the report.
    with_password = load_dataset(postgres_database.replace("postgres@", "postgres:s3cret@", 1))
    assert with_password.report.source == postgres_database.replace("postgres@", "postgres:***@")


def test_plain_postgresql_url_uses_psycopg(
    postgres_server: PostgresServer, world: dict[str, pd.DataFrame]
) -> None:
    """``postgresql://`` (no driver) works too: SQLAlchemy's default driver is psycopg 3."""
    url = postgres_server.create_database()
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    assert sa.make_url(plain).get_dialect().driver == "psycopg"
    write_dataset(world, plain)
    assert_same_tables(dict(load_dataset(plain).tables), world)


def test_small_world_round_trips_through_postgres(
    postgres_database: str, small_world: Path
) -> None:
    """The same rows, though not always in the same order: a SQL table has no row order,
    and PostgreSQL may put a later row into room left on an earlier page."""
    first = load_dataset(small_world)
    write_dataset(first.tables, postgres_database)
    again = load_dataset(postgres_database)
    assert_same_tables(_row_sorted(again.tables), _row_sorted(first.tables))
    assert again.report.read == first.report.read
    assert again.report.quarantined == 0


def test_postgres_stores_dates_as_text_and_booleans_as_booleans(
    postgres_database: str, world: dict[str, pd.DataFrame]
) -> None:
    write_dataset(world, postgres_database)
    engine = sa.create_engine(postgres_database)
    try:
        with engine.connect() as conn:
            birth, remote = conn.execute(
                sa.text("SELECT birth_date, remote_area FROM employees LIMIT 1")
            ).one()
    finally:
        engine.dispose()
    assert birth == "1970-03-14"
    assert remote is False


def test_bad_rows_are_quarantined_the_same_from_postgres(
    postgres_database: str,
    tmp_path: Path,
    text_world: TextTables,
    write_text: Callable[[TextTables], Path],
    leaf: int,
) -> None:
    text_world["employees"].loc[leaf, "birth_date"] = "12/05/1980"
    text_world["assessments"].loc[1, "level"] = "7.5"
    text_world["trainings"].loc[0, "active"] = "maybe"
    folder = write_text(text_world)
    # Text columns in the databases, exactly as in the files.
    as_text = {n: f.replace("", None) for n, f in text_world.items()}
    write_dataset(as_text, postgres_database)
    sqlite = f"sqlite:///{tmp_path / 'text.db'}"
    write_dataset(as_text, sqlite)

    from_csv, from_pg = load_dataset(folder), load_dataset(postgres_database)
    from_sqlite = load_dataset(sqlite)
    assert_same_tables(dict(from_pg.tables), dict(from_csv.tables))
    for a, b, c in zip(
        from_csv.report.tables, from_pg.report.tables, from_sqlite.report.tables, strict=True
    ):
        assert (b.read, b.loaded, b.quarantined, b.reasons) == (
            a.read,
            a.loaded,
            a.quarantined,
            a.reasons,
        )
        assert list(b.quarantine["reason"]) == list(a.quarantine["reason"])
        assert b.quarantine.equals(c.quarantine)
    assert from_pg.report.quarantined > 3


def test_database_without_required_table(postgres_database: str) -> None:
    with pytest.raises(DataContractError, match="required table 'competencies' not found") as e:
        load_dataset(postgres_database)
    assert e.value.file == "sql:competencies"
    assert str(e.value) == (
        f"required table 'competencies' not found in database {postgres_database}"
    )


def test_missing_required_column_in_postgres(
    postgres_database: str, world: dict[str, pd.DataFrame]
) -> None:
    tables = dict(world)
    tables["competencies"] = world["competencies"].drop(columns=["kind"])
    write_dataset(tables, postgres_database)
    with pytest.raises(DataContractError, match=r"sql:competencies: required column 'kind'"):
        load_dataset(postgres_database)


def test_database_that_does_not_exist_hides_the_password(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.url("nowhere").replace("postgres@", "postgres:s3cret@", 1)
    with pytest.raises(DataContractError, match="cannot open database") as caught:
        load_dataset(url)
    assert "s3cret" not in str(caught.value)
    assert caught.value.file == postgres_server.url("nowhere").replace("postgres@", "postgres:***@")
