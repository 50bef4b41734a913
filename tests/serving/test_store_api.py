"""The API over a recommendation store written by ``recsys score`` (the real CLI), over
real HTTP: the same answers as the API that scores in memory, no data or model loaded to
serve them, what-if forecasts from the people's stored records (the data set never
loaded; a store written before records were kept falls back to loading it), a new
generation followed by every worker, rate limits shared by workers."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from recsys.scoring.store import RecommendationStore
from serving.main import create_app
from tests.serving.server import RELOAD_TIMEOUT, key, score_into, serve, settings_for


@pytest.fixture(scope="module")
def store_url(bundle: Path, small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'recommendations.db'}"
    done = score_into(small_world, bundle, url)
    assert done.returncode == 0, done.stderr
    assert "Generation 1 is complete and now served: 3,000 employees" in done.stdout
    return url


def _people(world: Path) -> dict[str, str]:
    employees = pd.read_csv(world / "employees.csv", dtype=str)
    active = employees[employees["active"] == "true"]
    return {
        "junior": str(active.loc[active["position_type"] == "pelaksana", "nip"].iloc[0]),
        "senior": str(active.loc[active["position_type"] != "pelaksana", "nip"].iloc[0]),
        "inactive": str(employees.loc[employees["active"] == "false", "nip"].iloc[0]),
        "unknown": "199001012020011999",
    }


def _forecasts(world: Path) -> list[dict[str, Any]]:
    """What-if requests of every kind, good and bad: trainings, a mentor of the same agency,
    of another one, the direct supervisor, a mentor with rated mentorships (their record
    and the whole's prior), and each error."""
    people = _people(world)
    employees = pd.read_csv(world / "employees.csv", dtype=str)
    active = employees[employees["active"] == "true"].set_index("nip")
    junior = people["junior"]
    same = active[(active["agency"] == active.loc[junior, "agency"]) & (active.index != junior)]
    other = active[active["agency"] != active.loc[junior, "agency"]]
    supervised = active[active["supervisor_nip"].isin(active.index)]
    mentee = str(supervised.index[0])
    trainings = pd.read_csv(world / "trainings.csv", dtype=str)["training_id"].tolist()
    mentorships = pd.read_csv(world / "mentorships.csv", dtype=str).dropna(subset=["mentee_rating"])
    rated = mentorships["mentor_nip"][mentorships["mentor_nip"].isin(same.index)]
    return [
        {"nip": junior, "training_ids": trainings[:4]},
        {"nip": people["senior"], "training_ids": trainings[-3:]},
        {"nip": junior, "mentor_nip": str(same.index[0])},
        {"nip": junior, "training_ids": trainings[4:6], "mentor_nip": str(other.index[0])},
        {"nip": mentee, "mentor_nip": str(supervised.loc[mentee, "supervisor_nip"])},
        {"nip": junior, "mentor_nip": str(rated.value_counts().index[0])},
        {"nip": junior},
        {"nip": junior, "training_ids": ["NOPE-1", trainings[0]]},
        {"nip": junior, "training_ids": ["NOPE-1"], "mentor_nip": people["unknown"]},
        {"nip": junior, "training_ids": trainings[:1], "mentor_nip": people["unknown"]},
        {"nip": junior, "mentor_nip": people["inactive"]},
        {"nip": people["unknown"], "training_ids": trainings[:1]},
        {"nip": people["inactive"], "training_ids": trainings[:1]},
    ]


def _same_forecasts(world: Path, a: httpx.Client, b: httpx.Client) -> int:
    """Ask both APIs every :func:`_forecasts` request: the same status and body each time;
    returns how many were answered 200."""
    answered = 0
    for body in _forecasts(world):
        got_a = a.post("/v1/forecasts", json=body, headers=key("analis"))
        got_b = b.post("/v1/forecasts", json=body, headers=key("analis"))
        assert got_b.status_code == got_a.status_code, (body, got_a.text, got_b.text)
        assert got_b.json() == got_a.json(), body
        answered += got_a.status_code == 200
    return answered


READS = [
    ("GET", "/v1/employees/{nip}/trainings?k=3&lang=en"),
    ("GET", "/v1/employees/{nip}/trainings"),
    ("GET", "/v1/employees/{nip}/mentors?k=2"),
]


def test_store_serves_what_the_in_memory_api_serves(
    store_url: str, bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    people = _people(small_world)
    memory = settings_for(small_world, bundle, tmp_path / "a.jsonl", rate_limit_per_minute=10**6)
    stored = settings_for(
        small_world, bundle, tmp_path / "b.jsonl", rate_limit_per_minute=10**6, store=store_url
    )
    memory_app, stored_app = create_app(memory), create_app(stored)
    with (
        serve(memory_app) as memory_url,
        serve(stored_app) as stored_url,
        httpx.Client(base_url=memory_url, timeout=120) as a,
        httpx.Client(base_url=stored_url, timeout=120) as b,
    ):
        for who, nip in people.items():
            for _, path in READS:
                got_a = a.get(path.format(nip=nip), headers=key("hr-bkpsdm"))
                got_b = b.get(path.format(nip=nip), headers=key("hr-bkpsdm"))
                assert got_b.status_code == got_a.status_code, (who, path)
                assert got_b.content == got_a.content, (who, path)
        batch = {"nips": [people["junior"], people["senior"]], "k": 4, "mentors": True}
        got_a = a.post("/v1/recommendations:batch", json=batch, headers=key("hr-bkpsdm"))
        got_b = b.post("/v1/recommendations:batch", json=batch, headers=key("hr-bkpsdm"))
        assert got_b.status_code == got_a.status_code == 200
        assert got_b.json() == got_a.json()
        assert got_b.json()["results"][0]["trainings"]
        bad = {"nips": [people["junior"], people["unknown"]]}
        assert b.post("/v1/recommendations:batch", json=bad, headers=key("hr-bkpsdm")).json() == (
            a.post("/v1/recommendations:batch", json=bad, headers=key("hr-bkpsdm")).json()
        )
        models = b.get("/v1/models", headers=key("analis")).json()
        assert models["source"] == "store generation 1"
        assert models["versions"] == a.get("/v1/models", headers=key("analis")).json()["versions"]
        # the store-backed API answered without loading the data set or any model
        heavy = stored_app.state.state._heavy
        assert heavy is not None and heavy._dataset is None and heavy._models is None
        # what-if forecasts: the same answers, and errors, from the people's stored records
        assert _same_forecasts(small_world, a, b) == 6
    assert heavy._models is not None  # a forecast needs the models
    assert heavy._dataset is None  # but never the whole data set
    served = stored_app.state.state.current
    assert served._part_read and served._part is not None  # kept with the generation
    # and its audit file names every access, like the in-memory one
    audited = (tmp_path / "b.jsonl").read_text().splitlines()
    assert len(audited) == len((tmp_path / "a.jsonl").read_text().splitlines()) > 0


def test_a_new_generation_is_followed_without_a_restart(
    bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert score_into(small_world, bundle, url).returncode == 0
    nip = _people(small_world)["junior"]
    settings = settings_for(
        small_world, bundle, tmp_path / "audit.jsonl", store=url, store_poll_seconds=0.2
    )
    workers = [create_app(settings), create_app(settings)]  # two workers of one deployment
    with serve(workers[0]) as one, serve(workers[1]) as two:
        clients = [httpx.Client(base_url=u, timeout=120) for u in (one, two)]
        try:
            before = [c.get("/v1/models", headers=key("analis")).json()["source"] for c in clients]
            assert before == ["store generation 1"] * 2
            answer = clients[0].get(f"/v1/employees/{nip}/trainings", headers=key("hr-bkpsdm"))
            # a failed run leaves the generation served: a data set that cannot be loaded
            failed = score_into(tmp_path / "missing", bundle, url, "--restart")
            assert failed.returncode != 0
            assert clients[1].get("/v1/models", headers=key("analis")).json()["source"] == (
                "store generation 1"
            )
            rescored = score_into(small_world, bundle, url, "--restart")
            assert rescored.returncode == 0, rescored.stderr
            assert "Generation 2 is complete" in rescored.stdout
            deadline = time.monotonic() + RELOAD_TIMEOUT
            for client in clients:  # every worker notices by itself, no reload asked
                while client.get("/v1/models", headers=key("analis")).json()["source"] != (
                    "store generation 2"
                ):
                    assert time.monotonic() < deadline, "a worker never followed the pointer"
                    time.sleep(0.1)
                again = client.get(f"/v1/employees/{nip}/trainings", headers=key("hr-bkpsdm"))
                assert again.status_code == 200
                assert again.json()["items"] == answer.json()["items"]  # same models and data
        finally:
            for client in clients:
                client.close()


def test_rate_limits_hold_across_workers(
    store_url: str, bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    nip = _people(small_world)["junior"]
    # one a minute: a burst of 10, then one token a minute (none comes back while the test
    # asks, however busy the machine)
    settings = settings_for(
        small_world, bundle, tmp_path / "audit.jsonl", store=store_url, rate_limit_per_minute=1
    )
    with (
        serve(create_app(settings)) as one,
        serve(create_app(settings)) as two,
        httpx.Client(base_url=one, timeout=120) as a,
        httpx.Client(base_url=two, timeout=120) as b,
    ):
        codes = []
        for i in range(14):  # alternate workers: each alone would allow its 7 within its burst
            client = a if i % 2 == 0 else b
            codes.append(
                client.get(f"/v1/employees/{nip}/trainings", headers=key("analis")).status_code
            )
        # the burst of 10 is shared by the two workers: the other 4 are refused
        assert codes[:10] == [200] * 10
        assert codes[10:] == [429] * 4
        refused = (a if codes.index(429) % 2 == 0 else b).get(
            f"/v1/employees/{nip}/trainings", headers=key("analis")
        )
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1


def test_store_on_postgresql_with_the_audit_table(
    store_url: str, bundle: Path, small_world: Path, tmp_path: Path, postgres_database: str
) -> None:
    done = score_into(small_world, bundle, postgres_database)
    assert done.returncode == 0, done.stderr
    people = _people(small_world)
    settings = settings_for(small_world, bundle, tmp_path / "unused.jsonl", store=postgres_database)
    on_sqlite = settings_for(small_world, bundle, tmp_path / "sqlite.jsonl", store=store_url)
    app = create_app(settings)
    with (
        serve(app) as url,
        serve(create_app(on_sqlite)) as sqlite_url,
        httpx.Client(base_url=url, timeout=120) as client,
        httpx.Client(base_url=sqlite_url, timeout=120) as sqlite_client,
    ):
        # forecasts from the records kept in PostgreSQL: those of the SQLite store
        assert _same_forecasts(small_world, sqlite_client, client) == 6
        assert app.state.state._heavy._dataset is None
        got = client.get(f"/v1/employees/{people['junior']}/trainings", headers=key("hr-bkpsdm"))
        assert got.status_code == 200 and got.json()["items"]
        assert (
            client.get(
                f"/v1/employees/{people['inactive']}/trainings", headers=key("hr-bkpsdm")
            ).status_code
            == 422
        )
        assert (
            client.get(
                f"/v1/employees/{people['unknown']}/trainings", headers=key("hr-bkpsdm")
            ).status_code
            == 404
        )
    store = RecommendationStore(postgres_database)
    try:
        records = store.audit_records(people["junior"])
    finally:
        store.dispose()
    assert [(r["caller"], r["action"]) for r in records if r["caller"] == "hr-bkpsdm"] == [
        ("hr-bkpsdm", "trainings")
    ]
    assert "forecast" in {r["action"] for r in records if r["caller"] == "analis"}
    assert not (tmp_path / "unused.jsonl").exists() or not (tmp_path / "unused.jsonl").read_text()


def test_a_store_without_a_generation_is_not_ready(
    bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    settings = settings_for(small_world, bundle, tmp_path / "audit.jsonl", store=url)
    with serve(create_app(settings), ready="/healthz") as base, httpx.Client(base_url=base) as c:
        assert c.get("/readyz").status_code == 503
        nip = _people(small_world)["junior"]
        assert c.get(f"/v1/employees/{nip}/trainings", headers=key("hr-bkpsdm")).status_code == 503


def test_the_served_model_names_are_the_registry_names() -> None:
    """serving keeps the registered models' names itself (serving a store never imports the
    tracking layer): they must be the registry's."""
    from recsys.tracking import registry
    from serving.generation import state

    assert (state.TRAINING_MODEL, state.MENTOR_MODEL) == (
        registry.TRAINING_MODEL,
        registry.MENTOR_MODEL,
    )


def test_forecasts_over_a_store_written_before_records_were_kept(
    store_url: str, bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    """A generation without records (scored by an earlier version) still forecasts, the
    same answers: the worker falls back to loading the data set, and says so; it has no
    places in plans."""
    old = tmp_path / "old.db"
    with (
        sqlite3.connect(store_url.removeprefix("sqlite:///")) as source,
        sqlite3.connect(old) as copy,
    ):
        source.backup(copy)
        copy.execute("DELETE FROM rec_records")
        copy.execute("DELETE FROM rec_shared")
    settings = {"rate_limit_per_minute": 10**6}
    new_app = create_app(
        settings_for(small_world, bundle, tmp_path / "a.jsonl", store=store_url, **settings)
    )
    old_app = create_app(
        settings_for(
            small_world, bundle, tmp_path / "b.jsonl", store=f"sqlite:///{old}", **settings
        )
    )
    with (
        serve(new_app) as new_url,
        serve(old_app) as old_url,
        httpx.Client(base_url=new_url, timeout=300) as a,
        httpx.Client(base_url=old_url, timeout=300) as b,
    ):
        assert _same_forecasts(small_world, a, b) == 6
        # nor does it know of plans: a clear 404 for a person's place
        place = b.get(f"/v1/employees/{_people(small_world)['junior']}/plan", headers=key("analis"))
        assert place.status_code == 404
        assert place.json()["detail"] == (
            "the recommendations served (store generation 1) were scored before plans could "
            "be attached: run `recsys score` again"
        )
    assert old_app.state.state._heavy._dataset is not None  # the fallback loaded it
    assert new_app.state.state._heavy._dataset is None
