"""``recsys score``: every active employee's trainings and mentors, in every language, for
one model version on one data snapshot, written to the recommendation store.

The work is split by agency (the mentor matching is agency-wide, so an agency is the
smallest piece that gives the same answers), or by unit kerja in an agency whose mentoring
policy searches mentors unit by unit (a very large one: ``unit_search_above``), each
scored at the data set's decision date and written in one transaction. A run that stops
(interrupted, a worker lost) leaves its partitions; the next run of the same models on the
same data (same :func:`fingerprint`) resumes with the ones missing. Only a complete
generation is served: the pointer flips to it at the end.

On a Dask cluster (``cluster``: a scheduler address, or ``"local"`` for a ``LocalCluster``
on this machine) each partition is a task that carries only its people's records and the
whole data set's few summaries that a person's features read from everybody
(:func:`recsys.features.population.people_part`), so a worker's memory follows the largest
partition, not the staff; the models are sent once to every worker, the parts a few at a
time. The worker writes its partition to the store itself, so nothing large comes back.
The answers are the same whatever the number of workers, and the same as in one process.

With the answers, a generation keeps what a what-if forecast reads
(:mod:`recsys.scoring.records`): each active employee's own records, written with their
agency, and the part of the data set every forecast shares, written once when the run
starts; so the API forecasts from the store without loading the data set. The agency
plans attached to the run (:mod:`recsys.scoring.plan_places`) give each person their place
in the plan, written with their agency, and the list of plans, written once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from recsys.data.loading import Dataset
from recsys.features.population import PeopleIndex, whole_context
from recsys.models.mentors.eligibility import unit_scoped
from recsys.models.mentors.policy import MentorPolicies
from recsys.models.requests import decision_date
from recsys.scoring import records
from recsys.scoring.answers import precompute
from recsys.scoring.plan_places import AttachedPlans
from recsys.scoring.store import PLANS_ENTRY, Generation, RecommendationStore
from recsys.settings import LANGUAGES
from recsys.tracking.bundle import Bundle
from recsys.tracking.registry import fingerprint as data_fingerprint

if TYPE_CHECKING:
    from recsys.scoring.cluster import ScoringCluster

log = logging.getLogger(__name__)

#: Items per person kept in the store (the API's largest ``k`` by default).
STORE_K = 10
#: Partition name of an agency, and of a unit kerja of an agency scored unit by unit.
AGENCY, UNIT = "agency:", "unit:"
#: Between the agency and the unit in a unit's partition name.
UNIT_SEP = " / "
#: Partitions a Dask worker is given ahead of the one it scores (its next one is already
#: there when it finishes; the rest wait in this process, not in the cluster's memory).
AHEAD = 1

ProgressFn = Callable[[int, int], None]
#: nip → (plan run id, the place encoded per language).
Places = Mapping[str, tuple[str, Mapping[str, bytes]]]


@dataclass(frozen=True)
class ScoreResult:
    """What a run did: the generation it made current, partitions scored now and before
    (resumed), people stored, seconds, and the plans attached (each with the people it
    places here, and those it names who are not active employees of the data: ``left_out``)."""

    generation: Generation
    scored: int
    resumed: int
    people: int
    seconds: float
    plans: list[dict[str, object]]


def partitions_of(ds: Dataset, models: Bundle | None = None) -> dict[str, tuple[str, str | None]]:
    """The partitions of a data set, largest first: name → (agency, unit kerja or None).

    An agency is one partition (its mentor matching is agency-wide, so it is the smallest
    piece that gives the same answers), or one per unit kerja where the mentoring policy of
    ``models`` (the built-in default without a mentor model) searches its mentors unit by
    unit (``unit_search_above``: then a unit is matched alone). A very large agency so
    spreads over the workers, and a worker holds one unit's records at a time."""
    policies = models.mentors.eligibility_policies() if models and models.mentors else None
    employees = ds.employees
    agency = employees["agency"].astype(str)
    names = sorted(agency.unique())
    by_unit = unit_scoped(ds, policies if policies is not None else MentorPolicies(), names)
    sized: list[tuple[int, str, tuple[str, str | None]]] = []
    for name, split in zip(names, by_unit, strict=True):
        staff = employees[(agency == name).to_numpy()]
        if not split:
            sized.append((len(staff), f"{AGENCY}{name}", (name, None)))
            continue
        for unit, size in staff["unit"].astype(str).value_counts().sort_index().items():
            sized.append((int(size), f"{UNIT}{name}{UNIT_SEP}{unit}", (name, str(unit))))
    sized.sort(key=lambda s: -s[0])  # stable: equal sizes in name order
    return {partition: scope for _, partition, scope in sized}


def fingerprint(ds: Dataset, models: Bundle, k: int, plans: AttachedPlans | None = None) -> str:
    """What a generation is of: the models' versions, the data's content (the registry's
    :func:`~recsys.tracking.registry.fingerprint`), ``k``, the languages, the plans
    attached and the records' format (a run with the same fingerprint may resume
    another)."""
    attached = sorted(p.run_id for p in plans.plans) if plans is not None else []
    policies = asdict(models.mentors.eligibility_policies()) if models.mentors is not None else None
    what = [models.versions, data_fingerprint(ds), k, list(LANGUAGES), records.FORMAT, attached]
    what.append(policies)  # they decide the partitions and the candidates
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


def score_partition(
    ds: Dataset,
    models: Bundle,
    store: RecommendationStore,
    generation_id: int,
    partition: str,
    k: int,
    as_of: pd.Timestamp,
    places: Places | None = None,
    agency: str | None = None,
) -> int:
    """Score one partition (``ds``: its part of the data set: an agency's or a unit's) and
    write it with its active employees' records and ``places`` in the plans; returns the
    people written. ``agency``: the partition's agency (default: read from an agency
    partition's name)."""
    agency = partition.removeprefix(AGENCY) if agency is None else agency
    answers = precompute(ds, models, k, as_of=as_of, agency=agency)
    kept = records.person_records(ds, sorted(answers.active))
    known = sorted(answers.known)
    return store.write_partition(generation_id, partition, answers, known, kept, places)


def score(
    ds: Dataset,
    models: Bundle,
    store: RecommendationStore,
    *,
    k: int = STORE_K,
    resume: bool = True,
    cluster: str | ScoringCluster | None = None,
    workers: int = 2,
    on_progress: ProgressFn | None = None,
    plans: AttachedPlans | None = None,
) -> ScoreResult:
    """Score every partition of ``ds`` not yet in the store's unfinished generation of the
    same fingerprint (all of them for a new one), then make the generation current.
    ``plans``: the agency plans whose places are kept with the answers (none if None).

    ``cluster``: None (this process), ``"local"`` (a Dask ``LocalCluster`` of ``workers``
    single-threaded workers), a Dask scheduler address (``tcp://host:8786``), or a
    :class:`~recsys.scoring.cluster.ScoringCluster` already starting (its workers boot
    while the caller reads the data; the caller closes it).
    ``on_progress(done, total)`` is called with partitions done.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    started = time.perf_counter()
    names = partitions_of(ds, models)
    if not names:
        raise ValueError("the data set has no employees: nothing to score")
    running = None
    if cluster is not None:
        from recsys.scoring.cluster import ScoringCluster

        running = ScoringCluster(cluster, workers).start() if isinstance(cluster, str) else cluster
    try:
        as_of = decision_date(ds, None)
        context = whole_context(ds)
        attached = plans if plans is not None else AttachedPlans(())
        described = attached.describe(ds)
        entries = records.shared_part(ds, context, as_of)
        entries[PLANS_ENTRY] = json.dumps(described).encode()
        if running is not None:
            running.client()  # a cluster that cannot be used fails here, before any write
        generation_id, done = store.begin_generation(
            fingerprint=fingerprint(ds, models, k, plans),
            model_versions=models.versions,
            source=str(ds.source),
            ranker=str(models.trainings.ranker_),
            k=k,
            has_mentors=models.mentors is not None,
            n_partitions=len(names),
            resume=resume,
        )
        todo = [p for p in names if p not in done]
        log.info(
            "scoring generation %d: %d partitions (%d already stored)",
            generation_id,
            len(todo),
            len(done),
        )
        progress = on_progress or (lambda _done, _total: None)
        progress(len(done), len(names))
        store.write_shared(generation_id, entries)
        parts = _partitions(ds, {p: names[p] for p in todo}, context, attached)
        if running is None:
            for count, (partition, agency, part, places) in enumerate(parts, len(done) + 1):
                score_partition(
                    part, models, store, generation_id, partition, k, as_of, places, agency
                )
                progress(count, len(names))
        else:
            _score_on_dask(
                parts,
                models,
                store,
                generation_id,
                k,
                as_of,
                running,
                lambda n: progress(len(done) + n, len(names)),
            )
        generation = store.complete(generation_id, time.perf_counter() - started)
    finally:
        if running is not None and isinstance(cluster, str):  # started here, closed here
            running.close()
    return ScoreResult(
        generation=generation,
        scored=len(todo),
        resumed=len(done),
        people=int(generation.people or 0),
        seconds=time.perf_counter() - started,
        plans=described,
    )


def _partitions(
    ds: Dataset,
    scopes: Mapping[str, tuple[str, str | None]],
    context: dict[str, pd.DataFrame],
    plans: AttachedPlans,
) -> Iterator[tuple[str, str, Dataset, Places]]:
    """Each partition to score, made when it is needed: its name, its agency, its part of
    ``ds`` (the agency's or the unit's staff and their records) and the places of its
    people in the ``plans``."""
    employees = ds.employees
    agency = employees["agency"].astype(str).to_numpy()
    unit = employees["unit"].astype(str).to_numpy()
    index = PeopleIndex(ds)
    for name, (of, within) in scopes.items():
        staff = agency == of
        if within is not None:
            staff &= unit == within
        label = of if within is None else f"{of}{UNIT_SEP}{within}"
        part = index.part(staff, context, label=label)
        yield name, of, part, plans.places(part)


def _score_on_dask(
    parts: Iterable[tuple[str, str, Dataset, Places]],
    models: Bundle,
    store: RecommendationStore,
    generation_id: int,
    k: int,
    as_of: pd.Timestamp,
    cluster: ScoringCluster,
    progress: Callable[[int], None],
) -> None:
    """Each partition a task on the cluster; the worker writes to the store at its URL.
    Parts are sent to the workers as data (not inside the task graph), a few at a time:
    :data:`AHEAD` per worker beyond the ones being scored."""
    from dask.distributed import as_completed

    client = cluster.client()
    shared = client.scatter(models, broadcast=True)
    pending = iter(parts)
    running = as_completed()

    def submit_next() -> bool:
        item = next(pending, None)
        if item is None:
            return False
        partition, agency, part, places = item
        data = client.scatter([part, places], hash=False)
        running.add(
            client.submit(
                _remote_partition,
                data[0],
                shared,
                store.url,
                generation_id,
                partition,
                k,
                as_of,
                data[1],
                agency,
                key=f"score-{generation_id}-{partition}",
                pure=False,
            )
        )
        return True

    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    # each worker's first partition, then (once they have started) the ones ahead: a
    # local scheduler shares this process, and making parts would hold up its dispatching
    started = sum(submit_next() for _ in range(n_workers))
    _until_started(client, started)
    for _ in range(n_workers * AHEAD):
        submit_next()
    for count, future in enumerate(running, start=1):
        future.result()  # a failed partition fails the run (the pointer stays)
        progress(count)
        submit_next()


def _until_started(client: Any, n: int, timeout: float = 30.0) -> None:
    """Wait (at most ``timeout`` seconds) until the cluster is processing ``n`` tasks."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(len(keys) for keys in client.processing().values()) >= n:
            return
        time.sleep(0.05)


def _remote_partition(
    ds: Dataset,
    models: Bundle,
    url: str,
    generation_id: int,
    partition: str,
    k: int,
    as_of: pd.Timestamp,
    places: Places,
    agency: str,
) -> int:
    """A Dask task: score one partition (``ds``: its part of the data set) and write it
    with its ``places`` to the store at ``url``."""
    store = RecommendationStore(url)
    try:
        return score_partition(
            ds, models, store, generation_id, partition, k, as_of, places, agency
        )
    finally:
        store.dispose()
