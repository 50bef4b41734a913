"""A reload while clients keep asking: every request is answered, by the old generation
or the new one, never an error.

Nothing here depends on speed: the clients keep asking until the reloads are over, and
"during the reload" is what the server's own state says (a load under way, the same
generation before and after the request), not a count of requests in a time window.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pandas as pd

from serving.main import create_app
from tests.serving.server import RELOAD_TIMEOUT, key, serve, settings_for

CLIENTS = 6
RELOADS = 2


def test_reload_under_concurrent_requests_drops_none(
    bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    settings = settings_for(
        small_world, bundle, tmp_path / "audit.jsonl", rate_limit_per_minute=1_000_000
    )
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    nips = employees.loc[employees["active"] == "true", "nip"].head(200).tolist()
    app = create_app(settings)
    state = app.state.state
    answers: list[tuple[int, str]] = []  # (status, body)
    during: list[int] = []  # statuses of requests answered wholly inside a reload
    failures: list[BaseException] = []
    stop = threading.Event()

    def client(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=RELOAD_TIMEOUT) as http:
            i = offset
            while not stop.is_set():
                nip = nips[i % len(nips)]
                kind = "trainings" if i % 2 else "mentors"
                loading, generation = state.reloading, state.current
                try:
                    got = http.get(f"/v1/employees/{nip}/{kind}", headers=key("analis"))
                except httpx.HTTPError as exc:  # a dropped connection is a failure
                    failures.append(exc)
                    continue
                answers.append((got.status_code, got.text))
                if loading and state.reloading and state.current is generation:
                    during.append(got.status_code)
                i += CLIENTS

    with serve(app) as url:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            with httpx.Client(base_url=url, timeout=RELOAD_TIMEOUT) as admin:
                before = admin.get("/v1/models", headers=key("hr-bkpsdm")).json()["loaded_at"]
                for _ in range(RELOADS):
                    reloaded = admin.post("/v1/admin/reload", headers=key("hr-bkpsdm"))
                    assert reloaded.status_code == 200, reloaded.text
                after = admin.get("/v1/models", headers=key("hr-bkpsdm")).json()["loaded_at"]
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=RELOAD_TIMEOUT)
    assert after > before  # the new generation is being served
    assert not failures, failures[:3]
    assert answers and {status for status, _ in answers} == {200}, [
        a for a in answers if a[0] != 200
    ][:3]
    assert during, "no request was answered while a reload was under way"
    assert set(during) == {200}
    assert all('"items":[' in body for _, body in answers)
