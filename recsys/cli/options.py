"""The options several commands share, and checking what a user typed into them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from recsys.cli.console import fail
from recsys.cli.messages import t
from recsys.data.nip import NIP_LENGTH
from recsys.settings import Language, get_settings

LangOption = Annotated[
    Language | None,
    typer.Option("--lang", help="Language of messages: id (Bahasa Indonesia) or en."),
]
DataOption = Annotated[
    str,
    typer.Option(
        "--data",
        help="Folder of CSV, Parquet or Excel files (one per table), an Excel workbook "
        "with a sheet per table, or a database URL.",
    ),
]
ColumnsOption = Annotated[
    str | None,
    typer.Option(
        "--columns",
        help="The agency's column names: a mapping file (YAML), or a shipped mapping "
        "(siasn, ekinerja), or several separated by commas. Default: RECSYS_COLUMNS.",
    ),
]
#: ``--out`` of the recommend commands: a file instead of a table on screen.
RecommendOutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Write to .csv, .parquet or .xlsx instead of printing."),
]


def resolve_lang(lang: Language | None) -> Language:
    """``--lang`` if given, else the setting (``RECSYS_LANG``, default Bahasa Indonesia)."""
    return lang or get_settings().lang


def clean_nip(nip: str, lang: Language) -> str:
    """A NIP as typed (surrounding spaces or quotes allowed); not 18 digits ends the command."""
    nip = nip.strip().strip('"').strip()
    if not re.fullmatch(rf"\d{{{NIP_LENGTH}}}", nip):
        fail(t("nip.malformed", lang, nip=nip), lang)
    return nip
