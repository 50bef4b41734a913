"""``GET /v1/evaluations/{year}`` over real HTTP on the small world: the Kirkpatrick
evaluation for hr and analyst (verdicts, null effects of too_few trainings, no NIP), the
portal role refused, a year with nothing to evaluate and unknown filters answered with a
message naming them, the audit record, and each evaluation computed once."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from recsys.evaluation import kirkpatrick
from serving.core.config import ServingSettings
from serving.main import create_app
from tests.serving.server import key, serve, settings_for

HR = key("hr-bkpsdm")
ANALYST = key("analis")
NIP = re.compile(r"(?<!\d)\d{18}(?!\d)")


@pytest.fixture(scope="module")
def api(
    bundle: Path, small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, ServingSettings]]:
    settings = settings_for(
        small_world,
        bundle,
        tmp_path_factory.mktemp("evaluations") / "audit.jsonl",
        rate_limit_per_minute=100_000,
    )
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=300) as client:
        yield client, settings


@pytest.fixture(scope="module")
def years(small_world: Path) -> list[int]:
    """The years enrollments started in."""
    started = pd.read_csv(small_world / "enrollments.csv", usecols=["start_date"])
    return sorted(pd.to_datetime(started["start_date"]).dt.year.unique().tolist())


@pytest.fixture(scope="module")
def year(years: list[int]) -> int:
    """A year in the middle of the history: its trainings have appraisal outcomes."""
    return years[len(years) // 2]


@pytest.fixture(scope="module")
def evaluated(api: tuple, year: int) -> dict[str, Any]:
    client, _ = api
    got = client.get(f"/v1/evaluations/{year}", headers=HR)
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def test_hr_gets_the_years_evaluation_with_a_verdict_per_training(
    evaluated: dict, year: int, small_world: Path
) -> None:
    body = evaluated
    assert body["year"] == year
    assert body["settings"] == {
        "alpha": 0.1,
        "min_participants": kirkpatrick.MIN_PARTICIPANTS,
        "min_effect": kirkpatrick.MIN_EFFECT,
    }
    rows = body["trainings"]
    catalog = pd.read_csv(small_world / "trainings.csv", dtype=str)
    assert rows and {r["training_id"] for r in rows} <= set(catalog["training_id"])
    verdicts = {r["verdict"] for r in rows}
    assert verdicts <= set(kirkpatrick.VERDICTS)
    assert {"too_few", "works"} <= verdicts  # the small world has both
    for row in rows:
        assert row["completed"] + row["dropped"] <= row["enrolled"]
        if row["verdict"] == "too_few":
            assert row["participants"] < body["settings"]["min_participants"]
            effect = [row[k] for k in ("effect", "effect_lower", "effect_upper", "std_error")]
            assert effect == [None] * 4 and row["cost_per_point"] is None, row
        else:
            assert row["effect_lower"] <= row["effect"] <= row["effect_upper"], row
        if row["verdict"] == "works":
            assert row["effect_lower"] > 0
            assert row["cost_per_point"] == pytest.approx(row["cost_idr"] / row["effect"])
        if row["verdict"] == "does_not_work":
            assert row["effect_upper"] < body["settings"]["min_effect"]
    flagged = sorted(r["training_id"] for r in rows if r["verdict"] == "does_not_work")
    assert sorted(body["flagged"]) == flagged
    assert body["summary"]["trainings"] == len(rows)
    assert body["summary"]["trainings_too_few"] == sum(r["verdict"] == "too_few" for r in rows)


def test_providers_dropout_and_units_are_aggregates_without_personal_data(
    evaluated: dict, small_world: Path
) -> None:
    body = evaluated
    providers = body["providers"]
    assert {p["provider"] for p in providers} == {r["provider"] for r in body["trainings"]}
    assert all(p["verdict"] in kirkpatrick.VERDICTS for p in providers)
    for provider in providers:
        own = [r for r in body["trainings"] if r["provider"] == provider["provider"]]
        assert provider["trainings"] == len(own)
        assert provider["enrolled"] == sum(r["enrolled"] for r in own)
    dropout = body["dropout"]
    assert dropout and all(0 <= d["dropout_rate"] <= 1 for d in dropout)
    assert {d["remote_area"] for d in dropout} == {True, False}
    units = body["units"]
    assert units and body["unit_note"] == ""
    for unit in units:
        assert 0 <= unit["trained_share"] <= 1 and unit["staff"] > 0
        assert unit["satisfaction_lower"] <= unit["satisfaction_upper"]
        assert unit["service_days_lower"] <= unit["service_days_upper"]
        assert isinstance(unit["better_than_expected"], bool)
    text = json.dumps(body)
    assert "NaN" not in text and "Infinity" not in text
    nips = set(pd.read_csv(small_world / "employees.csv", dtype=str)["nip"])
    assert not set(NIP.findall(text)) & nips


def test_analyst_gets_the_same_evaluation_and_the_portal_none(
    api: tuple, evaluated: dict, year: int
) -> None:
    client, _ = api
    got = client.get(f"/v1/evaluations/{year}", headers=ANALYST)
    assert got.status_code == 200, got.text
    assert got.json() == evaluated
    refused = client.get(f"/v1/evaluations/{year}", headers=key("portal"))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "the portal role may not read"
    assert client.get(f"/v1/evaluations/{year}").status_code == 401


def test_a_year_with_nothing_to_evaluate_is_a_404_saying_why(api: tuple, years: list[int]) -> None:
    client, _ = api
    future = years[-1] + 2
    got = client.get(f"/v1/evaluations/{future}", headers=HR)
    assert got.status_code == 404, got.text
    detail = got.json()["detail"]
    assert f"no enrollment started in {future}" in detail
    assert str(years[0]) in detail  # it lists the years that can be evaluated
    assert client.get("/v1/evaluations/1066", headers=HR).status_code == 422


def test_unknown_training_or_provider_is_a_422_naming_it(api: tuple, year: int) -> None:
    client, _ = api
    url = f"/v1/evaluations/{year}"
    got = client.get(url, params={"training_id": ["PLT-001", "NO-SUCH-1"]}, headers=HR)
    assert got.status_code == 422, got.text
    assert [e["field"] for e in got.json()["errors"]] == ["query.training_id"]
    assert "unknown training(s): NO-SUCH-1;" in got.json()["detail"]  # only the unknown one
    got = client.get(url, params={"provider": "Akademi Atlantis"}, headers=HR)
    assert got.status_code == 422, got.text
    assert [e["field"] for e in got.json()["errors"]] == ["query.provider"]
    assert "'Akademi Atlantis'" in got.json()["detail"]


def test_filters_limit_the_report_and_each_evaluation_is_computed_once(
    api: tuple, evaluated: dict, year: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = api
    calls: list[tuple[int, Any, Any]] = []
    evaluate = kirkpatrick.evaluate_program

    def counted(ds: Any, year: int, **kwargs: Any) -> kirkpatrick.ProgramEvaluation:
        calls.append((year, kwargs.get("trainings"), kwargs.get("provider")))
        return evaluate(ds, year, **kwargs)

    monkeypatch.setattr(kirkpatrick, "evaluate_program", counted)  # the server is in-process
    url = f"/v1/evaluations/{year}"
    assert client.get(url, headers=ANALYST).json() == evaluated
    assert calls == []  # asked before: kept
    provider = evaluated["providers"][0]["provider"]
    for _ in range(2):
        got = client.get(url, params={"provider": provider}, headers=HR)
        assert got.status_code == 200, got.text
    assert calls == [(year, None, provider)]
    body = got.json()
    assert {r["provider"] for r in body["trainings"]} == {provider}
    assert [p["provider"] for p in body["providers"]] == [provider]
    # the effects are estimated on the whole year: the same as in the full report
    full = {r["training_id"]: r for r in evaluated["trainings"]}
    for row in body["trainings"]:
        expected = full[row["training_id"]]
        assert row["verdict"] == expected["verdict"]
        if row["effect"] is not None:
            assert math.isclose(row["effect"], expected["effect"])


def test_every_evaluation_is_audited_without_a_nip(api: tuple, evaluated: dict, year: int) -> None:
    client, settings = api
    assert client.get(f"/v1/evaluations/{year}", headers=ANALYST).status_code == 200
    records = [json.loads(line) for line in settings.audit_log.read_text().splitlines()]
    mine = [r for r in records if r["action"] == f"evaluation:{year}"]
    assert {(r["caller"], r["role"]) for r in mine} >= {("hr-bkpsdm", "hr"), ("analis", "analyst")}
    assert all(r["nip"] == "" and r["model"].startswith("asn-training-recommender=") for r in mine)
