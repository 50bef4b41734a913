"""Files the commands write for people: CSV, Parquet or an Excel sheet.

CSV and Parquet keep the columns' names and codes (other systems read them); an Excel
workbook is for HR, so its headers and status codes are words in the user's language
(:func:`for_people`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recsys.cli.console import fail
from recsys.cli.messages import t, t_or
from recsys.settings import Language

#: File types ``--out`` may name.
OUT_SUFFIXES = (".csv", ".parquet", ".xlsx")
#: Identifier columns, written as text: an 18-digit NIP read back as a number loses digits.
TEXT_COLUMNS = ("nip", "mentor_nip", "training_id")


def check_out(out: Path | None, lang: Language) -> None:
    """End the command before any work if ``out`` is not a file type :func:`write_frame`
    writes."""
    if out is not None and out.suffix.lower() not in OUT_SUFFIXES:
        fail(t("recommend.bad_out", lang, path=out), lang)


#: Columns whose codes a workbook writes as words (messages ``<column>.<code>``).
WORDED_COLUMNS = ("status", "distance")


def for_people(frame: pd.DataFrame, lang: Language) -> pd.DataFrame:
    """``frame`` as a workbook shows it: each column named in ``lang`` (message
    ``export.col.<name>``; its own name if it has none) and the codes of
    :data:`WORDED_COLUMNS` in words (a code without a message as it is)."""
    worded = {
        column: frame[column].map(lambda code, c=column: t_or(f"{c}.{code}", lang, code))
        for column in WORDED_COLUMNS
        if column in frame
    }
    named = {c: t_or(f"export.col.{c}", lang, c) for c in frame.columns}
    return frame.assign(**worded).rename(columns=named)


def write_frame(frame: pd.DataFrame, out: Path, sheet: str, lang: Language) -> None:
    """Write ``frame`` to ``out`` by its suffix (``sheet``: the Excel sheet's name; a
    workbook in ``lang``'s words: :func:`for_people`)."""
    frame = frame.assign(**{c: frame[c].astype(str) for c in TEXT_COLUMNS if c in frame})
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(out, index=False, float_format="%.3f")
    elif suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        for_people(frame, lang).to_excel(out, index=False, sheet_name=sheet)
