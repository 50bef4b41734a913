"""The recommendation store on SQLite and on a real PostgreSQL server: generations written
partition by partition, resumed, made current atomically, pruned; the audit table and the
shared token buckets."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from recsys.scoring.answers import Answers
from recsys.scoring.store import KEEP_GENERATIONS, PLANS_ENTRY, RecommendationStore, StoreError
from recsys.settings import LANGUAGES


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> RecommendationStore:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'nested' / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
    made = RecommendationStore(url)
    yield made
    made.dispose()


def _answers(people: dict[str, bool], tag: str) -> Answers:
    """Answers for ``people`` (nip → active), items marked with ``tag``."""
    active = [n for n, a in people.items() if a]

    def items(kind: str, lang: str) -> dict[str, list[bytes]]:
        return {
            n: [
                json.dumps({"rank": r, "of": n, "kind": kind, "lang": lang, "tag": tag}).encode()
                for r in (1, 2, 3)
            ]
            for n in active
        }

    return Answers(
        k=3,
        known=frozenset(people),
        active=frozenset(active),
        trainings={lang: items("trainings", lang) for lang in LANGUAGES},
        mentors={lang: items("mentors", lang) for lang in LANGUAGES},
        widget={lang: {n: b'{"w":"%s"}' % n.encode() for n in active} for lang in LANGUAGES},
        ranker="blend",
        list_gains={n: [1.0, 1.5, 1.75] for n in active},
        unassigned={lang: {} for lang in LANGUAGES},
    )


def _generation(store: RecommendationStore, fingerprint: str = "f1", parts: int = 2) -> int:
    generation, done = store.begin_generation(
        fingerprint=fingerprint,
        model_versions={"trainings": "3"},
        source="test",
        ranker="blend",
        k=3,
        has_mentors=True,
        n_partitions=parts,
    )
    assert done == set()
    return generation


AGENCY_A = {"100": True, "101": False}
AGENCY_B = {"200": True}


def test_a_generation_is_served_only_once_complete(store: RecommendationStore) -> None:
    assert store.current() is None
    generation = _generation(store)
    store.write_partition(generation, "agency:A", _answers(AGENCY_A, "g1"), sorted(AGENCY_A))
    assert store.current() is None  # half written: not served
    with pytest.raises(StoreError, match="1 of its 2 partitions"):
        store.complete(generation, 1.0)
    assert store.current() is None
    store.write_partition(generation, "agency:B", _answers(AGENCY_B, "g1"), sorted(AGENCY_B))
    current = store.complete(generation, 2.5)
    assert (current.id, current.status, current.people) == (generation, "complete", 3)
    assert current.model_versions == {"trainings": "3"}

    person = store.person(generation, "100")
    assert person is not None and person.active
    items = person.items("trainings", "en", 2)
    assert [json.loads(i)["rank"] for i in items] == [1, 2]
    assert json.loads(items[0]) == {
        "rank": 1,
        "of": "100",
        "kind": "trainings",
        "lang": "en",
        "tag": "g1",
    }
    assert person.list_gain(2) == 1.5 and person.list_gain(10) == 1.75
    assert person.widget("id") == b'{"w":"100"}'
    inactive = store.person(generation, "101")
    assert inactive is not None and not inactive.active
    assert inactive.items("trainings", "id", 5) == [] and inactive.widget("id") is None
    assert store.person(generation, "999") is None
    assert set(store.persons(generation, ["100", "200", "999"])) == {"100", "200"}


def test_an_interrupted_run_resumes_and_the_old_generation_stays_served(
    store: RecommendationStore,
) -> None:
    first = _generation(store, "old", parts=1)
    store.write_partition(first, "agency:A", _answers(AGENCY_A, "old"), sorted(AGENCY_A))
    store.complete(first, 1.0)
    # a new run writes one of its two partitions and stops
    second = _generation(store, "new")
    store.write_partition(second, "agency:A", _answers(AGENCY_A, "new"), sorted(AGENCY_A))
    served = store.current()
    assert served is not None and served.id == first
    old = store.person(first, "100")
    assert old is not None and b'"tag": "old"' in old.items("trainings", "id", 1)[0]
    # the next run of the same fingerprint resumes it with what is missing
    resumed, done = store.begin_generation(
        fingerprint="new",
        model_versions={"trainings": "3"},
        source="test",
        ranker="blend",
        k=3,
        has_mentors=True,
        n_partitions=2,
    )
    assert (resumed, done) == (second, {"agency:A"})
    # rewriting a partition replaces it (no duplicates)
    store.write_partition(second, "agency:A", _answers(AGENCY_A, "new"), sorted(AGENCY_A))
    store.write_partition(second, "agency:B", _answers(AGENCY_B, "new"), sorted(AGENCY_B))
    assert store.complete(second, 1.0).people == 3
    assert store.count_people(second) == 3 and store.count_people(second, active=True) == 2


def test_old_generations_are_pruned(store: RecommendationStore) -> None:
    made = []
    for run in range(KEEP_GENERATIONS + 2):
        generation = _generation(store, f"run{run}", parts=1)
        store.write_partition(generation, "agency:B", _answers(AGENCY_B, str(run)), ["200"])
        store.complete(generation, 1.0)  # just replaced: a worker may still read them
        made.append(generation)
    assert [g.id for g in store.generations()] == made[::-1]
    generation = _generation(store, "last", parts=1)
    store.write_partition(generation, "agency:B", _answers(AGENCY_B, "last"), ["200"])
    store.complete(generation, 1.0, grace_seconds=0.0)
    made.append(generation)
    kept = [g.id for g in store.generations()]
    assert kept == made[::-1][:KEEP_GENERATIONS]
    assert store.person(made[0], "200") is None  # its rows went with it
    assert store.count_people(made[-1]) == 1


def test_readers_see_the_old_or_the_new_generation_never_a_mix(
    store: RecommendationStore,
) -> None:
    first = _generation(store, "a", parts=1)
    store.write_partition(first, "agency:A", _answers(AGENCY_A, "a"), sorted(AGENCY_A))
    store.complete(first, 1.0)
    seen: list[tuple[int, str]] = []
    broken: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            generation = store.current()
            person = None if generation is None else store.person(generation.id, "100")
            if generation is None or person is None:  # a served generation is always whole
                broken.append(f"generation {generation} without person 100")
                return
            seen.append((generation.id, json.loads(person.items("trainings", "id", 1)[0])["tag"]))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for run in range(3):
            generation = _generation(store, f"b{run}", parts=1)
            store.write_partition(generation, "agency:A", _answers(AGENCY_A, f"b{run}"), ["100"])
            store.complete(generation, 1.0)
    finally:
        stop.set()
        reader.join()
    assert not broken
    assert seen
    tags = {gid: tag for gid, tag in seen}
    assert len(tags) == len(set(seen))  # one tag per generation: never a mix


def test_audit_table_is_append_only_records(store: RecommendationStore) -> None:
    entry = {
        "at": "2026-12-05T00:00:00+00:00",
        "caller": "hr",
        "role": "hr",
        "nip": "100",
        "action": "trainings",
        "model": "m=1",
    }
    store.record_access([entry, {**entry, "nip": "200"}])
    store.record_access([{**entry, "action": "mentors"}])
    records = store.audit_records("100")
    assert [r["action"] for r in records] == ["trainings", "mentors"]
    assert len(store.audit_records()) == 3
    with store.engine.connect() as conn:  # the table holds them, in order of arrival
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM rec_audit ORDER BY id"))]
    assert ids == sorted(ids) and len(ids) == 3


def test_token_buckets_are_shared_through_the_store(store: RecommendationStore) -> None:
    other = RecommendationStore(store.url)  # another worker: its own engine and connections
    try:
        rate, burst = 1.0, 3.0
        now = 1_000.0
        assert store.take_token("key:a", rate, burst, now) == 0.0
        assert other.take_token("key:a", rate, burst, now) == 0.0
        assert store.take_token("key:a", rate, burst, now) == 0.0
        wait = other.take_token("key:a", rate, burst, now)  # the burst is spent, by both
        assert wait == pytest.approx(1.0)
        assert store.take_token("key:b", rate, burst, now) == 0.0  # another client
        assert other.take_token("key:a", rate, burst, now + 1.0) == 0.0  # refilled
        assert store.take_token("key:a", rate, burst, now + 1.0) > 0
    finally:
        other.dispose()


def test_a_bad_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a usable store URL"):
        RecommendationStore("nosuchdb://x/y")
    (tmp_path / "x.txt").write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open the recommendation store"):
        RecommendationStore(f"sqlite:///{tmp_path}/x.txt/inside.db")


def test_forecast_records_and_the_shared_part_are_kept_per_generation(
    store: RecommendationStore,
) -> None:
    generation = _generation(store)
    store.write_shared(generation, {"facts": b"{}", "table:trainings": b"\x00parquet"})
    kept = {"100": b"\x01records of 100"}
    store.write_partition(generation, "agency:A", _answers(AGENCY_A, "g"), ["100", "101"], kept)
    # a partition written again replaces its records (a resumed run), never adds to them
    store.write_partition(
        generation, "agency:A", _answers(AGENCY_A, "g"), ["100", "101"], {"100": b"\x02again"}
    )
    store.write_partition(
        generation, "agency:B", _answers(AGENCY_B, "g"), ["200"], {"200": b"\x03of 200"}
    )
    store.write_shared(generation, {"facts": b'{"format": 1}', "table:trainings": b"\x04"})
    store.complete(generation, 1.0)
    assert store.shared_part(generation) == {"facts": b'{"format": 1}', "table:trainings": b"\x04"}
    assert store.records_of(generation, ["100", "200", "101", "999"]) == {
        "100": b"\x02again",
        "200": b"\x03of 200",
    }
    assert store.records_of(generation, []) == {}
    # they go with their generation
    for run in range(KEEP_GENERATIONS):
        newer = _generation(store, f"newer{run}", parts=1)
        store.write_partition(newer, "agency:B", _answers(AGENCY_B, "n"), ["200"], {"200": b"n"})
        store.complete(newer, 1.0, grace_seconds=0.0)
    assert store.shared_part(generation) == {}
    assert store.records_of(generation, ["100", "200"]) == {}
    with store.engine.connect() as conn:
        left = conn.execute(
            sa.text("SELECT count(*) FROM rec_records WHERE generation_id = :g"),
            {"g": generation},
        )
        assert left.scalar_one() == 0


def test_a_store_written_before_records_were_kept_still_serves(
    store: RecommendationStore,
) -> None:
    generation = _generation(store, parts=1)
    store.write_partition(generation, "agency:A", _answers(AGENCY_A, "old"), sorted(AGENCY_A))
    store.complete(generation, 1.0)
    with store.engine.begin() as conn:  # as an older version made it: no such tables
        conn.execute(sa.text("DROP TABLE rec_records"))
        conn.execute(sa.text("DROP TABLE rec_shared"))
    store.dispose()
    reopened = RecommendationStore(store.url)
    try:
        current = reopened.current()
        assert current is not None and current.id == generation
        person = reopened.person(generation, "100")
        assert person is not None and person.items("trainings", "id", 1)
        assert reopened.shared_part(generation) == {}  # forecasts fall back (serving/)
        assert reopened.records_of(generation, ["100"]) == {}
        newer = _generation(reopened, "new", parts=1)
        reopened.write_shared(newer, {"facts": b"{}"})
        reopened.write_partition(
            newer, "agency:A", _answers(AGENCY_A, "new"), sorted(AGENCY_A), {"100": b"r"}
        )
        reopened.complete(newer, 1.0)
        assert reopened.records_of(newer, ["100"]) == {"100": b"r"}
    finally:
        reopened.dispose()


def test_places_in_the_plans_are_kept_per_generation(store: RecommendationStore) -> None:
    generation = _generation(store, parts=1)
    store.write_shared(generation, {PLANS_ENTRY: b'[{"run_id": "r1"}]', "facts": b"{}"})
    placed = {"100": ("r1", {lang: f'{{"lang":"{lang}"}}'.encode() for lang in LANGUAGES})}
    store.write_partition(
        generation, "agency:A", _answers(AGENCY_A, "g"), sorted(AGENCY_A), None, placed
    )
    store.write_partition(  # written again (a resumed run): replaced, never added to
        generation, "agency:A", _answers(AGENCY_A, "g"), sorted(AGENCY_A), None, placed
    )
    store.complete(generation, 1.0)
    for lang in LANGUAGES:
        assert store.plan_place(generation, "100", lang) == ("r1", f'{{"lang":"{lang}"}}'.encode())
    assert store.plan_place(generation, "101", "id") is None
    assert store.shared_part(generation, PLANS_ENTRY) == {PLANS_ENTRY: b'[{"run_id": "r1"}]'}
    for run in range(KEEP_GENERATIONS):
        newer = _generation(store, f"newer{run}", parts=1)
        store.write_partition(newer, "agency:B", _answers(AGENCY_B, "n"), ["200"])
        store.complete(newer, 1.0, grace_seconds=0.0)
    assert store.plan_place(generation, "100", "id") is None  # gone with its generation
    assert store.shared_part(generation) == {}
