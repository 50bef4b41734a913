"""The recommendation store: every active employee's answers, scored in batch by
``recsys score`` and read by the API with one primary-key look-up per request.

Answers are kept by **generation** (one scoring run of one model version on one data
snapshot). A generation is written partition by partition (an agency at a time), each
partition in one transaction, so an interrupted run resumes where it stopped. When every
partition is written, one transaction marks the generation complete and moves the
``current`` pointer to it: readers see the old generation or the new one, never a mix,
and a failed run leaves the old one served. Older generations are then removed (the last
:data:`KEEP_GENERATIONS` stay, and none within :data:`PRUNE_GRACE_SECONDS` of being
replaced).

Besides the answers, a generation holds what a what-if forecast reads
(:mod:`recsys.scoring.records`): each active employee's own records, and once the part of
the data set every forecast shares. A store written before they were kept has neither: its
generations still serve every answer.

The same tables work on SQLite (the embedded default, a file under the project) and on
PostgreSQL (production, by URL), through SQLAlchemy Core. The store also holds the API's
audit table (append-only) and the token buckets that make rate limits hold across workers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from recsys.settings import LANGUAGES

if TYPE_CHECKING:  # the store itself stays light: the API imports it at start-up
    from recsys.scoring.answers import Answers

log = logging.getLogger(__name__)

#: Generations kept after a new one becomes current (the current one included).
KEEP_GENERATIONS = 2
#: An older generation is removed only this long after it stopped being current, so that a
#: worker still reading it (it looks at the pointer every few seconds) never finds it gone.
PRUNE_GRACE_SECONDS = 600.0
#: The name of the pointer row readers follow.
CURRENT = "current"
#: A generation's entry listing the plans attached to it (JSON; see
#: :mod:`recsys.scoring.plan_places`).
PLANS_ENTRY = "plans"
#: Separator of encoded items in a stored list (compact JSON never holds a raw newline).
_SEP = b"\n"

#: A person's encoded answers: one column per kind of answer and language.
ANSWER_COLUMNS = tuple(
    f"{what}_{lang}"
    for lang in LANGUAGES
    for what in ("trainings", "mentors", "widget", "unassigned")
)

metadata = sa.MetaData()
generations = sa.Table(
    "rec_generations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("status", sa.String(16), nullable=False),  # building | complete
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("completed_at", sa.String(40)),
    sa.Column("model_versions", sa.Text, nullable=False),  # JSON {name: version}
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("ranker", sa.String(32), nullable=False),
    sa.Column("k", sa.Integer, nullable=False),
    sa.Column("has_mentors", sa.Boolean, nullable=False),
    sa.Column("partitions", sa.Integer, nullable=False),
    sa.Column("people", sa.Integer),
    sa.Column("seconds", sa.Float),
)
partitions = sa.Table(
    "rec_partitions",
    metadata,
    sa.Column("generation_id", sa.Integer, primary_key=True),
    sa.Column("partition", sa.String(200), primary_key=True),
    sa.Column("people", sa.Integer, nullable=False),
    sa.Column("done_at", sa.String(40), nullable=False),
)
people = sa.Table(
    "rec_people",
    metadata,
    sa.Column("generation_id", sa.Integer, primary_key=True),
    sa.Column("nip", sa.String(32), primary_key=True),
    sa.Column("partition", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("list_gains", sa.Text),  # JSON running sums of the training list's gains
    *(sa.Column(name, sa.LargeBinary) for name in ANSWER_COLUMNS),
)
records = sa.Table(  # what a forecast of the person reads (recsys.scoring.records)
    "rec_records",
    metadata,
    sa.Column("generation_id", sa.Integer, primary_key=True),
    sa.Column("nip", sa.String(32), primary_key=True),
    sa.Column("partition", sa.String(200), nullable=False),
    sa.Column("records", sa.LargeBinary, nullable=False),
)
shared = sa.Table(  # a generation's own entries: what every forecast shares, the plans
    "rec_shared",
    metadata,
    sa.Column("generation_id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
)
places = sa.Table(  # the person's place in an attached plan (recsys.scoring.plan_places)
    "rec_plan_places",
    metadata,
    sa.Column("generation_id", sa.Integer, primary_key=True),
    sa.Column("nip", sa.String(32), primary_key=True),
    sa.Column("partition", sa.String(200), nullable=False),
    sa.Column("plan_run", sa.String(64), nullable=False),
    *(sa.Column(f"place_{lang}", sa.LargeBinary, nullable=False) for lang in LANGUAGES),
)
#: Tables with rows per generation (removed with it).
_PER_GENERATION = (people, records, shared, places)
pointer = sa.Table(
    "rec_pointer",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("generation_id", sa.Integer, nullable=False),
    sa.Column("switched_at", sa.String(40), nullable=False),
)
audit = sa.Table(
    "rec_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("caller", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("nip", sa.String(32), nullable=False),
    sa.Column("action", sa.String(200), nullable=False),
    sa.Column("model", sa.Text, nullable=False),
)
rate_limits = sa.Table(
    "rec_rate_limits",
    metadata,
    sa.Column("client", sa.String(300), primary_key=True),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)


class StoreError(Exception):
    """A store that cannot be used: unreachable, or written by something else."""


@dataclass(frozen=True)
class Generation:
    """One scoring run's record."""

    id: int
    status: str
    fingerprint: str
    created_at: str
    completed_at: str | None
    model_versions: dict[str, str]
    source: str
    ranker: str
    k: int
    has_mentors: bool
    partitions: int
    people: int | None
    seconds: float | None


@dataclass(frozen=True)
class StoredPerson:
    """One person's stored answers (``None`` where there is nothing: an inactive
    employee, or no mentor model)."""

    nip: str
    active: bool
    list_gains: list[float]
    columns: Mapping[str, bytes | None]

    def items(self, kind: str, lang: str, k: int) -> list[bytes]:
        """The first ``k`` encoded items of the person's ``trainings`` or ``mentors``."""
        value = self.columns.get(f"{kind}_{lang}")
        return value.split(_SEP)[:k] if value else []

    def widget(self, lang: str) -> bytes | None:
        return self.columns.get(f"widget_{lang}")

    def unassigned(self, lang: str) -> bytes | None:
        return self.columns.get(f"unassigned_{lang}")

    def list_gain(self, k: int) -> float:
        gains = self.list_gains
        return gains[min(k, len(gains)) - 1] if gains else 0.0


def engine_url(url: str) -> str:
    """``url`` with PostgreSQL's driver made explicit (psycopg 3, the one installed)."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


class RecommendationStore:
    """The store at a SQLAlchemy ``url`` (``sqlite:///…`` or ``postgresql://…``); its
    tables are made if missing."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            folder = Path(url.removeprefix("sqlite:///")).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot open the recommendation store {url!r}: {exc}") from exc
        try:
            self.engine = sa.create_engine(engine_url(url), pool_pre_ping=True)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise StoreError(f"not a usable store URL {url!r}: {exc}") from exc
        self.sqlite = self.engine.dialect.name == "sqlite"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._readers: list[Any] = []
        self._person_columns = [c.name for c in people.columns]
        mark = "?" if self.sqlite else "%s"
        self._person_sql = (
            f"SELECT {', '.join(self._person_columns)} FROM {people.name} "
            f"WHERE generation_id = {mark} AND nip = {mark}"
        )
        # the rate limits' own connections: a request never waits long for a busy store
        self._limits = sa.create_engine(engine_url(url), pool_pre_ping=True)
        if self.sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            sa.event.listen(self._limits, "connect", _sqlite_pragmas_short_wait)
        try:
            metadata.create_all(self.engine)
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cannot open the recommendation store {url!r}: {exc}") from exc

    def __repr__(self) -> str:
        return f"RecommendationStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def dispose(self) -> None:
        with self._lock:
            readers, self._readers = self._readers, []
        for connection in readers:
            with contextlib.suppress(Exception):  # one another thread is using: harmless
                connection.close()
        self._limits.dispose()
        self.engine.dispose()

    # ------------------------------------------------------------------ writing

    def begin_generation(
        self,
        *,
        fingerprint: str,
        model_versions: Mapping[str, str],
        source: str,
        ranker: str,
        k: int,
        has_mentors: bool,
        n_partitions: int,
        resume: bool = True,
    ) -> tuple[int, set[str]]:
        """A generation to write, and the partitions it already holds: the unfinished
        generation of the same ``fingerprint`` when ``resume`` (the run goes on where it
        stopped), else a new one."""
        with self.engine.begin() as conn:
            if resume:
                row = conn.execute(
                    sa.select(generations.c.id)
                    .where(generations.c.fingerprint == fingerprint)
                    .where(generations.c.status == "building")
                    .order_by(generations.c.id.desc())
                    .limit(1)
                ).first()
                if row is not None:
                    done = conn.execute(
                        sa.select(partitions.c.partition).where(
                            partitions.c.generation_id == row.id
                        )
                    )
                    return int(row.id), {str(r.partition) for r in done}
            new = conn.execute(
                generations.insert().values(
                    status="building",
                    fingerprint=fingerprint,
                    created_at=_now(),
                    model_versions=json.dumps(dict(model_versions), sort_keys=True),
                    source=source,
                    ranker=ranker,
                    k=k,
                    has_mentors=has_mentors,
                    partitions=n_partitions,
                )
            )
            key = new.inserted_primary_key
            assert key is not None
            return int(key[0]), set()

    def write_shared(self, generation_id: int, entries: Mapping[str, bytes]) -> None:
        """Store the generation's shared part (:func:`recsys.scoring.records.shared_part`:
        name → bytes), replacing any, in one transaction."""
        with self.engine.begin() as conn:
            conn.execute(shared.delete().where(shared.c.generation_id == generation_id))
            conn.execute(
                shared.insert(),
                [
                    {"generation_id": generation_id, "name": name, "data": data}
                    for name, data in entries.items()
                ],
            )

    def write_partition(
        self,
        generation_id: int,
        partition: str,
        answers: Answers,
        known: Sequence[str],
        records_of: Mapping[str, bytes] | None = None,
        places_of: Mapping[str, tuple[str, Mapping[str, bytes]]] | None = None,
    ) -> int:
        """Store one partition's answers (every person of ``known``; those not active in
        ``answers`` get no lists), ``records_of`` (nip → the person's records, of
        :func:`recsys.scoring.records.person_records`) and ``places_of`` (nip → plan run
        and the place encoded per language, of :meth:`recsys.scoring.plan_places.
        AttachedPlans.places`) in one transaction; returns the people written."""
        rows = [_person_row(generation_id, partition, nip, answers) for nip in known]
        kept = [(generation_id, nip, partition, blob) for nip, blob in (records_of or {}).items()]
        placed = [
            (generation_id, nip, partition, run, *(by_lang[lang] for lang in LANGUAGES))
            for nip, (run, by_lang) in (places_of or {}).items()
        ]
        with self.engine.begin() as conn:
            written = conn.execute(
                sa.select(partitions.c.people)
                .where(partitions.c.generation_id == generation_id)
                .where(partitions.c.partition == partition)
            ).first()
            # a partition's rows are written in one transaction with its row in
            # `partitions`: only one written before has any to replace. (The delete, not
            # indexed by partition, read the whole generation: at a million employees
            # each partition's write read gigabytes, and the run's last hundred
            # partitions took twice their time.)
            for table in (people, records, places, partitions) if written else ():
                conn.execute(
                    table.delete()
                    .where(table.c.generation_id == generation_id)
                    .where(table.c.partition == partition)
                )
            self._insert(conn, people, rows)
            self._insert(conn, records, kept)
            self._insert(conn, places, placed)
            conn.execute(
                partitions.insert().values(
                    generation_id=generation_id,
                    partition=partition,
                    people=len(rows),
                    done_at=_now(),
                )
            )
        return len(rows)

    def _insert(
        self, conn: sa.Connection, table: sa.Table, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Insert ``rows`` (values in ``table``'s column order) through the driver's own
        ``executemany``: a partition is tens of thousands of rows, and SQLAlchemy's
        per-row processing cost as much as the driver's writing."""
        mark = "?" if self.sqlite else "%s"
        sql = (
            f"INSERT INTO {table.name} ({', '.join(c.name for c in table.columns)}) "
            f"VALUES ({', '.join([mark] * len(table.columns))})"
        )
        for start in range(0, len(rows), 5_000):
            conn.exec_driver_sql(sql, list(rows[start : start + 5_000]))

    def complete(
        self, generation_id: int, seconds: float, *, grace_seconds: float = PRUNE_GRACE_SECONDS
    ) -> Generation:
        """Mark the generation complete and make it current, in one transaction; then
        remove generations older than the last :data:`KEEP_GENERATIONS` that stopped being
        current more than ``grace_seconds`` ago."""
        with self.engine.begin() as conn:
            record = conn.execute(
                sa.select(generations).where(generations.c.id == generation_id)
            ).first()
            if record is None:
                raise StoreError(f"no generation {generation_id} in {self!r}")
            done = conn.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(partitions.c.people), 0))
                .select_from(partitions)
                .where(partitions.c.generation_id == generation_id)
            ).one()
            if int(done[0]) != int(record.partitions):
                raise StoreError(
                    f"generation {generation_id} has {done[0]} of its {record.partitions} "
                    "partitions: it cannot be served"
                )
            conn.execute(
                generations.update()
                .where(generations.c.id == generation_id)
                .values(
                    status="complete", completed_at=_now(), people=int(done[1]), seconds=seconds
                )
            )
            moved = conn.execute(
                pointer.update()
                .where(pointer.c.name == CURRENT)
                .values(generation_id=generation_id, switched_at=_now())
            )
            if moved.rowcount == 0:
                conn.execute(
                    pointer.insert().values(
                        name=CURRENT, generation_id=generation_id, switched_at=_now()
                    )
                )
        self._prune(generation_id, grace_seconds)
        current = self.current()
        assert current is not None
        return current

    def _prune(self, current_id: int, grace_seconds: float) -> None:
        """Remove complete generations beyond the last :data:`KEEP_GENERATIONS` replaced
        more than ``grace_seconds`` ago, and unfinished ones older than the current one."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(generations.c.id, generations.c.completed_at)
                .where(generations.c.status == "complete")
                .order_by(generations.c.id.desc())
            ).all()
            drop = [
                int(row.id)
                for position, row in enumerate(rows)
                if position >= KEEP_GENERATIONS
                and int(row.id) != current_id
                # replaced when the next newer one completed
                and (now - datetime.fromisoformat(rows[position - 1].completed_at)).total_seconds()
                >= grace_seconds
            ]
            stale = [
                int(r.id)
                for r in conn.execute(
                    sa.select(generations.c.id)
                    .where(generations.c.status == "building")
                    .where(generations.c.id < current_id)
                )
            ]
            drop += stale
            for table in (*_PER_GENERATION, partitions):
                conn.execute(table.delete().where(table.c.generation_id.in_(drop)))
            conn.execute(generations.delete().where(generations.c.id.in_(drop)))

    # ------------------------------------------------------------------ reading

    def current(self) -> Generation | None:
        """The generation the pointer names (None before the first complete run)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(generations)
                .join(pointer, pointer.c.generation_id == generations.c.id)
                .where(pointer.c.name == CURRENT)
            ).first()
        return None if row is None else _generation(row)

    def generations(self) -> list[Generation]:
        """Every generation in the store, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(generations).order_by(generations.c.id.desc()))
            return [_generation(r) for r in rows]

    def person(self, generation_id: int, nip: str) -> StoredPerson | None:
        """One person's answers in a generation (None: not in it): one primary-key read, on
        this thread's own database connection (the API's hot path: no pool, no SQL made per
        call)."""
        connection = self._reader()
        cursor = connection.cursor()
        try:
            cursor.execute(self._person_sql, (generation_id, nip))
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return _stored_person(dict(zip(self._person_columns, row, strict=True)))

    def _reader(self) -> Any:
        """This thread's database connection for reads (autocommit: every read sees the
        latest committed generation)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:  # the driver's own connection: never shared with the pool
            cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
            connection = self.engine.dialect.connect(*cargs, **cparams)
            if not self.sqlite:
                connection.autocommit = True
            self._local.connection = connection
            with self._lock:
                self._readers.append(connection)
        return connection

    def persons(self, generation_id: int, nips: Sequence[str]) -> dict[str, StoredPerson]:
        """Several people's answers in a generation, by nip (those in it)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(people)
                .where(people.c.generation_id == generation_id)
                .where(people.c.nip.in_(list(nips)))
            )
            return {str(r.nip): _stored_person(r._mapping) for r in rows}

    def shared_part(self, generation_id: int, name: str | None = None) -> dict[str, bytes]:
        """The generation's own entries (name → bytes; only ``name`` if given; empty:
        written before they were kept): the shared part of forecasts, the plans."""
        query = sa.select(shared.c.name, shared.c.data).where(
            shared.c.generation_id == generation_id
        )
        if name is not None:
            query = query.where(shared.c.name == name)
        with self.engine.connect() as conn:
            return {str(r.name): bytes(r.data) for r in conn.execute(query)}

    def plan_place(self, generation_id: int, nip: str, lang: str) -> tuple[str, bytes] | None:
        """The person's place in a plan attached to the generation, in ``lang``: the plan's
        run id and the encoded place (None: no place)."""
        column = places.c[f"place_{lang}"]
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(places.c.plan_run, column)
                .where(places.c.generation_id == generation_id)
                .where(places.c.nip == nip)
            ).first()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def records_of(self, generation_id: int, nips: Sequence[str]) -> dict[str, bytes]:
        """The stored records of those of ``nips`` that have them (active employees of a
        generation that keeps them), by nip."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(records.c.nip, records.c.records)
                .where(records.c.generation_id == generation_id)
                .where(records.c.nip.in_(list(nips)))
            )
            return {str(r.nip): bytes(r.records) for r in rows}

    def count_people(self, generation_id: int, *, active: bool | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(people)
        query = query.where(people.c.generation_id == generation_id)
        if active is not None:
            query = query.where(people.c.active == active)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def sample_nips(self, generation_id: int, n: int, *, active: bool = True) -> list[str]:
        """Up to ``n`` nips of the generation, in nip order (for demos and smoke tests)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(people.c.nip)
                .where(people.c.generation_id == generation_id)
                .where(people.c.active == active)
                .order_by(people.c.nip)
                .limit(n)
            )
            return [str(r.nip) for r in rows]

    # --------------------------------------------------------- audit and limits

    def record_access(self, entries: Sequence[Mapping[str, str]]) -> None:
        """Append audit records (``at``, ``caller``, ``role``, ``nip``, ``action``,
        ``model``); never updated or deleted by the project."""
        if entries:
            with self.engine.begin() as conn:
                conn.execute(audit.insert(), [dict(e) for e in entries])

    def audit_records(self, nip: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(audit).order_by(audit.c.id)
        if nip is not None:
            query = query.where(audit.c.nip == nip)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def take_token(
        self, client: str, rate: float, burst: float, now: float, tokens: float = 1.0
    ) -> float:
        """A shared token bucket: 0 if ``client`` may take ``tokens`` now (and they are
        taken), else the seconds until one token is there. One atomic statement, so every
        worker and replica using the store shares the same buckets."""
        try:
            return self._take(client, rate, burst, now, tokens)
        except sa.exc.OperationalError as exc:  # e.g. SQLite busy while a generation is written
            log.warning("rate limit for %s not counted (store busy: %s)", client, exc.orig)
            return 0.0  # a limit must never turn a request into an error

    def _take(self, client: str, rate: float, burst: float, now: float, tokens: float) -> float:
        refill = rate_limits.c.tokens + (now - rate_limits.c.at) * rate
        level = sa.case((refill > burst, burst), else_=refill)
        with self._limits.begin() as conn:
            taken = conn.execute(
                rate_limits.update()
                .where(rate_limits.c.client == client)
                .where(level >= tokens)
                .values(tokens=level - tokens, at=now)
            )
            if taken.rowcount:
                return 0.0
            row = conn.execute(
                sa.select(rate_limits.c.tokens, rate_limits.c.at).where(
                    rate_limits.c.client == client
                )
            ).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            rate_limits.insert().values(
                                client=client, tokens=burst - min(tokens, burst), at=now
                            )
                        )
                    return 0.0
                except sa.exc.IntegrityError:  # another worker made it first: try again
                    return 1.0 / rate if rate > 0 else 1.0
            tokens = min(burst, float(row.tokens) + (now - float(row.at)) * rate)
            return max((1.0 - tokens) / rate, 1e-3)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Readers never wait for the writer (write-ahead log); writers wait for each other."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_pragmas_short_wait(dbapi_connection: Any, _record: Any) -> None:
    """As :func:`_sqlite_pragmas`, but a writer waits at most 100 ms for another."""
    _sqlite_pragmas(dbapi_connection, _record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=100")
    cursor.close()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _person_row(generation_id: int, partition: str, nip: str, answers: Answers) -> tuple[Any, ...]:
    """A person's row of the ``people`` table, in its column order."""
    row: list[Any] = [
        generation_id,
        nip,
        partition,
        nip in answers.active,
        orjson.dumps(answers.list_gains.get(nip, []), option=orjson.OPT_SERIALIZE_NUMPY).decode(),
    ]
    kinds: dict[str, bytes | None] = {}
    for lang in LANGUAGES:
        trained = answers.trainings.get(lang, {}).get(nip)
        kinds[f"trainings_{lang}"] = _SEP.join(trained) if trained else None
        mentored = (answers.mentors or {}).get(lang, {}).get(nip)
        kinds[f"mentors_{lang}"] = _SEP.join(mentored) if mentored else None
        kinds[f"widget_{lang}"] = answers.widget.get(lang, {}).get(nip)
        kinds[f"unassigned_{lang}"] = answers.unassigned.get(lang, {}).get(nip)
    return (*row, *(kinds[name] for name in ANSWER_COLUMNS))


def _stored_person(mapping: Mapping[Any, Any]) -> StoredPerson:
    return StoredPerson(
        nip=str(mapping["nip"]),
        active=bool(mapping["active"]),
        list_gains=json.loads(mapping["list_gains"] or "[]"),
        columns={
            name: None if mapping[name] is None else bytes(mapping[name]) for name in ANSWER_COLUMNS
        },
    )


def _generation(row: Any) -> Generation:
    m = row._mapping
    return Generation(
        id=int(m["id"]),
        status=str(m["status"]),
        fingerprint=str(m["fingerprint"]),
        created_at=str(m["created_at"]),
        completed_at=None if m["completed_at"] is None else str(m["completed_at"]),
        model_versions=json.loads(m["model_versions"]),
        source=str(m["source"]),
        ranker=str(m["ranker"]),
        k=int(m["k"]),
        has_mentors=bool(m["has_mentors"]),
        partitions=int(m["partitions"]),
        people=None if m["people"] is None else int(m["people"]),
        seconds=None if m["seconds"] is None else float(m["seconds"]),
    )
