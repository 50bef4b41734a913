"""The API over real HTTP: uvicorn on a free loopback port, models from an exported bundle."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from serving.core.config import ServingSettings
from serving.main import create_app
from tests.serving.server import PORTAL, RELOAD_TIMEOUT, key, serve, settings_for


@pytest.fixture(scope="module")
def api(
    bundle: Path, small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, ServingSettings]]:
    # the 429 test below uses the widget's limit: a burst of 10, then one a minute (so no
    # token comes back while it asks, however slow the machine)
    settings = settings_for(
        small_world,
        bundle,
        tmp_path_factory.mktemp("audit") / "audit.jsonl",
        max_k=10,
        rate_limit_per_minute=100_000,
        widget_rate_per_minute=1,
    )
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client, settings


def _junior(small_world: Path) -> str:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    junior = (employees["active"] == "true") & (employees["position_type"] == "pelaksana")
    return str(employees.loc[junior, "nip"].iloc[0])


def _inactive(small_world: Path) -> str:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    return str(employees.loc[employees["active"] == "false", "nip"].iloc[0])


def test_health_and_models(api: tuple) -> None:
    client, _ = api
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert client.get("/v1/models").status_code == 401
    models = client.get("/v1/models", headers=key("analis")).json()
    assert models["versions"] == {"asn-training-recommender": "1", "asn-mentor-recommender": "1"}


def test_trainings_and_mentors_with_audit(api: tuple, small_world: Path) -> None:
    client, settings = api
    nip = _junior(small_world)
    got = client.get(f"/v1/employees/{nip}/trainings", params={"k": 3}, headers=key("hr-bkpsdm"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["nip"] == nip and 0 < len(body["items"]) <= 3
    assert [i["rank"] for i in body["items"]] == list(range(1, len(body["items"]) + 1))
    assert "SKP" in body["items"][0]["reason"]
    english = client.get(
        f"/v1/employees/{nip}/mentors", params={"lang": "en"}, headers=key("analis")
    ).json()
    assert english["items"] and "forecast SKP gain" in english["items"][0]["reason"]
    assert all(item["mentor_nip"] != nip for item in english["items"])
    records = [json.loads(line) for line in settings.audit_log.read_text().splitlines()]
    assert {
        "caller": "hr-bkpsdm",
        "nip": nip,
        "action": "trainings",
        "model": "asn-training-recommender=1",
    }.items() <= (records[-2].items())
    assert records[-1]["caller"] == "analis" and records[-1]["action"] == "mentors"


def test_fast_path_and_fastapi_route_give_the_same_answers(api: tuple, small_world: Path) -> None:
    # an Origin header sends a read through FastAPI's route instead of the fast path
    client, settings = api
    nip = _junior(small_world)
    for kind, query in [
        ("trainings", ""),
        ("trainings", "?k=10&lang=en"),
        ("mentors", "?k=2"),
        ("mentors", "?lang=en"),
    ]:
        url = f"/v1/employees/{nip}/{kind}{query}"
        fast = client.get(url, headers=key("analis"))
        routed = client.get(url, headers={**key("analis"), "Origin": "http://elsewhere.example"})
        assert fast.status_code == routed.status_code == 200
        assert fast.json() == routed.json() and fast.json()["items"]
        assert fast.headers["content-type"] == routed.headers["content-type"]
    records = settings.audit_log.read_text().splitlines()[-2:]
    assert [json.loads(r)["action"] for r in records] == ["mentors", "mentors"]
    assert json.loads(records[0])["model"] == json.loads(records[1])["model"]


def test_fast_path_reads_only_valid_queries() -> None:
    from serving.middleware.fast_reads import _params

    assert _params(b"", 5, 10) == (5, "id")
    assert _params(b"k=10&lang=en", 5, 10) == (10, "en")
    for bad in (b"k=11", b"k=0", b"k=-1", b"k=x", b"lang=fr", b"k=2&k=3", b"other=1", b"k="):
        assert _params(bad, 5, 10) is None, bad


def test_errors_are_clear_json(api: tuple, small_world: Path) -> None:
    client, _ = api
    nip = _junior(small_world)
    cases = [
        ("/v1/employees/199901012020011999/trainings", key("hr-bkpsdm"), 404),
        ("/v1/employees/12345/trainings", key("hr-bkpsdm"), 422),
        (f"/v1/employees/{nip}/trainings?k=11", key("hr-bkpsdm"), 422),
        (f"/v1/employees/{nip}/trainings?lang=fr", key("hr-bkpsdm"), 422),
        (f"/v1/employees/{nip}/trainings", {}, 401),
        (f"/v1/employees/{nip}/trainings", {"X-API-Key": "demo-hr-key"}, 401),  # not demo mode
        (f"/v1/employees/{nip}/mentors", key("portal"), 403),
    ]
    for url, headers, code in cases:
        response = client.get(url, headers=headers)
        assert response.status_code == code, (url, response.text)
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    too_many = client.get(f"/v1/employees/{nip}/trainings?k=11", headers=key("hr-bkpsdm")).json()
    assert too_many["errors"] == [
        {"field": "query.k", "message": "Input should be less than or equal to 10"}
    ]
    assert too_many["detail"].startswith("query.k: ")
    retired = _inactive(small_world)
    for kind in ("trainings", "mentors"):
        answer = client.get(f"/v1/employees/{retired}/{kind}", headers=key("hr-bkpsdm"))
        assert answer.status_code == 422 and "not an active employee" in answer.json()["detail"]


def test_body_over_the_limit_is_413(api: tuple, small_world: Path) -> None:
    client, settings = api
    nip = _junior(small_world)
    huge = {"nip": nip, "training_ids": ["X" * 60] * 2000}  # ~130 kB > 64 kB
    response = client.post("/v1/forecasts", json=huge, headers=key("analis"))
    assert response.status_code == 413
    assert f"{settings.max_body_bytes} bytes" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield b'{"nip": "%s", "training_ids": [' % nip.encode()
        for _ in range(2000):
            yield b'"' + b"X" * 60 + b'",'
        yield b'"X"]}'

    streamed = client.post(
        "/v1/forecasts",
        content=chunks(),
        headers={**key("analis"), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413


def test_too_many_widget_requests_is_429(api: tuple, small_world: Path) -> None:
    client, _ = api
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    nip = employees.loc[employees["active"] == "true", "nip"].iloc[-1]
    token = client.post(
        "/v1/widget-tokens", json={"nip": nip, "origin": PORTAL}, headers=key("portal")
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Origin": PORTAL}
    codes = [client.get("/v1/widget/suggestions", headers=headers).status_code for _ in range(12)]
    assert codes[:10] == [200] * 10  # a burst of 10 is allowed
    assert codes[10:] == [429, 429]
    limited = client.get("/v1/widget/suggestions", headers=headers)
    assert int(limited.headers["Retry-After"]) >= 1
    assert "too many" in limited.json()["detail"]


def test_what_if_forecasts(api: tuple, small_world: Path) -> None:
    client, _ = api
    nip = _junior(small_world)
    trainings = pd.read_csv(small_world / "trainings.csv", dtype=str)["training_id"].head(3)
    mentor = client.get(f"/v1/employees/{nip}/mentors", headers=key("hr-bkpsdm")).json()
    mentor_nip = mentor["items"][0]["mentor_nip"]
    body = {"nip": nip, "training_ids": trainings.tolist(), "mentor_nip": mentor_nip}
    got = client.post("/v1/forecasts", json=body, headers=key("analis"))
    assert got.status_code == 200, got.text
    answer = got.json()
    assert [t["training_id"] for t in answer["trainings"]] == trainings.tolist()
    for item in [*answer["trainings"], answer["mentor"]]:
        assert item["gain_lower"] <= item["expected_gain"] <= item["gain_upper"]
    # the what-if for the top mentor is the same forecast as the recommendation
    assert abs(answer["mentor"]["expected_gain"] - mentor["items"][0]["expected_gain"]) < 1e-6
    for bad, code in (
        ({"nip": nip}, 422),
        ({"nip": nip, "training_ids": ["NOPE-1"]}, 422),
        ({"nip": nip, "mentor_nip": "199901012020011999"}, 404),
        ({"nip": "199901012020011999", "training_ids": trainings.tolist()}, 404),
    ):
        response = client.post("/v1/forecasts", json=bad, headers=key("analis"))
        assert response.status_code == code, (bad, response.text)
    assert client.post("/v1/forecasts", json=body, headers=key("portal")).status_code == 403


def test_places_in_the_plan_are_served_only_from_the_store(api: tuple, small_world: Path) -> None:
    client, _ = api
    got = client.get(f"/v1/employees/{_junior(small_world)}/plan", headers=key("analis"))
    assert got.status_code == 409
    assert "served from the recommendation store" in got.json()["detail"]
    assert "RECSYS_API_STORE" in got.json()["detail"]


def test_batch_for_hr_only(api: tuple, small_world: Path) -> None:
    client, _ = api
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    nips = employees.loc[employees["active"] == "true", "nip"].head(5).tolist()
    got = client.post(
        "/v1/recommendations:batch", json={"nips": nips, "k": 2}, headers=key("hr-bkpsdm")
    )
    assert got.status_code == 200, got.text
    results = got.json()["results"]
    assert [r["nip"] for r in results] == nips
    assert all(len(r["trainings"]) <= 2 and len(r["mentors"]) <= 2 for r in results)
    assert any(r["trainings"] for r in results)
    denied = client.post("/v1/recommendations:batch", json={"nips": nips}, headers=key("analis"))
    assert denied.status_code == 403
    unknown = client.post(
        "/v1/recommendations:batch",
        json={"nips": [*nips, "199901012020011999"]},
        headers=key("hr-bkpsdm"),
    )
    assert unknown.status_code == 404 and "199901012020011999" in unknown.json()["detail"]
    too_many = client.post(
        "/v1/recommendations:batch", json={"nips": nips * 41}, headers=key("hr-bkpsdm")
    )
    assert too_many.status_code == 422
    big_k = client.post(
        "/v1/recommendations:batch", json={"nips": nips, "k": 11}, headers=key("hr-bkpsdm")
    )
    assert big_k.status_code == 422
    assert big_k.json()["errors"] == [
        {"field": "body.k", "message": "Input should be less than or equal to 10"}
    ]


def test_reload_swaps_and_a_failed_reload_keeps_serving(api: tuple) -> None:
    client, settings = api
    before = client.get("/v1/models", headers=key("hr-bkpsdm")).json()
    assert client.post("/v1/admin/reload", headers=key("analis")).status_code == 403
    fresh = client.post("/v1/admin/reload", headers=key("hr-bkpsdm"), timeout=RELOAD_TIMEOUT)
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["versions"] == before["versions"]
    assert fresh.json()["loaded_at"] > before["loaded_at"]
    good = settings.bundle
    settings.bundle = good.parent / "no-such-bundle"  # the next load cannot succeed
    try:
        failed = client.post("/v1/admin/reload", headers=key("hr-bkpsdm"), timeout=RELOAD_TIMEOUT)
        assert failed.status_code == 500 and "still serving" in failed.json()["detail"]
        assert client.get("/readyz").status_code == 200
        still = client.get("/v1/models", headers=key("hr-bkpsdm")).json()
        assert still["loaded_at"] == fresh.json()["loaded_at"]
    finally:
        settings.bundle = good


def test_widget_token_and_suggestions(api: tuple, small_world: Path) -> None:
    from serving.access.widget_tokens import mint

    client, settings = api
    nip = _junior(small_world)
    minted = client.post(
        "/v1/widget-tokens", json={"nip": nip, "origin": PORTAL}, headers=key("portal")
    )
    assert minted.status_code == 200, minted.text
    token = minted.json()["token"]
    assert minted.json()["expires_at"] - time.time() <= 600
    got = client.get(
        "/v1/widget/suggestions",
        headers={"Authorization": f"Bearer {token}", "Origin": PORTAL},
    )
    assert got.status_code == 200, got.text
    assert got.headers["access-control-allow-origin"] == PORTAL
    body = got.json()
    assert body["trainings"] and body["lang"] == "id"
    # nothing about any other person, no NIP at all, no raw scores
    assert not re.search(r"\d{18}", got.text)
    assert "score" not in got.text
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    expired = mint(settings.signing_key, nip, PORTAL, 10, now=time.time() - 3600)
    for headers, code in (
        ({"Authorization": f"Bearer {forged}", "Origin": PORTAL}, 401),
        ({"Authorization": f"Bearer {expired}", "Origin": PORTAL}, 401),
        ({"Origin": PORTAL}, 401),
        ({"Authorization": f"Bearer {token}", "Origin": "http://evil.example"}, 403),
    ):
        response = client.get("/v1/widget/suggestions", headers=headers)
        assert response.status_code == code, (headers, response.text)
    assert (
        client.post(
            "/v1/widget-tokens", json={"nip": nip, "origin": PORTAL}, headers=key("analis")
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/v1/widget-tokens",
            json={"nip": nip, "origin": "http://evil.example"},
            headers=key("portal"),
        ).status_code
        == 403
    )
    # a portal taken off the allow-list: its tokens stop working at once
    other = "http://old-portal.example.go.id"
    settings.widget_origins.append(other)
    try:
        old_token = client.post(
            "/v1/widget-tokens", json={"nip": nip, "origin": other}, headers=key("portal")
        ).json()["token"]
    finally:
        settings.widget_origins.remove(other)
    removed = client.get(
        "/v1/widget/suggestions", headers={"Authorization": f"Bearer {old_token}", "Origin": other}
    )
    assert removed.status_code == 403 and "no longer allowed" in removed.json()["detail"]


def test_training_lists_are_marginal_with_their_gain_and_ranker(
    api: tuple, small_world: Path
) -> None:
    from recsys.models.selection import RANKERS

    client, _ = api
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    nips = employees.loc[employees["active"] == "true", "nip"].head(8).tolist()
    rankers = set()
    for nip in nips:
        for k in (2, 10):
            body = client.get(
                f"/v1/employees/{nip}/trainings", params={"k": k}, headers=key("analis")
            ).json()
            items = body["items"]
            rankers.add(body["ranker"])
            # the whole list's gain: its items' marginal gains added up, for any k
            assert body["list_gain"] == sum(i["expected_gain"] for i in items)
            titles = [i["title"] for i in items]
            assert len(set(titles)) == len(titles), "the same course twice in one list"
            for item in items:
                assert item["gain_lower"] <= item["expected_gain"] <= item["gain_upper"]
                # a share (0 to 1) of what it would gain alone
                assert abs(item["expected_gain"]) <= abs(item["gain_alone"]) + 1e-9
            if items:
                assert items[0]["expected_gain"] == items[0]["gain_alone"]
    (ranker,) = rankers
    assert ranker in RANKERS
    # a longer list starts with the shorter one, and its ranker is in the top item's reason
    nip = nips[0]
    short, long = (
        client.get(
            f"/v1/employees/{nip}/trainings", params={"k": k, "lang": "en"}, headers=key("analis")
        ).json()["items"]
        for k in (2, 10)
    )
    assert long[:2] == short
    assert "ranked by" in long[0]["reason"]
    assert not any("ranked by" in item["reason"] for item in long[1:])
    # the batch says the same
    got = client.post(
        "/v1/recommendations:batch", json={"nips": nips, "k": 3}, headers=key("hr-bkpsdm")
    ).json()
    assert got["training_ranker"] == ranker
    for result in got["results"]:
        gains = [i["expected_gain"] for i in result["trainings"]]
        assert result["training_list_gain"] == sum(gains)
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"ranker", "list_gain"} <= set(schema["TrainingList"]["required"])
    assert "gain_alone" in schema["TrainingItem"]["required"]


def test_the_widget_shows_the_top_of_the_marginal_list(api: tuple, small_world: Path) -> None:
    client, _ = api
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    nip = employees.loc[employees["active"] == "true", "nip"].iloc[-2]
    token = client.post(
        "/v1/widget-tokens", json={"nip": nip, "origin": PORTAL}, headers=key("portal")
    ).json()["token"]
    widget = client.get(
        "/v1/widget/suggestions", headers={"Authorization": f"Bearer {token}", "Origin": PORTAL}
    ).json()
    listed = client.get(
        f"/v1/employees/{nip}/trainings", params={"k": 3}, headers=key("analis")
    ).json()["items"]
    titles = [t["title"] for t in widget["trainings"]]
    assert titles and len(set(titles)) == len(titles)
    assert titles == [i["title"] for i in listed]


def test_mentor_lists_follow_the_agencys_capacity_respecting_matching(
    api: tuple, small_world: Path
) -> None:
    from recsys.data import load_dataset
    from recsys.data.snapshot import latest_date
    from recsys.models.mentors.policy import ongoing_mentorships
    from recsys.settings import get_settings

    client, _ = api
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    active = employees.loc[employees["active"] == "true", "nip"].tolist()
    results = []
    for start in range(0, len(active), 200):  # everybody, in batches
        got = client.post(
            "/v1/recommendations:batch",
            json={"nips": active[start : start + 200], "k": 3},
            headers=key("hr-bkpsdm"),
        )
        assert got.status_code == 200, got.text
        results += got.json()["results"]
    first = pd.DataFrame([{"nip": r["nip"], **r["mentors"][0]} for r in results if r["mentors"]])
    assert len(first) > len(active) / 2
    assert set(first["status"]) == {"assigned"}  # a first suggestion is the matching's
    # following every first suggestion keeps each mentor within capacity, ongoing
    # mentorships counted (the default policy's capacity: no policy file in these tests)
    ds = load_dataset(small_world)
    mentors = first["mentor_nip"].value_counts()
    ongoing = ongoing_mentorships(ds, mentors.index, latest_date(ds))
    assert ongoing.sum() > 0, "the small world must have ongoing mentorships for this check"
    assert (
        mentors + ongoing.reindex(mentors.index).to_numpy()
    ).max() <= get_settings().mentor_capacity
    for r in results:
        assert [m["status"] for m in r["mentors"][1:]] == ["alternative"] * (len(r["mentors"]) - 1)
    # a person the matching leaves out is told why, in either language
    full = [r["nip"] for r in results if not r["mentors"]]
    assert full, "the default capacity leaves some of the small world's staff out"
    for nip in full[:3]:
        body = client.get(f"/v1/employees/{nip}/mentors", headers=key("analis")).json()
        assert body["items"] == []
        assert body["unassigned"]["code"] in {"no_candidates", "no_positive_gain", "capacity"}
        english = client.get(
            f"/v1/employees/{nip}/mentors", params={"lang": "en"}, headers=key("analis")
        ).json()
        assert body["unassigned"]["code"] == english["unassigned"]["code"]
        assert body["unassigned"]["reason"] != english["unassigned"]["reason"]
    reasons = {
        client.get(
            f"/v1/employees/{nip}/mentors", params={"lang": "en"}, headers=key("analis")
        ).json()["unassigned"]["reason"]
        for nip in full[:40]
    }
    assert (
        "Every candidate mentor is full: with ongoing mentorships or with mentees forecast "
        "to gain more." in reasons
    )
    # someone with a mentor: no reason, the assigned mentor first and said to be the pair
    nip = first["nip"].iloc[0]
    body = client.get(f"/v1/employees/{nip}/mentors", headers=key("analis")).json()
    assert body["unassigned"] is None
    assert body["items"][0]["status"] == "assigned"
    assert "pencocokan mentor instansi" in body["items"][0]["reason"]
    # the widget of someone left out says why, and names no one
    token = client.post(
        "/v1/widget-tokens", json={"nip": full[0], "origin": PORTAL}, headers=key("portal")
    ).json()["token"]
    widget = client.get(
        "/v1/widget/suggestions", headers={"Authorization": f"Bearer {token}", "Origin": PORTAL}
    ).json()
    assert widget["mentor"] is None and widget["no_mentor_reason"]
