"""`python -m serving`: the demo (the API and the demo portal on their own ports, with the
URLs printed once everything is ready, what `make demo` ends with), and the API alone,
which needs a widget-token secret and applies the library's settings to the models it
serves."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd
import pytest

from serving.access.api_keys import hash_key
from tests.serving.server import KEYS, STARTUP_TIMEOUT, TOKEN_SECRET, free_port, key, score_into

ROOT = Path(__file__).resolve().parents[2]


def _environment(**extra: str) -> dict[str, str]:
    """This process's environment without any API setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECSYS_API_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


@contextmanager
def launched(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[str]:
    """Run ``python -m serving`` with ``args`` until it says how to stop it; yield what it
    printed, then stop it with Ctrl+C, which must end it cleanly."""
    process = subprocess.Popen(
        [sys.executable, "-m", "serving", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        yield "".join(lines)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
    assert process.returncode == 0, "".join(lines)


def test_demo_launcher_serves_api_docs_and_portal(
    bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    api, portal = free_port(), free_port()
    env = _environment(
        RECSYS_DEMO_DIR=str(small_world),
        MLFLOW_TRACKING_URI=f"sqlite:///{bundle.parent / 'tracking.db'}",
    )
    args = ["--demo", "--port", str(api), "--portal-port", str(portal), "--lang", "en"]
    with launched(args, env, tmp_path) as output:
        assert f"API documentation (OpenAPI): http://127.0.0.1:{api}/docs" in output, output
        assert f"Demo portal page (widget): http://127.0.0.1:{portal}/" in output, output
        assert "demo-hr-key (hr)" in output
        # demo mode makes up a token secret, and says so
        assert "RECSYS_API_TOKEN_SECRET is not set" in output and "random" in output
        with httpx.Client(timeout=60) as client:
            assert client.get(f"http://127.0.0.1:{api}/docs").status_code == 200
            page = client.get(f"http://127.0.0.1:{portal}/")
            assert page.status_code == 200 and "<asn-suggestions" in page.text
            assert f'src="http://127.0.0.1:{api}/widget.js"' in page.text
            script = client.get(f"http://127.0.0.1:{api}/widget.js")
            assert "customElements.define" in script.text
        audit = (tmp_path / "reports" / "audit.jsonl").read_text()
        assert '"caller": "demo-portal"' in audit and "widget-token@http://127.0.0.1" in audit


def test_demo_launcher_serves_the_store_recsys_demo_scored(
    bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'store' / 'recommendations.db'}"
    scored = score_into(small_world, bundle, url)
    assert scored.returncode == 0, scored.stderr
    api, portal = free_port(), free_port()
    env = _environment(
        RECSYS_DEMO_DIR=str(small_world),
        RECSYS_STORE=url,
        MLFLOW_TRACKING_URI=f"sqlite:///{bundle.parent / 'tracking.db'}",
    )
    args = ["--demo", "--port", str(api), "--portal-port", str(portal), "--lang", "en"]
    with launched(args, env, tmp_path) as output:
        assert f"Reading the recommendations already scored in {url}" in output, output
        assert "Loading the models and computing" not in output
        headers = {"X-API-Key": "demo-hr-key"}
        with httpx.Client(base_url=f"http://127.0.0.1:{api}", timeout=60) as client:
            assert client.get("/v1/models", headers=headers).json()["source"] == (
                "store generation 1"
            )
            page = client.get(f"http://127.0.0.1:{portal}/")
            nip = re.search(r"\b(\d{18})\b", page.text)
            assert nip is not None, page.text
            got = client.get(f"/v1/employees/{nip.group(1)}/trainings", headers=headers)
            assert got.status_code == 200 and got.json()["items"]


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "RECSYS_API_TOKEN_SECRET is not set"),
        ("changeme", "RECSYS_API_TOKEN_SECRET is a placeholder"),
        ("s3cret-but-short-Xy9", "RECSYS_API_TOKEN_SECRET is too short (20 characters"),
    ],
)
def test_without_a_usable_token_secret_the_api_refuses_to_start(
    secret: str | None, problem: str, tmp_path: Path
) -> None:
    env = _environment(**({"RECSYS_API_TOKEN_SECRET": secret} if secret else {}))
    done = subprocess.run(
        [sys.executable, "-m", "serving", "--port", str(free_port()), "--lang", "en"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert "The API's settings (RECSYS_API_* environment variables) are not valid" in done.stderr
    assert problem in done.stderr
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in done.stderr
    assert "Traceback" not in done.stderr


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "serving", "--port", str(port), "--lang", "en"],
            cwd=tmp_path,
            env=_environment(RECSYS_API_TOKEN_SECRET=TOKEN_SECRET),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("allowed", [True, False])
def test_the_api_with_a_secret_serves_and_honours_mentor_allow_supervisor(
    allowed: bool, bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    """``RECSYS_MENTOR_ALLOW_SUPERVISOR`` decides, in the API as in the CLI, whether a
    mentee's direct supervisor may be among their mentors (the bundle's models were trained
    without it)."""
    port = free_port()
    env = _environment(
        RECSYS_API_TOKEN_SECRET=TOKEN_SECRET,
        RECSYS_API_BUNDLE=str(bundle),
        RECSYS_API_DATA=str(small_world),
        RECSYS_API_KEYS=json.dumps(
            {n: {"sha256": hash_key(s), "role": r} for n, (s, r) in KEYS.items()}
        ),
        RECSYS_API_RATE_LIMIT_PER_MINUTE="1000000",
        RECSYS_MENTOR_ALLOW_SUPERVISOR=str(allowed).lower(),
    )
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    staff = employees.loc[employees["active"] == "true"]
    supervisor = dict(zip(staff["nip"], staff["supervisor_nip"], strict=True))
    nips = list(supervisor)
    with launched(["--port", str(port), "--lang", "en"], env, tmp_path) as output:
        assert f"API ready — http://127.0.0.1:{port}" in output, output
        pairs: list[tuple[str, str]] = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            assert client.get("/readyz").status_code == 200
            for start in range(0, len(nips), 200):
                got = client.post(
                    "/v1/recommendations:batch",
                    json={"nips": nips[start : start + 200], "k": 10, "mentors": True},
                    headers=key("hr-bkpsdm"),
                )
                assert got.status_code == 200, got.text
                pairs += [
                    (r["nip"], m["mentor_nip"]) for r in got.json()["results"] for m in r["mentors"]
                ]
    assert pairs
    theirs = [(mentee, mentor) for mentee, mentor in pairs if supervisor[mentee] == mentor]
    if allowed:
        assert theirs, "no mentee was offered their own supervisor although it is allowed"
    else:
        assert not theirs, theirs[:3]
