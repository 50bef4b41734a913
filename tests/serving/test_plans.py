"""``/v1/plans`` over real HTTP: a planning job started, polled to the end and its document
downloaded; roles, bad input naming the field, unknown jobs, the audit of the download; and
the job store's cap and pending limit in process."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import openpyxl
import pandas as pd
import pytest

from serving.api.routes import plans
from serving.core.config import ServingSettings
from serving.main import create_app
from serving.schemas.plans import PlanRequest
from tests.serving.server import key, serve, settings_for

#: Seconds a planning job may take on a loaded 2-core machine (one agency of the small
#: world takes a few seconds on a quiet one).
PLAN_TIMEOUT = 900
HR = key("hr-bkpsdm")
NIP = re.compile(r"(?<!\d)\d{18}(?!\d)")


@pytest.fixture(scope="module")
def api(
    bundle: Path, small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, ServingSettings]]:
    settings = settings_for(
        small_world,
        bundle,
        tmp_path_factory.mktemp("plans") / "audit.jsonl",
        rate_limit_per_minute=100_000,
    )
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client, settings


def _smallest_agency(small_world: Path) -> str:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    active = employees[employees["active"] == "true"]
    return str(active["agency"].value_counts().index[-1])


def _wait(client: httpx.Client, poll: str) -> dict[str, Any]:
    """Poll until the job is no longer queued or running (generous: a busy machine)."""
    deadline = time.monotonic() + PLAN_TIMEOUT
    while True:
        got = client.get(poll, headers=HR)
        assert got.status_code == 200, got.text
        job = got.json()
        if job["status"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, f"planning job still {job['status']}: {job}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def planned(api: tuple, small_world: Path) -> dict[str, Any]:
    """One agency's plan on a budget too tight for everyone's 20 JP, run to the end: the
    e-learning platform has no seats this year (e-learning is free in this world, so with
    seats any budget could bring everyone to 20 JP), and 3 M IDR buy a classroom item or
    two."""
    client, _ = api
    trainings = pd.read_csv(small_world / "trainings.csv", dtype=str)
    e_learning = (trainings["modality"] == "e_learning") & (trainings["active"] == "true")
    closed = trainings.loc[e_learning, "training_id"]
    body = {
        "budget_idr": 3e6,
        "agency": _smallest_agency(small_world),
        "lang": "en",
        "seats": dict.fromkeys(closed, 0),
    }
    started = client.post("/v1/plans", json=body, headers=HR)
    assert started.status_code == 202, started.text
    accepted = started.json()
    assert accepted["status"] in ("queued", "running")
    assert accepted["poll"] == f"/v1/plans/{accepted['job_id']}"
    job = _wait(client, accepted["poll"])
    assert job["status"] == "done", job
    return {"body": body, "job": job}


def test_a_plan_job_runs_to_done_with_totals_and_no_row_per_person(
    planned: dict, small_world: Path
) -> None:
    job, body = planned["job"], planned["body"]
    assert job["error"] is None and job["finished_at"] and job["stage"]
    assert job["model_version"] == "asn-training-recommender=1"
    result = job["result"]
    summary = result["summary"]
    assert summary["agency"] == body["agency"] and summary["budget_idr"] == body["budget_idr"]
    assert 0 < summary["cost_idr"] <= body["budget_idr"]
    units = result["units"]
    assert sum(u["cost_idr"] for u in units) == pytest.approx(summary["cost_idr"])
    assert sum(u["staff"] for u in units) == summary["people"]
    assert sum(u["items"] for u in units) == summary["items"]
    assert all(0 <= u["participants"] <= u["staff"] for u in units)
    below = result["below_minimum"]
    assert below["total"] > 0, "the budget is meant to leave some below 20 JP"
    assert sum(below["by_reason"].values()) == below["total"] == summary["below_minimum"]
    assert sum(u["below_minimum"] for u in units) == below["total"]
    assert {"budget", "seats", "away", "no_training"} <= set(below["by_reason"])
    curve = result["curve"]
    assert len(curve) >= 2 and any(p["budget_idr"] == body["budget_idr"] for p in curve)
    assert [p["budget_idr"] for p in curve] == sorted(p["budget_idr"] for p in curve)
    assert all(p["cost_idr"] <= p["budget_idr"] + 1e-6 for p in curve)
    # least personal data: no NIP anywhere in the job's answer
    nips = set(pd.read_csv(small_world / "employees.csv", dtype=str)["nip"])
    assert not set(NIP.findall(json.dumps(job))) & nips


def test_the_plan_document_downloads_as_xlsx_and_csv_and_is_audited(
    api: tuple, planned: dict
) -> None:
    client, settings = api
    job = planned["job"]
    url = f"/v1/plans/{job['job_id']}/document"
    workbook = client.get(url, headers=HR)  # xlsx by default
    assert workbook.status_code == 200, workbook.text
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in workbook.headers["content-disposition"]
    sheets = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True).sheetnames
    assert len(sheets) > 3 and "Plan" in sheets, sheets  # the document was asked in English
    table = client.get(url, params={"format": "csv"}, headers=HR)
    assert table.status_code == 200, table.text
    assert table.headers["content-type"].startswith("text/csv")
    rows = pd.read_csv(io.StringIO(table.text), dtype=str)
    assert len(rows) == job["result"]["summary"]["items"]
    listed = set(NIP.findall(table.text))
    assert listed
    records = [json.loads(line) for line in settings.audit_log.read_text().splitlines()]
    audited = {r["nip"] for r in records if r["action"] == f"plan-document:{job['job_id']}.csv"}
    assert audited == listed  # each NIP the CSV lists, once
    assert all(r["caller"] == "hr-bkpsdm" and r["role"] == "hr" for r in records)
    xlsx = [r for r in records if r["action"] == f"plan-document:{job['job_id']}.xlsx"]
    assert len(xlsx) >= len(listed)  # the workbook adds who is still below 20 JP
    # the start and every poll are audited too, without a NIP (no personal data in them)
    asked = [r for r in records if r["action"] in (f"plan:{job['job_id']}",)]
    polled = [r for r in records if r["action"] == f"plan-status:{job['job_id']}"]
    assert len(asked) == 1 and polled and all(r["nip"] == "" for r in asked + polled)


def test_only_hr_may_plan(api: tuple, planned: dict) -> None:
    client, _ = api
    job_id = planned["job"]["job_id"]
    body = {"budget_idr": 1e8}
    for name in ("analis", "portal"):
        assert client.post("/v1/plans", json=body, headers=key(name)).status_code == 403
        assert client.get(f"/v1/plans/{job_id}", headers=key(name)).status_code == 403
        got = client.get(f"/v1/plans/{job_id}/document", headers=key(name))
        assert got.status_code == 403 and got.json()["detail"]
    assert client.post("/v1/plans", json=body).status_code == 401
    assert client.get(f"/v1/plans/{job_id}").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"budget_idr": -1}, "body.budget_idr"),
        ({"budget_idr": 0}, "body.budget_idr"),
        ({"budget_idr": 2e15}, "body.budget_idr"),
        ({}, "body.budget_idr"),
        ({"budget_idr": 1e8, "agency": "Pemerintah Kota Atlantis"}, "body.agency"),
        ({"budget_idr": 1e8, "unit_budgets": {"Dinas Atlantis": 1e6}}, "body.unit_budgets"),
        ({"budget_idr": 1e8, "seats": {"T-NOT-IN-CATALOG": 3}}, "body.seats"),
        ({"budget_idr": 1e8, "year": 1990}, "body.year"),
        ({"budget_idr": 1e8, "classroom_share": 0}, "body.classroom_share"),
        ({"budget_idr": 1e8, "lang": "fr"}, "body.lang"),
        ({"budget_idr": 1e8, "budget": 5}, "body.budget"),
        (
            {"budget_idr": 1e8, "mandatory": [{"nip": "199001012015011999", "training_id": "X"}]},
            "body.mandatory",
        ),
        (
            {"budget_idr": 1e8, "mandatory": [{"nip": "123", "training_id": "X"}]},
            "body.mandatory.0.nip",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api: tuple, body: dict, field: str) -> None:
    client, _ = api
    got = client.post("/v1/plans", json=body, headers=HR)
    assert got.status_code == 422, got.text
    fields = [e["field"] for e in got.json()["errors"]]
    assert field in fields, got.json()
    assert field in got.json()["detail"]


def test_negative_seats_name_the_training(api: tuple, small_world: Path) -> None:
    client, _ = api
    training = str(pd.read_csv(small_world / "trainings.csv", dtype=str)["training_id"].iloc[0])
    got = client.post("/v1/plans", json={"budget_idr": 1e8, "seats": {training: -1}}, headers=HR)
    assert got.status_code == 422, got.text
    assert got.json()["errors"][0]["field"] == f"body.seats.{training}"


def test_unknown_job_is_a_clear_404(api: tuple) -> None:
    client, _ = api
    missing = "0" * 32
    for url in (f"/v1/plans/{missing}", f"/v1/plans/{missing}/document"):
        got = client.get(url, headers=HR)
        assert got.status_code == 404, got.text
        assert missing in got.json()["detail"] and "kept" in got.json()["detail"]
    assert client.get("/v1/plans/not-a-job", headers=HR).status_code == 422
    bad_format = client.get(f"/v1/plans/{missing}/document?format=pdf", headers=HR)
    assert bad_format.status_code == 422 and "query.format" in bad_format.text


def test_the_document_of_an_unfinished_job_is_a_409(api: tuple) -> None:
    # every agency at once: seconds of work, so it is still under way when asked (the
    # server's shutdown stops it at its next stage)
    client, _ = api
    started = client.post("/v1/plans", json={"budget_idr": 1e9, "curve": False}, headers=HR)
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    document = client.get(f"/v1/plans/{job_id}/document", headers=HR)
    if document.status_code != 409:  # only a very fast machine finishes first
        assert client.get(f"/v1/plans/{job_id}", headers=HR).json()["status"] == "done"
        return
    assert job_id in document.json()["detail"] and "poll" in document.json()["detail"]


# ----------------------------------------------------------------------------- in process


def _served() -> Any:
    """What a job reads of the generation served when it is queued (the planning itself is
    replaced in these tests): the model versions."""
    return SimpleNamespace(versions={"asn-training-recommender": "7"})


def test_jobs_keep_the_last_and_refuse_more_than_the_pending_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def plan(job: plans.PlanJob, step: Any) -> tuple[Any, Any]:
        step("forecasts")
        assert release.wait(60)
        return None, None

    monkeypatch.setattr(plans, "_plan", plan)
    jobs = plans.PlanJobs(max_jobs=3, max_pending=2)
    request = PlanRequest(budget_idr=1e8)
    try:
        first, second = jobs.submit(request, _served()), jobs.submit(request, _served())
        assert first is not None and second is not None
        assert jobs.submit(request, _served()) is None  # two pending already
        release.set()
        deadline = time.monotonic() + 60
        while second.status != "done":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert first.status == "done" and first.stage == "forecasts"
        assert first.served is None  # a finished job lets its generation go
        later = []
        for _ in range(3):
            job = jobs.submit(request, _served())
            assert job is not None
            while job.pending:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            later.append(job)
        assert jobs.get(first.job_id) is None  # the oldest finished ones are dropped
        assert jobs.get(second.job_id) is None
        assert all(jobs.get(job.job_id) is job for job in later)
    finally:
        release.set()
        jobs.close()


def test_a_failed_job_says_why_and_closing_cancels_the_queued(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = threading.Event()
    release = threading.Event()

    def plan(job: plans.PlanJob, step: Any) -> tuple[Any, Any]:
        started.set()
        assert release.wait(60)
        step("plan")  # the server has stopped by now: the job ends here
        raise AssertionError("not reached")

    monkeypatch.setattr(plans, "_plan", plan)
    jobs = plans.PlanJobs()
    request = PlanRequest(budget_idr=1e8)
    running, queued = jobs.submit(request, _served()), jobs.submit(request, _served())
    assert running is not None and queued is not None
    assert started.wait(60)
    jobs.close()
    release.set()
    assert queued.status == "cancelled" and queued.error
    deadline = time.monotonic() + 60
    while running.status == "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert running.status == "cancelled" and "stopped" in (running.error or "")

    def broken(job: plans.PlanJob, step: Any) -> tuple[Any, Any]:
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(plans, "_plan", broken)
    jobs = plans.PlanJobs()
    failed = jobs.submit(request, _served())
    assert failed is not None
    while failed.pending:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    jobs.close()
    answer = failed.answer()
    assert answer.status == "failed" and "solver exploded" in (answer.error or "")
    assert answer.result is None


def test_mandatory_trainings_are_funded_and_the_service_forecast_answered(
    api: tuple, small_world: Path
) -> None:
    client, _ = api
    agency = _smallest_agency(small_world)
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    nip = employees.loc[
        (employees["agency"] == agency) & (employees["active"] == "true"), "nip"
    ].iat[0]
    catalog = pd.read_csv(small_world / "trainings.csv", dtype=str)
    klasikal = catalog[(catalog["modality"] == "klasikal") & (catalog["active"] == "true")]
    course = klasikal.sort_values("cost_idr", key=lambda c: c.astype(float))["training_id"].iat[0]
    body = {
        "budget_idr": 2e8,
        "agency": agency,
        "curve": False,
        "mandatory": [{"nip": nip, "training_id": course}],
    }
    started = client.post("/v1/plans", json=body, headers=HR)
    assert started.status_code == 202, started.text
    job = _wait(client, started.json()["poll"])
    assert job["status"] == "done", job
    csv = client.get(f"/v1/plans/{job['job_id']}/document", params={"format": "csv"}, headers=HR)
    assert csv.status_code == 200
    items = pd.read_csv(io.StringIO(csv.text), dtype=str)
    assert ((items.iloc[:, :10] == nip).any(axis=1) & (items == course).any(axis=1)).any()
    service = job["result"]["service"]
    assert service and {u["unit"] for u in service} == {u["unit"] for u in job["result"]["units"]}
    known = [u for u in service if u["satisfaction_change"] is not None]
    assert known and all(
        u["satisfaction_lower"] <= u["satisfaction_change"] <= u["satisfaction_upper"]
        for u in known
    )
