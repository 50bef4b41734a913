"""Each person's place in the agency plan, attached by ``recsys score`` (the real CLI, plans
logged to a real MLflow store by the real planner) and served by
``GET /v1/employees/{nip}/plan`` over real HTTP, from SQLite and PostgreSQL stores: the
latest plan of each agency by default, or the runs given; what the plan funds and why a
person stays below 20 JP, in Bahasa Indonesia or English; clear errors that change
nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from recsys.scoring.store import RecommendationStore
from serving.main import create_app
from serving.schemas import responses
from tests.serving.server import key, log_plans, score_into, serve, settings_for

#: The plan year of the small world (the year after its last appraisal).
YEAR = 2026


@pytest.fixture(scope="module")
def plans(
    small_world: Path, bundle: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """An MLflow store with three plans for the small world: an older and a newer one of
    its smallest agency (the newer one with too little budget for everybody's 20 JP), and
    one of every agency; and a run that is not a plan."""
    folder = tmp_path_factory.mktemp("plans")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    agency = str(employees["agency"].value_counts().index[-1])
    old, newer, every, other = log_plans(
        small_world,
        bundle,
        uri,
        [(agency, 5e8, 120.0), (agency, 1_000.0, 16.0), (None, 5e7, 16.0)],
    )
    return {
        "uri": uri,
        "agency": agency,
        "old": old,
        "newer": newer,
        "every": every,
        "other": other,
        "folder": folder,
    }


def _artifact(plans: dict[str, Any], run: str, name: str) -> pd.DataFrame:
    found = list(plans["folder"].glob(f"**/{run}/artifacts/plan/{name}"))
    assert len(found) == 1, found
    return pd.read_csv(found[0], dtype={"nip": str, "training_id": str})


@pytest.fixture(scope="module")
def scored(
    plans: dict[str, Any],
    small_world: Path,
    bundle: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """A store scored with the default plans (the latest of each scope for the year)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('planstore') / 'store.db'}"
    done = score_into(small_world, bundle, url, env={"MLFLOW_TRACKING_URI": plans["uri"]})
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert f"run {plans['every']} (every agency, {YEAR}):" in out, out
    assert f"run {plans['newer']} ({plans['agency']}, {YEAR}):" in out, out
    assert plans["old"] not in out  # replaced by the newer plan of its agency
    return url


def _people(world: Path, plans: dict[str, Any]) -> dict[str, str]:
    """A person the agency's plan leaves below 20 JP, one it funds, someone of another
    agency the every-agency plan places, an inactive one and an unknown NIP."""
    employees = pd.read_csv(world / "employees.csv", dtype=str)
    active = employees[employees["active"] == "true"]
    short = _artifact(plans, plans["newer"], "shortfall.csv")
    items = _artifact(plans, plans["newer"], "items.csv")
    others = _artifact(plans, plans["every"], "items.csv")
    others = others[~others["nip"].isin(active.loc[active["agency"] == plans["agency"], "nip"])]
    return {
        "short": str(short.loc[short["reason"] == "budget", "nip"].iloc[0]),
        "funded": str(items.loc[~items["nip"].isin(short["nip"]), "nip"].iloc[0]),
        "elsewhere": str(others["nip"].iloc[0]),
        "inactive": str(employees.loc[employees["active"] == "false", "nip"].iloc[0]),
        "unknown": "199001012020011999",
    }


def test_a_persons_place_in_the_plan_is_served_from_the_store(
    plans: dict[str, Any], scored: str, small_world: Path, bundle: Path, tmp_path: Path
) -> None:
    people = _people(small_world, plans)
    settings = settings_for(small_world, bundle, tmp_path / "audit.jsonl", store=scored)
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as client:
        got = {
            lang: client.get(
                f"/v1/employees/{people['short']}/plan?lang={lang}", headers=key("analis")
            )
            for lang in ("id", "en")
        }
        default = client.get(f"/v1/employees/{people['short']}/plan", headers=key("hr-bkpsdm"))
        funded = client.get(f"/v1/employees/{people['funded']}/plan", headers=key("analis"))
        elsewhere = client.get(f"/v1/employees/{people['elsewhere']}/plan", headers=key("analis"))
        errors = {
            who: client.get(f"/v1/employees/{people[who]}/plan", headers=key("analis"))
            for who in ("inactive", "unknown")
        }
        portal = client.get(f"/v1/employees/{people['short']}/plan", headers=key("portal"))
        bad_lang = client.get(
            f"/v1/employees/{people['short']}/plan?lang=fr", headers=key("analis")
        )
    assert [r.status_code for r in (*got.values(), default, funded, elsewhere)] == [200] * 5
    indonesian, english = got["id"].json(), got["en"].json()
    assert default.json() == indonesian  # Bahasa Indonesia unless English is asked
    for answer in (indonesian, english, funded.json(), elsewhere.json()):
        parsed = responses.PlanPlace.model_validate(answer)
        assert set(answer) == set(responses.PlanPlace.model_fields)  # nothing more is sent
        for item in answer["items"]:
            assert set(item) == set(responses.PlannedTraining.model_fields)
        assert parsed.min_jp == 20.0
    # below 20 JP: how far and why, in the language asked; the rest is the same
    below = indonesian["below_minimum"]
    assert below["reason"] == english["below_minimum"]["reason"] == "budget"
    assert (below["reason_text"], english["below_minimum"]["reason_text"]) == (
        "anggaran",
        "budget",
    )
    assert "Anggaran" in below["note"] and "budget" in english["below_minimum"]["note"]
    assert {k: v for k, v in indonesian.items() if k != "below_minimum"} == {
        k: v for k, v in english.items() if k != "below_minimum"
    }
    short = _artifact(plans, plans["newer"], "shortfall.csv").set_index("nip")
    assert below["shortfall"] == pytest.approx(short.loc[people["short"], "shortfall"])
    assert indonesian["plan"] == {"run_id": plans["newer"], "agency": plans["agency"], "year": YEAR}
    # what the plan funds: its items, as logged
    answer = funded.json()
    assert answer["below_minimum"] is None
    items = _artifact(plans, plans["newer"], "items.csv")
    mine = items[items["nip"] == people["funded"]]
    assert sorted(i["training_id"] for i in answer["items"]) == sorted(mine["training_id"])
    assert answer["jp_planned"] == pytest.approx(mine["hours_jp"].sum())
    assert answer["expected_gain"] == pytest.approx(mine["gain"].sum())
    assert all(i["title"] and i["quarter"] in (1, 2, 3, 4) for i in answer["items"])
    assert "unit" not in json.dumps(answer)  # least personal data
    # someone of another agency: the every-agency plan
    assert elsewhere.json()["plan"]["run_id"] == plans["every"]
    assert errors["inactive"].status_code == 422
    assert errors["unknown"].status_code == 404
    assert "unknown NIP" in errors["unknown"].json()["detail"]
    assert portal.status_code == 403 and bad_lang.status_code == 422
    audited = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert {(r["nip"], r["action"], r["model"]) for r in audited} == {
        (people["short"], "plan", f"plan={plans['newer']}"),
        (people["funded"], "plan", f"plan={plans['newer']}"),
        (people["elsewhere"], "plan", f"plan={plans['every']}"),
    }


def test_someone_without_a_place_gets_a_clear_404(
    plans: dict[str, Any], scored: str, small_world: Path, bundle: Path, tmp_path: Path
) -> None:
    """A person the plans place nowhere (only the agency plans are attached here, so the
    other agencies' staff have none)."""
    url = f"sqlite:///{tmp_path / 'agency-only.db'}"
    done = score_into(
        small_world,
        bundle,
        url,
        "--plan",
        plans["old"],
        env={"MLFLOW_TRACKING_URI": plans["uri"]},
    )
    assert done.returncode == 0, done.stderr
    assert f"Plans attached: run {plans['old']} ({plans['agency']}, {YEAR})" in " ".join(
        done.stdout.split()
    )
    people = _people(small_world, plans)
    settings = settings_for(small_world, bundle, tmp_path / "audit.jsonl", store=url)
    with serve(create_app(settings)) as base, httpx.Client(base_url=base, timeout=120) as client:
        none = client.get(f"/v1/employees/{people['elsewhere']}/plan", headers=key("analis"))
        placed = client.get(f"/v1/employees/{people['short']}/plan", headers=key("analis"))
    assert none.status_code == 404
    assert none.json()["detail"] == (
        f"NIP {people['elsewhere']} has no place in the plans attached (run {plans['old']} "
        f"({plans['agency']}, {YEAR})): no plan covers their agency, or it plans nothing for "
        "them and they already reach the JP minimum"
    )
    assert placed.status_code == 200 and placed.json()["plan"]["run_id"] == plans["old"]


def test_plans_that_cannot_be_attached_change_nothing(
    plans: dict[str, Any], scored: str, small_world: Path, bundle: Path
) -> None:
    store = RecommendationStore(scored)
    try:
        before = store.generations()
    finally:
        store.dispose()
    env = {"MLFLOW_TRACKING_URI": plans["uri"]}
    for extra, message in (
        (["--plan", "no-such-run"], "no run 'no-such-run' in the MLflow store"),
        (["--plan", plans["other"]], f"run {plans['other']!r} is not a plan"),
        (["--plan", plans["old"], "--plan", plans["newer"]], "are both for"),
        (["--plan", plans["old"], "--no-plan"], "Give --plan or --no-plan, not both"),
    ):
        done = score_into(small_world, bundle, scored, *extra, env=env)
        assert done.returncode != 0, extra
        assert message in " ".join(done.stderr.split()), (extra, done.stderr)
    store = RecommendationStore(scored)
    try:
        assert store.generations() == before
    finally:
        store.dispose()


def test_without_plans_the_api_says_why(
    plans: dict[str, Any], small_world: Path, bundle: Path, tmp_path: Path, postgres_database: str
) -> None:
    """``--no-plan`` on PostgreSQL: a clear 404 for everybody; the API without a store: a
    clear 409."""
    done = score_into(small_world, bundle, postgres_database, "--no-plan")
    assert done.returncode == 0, done.stderr
    assert "No plan attached (--no-plan): nobody gets a place in a plan." in done.stdout
    nip = _people(small_world, plans)["short"]
    settings = settings_for(small_world, bundle, tmp_path / "a.jsonl", store=postgres_database)
    with serve(create_app(settings)) as base, httpx.Client(base_url=base, timeout=120) as client:
        got = client.get(f"/v1/employees/{nip}/plan", headers=key("analis"))
    assert got.status_code == 404
    assert got.json()["detail"] == (
        "no plan is attached to the recommendations served (store generation 1): make one "
        "with `recsys plan`, then run `recsys score`"
    )


def test_places_on_postgresql(
    plans: dict[str, Any],
    scored: str,
    small_world: Path,
    bundle: Path,
    tmp_path: Path,
    postgres_database: str,
) -> None:
    """The runs given, on PostgreSQL: the same places as the SQLite store's."""
    done = score_into(
        small_world,
        bundle,
        postgres_database,
        "--plan",
        plans["newer"],
        "--plan",
        plans["every"],
        env={"MLFLOW_TRACKING_URI": plans["uri"]},
    )
    assert done.returncode == 0, done.stderr
    people = _people(small_world, plans)
    on_pg = settings_for(small_world, bundle, tmp_path / "a.jsonl", store=postgres_database)
    on_sqlite = settings_for(small_world, bundle, tmp_path / "b.jsonl", store=scored)
    with (
        serve(create_app(on_pg)) as pg_url,
        serve(create_app(on_sqlite)) as sqlite_url,
        httpx.Client(base_url=pg_url, timeout=120) as pg,
        httpx.Client(base_url=sqlite_url, timeout=120) as sqlite,
    ):
        for who in ("short", "funded", "elsewhere"):
            for lang in ("id", "en"):
                path = f"/v1/employees/{people[who]}/plan?lang={lang}"
                got = pg.get(path, headers=key("analis"))
                assert got.status_code == 200
                assert got.content == sqlite.get(path, headers=key("analis")).content
