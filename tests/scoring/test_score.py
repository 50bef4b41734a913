"""``recsys score``'s job: partitions by agency, a run that resumes after an interruption,
and the same answers from a Dask LocalCluster of two workers as from one process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import recsys.scoring.job as job
from recsys.data import load_dataset
from recsys.models.requests import decision_date
from recsys.scoring.answers import precompute
from recsys.scoring.job import partitions_of, score
from recsys.scoring.records import SharedPart
from recsys.scoring.store import RecommendationStore, StoredPerson
from recsys.tracking.bundle import load_bundle


def _rows(store: RecommendationStore) -> dict[str, StoredPerson]:
    current = store.current()
    assert current is not None
    nips = store.sample_nips(current.id, 10**6) + store.sample_nips(current.id, 10**6, active=False)
    return store.persons(current.id, nips)


def _kept(store: RecommendationStore) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The current generation's records of everybody, and its shared part."""
    current = store.current()
    assert current is not None
    return store.records_of(current.id, list(_rows(store))), store.shared_part(current.id)


@pytest.fixture(scope="module")
def one_process(
    small_world: Path, bundle: Path, tmp_path_factory: pytest.TempPathFactory
) -> RecommendationStore:
    store = RecommendationStore(f"sqlite:///{tmp_path_factory.mktemp('one') / 's.db'}")
    result = score(load_dataset(small_world), load_bundle(bundle), store, k=5)
    assert result.scored == len(partitions_of(load_dataset(small_world))) and result.resumed == 0
    assert result.people == 3_000
    return store


def test_an_interrupted_run_resumes_where_it_stopped(
    small_world: Path,
    bundle: Path,
    tmp_path: Path,
    one_process: RecommendationStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ds, models = load_dataset(small_world), load_bundle(bundle)
    store = RecommendationStore(f"sqlite:///{tmp_path / 's.db'}")
    partitions = partitions_of(ds)
    real = job.score_partition
    calls: list[str] = []

    def stops_at_the_third(*args: object) -> int:
        calls.append(str(args[4]))
        if len(calls) == 3:
            raise KeyboardInterrupt  # the operator's Ctrl+C, or the machine going down
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(job, "score_partition", stops_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        score(ds, models, store, k=5)
    assert store.current() is None  # nothing half-written is ever served
    monkeypatch.setattr(job, "score_partition", real)
    progress: list[tuple[int, int]] = []
    result = score(ds, models, store, k=5, on_progress=lambda d, t: progress.append((d, t)))
    assert (result.resumed, result.scored) == (2, len(partitions) - 2)
    assert progress[0] == (2, len(partitions)) and progress[-1] == (len(partitions),) * 2
    assert result.generation.id == 1 and result.people == 3_000
    resumed = _rows(store)
    expected = _rows(one_process)
    assert resumed.keys() == expected.keys()
    assert all(resumed[n] == expected[n] for n in expected)
    # and what forecasts read: every active employee's records, and the shared part
    assert _kept(store) == _kept(one_process)
    records, shared = _kept(store)
    assert records.keys() == {n for n, p in resumed.items() if p.active}
    assert SharedPart.read(shared).as_of == decision_date(ds, None)


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_same_answers(
    small_world: Path, bundle: Path, tmp_path: Path, one_process: RecommendationStore
) -> None:
    store = RecommendationStore(f"sqlite:///{tmp_path / 'dask.db'}")
    result = score(
        load_dataset(small_world), load_bundle(bundle), store, k=5, cluster="local", workers=2
    )
    assert result.people == 3_000
    on_dask, expected = _rows(store), _rows(one_process)
    assert on_dask.keys() == expected.keys()
    different = [n for n in expected if on_dask[n] != expected[n]]
    assert different == []
    assert _kept(store) == _kept(one_process)
    assert sum(1 for p in on_dask.values() if p.items("trainings", "id", 5)) > 2_000


def test_a_very_large_agency_is_scored_unit_by_unit(
    small_world: Path, bundle: Path, tmp_path: Path
) -> None:
    """Where the mentoring policy searches an agency's mentors unit by unit, each unit is a
    partition of its own: one process and a Dask cluster store the same answers, and they
    are the answers of the whole data set at once (the API's in-memory mode)."""
    ds, models = load_dataset(small_world), load_bundle(bundle)
    assert models.mentors is not None
    staff = ds.employees.loc[ds.employees["active"], "agency"].astype(str).value_counts()
    largest = str(staff.index[0])
    scoped = models.mentors.eligibility_policies().replace_all(
        unit_search_above=int(staff.iloc[1])  # only the largest agency is above it
    )
    models.mentors.set_params(policies=scoped)
    names = partitions_of(ds, models)
    units = ds.employees.loc[ds.employees["agency"].astype(str) == largest, "unit"].nunique()
    by_unit = [n for n, (agency, unit) in names.items() if unit is not None]
    assert len(by_unit) == units > 1
    assert all(names[n][0] == largest for n in by_unit)
    assert len(names) == len(staff) - 1 + units
    assert job.fingerprint(ds, models, 5) != job.fingerprint(ds, load_bundle(bundle), 5)

    alone = RecommendationStore(f"sqlite:///{tmp_path / 'one.db'}")
    assert score(ds, models, alone, k=5).scored == len(names)
    on_dask = RecommendationStore(f"sqlite:///{tmp_path / 'dask.db'}")
    score(ds, models, on_dask, k=5, cluster="local", workers=2)
    rows, expected = _rows(on_dask), _rows(alone)
    assert rows.keys() == expected.keys()
    assert [n for n in expected if rows[n] != expected[n]] == []

    whole = precompute(ds, models, 5)
    assert whole.mentors is not None
    for nip in sorted(whole.active):
        for lang in ("id", "en"):
            assert expected[nip].items("mentors", lang, 5) == whole.mentors[lang].get(nip, [])
            assert expected[nip].items("trainings", lang, 5) == whole.trainings[lang].get(nip, [])
    # the largest agency's mentors are of the mentee's unit
    unit = ds.employees.set_index(ds.employees["nip"].astype(str))["unit"].astype(str)
    agency = ds.employees.set_index(ds.employees["nip"].astype(str))["agency"].astype(str)
    mentors = [
        (nip, json.loads(item)["mentor_nip"])
        for nip in whole.active
        if agency[nip] == largest
        for item in whole.mentors["id"].get(nip, [])
    ]
    assert mentors and all(unit[a] == unit[b] for a, b in mentors)
