"""What a what-if forecast reads, kept in the recommendation store: each active employee's
own records, and once per generation the part of the data set every forecast shares.

A forecast of a person (and of a mentor for them) reads their own rows of the person
tables (employees, assessments, performance, enrollments), the mentorships they are the
mentor or the mentee of, the catalog, the competency dictionary and standards, the unit
metrics, and the whole data set's few summaries a person's features read from everybody
(:func:`recsys.features.population.whole_context`), at the whole data set's decision date.
``recsys score`` stores the first two per person (:func:`person_records`: compact JSON,
compressed, a few hundred bytes) and the rest once per generation (:func:`shared_part`:
Arrow IPC tables, read without a copy). An API worker then builds a data set of just the
people a forecast is about (:meth:`SharedPart.dataset`), which gives the same forecast as
the whole data set (:func:`recsys.features.population.people_part`), without loading it.

The shared part stays small whatever the staff's size, and so does a worker's memory
(issue 16): the mentorships (which grow with the staff) are kept with the people they are
about, the prior of mentor ratings they give is a summary of the context
(:data:`recsys.features.mentor.RATING_PRIOR`), and the running summaries of the context
are kept as of the decision date only (:data:`AS_OF_CONTEXT`: their last values before
it, all a forecast at that date reads).

Least personal data: a person's name and gender are not stored (no forecast reads them).
"""

from __future__ import annotations

import gc
import json
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from recsys.data.contract import TABLES, TABLES_BY_NAME
from recsys.data.loading import Dataset
from recsys.data.report import LoadReport
from recsys.features.competency_state import ASSESSMENT_LEVELS
from recsys.features.pair import TRACK_RECORDS
from recsys.features.population import CONTEXT_TABLES, MENTORSHIP_PLACES, PERSON_TABLES

#: Version of the stored records (a store written by another version is not read).
FORMAT = 3
#: Columns of the person tables that are not stored: no forecast reads them.
LEFT_OUT: dict[str, tuple[str, ...]] = {"employees": ("name", "gender")}
#: The table kept with each person it is about, and its person columns: a person's records
#: hold the mentorships they are the mentor or the mentee of (all columns), with each
#: row's place in the whole table.
MENTORSHIPS = "mentorships"
MENTORSHIP_PEOPLE = ("mentor_nip", "mentee_nip")
#: Tables stored once per generation: the catalog, dictionary, standards and unit metrics.
SHARED_TABLES = tuple(
    t.name for t in TABLES if t.name not in PERSON_TABLES and t.name != MENTORSHIPS
)
#: Context tables of running summaries kept as of the decision date: their key and date
#: columns. A part asks them with its queries' date, strictly before it (an as-of join by
#: key): at the decision date, only each key's last row before it is ever read.
AS_OF_CONTEXT = {
    ASSESSMENT_LEVELS: ("competency", "assessed_on"),
    TRACK_RECORDS: ("training_id", "end_date"),
}
#: Names of the shared part's entries: each table and each context table (Arrow IPC
#: files), and the facts (JSON: the format, the decision date, the data's source).
TABLE, CONTEXT, FACTS = "table:", "context:", "facts"
#: Not-a-time as int64 nanoseconds.
_NAT = np.iinfo(np.int64).min


class RecordsError(ValueError):
    """Stored records that cannot be read (another format, or missing entries)."""


def shared_part(
    ds: Dataset, context: Mapping[str, pd.DataFrame], as_of: pd.Timestamp
) -> dict[str, bytes]:
    """The entries of the part every forecast shares (name → bytes): the shared tables
    and ``context`` (:func:`~recsys.features.population.whole_context` of ``ds``; its
    running summaries as of ``as_of``: :func:`as_of_context`) as Arrow IPC files, and the
    decision date ``as_of``."""
    entries: dict[str, bytes] = {}
    for name in SHARED_TABLES:
        entries[f"{TABLE}{name}"] = _arrow(ds.tables[name])
    for name, frame in as_of_context(context, as_of).items():
        entries[f"{CONTEXT}{name}"] = _arrow(frame)
    facts = {"format": FORMAT, "as_of": pd.Timestamp(as_of).isoformat(), "source": ds.source}
    entries[FACTS] = json.dumps(facts).encode()
    return entries


def as_of_context(
    context: Mapping[str, pd.DataFrame], as_of: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """``context`` as a part asked at ``as_of`` reads it: the running summaries
    (:data:`AS_OF_CONTEXT`) reduced to each key's last row dated before ``as_of``, the
    other tables as they are."""
    kept = dict(context)
    for name, (key, date) in AS_OF_CONTEXT.items():
        frame = context[name]
        before = frame[frame[date] < pd.Timestamp(as_of)].sort_values(date, kind="stable")
        kept[name] = before.groupby(key, sort=False).tail(1).reset_index(drop=True)
    return kept


def person_records(ds: Dataset, nips: Iterable[str]) -> dict[str, bytes]:
    """Each of ``nips``' own rows of the person tables in ``ds``, encoded (nip → bytes:
    compressed JSON holding, per table, a list of values per stored column: the nip and
    :data:`LEFT_OUT` columns left out), and the mentorships they are the mentor or the
    mentee of (every column, then each row's place in the whole data set's table: in
    ``ds``' own table, or as a batch partition's context gives it, :data:`~recsys.features.
    population.MENTORSHIP_PLACES`; so a mentorship has one place in everybody's records).
    Rows keep their order in ``ds``."""
    wanted = pd.Index(pd.Series(list(nips), dtype=object).astype(str).unique())
    with _no_collection():
        return _encoded(ds, wanted)


def _encoded(ds: Dataset, wanted: pd.Index) -> dict[str, bytes]:
    by_person: list[dict[str, list[list[object]]]] = [{} for _ in range(len(wanted))]
    people_of = {name: (key,) for name, key in PERSON_TABLES.items()}
    for name, keys in {**people_of, MENTORSHIPS: MENTORSHIP_PEOPLE}.items():
        frame = ds.tables[name]
        who, order = _owned(frame, keys, wanted)
        starts = np.searchsorted(who, np.arange(len(wanted)), side="left").tolist()
        ends = np.searchsorted(who, np.arange(len(wanted)), side="right").tolist()
        mine = frame.iloc[order]
        columns = [_cells(mine[c]) for c in _stored_columns(name)]
        if name == MENTORSHIPS:  # each row's place in the whole table
            places = ds.context.get(MENTORSHIP_PLACES)
            columns.append(
                (order if places is None else places["place"].to_numpy()[order]).tolist()
            )
        for person, (start, end) in enumerate(zip(starts, ends, strict=True)):
            by_person[person][name] = [column[start:end] for column in columns]
    return {
        nip: _compress(orjson.dumps(tables)) for nip, tables in zip(wanted, by_person, strict=True)
    }


def _compress(data: bytes) -> bytes:
    """``data`` as a zlib stream (level 6) with a 4 KB window: a person's records are a
    few KB, and the default 32 KB window's set-up was most of the time (82 µs a person
    against 29, for the same bytes)."""
    stream = zlib.compressobj(6, zlib.DEFLATED, 12, 5)
    return stream.compress(data) + stream.flush()


def _owned(
    frame: pd.DataFrame, keys: tuple[str, ...], wanted: pd.Index
) -> tuple[np.ndarray, np.ndarray]:
    """The (person, row) pairs of ``frame`` whose ``keys`` columns hold one of ``wanted``
    (a row about two of them is each one's), by person then row: each person's position
    in ``wanted`` and the row's position in ``frame``."""
    n = len(frame)
    codes = []
    for key in keys:
        who = wanted.get_indexer(pd.Index(frame[key].astype(str)))
        rows = np.flatnonzero(who >= 0)
        codes.append(who[rows].astype(np.int64) * n + rows)
    pairs = np.unique(np.concatenate(codes))  # sorted, each pair once
    return pairs // max(n, 1), pairs % max(n, 1)


@dataclass(frozen=True)
class SharedPart:
    """A generation's shared part, read back: the shared tables (in contract types), the
    context (as of :attr:`as_of`) and the decision date. Its frames read the stored bytes
    without a copy where they can (Arrow-backed text columns)."""

    tables: dict[str, pd.DataFrame]
    context: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    source: str

    @classmethod
    def read(cls, entries: Mapping[str, bytes]) -> SharedPart:
        """The part from its stored entries (:func:`shared_part`); :class:`RecordsError`
        if it is of another :data:`FORMAT` or incomplete."""
        if FACTS not in entries:
            raise RecordsError("the store holds no shared part for this generation")
        facts = json.loads(entries[FACTS])
        if facts.get("format") != FORMAT:
            raise RecordsError(
                f"the shared part is of format {facts.get('format')!r}, this version reads "
                f"{FORMAT}: run `recsys score` again"
            )
        wanted = [
            *(f"{TABLE}{n}" for n in SHARED_TABLES),
            *(f"{CONTEXT}{n}" for n in CONTEXT_TABLES),
        ]
        missing = [name for name in wanted if name not in entries]
        if missing:
            raise RecordsError(f"the shared part lacks {', '.join(missing)}")
        return cls(
            tables={n: _frame(entries[f"{TABLE}{n}"]).astype(_dtypes(n)) for n in SHARED_TABLES},
            context={n: _frame(entries[f"{CONTEXT}{n}"]) for n in CONTEXT_TABLES},
            as_of=pd.Timestamp(facts["as_of"]),
            source=str(facts["source"]),
        )

    def dataset(self, records: Mapping[str, bytes]) -> Dataset:
        """The data set of the people whose ``records`` (nip → :func:`person_records`'
        bytes) are given: their records, the mentorships they are the mentor or the mentee
        of (in the whole table's order), the shared tables and the context. Forecasts of
        them at :attr:`as_of` (and only at that date) are those of the whole data set."""
        people = []
        for nip, blob in records.items():
            try:
                people.append((nip, json.loads(zlib.decompress(blob))))
            except (zlib.error, ValueError) as exc:
                raise RecordsError(f"the stored records of NIP {nip} cannot be read") from exc
        tables = dict(self.tables)
        for name, key in PERSON_TABLES.items():
            tables[name] = _person_table(name, key, [(nip, t[name]) for nip, t in people])
        tables[MENTORSHIPS] = _mentorships([t[MENTORSHIPS] for _, t in people])
        source = f"{self.source} [{len(records)} people]"
        return Dataset(
            tables=tables, report=LoadReport(source=source), source=source, context=self.context
        )

    def nbytes(self) -> int:
        """Memory its frames hold (bytes)."""
        frames = [*self.tables.values(), *self.context.values()]
        return int(sum(f.memory_usage(deep=True).sum() for f in frames))


def _person_table(
    name: str, key: str, people: list[tuple[str, list[list[object]]]]
) -> pd.DataFrame:
    """A person table of ``people`` (nip, that person's stored columns), in contract
    types (the columns left out are empty)."""
    table = TABLES_BY_NAME[name]
    stored = _stored_columns(name)
    values: dict[str, list[object]] = {c: [] for c in table.column_names}
    for nip, columns in people:
        n = len(columns[0]) if columns else 0
        values[key].extend([nip] * n)
        for column, cells in zip(stored, columns, strict=True):
            values[column].extend(cells)
        for column in LEFT_OUT.get(name, ()):
            values[column].extend([None] * n)
    return pd.DataFrame({c: _typed(values[c], table.column(c).dtype) for c in table.column_names})


def _mentorships(people: list[list[list[object]]]) -> pd.DataFrame:
    """The mentorships table of ``people`` (each one's stored mentorships columns, then
    the rows' places in the whole table): each row once, in the whole table's order, in
    contract types."""
    table = TABLES_BY_NAME[MENTORSHIPS]
    stored = _stored_columns(MENTORSHIPS)
    values: dict[str, list[object]] = {c: [] for c in stored}
    places: list[object] = []
    for columns in people:
        for column, cells in zip(stored, columns[: len(stored)], strict=True):
            values[column].extend(cells)
        places.extend(columns[len(stored)])
    frame = pd.DataFrame({c: _typed(values[c], table.column(c).dtype) for c in stored})
    _, first = np.unique(np.asarray(places, dtype=np.int64), return_index=True)
    return frame.iloc[first].reset_index(drop=True)


@contextmanager
def _no_collection() -> Iterator[None]:
    """The garbage collector paused: encoding makes millions of small lists and no cycle,
    and the collector's passes over them would cost more than the encoding itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _stored_columns(name: str) -> list[str]:
    """The columns of a table kept per person that are stored, in contract order (a person
    table's key is not: it is the person's)."""
    left_out = {PERSON_TABLES.get(name), *LEFT_OUT.get(name, ())}
    return [c for c in TABLES_BY_NAME[name].column_names if c not in left_out]


def _cells(series: pd.Series) -> list[object]:
    """A column as JSON values: dates as int64 nanoseconds, missing values as None."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        ns = series.to_numpy(dtype="datetime64[ns]").view("int64")
        return [None if v == _NAT else v for v in ns.tolist()]
    values = series.astype(object).tolist()
    missing = series.isna().to_numpy()
    if missing.any():
        values = [None if m else v for v, m in zip(values, missing.tolist(), strict=True)]
    return values


def _typed(values: list[object], dtype: Any) -> pd.Series:
    """JSON values (:func:`_cells`) as a column of ``dtype``."""
    if pd.api.types.is_datetime64_any_dtype(dtype):
        ns = np.array([_NAT if v is None else v for v in values], dtype="int64")
        return pd.Series(ns.view("datetime64[ns]")).astype(dtype)
    return pd.Series(values, dtype=object).astype(dtype)


def _dtypes(table: str) -> Any:
    """The contract's dtype of each column of ``table`` (typed loosely: the contract
    declares them as object)."""
    return TABLES_BY_NAME[table].dtypes


def _arrow(frame: pd.DataFrame) -> bytes:
    """``frame`` as an Arrow IPC file (uncompressed: :func:`_frame` reads it in place)."""
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def _frame(data: bytes) -> pd.DataFrame:
    """The frame of an Arrow IPC file (:func:`_arrow`). Its buffers are ``data``'s own (no
    copy, nothing decoded): Arrow-backed columns point into ``data``, which they keep
    alive, and only the others are copied out. (Parquet, decoded through Arrow's memory
    pool, left a worker tens of MB more resident than the frames it made: issue 16.)"""
    return pa.ipc.open_file(pa.py_buffer(data)).read_all().to_pandas()
