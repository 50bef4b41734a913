"""What a what-if forecast reads, kept in the recommendation store: each active employee's
own records, and once per generation the part of the data set every forecast shares.

A forecast of a person (and of a mentor for them) reads their own rows of the person
tables (employees, assessments, performance, enrollments), the catalog, the competency
dictionary and standards, the mentorships and unit metrics, and the whole data set's few
summaries a person's features read from everybody
(:func:`recsys.features.population.whole_context`), at the whole data set's decision date.
``recsys score`` stores the first per person (:func:`person_records`: compact JSON,
compressed, a few hundred bytes) and the rest once per generation (:func:`shared_part`:
Parquet tables). An API worker then builds a data set of just the people a forecast is
about (:meth:`SharedPart.dataset`), which gives the same forecast as the whole data set
(:func:`recsys.features.population.people_part`), without loading it.

Least personal data: a person's name and gender are not stored (no forecast reads them).
"""

from __future__ import annotations

import gc
import io
import json
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.contract import TABLES, TABLES_BY_NAME
from recsys.data.loading import Dataset
from recsys.data.report import LoadReport
from recsys.features.population import CONTEXT_TABLES, PERSON_TABLES

#: Version of the stored records (a store written by another version is not read).
FORMAT = 2
#: Columns of the person tables that are not stored: no forecast reads them.
LEFT_OUT: dict[str, tuple[str, ...]] = {"employees": ("name", "gender")}
#: Tables stored once per generation: the catalog, dictionary, standards, mentorships and
#: unit metrics.
SHARED_TABLES = tuple(t.name for t in TABLES if t.name not in PERSON_TABLES)
#: Names of the shared part's entries: each table and each context table (Parquet), and
#: the facts (JSON: the format, the decision date, the data's source).
TABLE, CONTEXT, FACTS = "table:", "context:", "facts"
#: Not-a-time as int64 nanoseconds.
_NAT = np.iinfo(np.int64).min


class RecordsError(ValueError):
    """Stored records that cannot be read (another format, or missing entries)."""


def shared_part(
    ds: Dataset, context: Mapping[str, pd.DataFrame], as_of: pd.Timestamp
) -> dict[str, bytes]:
    """The entries of the part every forecast shares (name → bytes): the shared tables
    and ``context`` (:func:`~recsys.features.population.whole_context` of ``ds``) as
    Parquet, and the decision date ``as_of``."""
    entries: dict[str, bytes] = {}
    for name in SHARED_TABLES:
        entries[f"{TABLE}{name}"] = _parquet(ds.tables[name])
    for name in CONTEXT_TABLES:
        entries[f"{CONTEXT}{name}"] = _parquet(context[name])
    facts = {"format": FORMAT, "as_of": pd.Timestamp(as_of).isoformat(), "source": ds.source}
    entries[FACTS] = json.dumps(facts).encode()
    return entries


def person_records(ds: Dataset, nips: Iterable[str]) -> dict[str, bytes]:
    """Each of ``nips``' own rows of the person tables in ``ds``, encoded (nip → bytes:
    compressed JSON holding, per table, a list of values per stored column: the nip and
    :data:`LEFT_OUT` columns left out). Rows keep their order in ``ds``."""
    wanted = pd.Index(pd.Series(list(nips), dtype=object).astype(str).unique())
    with _no_collection():
        return _encoded(ds, wanted)


def _encoded(ds: Dataset, wanted: pd.Index) -> dict[str, bytes]:
    by_person: list[dict[str, list[list[object]]]] = [{} for _ in range(len(wanted))]
    for name, key in PERSON_TABLES.items():
        frame = ds.tables[name]
        who = wanted.get_indexer(pd.Index(frame[key].astype(str)))
        order = np.argsort(who, kind="stable")  # each person's rows together, in order
        order = order[who[order] >= 0]
        rows = who[order]
        starts = np.searchsorted(rows, np.arange(len(wanted)), side="left").tolist()
        ends = np.searchsorted(rows, np.arange(len(wanted)), side="right").tolist()
        mine = frame.iloc[order]
        columns = [_cells(mine[c]) for c in _stored_columns(name, key)]
        for person, (start, end) in enumerate(zip(starts, ends, strict=True)):
            by_person[person][name] = [column[start:end] for column in columns]
    return {
        nip: zlib.compress(json.dumps(tables, separators=(",", ":")).encode(), 6)
        for nip, tables in zip(wanted, by_person, strict=True)
    }


@dataclass(frozen=True)
class SharedPart:
    """A generation's shared part, read back: the shared tables (in contract types), the
    context and the decision date."""

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
        bytes) are given: their records, the shared tables and the context. Forecasts of
        them at :attr:`as_of` are those of the whole data set."""
        people = []
        for nip, blob in records.items():
            try:
                people.append((nip, json.loads(zlib.decompress(blob))))
            except (zlib.error, ValueError) as exc:
                raise RecordsError(f"the stored records of NIP {nip} cannot be read") from exc
        tables = dict(self.tables)
        for name, key in PERSON_TABLES.items():
            tables[name] = _person_table(name, key, [(nip, t[name]) for nip, t in people])
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
    stored = _stored_columns(name, key)
    values: dict[str, list[object]] = {c: [] for c in table.column_names}
    for nip, columns in people:
        n = len(columns[0]) if columns else 0
        values[key].extend([nip] * n)
        for column, cells in zip(stored, columns, strict=True):
            values[column].extend(cells)
        for column in LEFT_OUT.get(name, ()):
            values[column].extend([None] * n)
    return pd.DataFrame({c: _typed(values[c], table.column(c).dtype) for c in table.column_names})


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


def _stored_columns(name: str, key: str) -> list[str]:
    """The columns of a person table that are stored, in contract order."""
    left_out = {key, *LEFT_OUT.get(name, ())}
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


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(buffer, index=False)
    return buffer.getvalue()


def _frame(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))
