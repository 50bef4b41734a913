"""Files the commands write for people: CSV, Parquet or an Excel sheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recsys.cli.console import fail
from recsys.cli.messages import t
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


def write_frame(frame: pd.DataFrame, out: Path, sheet: str) -> None:
    """Write ``frame`` to ``out`` by its suffix (``sheet``: the Excel sheet's name)."""
    frame = frame.assign(**{c: frame[c].astype(str) for c in TEXT_COLUMNS if c in frame})
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(out, index=False, float_format="%.3f")
    elif suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        frame.to_excel(out, index=False, sheet_name=sheet)
