"""The contract's row rules: which rows of a raw table are valid, and why the others are not.

:func:`validate_table` turns a :class:`~recsys.data.sources.RawTable` into a typed frame of
valid rows and a quarantine frame of the rest, each with every reason it broke a rule:

- per column (declared on :class:`~recsys.data.contract.Column`): the value parses as the
  column's kind, a required cell is not empty, ranges, categories, patterns, uniqueness;
- per row (named in :attr:`~recsys.data.contract.Table.row_rules`): see :data:`ROW_RULES`;
- references (``Column.references``): checked against the rows already *loaded* from the
  referenced table, so a quarantined employee takes their enrollments along.

Values are checked the same way whatever the source: text from CSV is parsed, native
Parquet/SQL values (numbers, booleans, dates) are accepted as they are. Everything is
vectorised; loops run over columns and rules, never over rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recsys.data import nip as nip_parts
from recsys.data.contract import (
    DATE_DTYPE,
    MIN_HIRE_AGE_YEARS,
    NIP_PATTERN,
    TABLES,
    TEXT_DTYPE,
    Column,
    Table,
)
from recsys.data.contract import table as contract_table
from recsys.data.formats import ISO, parse_dates
from recsys.data.sources import RAW_LINE, REASON, SOURCE_ROW, DataContractError, RawTable

logger = logging.getLogger(__name__)

NUMBER_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
#: At most 18 digits, so that every accepted integer fits in int64.
INT_RE = r"^[+-]?\d{1,18}$"
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
#: The dates a ``datetime64[ns]`` column can hold.
FIRST_DATE = pd.Timestamp("1677-09-22")
LAST_DATE = pd.Timestamp("2262-04-11")
#: The rule of a reference to a NIP ending in 000 (Excel keeps 15 significant digits).
LOST_DIGITS = "NIP ends in 000 (digits lost in Excel?)"
#: Key under which CSV lines with the wrong number of fields are counted.
BAD_LINE_KEY = "row: wrong number of fields"

_NOUNS = {"employees": "employee", "trainings": "training", "competencies": "competency"}


# --- problems ---------------------------------------------------------------------------


class Problems:
    """The reasons collected for the rows of one table.

    Each reason has a *key* (the rule, e.g. ``level: outside 1.0–5.0``), counted in the
    report, and a *message* naming the row's value (``level: 7.5 outside 1.0–5.0``).
    A row's messages are joined with ``"; "`` in the order the rules ran.
    """

    def __init__(self, n_rows: int) -> None:
        self.reason = np.full(n_rows, None, dtype=object)
        self.counts: dict[str, int] = {}

    def add(self, key: str, mask: np.ndarray | pd.Series, messages: str | pd.Series) -> None:
        """Add ``messages`` (one per True in ``mask``, in order, or one for all) under ``key``."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if len(positions) == 0:
            return
        if isinstance(messages, str):
            new = np.full(len(positions), messages, dtype=object)
        else:
            new = np.asarray(messages.to_numpy(dtype=object), dtype=object)
        current = self.reason[positions]
        has = pd.notna(current)
        if has.any():
            new[has] = current[has] + "; " + new[has]
        self.reason[positions] = new
        self.counts[key] = self.counts.get(key, 0) + len(positions)

    @property
    def bad(self) -> np.ndarray:
        """True for rows with at least one reason."""
        return np.asarray(pd.notna(self.reason), dtype=bool)


# --- results and references ------------------------------------------------------------


@dataclass(frozen=True)
class KnownValues:
    """Values of a referenced column: in loaded rows, and only in quarantined rows."""

    loaded: pd.Series
    quarantined: pd.Series


@dataclass(frozen=True)
class TableResult:
    """A validated table: typed valid rows, quarantined raw rows, reason counts."""

    frame: pd.DataFrame
    quarantine: pd.DataFrame
    reasons: dict[str, int]
    read: int
    known: dict[tuple[str, str], KnownValues] = field(default_factory=dict)

    @property
    def loaded(self) -> int:
        return len(self.frame)

    @property
    def quarantined(self) -> int:
        return len(self.quarantine)


def referenced_columns() -> set[tuple[str, str]]:
    """Every ``(table, column)`` some contract column refers to."""
    return {c.references for t in TABLES for c in t.columns if c.references is not None}


def check_columns(table: Table, raw: RawTable) -> list[str]:
    """Raise if a required column is missing; return warnings about extra columns."""
    present = raw.columns
    missing = [c for c in table.required_columns if c not in present]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        noun = "column" if len(missing) == 1 else "columns"
        verb = "is" if len(missing) == 1 else "are"
        found = ", ".join(f"'{c}'" for c in present) or "none"
        raise DataContractError(
            f"{raw.label}: required {noun} {names} {verb} missing (columns found: {found})",
            file=raw.source,
            column=missing[0],
        )
    extra = [c for c in present if c not in table.column_names]
    if not extra:
        return []
    names = ", ".join(f"'{c}'" for c in extra)
    return [f"{raw.label}: columns not in the contract, ignored: {names}"]


def empty_frame(table: Table) -> pd.DataFrame:
    """A typed frame with the table's columns and no rows."""
    return pd.DataFrame({c.name: pd.Series([], dtype=_dtype(c)) for c in table.columns})


# --- parsing one column ----------------------------------------------------------------


@dataclass
class _Parsed:
    """A column parsed to a nullable working dtype; failures are (rule, mask) pairs."""

    values: pd.Series
    missing: np.ndarray
    failures: list[tuple[str, np.ndarray]] = field(default_factory=list)


def _np(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An arrow boolean array as numpy, null as False."""
    return np.array(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _arrow(raw: pd.Series) -> pa.Array:
    """The raw column as one arrow array of its native type (text if types are mixed)."""
    series = raw.reset_index(drop=True)
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        array = pa.array(series.astype(str), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _as_text(array: pa.Array) -> pa.Array:
    """Values as text, the way they would read in a CSV file."""
    if pa.types.is_large_string(array.type):
        return array
    if pa.types.is_string(array.type) or pa.types.is_null(array.type):
        return pc.cast(array, pa.large_string())
    if pa.types.is_floating(array.type):
        # 3.0 reads "3" after an arrow cast; keep what a person would have typed.
        values = array.to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            integral = np.isfinite(values) & (np.mod(values, 1) == 0) & (np.abs(values) < 2**63)
        text = pd.Series(values).astype(str)
        text[integral] = pd.Series(values[integral]).astype("int64").astype(str).to_numpy()
        return pa.array(text.where(~np.isnan(values)), type=pa.large_string(), from_pandas=True)
    try:
        return pc.cast(array, pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        series = pd.Series(array.to_pandas(), dtype=object)
        return pa.array(series.astype(str), type=pa.large_string(), from_pandas=True)


def _null_where(mask: np.ndarray, array: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.scalar(None, array.type), array)


def _text_series(array: pa.Array) -> pd.Series:
    return pd.Series(pd.array(array, dtype=TEXT_DTYPE))


def _blank(text: pa.Array) -> np.ndarray:
    return _np(pc.is_null(text)) | _np(pc.equal(pc.utf8_trim_whitespace(text), ""))


def _is_number_type(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _parse_text(array: pa.Array, column: Column) -> _Parsed:
    text = _as_text(array)
    missing = _blank(text)
    values = _text_series(_null_where(missing, text)).astype(_dtype(column))
    return _Parsed(values, missing)


def _parse_category(array: pa.Array, column: Column) -> _Parsed:
    assert column.categories is not None
    text = _as_text(array)
    missing = _blank(text)
    codes = pc.index_in(text, value_set=pa.array(column.categories, type=text.type))
    codes_np = pc.fill_null(codes, -1).to_numpy(zero_copy_only=False).astype("int64")
    codes_np[missing] = -1
    values = pd.Series(pd.Categorical.from_codes(codes_np, dtype=_dtype(column)))
    cats = column.categories
    listed = ", ".join(cats) if len(cats) <= 8 else f"{cats[0]} … {cats[-1]}"
    return _Parsed(values, missing, [(f"not one of {listed}", ~missing & (codes_np == -1))])


def _parse_number(array: pa.Array, column: Column) -> _Parsed:
    missing = _np(pc.is_null(array))
    if _is_number_type(array.type):
        values = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)
        missing |= np.isnan(values)  # NaN is how many writers spell a missing number
        bad = ~missing & ~np.isfinite(values)
    else:
        text = pc.utf8_trim_whitespace(_as_text(array))
        missing = _blank(text)
        ok = _np(pc.match_substring_regex(text, NUMBER_RE))
        values = pc.cast(_null_where(~ok, text), pa.float64()).to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            bad = ~missing & ~(ok & np.isfinite(values))
    values = np.where(bad, np.nan, values).astype("float64")
    return _Parsed(pd.Series(values), missing, [("not a number", bad)])


def _parse_int(array: pa.Array, column: Column) -> _Parsed:
    missing = _np(pc.is_null(array))
    if pa.types.is_integer(array.type) and not pa.types.is_uint64(array.type):
        ints = pc.cast(array, pa.int64())
        values = pd.Series(ints.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get))
        return _Parsed(values.astype("Int64"), missing)
    if _is_number_type(array.type):
        floats = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)
        missing |= np.isnan(floats)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(floats) & (np.mod(floats, 1) == 0) & (np.abs(floats) < 2**63)
        ints_np = np.where(ok, floats, 0).astype("int64")
        values = pd.Series(pd.arrays.IntegerArray(ints_np, ~ok))
        return _Parsed(values, missing, [("not an integer", ~missing & ~ok)])
    text = pc.utf8_trim_whitespace(_as_text(array))
    missing = _blank(text)
    ok = _np(pc.match_substring_regex(text, INT_RE))
    unsigned = pc.replace_substring_regex(_null_where(~ok, text), r"^\+", "")
    ints = pc.cast(unsigned, pa.int64())
    values = pd.Series(ints.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get))
    return _Parsed(values.astype("Int64"), missing, [("not an integer", ~missing & ~ok)])


def _parse_bool(array: pa.Array, column: Column) -> _Parsed:
    missing = _np(pc.is_null(array))
    if pa.types.is_boolean(array.type):
        truth = _np(array)
        return _Parsed(pd.Series(pd.arrays.BooleanArray(truth, missing)), missing)
    if _is_number_type(array.type):
        # SQL databases without a boolean type (SQLite) store 1/0.
        floats = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)
        missing |= np.isnan(floats)
        truth = floats == 1
        ok = truth | (floats == 0)
    else:
        text = pc.utf8_lower(pc.utf8_trim_whitespace(_as_text(array)))
        missing = _blank(text)
        truth = _np(pc.equal(text, "true"))
        ok = truth | _np(pc.equal(text, "false"))
    values = pd.Series(pd.arrays.BooleanArray(truth & ok, ~ok))
    return _Parsed(values, missing, [("not a boolean (true/false)", ~missing & ~ok)])


def _parse_date(array: pa.Array, column: Column, fmt: str = ISO) -> _Parsed:
    """Dates: native date values, or text in ``fmt`` (ISO unless the column's values
    prevail in another of :data:`~recsys.data.formats.DATE_FORMATS`)."""
    missing = _np(pc.is_null(array))
    failures: list[tuple[str, np.ndarray]] = []
    t = array.type
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        if pa.types.is_timestamp(t) and t.tz is not None:
            array = pc.local_timestamp(array)
        if pa.types.is_date(t):
            array = pc.cast(array, pa.timestamp("s"))
        stamps = pd.Series(array.to_pandas())
        timed = _np_series(stamps.notna() & (stamps != stamps.dt.normalize()))
        failures.append(("not a date (has a time of day)", timed))
        stamps = stamps.where(~timed)
    elif fmt != ISO:
        text = pc.utf8_trim_whitespace(_as_text(array))
        missing = _blank(text)
        stamps = parse_dates(_text_series(text), fmt)
        failures.append((f"not a date ({fmt})", ~missing & _np_series(stamps.isna())))
    else:
        text = pc.utf8_trim_whitespace(_as_text(array))
        missing = _blank(text)
        ok = _np(pc.match_substring_regex(text, DATE_RE))
        candidates = _text_series(_null_where(~ok, text))
        stamps = pd.to_datetime(candidates, format="%Y-%m-%d", errors="coerce")
        failures.append((f"not a date ({ISO})", ~missing & _np_series(stamps.isna())))
    outside = _np_series(stamps.notna() & ((stamps < FIRST_DATE) | (stamps > LAST_DATE)))
    failures.append((f"outside {FIRST_DATE:%Y-%m-%d}–{LAST_DATE:%Y-%m-%d}", outside))
    values = stamps.where(~outside).astype(cast(Any, DATE_DTYPE))
    return _Parsed(values, missing, failures)


def _np_series(mask: pd.Series) -> np.ndarray:
    return np.asarray(mask.fillna(False).to_numpy(dtype=bool), dtype=bool)


def _isin(values: pd.Series, known: pd.Series) -> np.ndarray:
    """``values.isin(known)`` for text, in arrow (pandas loops over ``known`` in Python)."""
    text = pc.cast(_arrow(values.astype(TEXT_DTYPE)), pa.large_string())
    value_set = pc.cast(_arrow(known.astype(TEXT_DTYPE).dropna()), pa.large_string())
    return _np(pc.is_in(text, value_set=pc.unique(value_set)))


_PARSERS: dict[str, Callable[[pa.Array, Column], _Parsed]] = {
    "id": _parse_text,
    "string": _parse_text,
    "category": _parse_category,
    "number": _parse_number,
    "int": _parse_int,
    "bool": _parse_bool,
    "date": _parse_date,
}


def _dtype(column: Column) -> Any:
    """The column's contract dtype (typed loosely: the contract declares it as object)."""
    return column.dtype


def _working_dtype(column: Column) -> Any:
    """The nullable dtype a column has while rows are being checked."""
    return {"bool": "boolean", "int": "Int64"}.get(column.kind, column.dtype)


def _absent(column: Column, n_rows: int) -> pd.Series:
    """An optional column that the source lacks: its default, or missing."""
    values = pd.Series(index=pd.RangeIndex(n_rows), dtype=_working_dtype(column))
    if column.default is not None:
        values = values.fillna(column.default)
    return values


def _range_rule(column: Column) -> str | None:
    low, high = column.minimum, column.maximum
    if low is not None and high is not None and not column.exclusive_min:
        return f"outside {low}–{high}"
    parts = []
    if low is not None:
        parts.append(f"not above {low}" if column.exclusive_min else f"below {low}")
    if high is not None:
        parts.append(f"above {high}")
    return " or ".join(parts) or None


def _out_of_range(column: Column, values: pd.Series) -> np.ndarray:
    numbers = values.astype("float64").to_numpy(na_value=np.nan)
    bad = np.zeros(len(numbers), dtype=bool)
    with np.errstate(invalid="ignore"):
        if column.minimum is not None:
            low = column.minimum
            bad |= (numbers <= low) if column.exclusive_min else (numbers < low)
        if column.maximum is not None:
            bad |= numbers > column.maximum
    return bad


def _pattern_rule(column: Column) -> str:
    return "not 18 digits" if column.pattern == NIP_PATTERN else f"does not match {column.pattern}"


def _quoted(text: pd.Series) -> pd.Series:
    return "'" + text.fillna("") + "'"


def _check_column(
    column: Column, raw: pd.Series, problems: Problems, date_format: str | None = None
) -> pd.Series:
    """Parse one present column, recording its problems; returns the working values.
    ``date_format``: the format a date column's text is in, if not ISO."""
    array = _arrow(raw)
    if date_format is not None and column.kind == "date":
        parsed = _parse_date(array, column, date_format)
    else:
        parsed = _PARSERS[column.kind](array, column)
    shown: pd.Series | None = None

    def show(mask: np.ndarray) -> pd.Series:
        nonlocal shown
        if shown is None:
            shown = _text_series(_as_text(array))
        return shown[mask]

    name = column.name
    if not column.nullable:
        problems.add(f"{name}: missing", parsed.missing, f"{name}: missing")
    for rule, mask in parsed.failures:
        problems.add(f"{name}: {rule}", mask, f"{name}: {rule}: " + _quoted(show(mask)))
    values = parsed.values
    rule_text = _range_rule(column)
    if rule_text is not None:
        mask = _out_of_range(column, values)
        problems.add(f"{name}: {rule_text}", mask, f"{name}: " + show(mask) + f" {rule_text}")
    if column.pattern is not None:
        mask = _np_series(values.notna() & ~values.str.fullmatch(column.pattern))
        rule_text = _pattern_rule(column)
        problems.add(f"{name}: {rule_text}", mask, f"{name}: {rule_text}: " + _quoted(show(mask)))
        # A value that is not even well-formed is no use to uniqueness or references.
        values = values.mask(mask)
    return values


def _check_unique(
    column: Column, values: pd.Series, source_row: np.ndarray, problems: Problems
) -> None:
    present = values.notna().to_numpy(dtype=bool)
    repeated = values.duplicated(keep="first").to_numpy(dtype=bool) & present
    if not repeated.any():
        return
    first = present & ~repeated
    where = pd.Index(values[first]).get_indexer(values[repeated])
    rows = pd.Series(source_row[first][where]).astype(str)
    problems.add(
        f"{column.name}: duplicate",
        repeated,
        f"{column.name}: duplicate of source row " + rows,
    )


# --- row rules --------------------------------------------------------------------------


def _fmt_date(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").astype(TEXT_DTYPE)


def _nip_consistent(frame: pd.DataFrame, problems: Problems) -> None:
    """The NIP's birth date, TMT, gender digit and sequence agree with the row."""
    nip = frame["nip"].astype(TEXT_DTYPE)
    wrong = nip_parts.inconsistencies(nip, frame["birth_date"], frame["hire_date"], frame["gender"])
    m = wrong["birth_date"].to_numpy(dtype=bool)
    problems.add(
        "nip: birth date part disagrees with birth_date",
        m,
        "nip: birth date part "
        + nip[m].str.slice(0, 8)
        + " disagrees with birth_date "
        + _fmt_date(frame["birth_date"][m]),
    )
    m = wrong["hire_date"].to_numpy(dtype=bool)
    problems.add(
        "nip: TMT part disagrees with hire_date",
        m,
        "nip: TMT part "
        + nip[m].str.slice(8, 14)
        + " disagrees with hire_date "
        + _fmt_date(frame["hire_date"][m]),
    )
    m = wrong["gender"].to_numpy(dtype=bool)
    problems.add(
        "nip: gender digit disagrees with gender",
        m,
        "nip: gender digit "
        + nip[m].str.slice(14, 15)
        + " disagrees with gender "
        + frame["gender"][m].astype(TEXT_DTYPE),
    )
    m = wrong["sequence"].to_numpy(dtype=bool)
    problems.add("nip: sequence 000 is invalid", m, "nip: sequence 000 is invalid")


def _hired_adult(frame: pd.DataFrame, problems: Problems) -> None:
    """TMT CPNS is not before the employee's 18th birthday."""
    birth, hire = frame["birth_date"], frame["hire_date"]
    m = _np_series(hire < birth + pd.DateOffset(years=MIN_HIRE_AGE_YEARS))
    problems.add(
        f"hire_date: before age {MIN_HIRE_AGE_YEARS}",
        m,
        "hire_date: "
        + _fmt_date(hire[m])
        + f" is before age {MIN_HIRE_AGE_YEARS} (birth_date "
        + _fmt_date(birth[m])
        + ")",
    )


def _not_own_supervisor(frame: pd.DataFrame, problems: Problems) -> None:
    """Nobody supervises themselves."""
    m = _np_series(frame["supervisor_nip"] == frame["nip"])
    message = "supervisor_nip: the employee's own nip"
    problems.add(message, m, message)


def _end_after_start(frame: pd.DataFrame, problems: Problems) -> None:
    """An activity does not end before it starts (a missing end_date is fine)."""
    start, end = frame["start_date"], frame["end_date"]
    m = _np_series(end < start)
    problems.add(
        "end_date: before start_date",
        m,
        "end_date: " + _fmt_date(end[m]) + " before start_date " + _fmt_date(start[m]),
    )


def _mentor_not_mentee(frame: pd.DataFrame, problems: Problems) -> None:
    """Nobody mentors themselves."""
    m = _np_series(frame["mentor_nip"] == frame["mentee_nip"])
    message = "mentee_nip: same as mentor_nip"
    problems.add(message, m, message)


#: Every rule a contract table may name in ``row_rules``.
ROW_RULES: dict[str, Callable[[pd.DataFrame, Problems], None]] = {
    "nip_consistent": _nip_consistent,
    "hired_adult": _hired_adult,
    "not_own_supervisor": _not_own_supervisor,
    "end_after_start": _end_after_start,
    "mentor_not_mentee": _mentor_not_mentee,
}


# --- references -------------------------------------------------------------------------


def _noun(table_name: str, column_name: str) -> str:
    if contract_table(table_name).key == column_name:
        return _NOUNS.get(table_name, table_name)
    return column_name


def _add_unknown(
    column: Column,
    values: pd.Series,
    mask: np.ndarray,
    quarantined: pd.Series,
    problems: Problems,
) -> None:
    assert column.references is not None
    ref_table, ref_column = column.references
    if contract_table(ref_table).column(ref_column).pattern == NIP_PATTERN:
        # no NIP has sequence 000: such a value is a NIP whose last digits Excel dropped,
        # not somebody unknown
        lost = mask & _np_series(values.astype(TEXT_DTYPE).str.fullmatch(r"\d{15}000"))
        rule = f"{column.name}: {LOST_DIGITS}"
        problems.add(rule, lost, f"{rule}: " + _quoted(values[lost].astype(TEXT_DTYPE)))
        mask = mask & ~lost
    noun = _noun(ref_table, ref_column)
    bad = values[mask].astype(TEXT_DTYPE)
    messages = f"{column.name}: unknown {noun} " + _quoted(bad)
    was_quarantined = _isin(bad, quarantined)
    messages = messages.where(~was_quarantined, messages + f" (quarantined in {ref_table})")
    problems.add(f"{column.name}: unknown {noun}", mask, messages)


def _check_reference(
    column: Column,
    values: pd.Series,
    references: Mapping[tuple[str, str], KnownValues],
    problems: Problems,
) -> None:
    assert column.references is not None
    empty = pd.Series([], dtype=TEXT_DTYPE)
    known = references.get(column.references, KnownValues(empty, empty))
    mask = _np_series(values.notna()) & ~_isin(values, known.loaded)
    _add_unknown(column, values, mask, known.quarantined, problems)


def _check_self_reference(column: Column, frame: pd.DataFrame, problems: Problems) -> None:
    """A reference into the same table (supervisor_nip -> nip): the value must be a nip of
    some row of the table.

    Checked against every row read, not only the valid ones: an employee whose supervisor's
    own row has a problem is still a valid row, and is kept (the loader warns about it).
    """
    assert column.references is not None
    target = frame[column.references[1]]
    values = frame[column.name]
    mask = (
        _np_series(values.notna()) & ~_np_series(values == target) & ~_isin(values, target.dropna())
    )
    empty = pd.Series([], dtype=TEXT_DTYPE)
    _add_unknown(column, values, mask, empty, problems)


# --- the table ---------------------------------------------------------------------------


def _finish(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Valid rows in their contract dtypes."""
    out = {}
    for column in table.columns:
        values = frame[column.name]
        if column.default is not None:
            values = values.fillna(column.default)
        out[column.name] = values.astype(_dtype(column))
    return pd.DataFrame(out, columns=table.column_names).reset_index(drop=True)


def _quarantine_frame(raw: RawTable, bad: np.ndarray, reasons: np.ndarray) -> pd.DataFrame:
    """The bad rows as the agency sent them (``raw.as_sent`` if the loader converted
    values), each with its source row and reasons, and the malformed lines."""
    sent = raw.frame if raw.as_sent is None else raw.as_sent
    rows = sent.iloc[np.flatnonzero(bad)].reset_index(drop=True)
    rows.insert(0, SOURCE_ROW, raw.source_row[bad], allow_duplicates=True)
    rows.insert(len(rows.columns), REASON, reasons[bad], allow_duplicates=True)
    if len(raw.bad_lines) == 0:
        return rows
    lines = raw.bad_lines[[SOURCE_ROW, RAW_LINE, REASON]]
    out = pd.concat([rows, lines], ignore_index=True) if len(rows) else lines.copy()
    ordered = [SOURCE_ROW, *[str(c) for c in sent.columns], RAW_LINE, REASON]
    out = out.reindex(columns=ordered)
    return out.sort_values(SOURCE_ROW, kind="stable").reset_index(drop=True)


def validate_table(
    table: Table,
    raw: RawTable,
    references: Mapping[tuple[str, str], KnownValues] | None = None,
    dates: Mapping[str, str] | None = None,
) -> TableResult:
    """Check every row of ``raw`` against ``table``'s rules.

    ``references`` holds the loaded values of the columns this table refers to (built
    from the :attr:`TableResult.known` of tables loaded before); ``dates`` the format of
    date columns whose text is not ISO (:func:`~recsys.data.formats.date_format`).
    Missing required columns raise :class:`DataContractError` (see :func:`check_columns`);
    bad rows never raise.
    """
    references = references or {}
    unknown_rules = [r for r in table.row_rules if r not in ROW_RULES]
    if unknown_rules:
        raise ValueError(f"{table.name}: no implementation for row rules {unknown_rules}")
    check_columns(table, raw)
    n_rows = len(raw.frame)
    problems = Problems(n_rows)
    working: dict[str, pd.Series] = {}
    for column in table.columns:
        if column.name in raw.frame.columns:
            working[column.name] = _check_column(
                column, raw.frame[column.name], problems, (dates or {}).get(column.name)
            )
        else:
            working[column.name] = _absent(column, n_rows)
    frame = pd.DataFrame(working, columns=table.column_names)
    for column in table.columns:
        if column.unique:
            _check_unique(column, frame[column.name], raw.source_row, problems)
    for rule in table.row_rules:
        ROW_RULES[rule](frame, problems)
    referring = [c for c in table.columns if c.references is not None]
    for column in referring:
        if column.references is not None and column.references[0] != table.name:
            _check_reference(column, frame[column.name], references, problems)
    for column in referring:
        if column.references is not None and column.references[0] == table.name:
            _check_self_reference(column, frame, problems)

    bad = problems.bad
    valid = ~bad
    loaded = _finish(table, frame[valid])
    quarantine = _quarantine_frame(raw, bad, problems.reason)
    reasons = dict(problems.counts)
    if len(raw.bad_lines):
        reasons[BAD_LINE_KEY] = len(raw.bad_lines)
    known: dict[tuple[str, str], KnownValues] = {}
    for ref_table, ref_column in referenced_columns():
        if ref_table != table.name:
            continue
        values = frame[ref_column].astype(TEXT_DTYPE)
        kept = pd.Series(values[valid].dropna().unique(), dtype=TEXT_DTYPE)
        dropped = values[bad].dropna()
        dropped = pd.Series(dropped[~_isin(dropped, kept)].unique(), dtype=TEXT_DTYPE)
        known[(ref_table, ref_column)] = KnownValues(kept, dropped)
    if bad.any() or len(raw.bad_lines):
        logger.info(
            "%s: %d of %d rows quarantined",
            raw.label,
            int(bad.sum()) + len(raw.bad_lines),
            raw.read,
        )
    return TableResult(
        frame=loaded, quarantine=quarantine, reasons=reasons, read=raw.read, known=known
    )
