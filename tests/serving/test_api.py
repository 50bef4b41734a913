"""The API over real HTTP: uvicorn on a free loopback port, models from an exported bundle."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
import uvicorn

from serving.app import create_app
from serving.auth import hash_key
from serving.settings import ApiKey, Role, ServingSettings
from tests.test_cli import run

KEYS: dict[str, tuple[str, Role]] = {
    "hr-bkpsdm": ("s3cret-hr", "hr"),
    "analis": ("s3cret-an", "analyst"),
    "portal": ("s3cret-po", "portal"),
}


@pytest.fixture(scope="module")
def bundle(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("api")
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'tracking.db'}", "RECSYS_LANG": "en"}
    trained = run("train", "--data", str(small_world), cwd=root, env=env)
    assert trained.returncode == 0, trained.stderr
    exported = run("export", "--out", str(root / "models"), cwd=root, env=env)
    assert exported.returncode == 0, exported.stderr
    return root / "models"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def api(
    bundle: Path, small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, ServingSettings]]:
    settings = ServingSettings(
        data=str(small_world),
        bundle=bundle,
        keys={name: ApiKey(sha256=hash_key(key), role=role) for name, (key, role) in KEYS.items()},
        audit_log=tmp_path_factory.mktemp("audit") / "audit.jsonl",
        max_k=10,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        while time.monotonic() < deadline:
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the API did not become ready")
        yield client, settings
    server.should_exit = True
    thread.join(timeout=30)


def _key(name: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[name][0]}


def _junior(small_world: Path) -> str:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    junior = (employees["active"] == "true") & (employees["position_type"] == "pelaksana")
    return str(employees.loc[junior, "nip"].iloc[0])


def test_health_and_models(api: tuple) -> None:
    client, _ = api
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert client.get("/v1/models").status_code == 401
    models = client.get("/v1/models", headers=_key("analis")).json()
    assert models["versions"] == {"asn-training-recommender": "1", "asn-mentor-recommender": "1"}


def test_trainings_and_mentors_with_audit(api: tuple, small_world: Path) -> None:
    client, settings = api
    nip = _junior(small_world)
    got = client.get(f"/v1/employees/{nip}/trainings", params={"k": 3}, headers=_key("hr-bkpsdm"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["nip"] == nip and 0 < len(body["items"]) <= 3
    assert [i["rank"] for i in body["items"]] == list(range(1, len(body["items"]) + 1))
    assert "SKP" in body["items"][0]["reason"]
    english = client.get(
        f"/v1/employees/{nip}/mentors", params={"lang": "en"}, headers=_key("analis")
    ).json()
    assert english["items"] and "forecast SKP gain" in english["items"][0]["reason"]
    assert all(item["mentor_nip"] != nip for item in english["items"])
    records = [json.loads(line) for line in settings.audit_log.read_text().splitlines()]
    assert {"caller": "hr-bkpsdm", "nip": nip, "action": "trainings", "model": "1"}.items() <= (
        records[-2].items()
    )
    assert records[-1]["caller"] == "analis" and records[-1]["action"] == "mentors"


def test_errors_are_clear_json(api: tuple, small_world: Path) -> None:
    client, _ = api
    nip = _junior(small_world)
    cases = [
        ("/v1/employees/199901012020011999/trainings", _key("hr-bkpsdm"), 404),
        ("/v1/employees/12345/trainings", _key("hr-bkpsdm"), 422),
        (f"/v1/employees/{nip}/trainings?k=11", _key("hr-bkpsdm"), 422),
        (f"/v1/employees/{nip}/trainings?lang=fr", _key("hr-bkpsdm"), 422),
        (f"/v1/employees/{nip}/trainings", {}, 401),
        (f"/v1/employees/{nip}/trainings", {"X-API-Key": "demo-hr-key"}, 401),  # not demo mode
        (f"/v1/employees/{nip}/mentors", _key("portal"), 403),
    ]
    for url, headers, code in cases:
        response = client.get(url, headers=headers)
        assert response.status_code == code, (url, response.text)
        assert "detail" in response.json()
