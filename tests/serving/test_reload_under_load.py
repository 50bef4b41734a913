"""A reload while clients keep asking: every request is answered, by the old generation
or the new one, never an error."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pandas as pd

from serving.app import create_app
from tests.serving.server import key, serve, settings_for

CLIENTS = 6


def test_reload_under_concurrent_requests_drops_none(
    bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    settings = settings_for(
        small_world, bundle, tmp_path / "audit.jsonl", rate_limit_per_minute=1_000_000
    )
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    nips = employees.loc[employees["active"] == "true", "nip"].head(200).tolist()
    answers: list[tuple[float, int, str]] = []  # (at, status, body)
    failures: list[BaseException] = []
    stop = threading.Event()

    def client(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            i = offset
            while not stop.is_set():
                nip = nips[i % len(nips)]
                kind = "trainings" if i % 2 else "mentors"
                try:
                    got = http.get(f"/v1/employees/{nip}/{kind}", headers=key("analis"))
                except httpx.HTTPError as exc:  # a dropped connection is a failure
                    failures.append(exc)
                    continue
                answers.append((time.monotonic(), got.status_code, got.text))
                i += CLIENTS

    with serve(create_app(settings)) as url:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        with httpx.Client(base_url=url, timeout=300) as admin:
            before = admin.get("/v1/models", headers=key("hr-bkpsdm")).json()["loaded_at"]
            windows = []
            for _ in range(2):
                started = time.monotonic()
                reloaded = admin.post("/v1/admin/reload", headers=key("hr-bkpsdm"))
                windows.append((started, time.monotonic()))
                assert reloaded.status_code == 200, reloaded.text
            after = admin.get("/v1/models", headers=key("hr-bkpsdm")).json()["loaded_at"]
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert after > before  # the new generation is being served
    assert not failures, failures[:3]
    assert {status for _, status, _ in answers} == {200}, [a for a in answers if a[1] != 200][:3]
    during = [a for a in answers if any(start <= a[0] <= end for start, end in windows)]
    assert len(during) >= 20, f"only {len(during)} requests landed during the reloads"
    assert all('"items":[' in body for _, _, body in answers)
