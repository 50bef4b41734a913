"""The loader's texts for people, in Bahasa Indonesia (default) or English.

The loader writes its quarantine reasons and warnings in one canonical English form
(:mod:`recsys.data.validation`, :mod:`recsys.data.loading`): that form is what
``report.json`` keeps and what code compares. This module renders them for people:

- :func:`reason_text`: a quarantine reason (a rule's key like ``level: outside 1.0–5.0``,
  or a row's message like ``level: 7.5 outside 1.0–5.0``, several joined by ``"; "``);
- :func:`warning_text`: a load warning;
- :func:`error_text`: the message of a :class:`~recsys.data.sources.DataContractError`;
- :func:`detected_text`: a :class:`~recsys.data.report.Detected` note (separator, date
  format, mapped headers...); :func:`notable` tells the notes worth showing people.

Values and column names are kept verbatim; only the rule's words are translated. A text
this module does not know is returned unchanged: a new rule is never lost, only
untranslated. :func:`reason_keys` gives the canonical key of each part of a message, so a
row can be matched to the rule it is counted under.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recsys.settings import Language

if TYPE_CHECKING:
    from recsys.data.report import Detected

#: How the parts of one row's reason are joined (:class:`~recsys.data.validation.Problems`).
SEPARATOR = "; "

Groups = Mapping[str, str]
Template = str | Callable[[Groups], str]

# --- words -------------------------------------------------------------------------------

#: Nouns the loader names an unknown reference by (``nip: unknown employee '...'``).
_NOUNS_ID = {"employee": "pegawai", "training": "pelatihan", "competency": "kompetensi"}
#: Pseudo-columns a reason can start with that are not contract columns.
_COLUMNS_ID = {"row": "baris"}
#: Date formats that are words rather than patterns (:data:`recsys.data.formats.DATE_FORMATS`).
_DATE_FORMATS_ID = {
    "Excel date number": "nomor tanggal Excel",
    "excel_serial": "nomor tanggal Excel",
}
_DATE_FORMATS_EN = {"excel_serial": "Excel date number"}
_BOUNDS_ID = (("not above", "tidak di atas"), ("below", "di bawah"), ("above", "di atas"))


def _date_format(fmt: str, lang: Language) -> str:
    """A date format's name in ``lang`` (patterns such as ``DD/MM/YYYY`` stay as they are)."""
    if lang == "id":
        fmt = _DATE_FORMATS_ID.get(fmt, fmt)
        return fmt.replace(" or ", " atau ")
    return _DATE_FORMATS_EN.get(fmt, fmt)


def _bounds_id(rule: str) -> str:
    """``not above 0 or above 10`` -> ``tidak di atas 0 atau di atas 10``."""
    parts = []
    for part in rule.split(" or "):
        for english, indonesian in _BOUNDS_ID:
            if part.startswith(english + " "):
                part = indonesian + part[len(english) :]
                break
        parts.append(part)
    return " atau ".join(parts)


def _unknown_id(g: Groups) -> str:
    noun = _NOUNS_ID.get(g["noun"], g["noun"])
    where = f" (dikarantina di {g['table']})" if g["table"] else ""
    return f"{noun} tidak dikenal{g['shown']}{where}"


def _hire_age_id(g: Groups) -> str:
    value = f"{g['value']} " if g["value"] else ""
    birth = f" ({g['other']} {g['other_value']})" if g["other"] else ""
    return f"{value}sebelum usia {g['age']} tahun{birth}"


def _duplicate_id(g: Groups) -> str:
    return f"duplikat baris sumber {g['row']}" if g["row"] else "duplikat"


# --- the rules' phrases ------------------------------------------------------------------


@dataclass(frozen=True)
class _Phrase:
    """One rule's words: ``pattern`` matches the English text after ``column: `` (named
    groups hold values), ``indonesian`` renders it, ``key`` gives the rule's canonical key
    (the part after ``column: ``; a key with its own column starts with it)."""

    kind: str
    pattern: str
    indonesian: Template
    key: Template


_SHOWN = r"(?P<shown>: '.*?')?"
#: Every phrase :mod:`recsys.data.validation` and :mod:`recsys.data.sources` write, most
#: specific first (the first that matches the whole part wins).
_PHRASES: tuple[_Phrase, ...] = (
    _Phrase(
        "bad_line",
        r"row has (?P<actual>\d+) fields, expected (?P<expected>\d+)",
        "baris berisi {actual} kolom, seharusnya {expected}",
        "row: wrong number of fields",
    ),
    _Phrase("bad_line", r"wrong number of fields", "jumlah kolom salah", "wrong number of fields"),
    _Phrase("missing", r"missing", "kosong", "missing"),
    _Phrase(
        "category",
        r"not one of (?P<listed>.*?)" + _SHOWN,
        "bukan salah satu dari {listed}{shown}",
        "not one of {listed}",
    ),
    _Phrase("number", r"not a number" + _SHOWN, "bukan angka{shown}", "not a number"),
    _Phrase("integer", r"not an integer" + _SHOWN, "bukan bilangan bulat{shown}", "not an integer"),
    _Phrase(
        "boolean",
        r"not a boolean \(true/false\)" + _SHOWN,
        "bukan boolean (true/false){shown}",
        "not a boolean (true/false)",
    ),
    _Phrase(
        "date",
        r"not a date \(has a time of day\)" + _SHOWN,
        "bukan tanggal (berisi jam){shown}",
        "not a date (has a time of day)",
    ),
    _Phrase(
        "date",
        r"not a date \((?P<fmt>[^()]*)\)" + _SHOWN,
        lambda g: f"bukan tanggal ({_date_format(g['fmt'], 'id')}){g['shown']}",
        "not a date ({fmt})",
    ),
    _Phrase("nip_digits", r"not 18 digits" + _SHOWN, "bukan 18 digit{shown}", "not 18 digits"),
    _Phrase(
        "pattern",
        r"does not match (?P<pattern>.*?)" + _SHOWN,
        "tidak sesuai pola {pattern}{shown}",
        "does not match {pattern}",
    ),
    _Phrase(
        "duplicate",
        r"duplicate(?: of source row (?P<row>\d+))?",
        _duplicate_id,
        "duplicate",
    ),
    _Phrase(
        "nip_consistency",
        r"birth date part(?P<part> \d+)? disagrees with (?P<other>\w+)(?P<value> \S+)?",
        "bagian tanggal lahir{part} tidak cocok dengan {other}{value}",
        "birth date part disagrees with {other}",
    ),
    _Phrase(
        "nip_consistency",
        r"TMT part(?P<part> \d+)? disagrees with (?P<other>\w+)(?P<value> \S+)?",
        "bagian TMT{part} tidak cocok dengan {other}{value}",
        "TMT part disagrees with {other}",
    ),
    _Phrase(
        "nip_consistency",
        r"gender digit(?P<part> \S+)? disagrees with (?P<other>\w+)(?P<value> .+?)?",
        "digit jenis kelamin{part} tidak cocok dengan {other}{value}",
        "gender digit disagrees with {other}",
    ),
    _Phrase(
        "nip_consistency",
        r"sequence (?P<sequence>\d+) is invalid",
        "nomor urut {sequence} tidak sah",
        "sequence {sequence} is invalid",
    ),
    _Phrase(
        "own_reference",
        r"the employee's own (?P<other>\w+)",
        "sama dengan {other} pegawai itu sendiri",
        "the employee's own {other}",
    ),
    _Phrase("same_as", r"same as (?P<other>\w+)", "sama dengan {other}", "same as {other}"),
    _Phrase(
        "nip_digits",
        r"NIP ends in 000 \(digits lost in Excel\?\)" + _SHOWN,
        "NIP berakhiran 000 (digit hilang di Excel?){shown}",
        "NIP ends in 000 (digits lost in Excel?)",
    ),
    _Phrase(
        "unknown",
        r"unknown (?P<noun>\w+)(?P<shown> '.*?')?(?: \(quarantined in (?P<table>\w+)\))?",
        _unknown_id,
        "unknown {noun}",
    ),
    _Phrase(
        "hire_age",
        r"(?:(?P<value>\S+) is )?before age (?P<age>\d+)"
        r"(?: \((?P<other>\w+) (?P<other_value>[^)]*)\))?",
        _hire_age_id,
        "before age {age}",
    ),
    _Phrase(
        "date_order",
        r"(?P<value>\S+ )??before (?P<other>\w+)(?P<other_value> \S+)?",
        "{value}sebelum {other}{other_value}",
        "before {other}",
    ),
    _Phrase(
        "range",
        r"(?P<value>(?:(?!; ).)*? )??outside (?P<low>[^–;]+)–(?P<high>[^\s;:]+)" + _SHOWN,
        "{value}di luar {low}–{high}{shown}",
        "outside {low}–{high}",
    ),
    _Phrase(
        "range",
        r"(?P<value>(?:(?!; ).)*? )??(?P<rule>(?:not above|below|above) [^\s;:]+"
        r"(?: or (?:not above|below|above) [^\s;:]+)*)" + _SHOWN,
        lambda g: g["value"] + _bounds_id(g["rule"]) + g["shown"],
        "{rule}",
    ),
)


def _compile() -> tuple[re.Pattern[str], dict[str, tuple[int, tuple[str, ...]]]]:
    """One pattern for a reason's part (an optional ``column: `` and any phrase), and for
    each phrase's group in it: the phrase's index and its own groups' names there."""
    alternatives = []
    groups: dict[str, tuple[int, tuple[str, ...]]] = {}
    for i, phrase in enumerate(_PHRASES):
        body = re.sub(r"\(\?P<(\w+)>", rf"(?P<p{i}_\1>", phrase.pattern)
        alternatives.append(f"(?P<p{i}>{body})")
        groups[f"p{i}"] = (i, tuple(re.findall(r"\(\?P<(\w+)>", body)))
    pattern = re.compile(
        r"(?:(?P<column>[A-Za-z_][A-Za-z0-9_]*): )?(?:" + "|".join(alternatives) + r")(?=; |$)"
    )
    return pattern, groups


_PART, _PART_GROUPS = _compile()


@dataclass(frozen=True)
class ReasonPart:
    """One part of a reason, recognised: its column (None for a part without one), the
    kind of rule (``missing``, ``range``, ``unknown``, ``nip_digits``...), the canonical
    English key it is counted under, and its text in Indonesian."""

    column: str | None
    kind: str
    key: str
    indonesian: str
    english: str


def _render(template: Template, groups: Groups) -> str:
    return template(groups) if callable(template) else template.format(**groups)


def parse_reason(reason: str) -> list[ReasonPart | str]:
    """The parts of ``reason`` (joined by ``"; "``): each a :class:`ReasonPart`, or the
    text itself where no phrase is known."""
    parts: list[ReasonPart | str] = []
    pos = 0
    while pos <= len(reason):
        match = _PART.match(reason, pos)
        if match is None:
            end = reason.find(SEPARATOR, pos)
            end = len(reason) if end < 0 else end
            parts.append(reason[pos:end])
        else:
            end = match.end()
            parts.append(_part(match))
        if end >= len(reason):
            break
        pos = end + len(SEPARATOR)
    return parts


def _part(match: re.Match[str]) -> ReasonPart:
    # The phrase's group closes after its inner groups, so it is the last one matched.
    index, names = _PART_GROUPS[str(match.lastgroup)]
    phrase = _PHRASES[index]
    skip = len(f"p{index}_")
    groups = {name[skip:]: match.group(name) or "" for name in names}
    column = match.group("column")
    indonesian = _render(phrase.indonesian, groups)
    key = _render(phrase.key, groups)
    english = match.group(0)
    if column is not None:
        key = f"{column}: {key}"
        indonesian = f"{_COLUMNS_ID.get(column, column)}: {indonesian}"
    return ReasonPart(column, phrase.kind, key, indonesian, english)


def reason_text(reason: str, lang: Language) -> str:
    """A quarantine reason (or a rule's key) in ``lang``; ``"en"`` returns it unchanged.

    ``"level: 7.5 outside 1.0–5.0; nip: unknown employee '123'"`` reads
    ``"level: 7.5 di luar 1.0–5.0; nip: pegawai tidak dikenal '123'"`` in Indonesian.
    Parts this module does not know stay as they are; it never raises.
    """
    if lang != "id" or not isinstance(reason, str) or not reason:
        return reason
    return SEPARATOR.join(
        p.indonesian if isinstance(p, ReasonPart) else p for p in parse_reason(reason)
    )


def reason_keys(reason: str) -> list[str]:
    """The canonical key of each part of a row's reason, in order (a part no phrase knows
    is its own key): ``"level: 7.5 outside 1.0–5.0"`` -> ``["level: outside 1.0–5.0"]``."""
    if not isinstance(reason, str) or not reason:
        return []
    return [p.key if isinstance(p, ReasonPart) else p for p in parse_reason(reason)]


def reason_kind(key: str) -> str:
    """The kind of rule a key (or message) is about, e.g. ``range``; ``other`` if unknown."""
    parts = parse_reason(key) if isinstance(key, str) and key else []
    first = parts[0] if parts else None
    return first.kind if isinstance(first, ReasonPart) else "other"


# --- warnings and errors -----------------------------------------------------------------


def _more_id(listed: str) -> str:
    """``'a', 'b' and 3 more`` -> ``'a', 'b' dan 3 lainnya``."""
    return re.sub(r"' and (\d+) more$", r"' dan \1 lainnya", listed)


#: Every warning of :mod:`recsys.data.loading` and :func:`~recsys.data.validation.check_columns`.
_WARNINGS: tuple[tuple[re.Pattern[str], Template], ...] = (
    (
        re.compile(r"optional table '(?P<name>[^']*)' not found in (?P<where>.*); loaded as empty"),
        "tabel opsional '{name}' tidak ditemukan di {where}; dimuat sebagai tabel kosong",
    ),
    (
        re.compile(r"(?P<table>[\w.:\[\] -]+): no valid rows were loaded"),
        "{table}: tidak ada baris yang lolos pemeriksaan, jadi tidak ada yang dimuat",
    ),
    (
        re.compile(
            r"(?P<table>\w+): (?P<count>[\d,.]+) loaded (?:employee reports|employees report) "
            r"to a supervisor whose own row was quarantined"
        ),
        "{table}: {count} pegawai yang dimuat melapor kepada atasan yang barisnya sendiri "
        "dikarantina",
    ),
    (
        re.compile(
            r"(?P<table>\w+): no competency standard for (?P<positions>[\d,.]+) positions? "
            r"\((?P<held>[\d,.]+) employees?\): (?P<listed>.*)"
        ),
        lambda g: (
            f"{g['table']}: tidak ada standar kompetensi untuk {g['positions']} jabatan "
            f"({g['held']} pegawai): {_more_id(g['listed'])}"
        ),
    ),
    (
        re.compile(r"(?P<label>.+?): columns not in the contract, ignored: (?P<names>.*)"),
        "{label}: kolom di luar kontrak, diabaikan: {names}",
    ),
)


def _translate(text: str, table: tuple[tuple[re.Pattern[str], Template], ...]) -> str:
    for pattern, template in table:
        match = pattern.fullmatch(text)
        if match is not None:
            groups = {k: v or "" for k, v in match.groupdict().items()}
            return _render(template, groups)
    return text


def warning_text(warning: str, lang: Language) -> str:
    """A load warning in ``lang``; ``"en"`` returns it unchanged, an unknown one too."""
    if lang != "id" or not isinstance(warning, str):
        return warning
    return _translate(warning, _WARNINGS)


def _rule_id(g: Groups) -> str:
    return (
        f"{g['label']}: {g['count']} dari {g['read']} baris melanggar aturan yang sama, "
        f"'{reason_text(g['rule'], 'id')}' (mis. baris {g['row']}: "
        f"{reason_text(g['message'], 'id')}). Ini masalah format berkas, bukan masalah "
        f"baris satu per satu: perbaiki kolom '{g['column']}' di ekspor lalu muat ulang"
        + g["rest"].replace("writes a guide", "menulis panduan perbaikan")
    )


_NIP_DAMAGE_ID = {
    "in scientific notation": "dalam notasi ilmiah",
    "with their last digits turned into 000": "yang digit terakhirnya berubah menjadi 000",
}
_STORE_AS_TEXT = "Store the column as text"


def _destroyed_nips_id(g: Groups) -> str:
    why = _NIP_DAMAGE_ID.get(g["why"], g["why"])
    rest = g["rest"]
    if rest.startswith(_STORE_AS_TEXT):
        rest = (
            "Simpan kolom ini sebagai teks: di Excel, pilih kolomnya, Format Cells → Text, "
            "tempel ulang NIP dari sumbernya (mis. SIASN), lalu simpan; atau ekspor ke CSV "
            "tanpa membuka berkasnya di Excel."
        )
    return (
        f"{g['label']}: kolom '{g['column']}' berisi {g['count']} NIP {why} (mis. baris "
        f"{g['row']}: {g['example']}). Excel menyimpan kolom ini sebagai angka dan hanya "
        "menyimpan 15 digit, jadi NIP aslinya tidak dapat dipulihkan dari berkas ini. " + rest
    ).rstrip()


#: The messages of :class:`~recsys.data.sources.DataContractError` the loader raises.
_ERRORS: tuple[tuple[re.Pattern[str], Template], ...] = (
    (
        re.compile(
            r"(?P<label>.+?): required columns? (?P<names>.+?) (?:is|are) missing "
            r"\(columns found: (?P<found>.*)\)",
            re.DOTALL,
        ),
        lambda g: (
            f"{g['label']}: kolom wajib {g['names']} tidak ada (kolom yang ditemukan: "
            f"{'tidak ada' if g['found'] == 'none' else g['found']})"
        ),
    ),
    (
        re.compile(r"required table '(?P<name>[^']*)' not found in (?P<where>.*)", re.DOTALL),
        lambda g: (
            f"tabel wajib '{g['name']}' tidak ditemukan di "
            + g["where"].replace("database ", "basis data ").replace("(looked for", "(dicari:")
        ),
    ),
    (
        re.compile(r"data folder (?P<path>.+) does not exist", re.DOTALL),
        "folder data {path} tidak ada",
    ),
    (
        re.compile(r"data folder (?P<path>.+) is not a folder", re.DOTALL),
        "{path} bukan folder",
    ),
    (
        re.compile(r"database (?P<db>.+) does not exist", re.DOTALL),
        "basis data {db} tidak ada",
    ),
    (
        re.compile(
            r"(?P<label>.+?): column '(?P<column>[^']*)' appears more than once in the header"
        ),
        "{label}: kolom '{column}' muncul lebih dari sekali di baris judul",
    ),
    (
        re.compile(r"(?P<label>.+?): cannot be parsed: the file is empty \(no header row\)"),
        "{label}: tidak dapat dibaca: berkas kosong (tidak ada baris judul)",
    ),
    (
        re.compile(
            r"(?P<label>.+?): (?P<count>[\d,.]+) of (?P<read>[\d,.]+) rows break the same rule, "
            r"'(?P<rule>.*?)' \(e\.g\. row (?P<row>\d+): (?P<message>.*?)\)\. That is a problem "
            r"with the file's format, not with single rows: fix column '(?P<column>[^']*)' in "
            r"the export and load again(?P<rest>.*)",
            re.DOTALL,
        ),
        _rule_id,
    ),
    (
        re.compile(
            r"(?P<label>.+?): column '(?P<column>[^']*)' holds (?P<count>[\d,.]+) NIPs? "
            r"(?P<why>.+?) \(e\.g\. row (?P<row>\d+): (?P<example>'[^']*')\)\. Excel stored "
            r"the column as numbers and kept only 15 digits, so the real NIPs cannot be "
            r"recovered from this file\. ?(?P<rest>.*)",
            re.DOTALL,
        ),
        _destroyed_nips_id,
    ),
    (
        re.compile(r"(?P<label>.+?): cannot be (?P<how>parsed|read): (?P<detail>.*)", re.DOTALL),
        lambda g: f"{g['label']}: tidak dapat dibaca: {g['detail']}",
    ),
)


def error_text(message: str, lang: Language) -> str:
    """A :class:`~recsys.data.sources.DataContractError`'s message in ``lang``: the main
    clause translated, technical details (paths, the parser's own words) kept; an unknown
    message is returned unchanged."""
    if lang != "id" or not isinstance(message, str):
        return message
    return _translate(message, _ERRORS)


# --- what the loader recognised ----------------------------------------------------------

_DELIMITERS = {
    ",": ("koma (,)", "comma (,)"),
    ";": ("titik koma (;)", "semicolon (;)"),
    "\t": ("tab", "tab"),
    "|": ("garis tegak (|)", "pipe (|)"),
    " ": ("spasi", "space"),
}
_ENCODINGS = {
    "utf-8": ("UTF-8", "UTF-8"),
    "utf8": ("UTF-8", "UTF-8"),
    "utf-8-sig": ("UTF-8 dengan BOM", "UTF-8 with BOM"),
    "cp1252": ("Windows-1252", "Windows-1252"),
    "windows-1252": ("Windows-1252", "Windows-1252"),
    "latin-1": ("Latin-1", "Latin-1"),
    "iso-8859-1": ("Latin-1", "Latin-1"),
}


def _pick(words: tuple[str, str], lang: Language) -> str:
    return words[0] if lang == "id" else words[1]


def _delimiter(value: Any, lang: Language) -> str:
    text = str(value)
    return _pick(_DELIMITERS[text], lang) if text in _DELIMITERS else repr(text)


def _encoding(value: Any, lang: Language) -> str:
    text = str(value)
    return _pick(_ENCODINGS[text.lower()], lang) if text.lower() in _ENCODINGS else text


def _names(values: Any) -> str:
    if isinstance(values, list | tuple):
        return ", ".join(str(v) for v in values)
    return str(values)


def _pairs(values: Any) -> str:
    if not isinstance(values, list | tuple):
        return str(values)
    shown = []
    for pair in values:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            shown.append(f"'{pair[0]}' → {pair[1]}")
        else:
            shown.append(str(pair))
    return ", ".join(shown)


def _detected_id(key: str, p: Mapping[str, Any]) -> str | None:
    file = p.get("file", "?")
    if key == "csv_dialect":
        return (
            f"{file}: pemisah {_delimiter(p.get('delimiter', '?'), 'id')}, encoding "
            f"{_encoding(p.get('encoding', '?'), 'id')}"
        )
    if key == "xlsx":
        return f"{file}: dibaca dari lembar (sheet) '{p.get('sheet', '?')}' buku kerja Excel"
    if key == "decimal_comma":
        return (
            f"{file}: angka ditulis cara Indonesia (3,5 atau 1.500) dibaca sebagai 3.5 dan "
            f"1500 di kolom {_names(p.get('columns', '?'))}"
        )
    if key == "date_format":
        return (
            f"{file}: tanggal di kolom {p.get('column', '?')} ditulis "
            f"{_date_format(str(p.get('format', '?')), 'id')}; dibaca sebagai tanggal"
        )
    if key == "columns_mapped":
        return f"{file}: judul kolom dipetakan ke nama kontrak: {_pairs(p.get('pairs', '?'))}"
    if key == "values_mapped":
        return (
            f"{file}: {p.get('count', '?')} nilai di kolom {p.get('column', '?')} "
            "dipetakan ke nilai kontrak"
        )
    return None


def _detected_en(key: str, p: Mapping[str, Any]) -> str | None:
    file = p.get("file", "?")
    if key == "csv_dialect":
        return (
            f"{file}: {_delimiter(p.get('delimiter', '?'), 'en')} between fields, "
            f"{_encoding(p.get('encoding', '?'), 'en')} encoding"
        )
    if key == "xlsx":
        return f"{file}: read from the Excel workbook's sheet '{p.get('sheet', '?')}'"
    if key == "decimal_comma":
        return (
            f"{file}: numbers written the Indonesian way (3,5 or 1.500) read as 3.5 and 1500 in "
            f"{_names(p.get('columns', '?'))}"
        )
    if key == "date_format":
        return (
            f"{file}: dates in {p.get('column', '?')} written as "
            f"{_date_format(str(p.get('format', '?')), 'en')}; read as dates"
        )
    if key == "columns_mapped":
        return f"{file}: headers mapped to the contract's names: {_pairs(p.get('pairs', '?'))}"
    if key == "values_mapped":
        return (
            f"{file}: {p.get('count', '?')} values in {p.get('column', '?')} mapped to the "
            "contract's values"
        )
    return None


def notable(item: Detected) -> bool:
    """Whether a note is worth telling people: a CSV file written exactly as the contract
    asks (UTF-8, commas) was recognised but nothing about it was converted."""
    if item.key != "csv_dialect" or not isinstance(item.params, Mapping):
        return True
    encoding = str(item.params.get("encoding", "")).lower()
    return item.params.get("delimiter") != "," or encoding not in ("utf-8", "utf8")


def detected_text(item: Detected, lang: Language) -> str:
    """What the loader recognised and converted, for people: e.g. ``csv_dialect``
    ``{file: employees.csv, delimiter: ";", encoding: utf-8-sig}`` reads
    ``employees.csv: pemisah titik koma (;), encoding UTF-8 dengan BOM``.

    Keys: ``csv_dialect`` {file, delimiter, encoding}, ``xlsx`` {file, sheet},
    ``decimal_comma`` {file, columns}, ``date_format`` {file, column, format},
    ``columns_mapped`` {file, pairs}, ``values_mapped`` {file, column, count}. An unknown
    key reads ``key: name=value, ...``; missing parameters read ``?``.
    """
    params: Mapping[str, Any] = item.params if isinstance(item.params, Mapping) else {}
    render = _detected_id if lang == "id" else _detected_en
    try:
        text = render(item.key, params)
    except (TypeError, ValueError):
        text = None
    if text is not None:
        return text
    shown = ", ".join(f"{k}={v}" for k, v in params.items())
    return f"{item.key}: {shown}" if shown else str(item.key)
