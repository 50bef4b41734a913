"""How a CSV file was written: its text encoding and the character between fields.

HR data often reaches us as CSV saved from Excel on an Indonesian (id-ID) Windows: Excel's
plain "CSV (Comma delimited)" then writes Windows-1252 text and, because the decimal
separator of that locale is the comma, puts ``;`` between fields. "CSV UTF-8" writes UTF-8
with a byte order mark. :func:`detect_csv` tells these apart so that the reader can take
every such file as it is.

This module only looks at bytes; it raises :class:`CsvEncodingError` (a ``ValueError``)
for a file that is no text it knows, which :mod:`recsys.data.sources` reports as a
:class:`~recsys.data.sources.DataContractError`.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

#: Encodings :func:`detect_csv` can report, in the order they are tried.
ENCODINGS = ("utf-8-sig", "utf-8", "cp1252")
#: Field delimiters :func:`detect_csv` can report; the first wins a tie.
DELIMITERS = (",", ";", "\t")

_BOM = codecs.BOM_UTF8
_CHUNK = 1 << 20
#: Bytes of the file start looked at to find the delimiter.
_SAMPLE = 1 << 16
#: Data lines after the header used to settle a tie between delimiters.
_CONFIRM_LINES = 5
_RESAVE_HINT = (
    "open it in Excel and save it again with File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)'"
)


class CsvEncodingError(ValueError):
    """A file that is neither UTF-8 nor Windows-1252 text; the message says how to fix it."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class CsvDialect:
    """The encoding and delimiter of a CSV file, as detected by :func:`detect_csv`.

    ``encoding`` is ``"utf-8"``, ``"utf-8-sig"`` (UTF-8 starting with a byte order mark)
    or ``"cp1252"`` (Windows-1252); ``delimiter`` is ``","``, ``";"`` or ``"\\t"``.
    """

    encoding: str = "utf-8"
    delimiter: str = ","

    @property
    def decimal_comma(self) -> bool:
        """True if numbers probably use a decimal comma: Excel writes ``;`` between fields
        exactly in the locales (id-ID among them) whose decimal separator is the comma."""
        return self.delimiter == ";"

    def as_dict(self) -> dict[str, str]:
        """The dialect as :attr:`~recsys.data.sources.RawTable.dialect` records it."""
        return {"format": "csv", "delimiter": self.delimiter, "encoding": self.encoding}


def detect_csv(path: Path) -> CsvDialect:
    """The encoding and delimiter of the CSV file at ``path``.

    The encoding is ``utf-8-sig`` if the file starts with a UTF-8 byte order mark,
    ``utf-8`` if the whole file is valid UTF-8 (checked in chunks), else ``cp1252`` if it
    decodes as Windows-1252; anything else raises :class:`CsvEncodingError`. The
    delimiter is the candidate that splits the header into the most fields (quotes
    respected); a tie is settled by the lines that follow, then by the order of
    :data:`DELIMITERS`, so a one-column file reads as comma-separated.
    """
    encoding = _detect_encoding(path)
    with path.open("rb") as f:
        sample = f.read(_SAMPLE)
        complete = not f.read(1)
    text = codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
    return CsvDialect(encoding=encoding, delimiter=_detect_delimiter(text, complete))


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as f:
        bom = f.read(len(_BOM)) == _BOM
        if not bom:
            f.seek(0)
        offset = f.tell()
        utf8 = codecs.getincrementaldecoder("utf-8")()
        chunk = b""
        try:
            while chunk := f.read(_CHUNK):
                utf8.decode(chunk)
                offset += len(chunk)
            utf8.decode(b"", final=True)
            return "utf-8-sig" if bom else "utf-8"
        except UnicodeDecodeError as e:
            # ``e.object`` is the chunk after the bytes the decoder held back from the
            # previous one (an incomplete character).
            bad_at = offset - (len(e.object) - len(chunk)) + e.start
            bad_byte = e.object[e.start : e.start + 1]
        if bom:
            raise _not_text(path, bad_at, bad_byte)
        f.seek(0)
        while chunk := f.read(_CHUNK):
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError as e:
                # Windows-1252 leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D);
                # report the first byte that is not UTF-8, where the trouble starts.
                raise _not_text(path, bad_at, bad_byte) from e
    return "cp1252"


def _not_text(path: Path, offset: int, byte: bytes) -> CsvEncodingError:
    shown = f"byte 0x{byte.hex().upper()} " if byte else ""
    return CsvEncodingError(
        f"{path.name}: cannot be parsed: not UTF-8 or Windows-1252 text "
        f"({shown}at offset {offset}); {_RESAVE_HINT}",
        path=path,
    )


def _detect_delimiter(text: str, complete: bool) -> str:
    """The delimiter that splits the header of ``text`` into the most fields."""
    best: list[tuple[int, str]] = []
    most = 1
    for delimiter in DELIMITERS:
        rows = _first_rows(text, delimiter, complete)
        if not rows:
            continue
        fields = len(rows[0])
        if fields > most:
            most, best = fields, []
        if fields == most and fields > 1:
            agreeing = sum(len(row) == fields for row in rows[1:])
            best.append((agreeing, delimiter))
    if not best:
        return ","
    # max() keeps the first of equals, and ``best`` follows the order of DELIMITERS.
    return max(best, key=lambda candidate: candidate[0])[1]


def _first_rows(text: str, delimiter: str, complete: bool) -> list[list[str]]:
    """The header and up to a few following rows of ``text``, split by ``delimiter``.

    When ``text`` is only the start of the file its last row may be cut short, so a row
    is kept only once the next one has started (the header always is).
    """
    wanted = _CONFIRM_LINES + 1
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > wanted:
                return rows[:wanted]
    except csv.Error:
        return rows[:1]
    if not complete and len(rows) > 1:
        rows.pop()
    return rows
