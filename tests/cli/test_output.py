"""Files the commands write: CSV and Parquet keep names and codes, a workbook speaks HR's
language."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recsys.cli.output import write_frame

FRAME = pd.DataFrame(
    {
        "nip": ["198508302005011001"],
        "mentor_nip": ["197001011990031002"],
        "status": ["matched"],
        "distance": ["same_unit"],
        "expected_gain": [2.5],
        "own_column": ["x"],
    }
)


def test_a_workbook_names_its_columns_and_codes_in_the_users_language(tmp_path: Path) -> None:
    for lang, headers, words in (
        ("id", ["NIP", "NIP mentor", "Status", "Jarak"], ["dipasangkan", "satu unit kerja"]),
        ("en", ["NIP", "Mentor NIP", "Status", "Distance"], ["matched", "same unit"]),
    ):
        out = tmp_path / f"{lang}.xlsx"
        write_frame(FRAME, out, "mentor", lang)
        book = pd.read_excel(out, dtype=str, engine="openpyxl")
        assert list(book.columns[:4]) == headers
        assert book.columns[-1] == "own_column"  # a column without a header word keeps its name
        assert list(book.iloc[0, 2:4]) == words
        assert book.iloc[0, 0] == "198508302005011001"  # the NIP as text, every digit


def test_csv_and_parquet_keep_names_and_codes_for_other_systems(tmp_path: Path) -> None:
    write_frame(FRAME, tmp_path / "a.csv", "mentor", "id")
    write_frame(FRAME, tmp_path / "a.parquet", "mentor", "id")
    csv = pd.read_csv(tmp_path / "a.csv", dtype=str)
    parquet = pd.read_parquet(tmp_path / "a.parquet")
    for frame in (csv, parquet):
        assert list(frame.columns) == list(FRAME.columns)
        assert frame.loc[0, "status"] == "matched" and frame.loc[0, "distance"] == "same_unit"
