"""Serving tests' shared pieces: a model bundle trained on the small world, and a real
uvicorn server on a free loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from serving.access.api_keys import hash_key
from serving.core.config import ApiKey, Role, ServingSettings

KEYS: dict[str, tuple[str, Role]] = {
    "hr-bkpsdm": ("s3cret-hr", "hr"),
    "analis": ("s3cret-an", "analyst"),
    "portal": ("s3cret-po", "portal"),
}
PORTAL = "http://portal.example.go.id"
#: Seconds training both models on the small world may take on a loaded 2-core machine.
TRAIN_TIMEOUT = 1800
#: Seconds a test server may take to load its models on a loaded 2-core machine.
STARTUP_TIMEOUT = 900
#: Seconds a reload may take there (it recomputes everybody's answers).
RELOAD_TIMEOUT = 900
#: The widget-token secret of the test servers (outside demo mode one must be set).
TOKEN_SECRET = "tests-only-widget-signing-secret-0123456789"


def key(name: str) -> dict[str, str]:
    """The header carrying test key ``name``."""
    return {"X-API-Key": KEYS[name][0]}


def train_bundle(world: Path, root: Path) -> Path:
    """Train both models on ``world`` with the CLI and export them to ``root/models``."""
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'tracking.db'}", "RECSYS_LANG": "en"}
    for args in (["train", "--data", str(world)], ["export", "--out", str(root / "models")]):
        done = subprocess.run(
            [sys.executable, "-m", "recsys", *args],
            capture_output=True,
            text=True,
            cwd=root,
            env={**_without_settings(), **env},
            timeout=TRAIN_TIMEOUT,
        )
        assert done.returncode == 0, done.stderr
    return root / "models"


#: Logs plans with the real planner and MLflow store (argv: world, bundle, then a JSON
#: list of [agency or null, budget IDR, most JP per person]); prints the run ids as JSON,
#: and last the id of a run that is not a plan.
PLANS_SCRIPT = """
import json, sys
import mlflow
from recsys.data import load_dataset
from recsys.planning.agency_program import plan_program
from recsys.planning.program import PlanLimits
from recsys.tracking.bundle import load_bundle
from recsys.tracking.plans import log_plan

world, bundle, specs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
dataset, models = load_dataset(world), load_bundle(bundle)
runs = []
for agency, budget, max_jp in specs:
    limits = PlanLimits(budget_idr=budget, max_jp_per_person=max_jp)
    program = plan_program(
        dataset, models.trainings, limits, agency=agency, curve=False, baselines=False
    )
    runs.append(log_plan(program, data=world))
mlflow.set_experiment("something-else")
with mlflow.start_run() as other:
    mlflow.log_param("year", 2026)
print(json.dumps([*runs, other.info.run_id]))
"""


def log_plans(
    world: Path, bundle: Path, tracking_uri: str, specs: list[tuple[str | None, float, float]]
) -> list[str]:
    """Plan with the real planner and log each plan to the MLflow store at
    ``tracking_uri`` as ``recsys plan`` does (``specs``: agency or None for every agency,
    budget IDR, most JP per person); returns the plans' run ids, then the id of a run that
    is not a plan."""
    done = subprocess.run(
        [sys.executable, "-c", PLANS_SCRIPT, str(world), str(bundle), json.dumps(specs)],
        capture_output=True,
        text=True,
        env={**_without_settings(), "MLFLOW_TRACKING_URI": tracking_uri},
        timeout=TRAIN_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.splitlines()[-1]))


def score_into(
    world: Path, bundle: Path, url: str, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``recsys score`` as an operator runs it (``env``: more environment, e.g. the MLflow
    store its plans are in)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "recsys",
            "score",
            "--data",
            str(world),
            "--bundle",
            str(bundle),
            "--store",
            url,
            "--lang",
            "en",
            *extra,
        ],
        capture_output=True,
        text=True,
        env={**_without_settings(), "RECSYS_LANG": "en", **(env or {})},
        cwd=world.parent,  # not the project's folder: its embedded MLflow store has no say
        timeout=TRAIN_TIMEOUT,
    )


def _without_settings() -> dict[str, str]:
    """This process's environment without any ``RECSYS_`` setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith("RECSYS_")}


def settings_for(world: Path, bundle: Path, audit: Path, **extra: Any) -> ServingSettings:
    """Settings serving ``bundle`` over ``world`` with the test keys."""
    values: dict[str, Any] = {
        "data": str(world),
        "bundle": bundle,
        "keys": {n: ApiKey(sha256=hash_key(s), role=r) for n, (s, r) in KEYS.items()},
        "audit_log": audit,
        "widget_origins": [PORTAL],
        "token_secret": TOKEN_SECRET,
    }
    values.update(extra)
    return ServingSettings(**values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Any, port: int | None = None, ready: str = "/readyz") -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread until ``ready`` answers 200; yield its URL.

    The listening socket is bound here and handed to uvicorn: a port found free and bound
    later could be taken in between by another test worker (``address already in use``)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(base_url=url, timeout=60) as client:
        while True:
            try:
                if client.get(ready).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                server.should_exit = True
                raise RuntimeError(f"the server at {url} did not become ready")
            time.sleep(0.2)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
