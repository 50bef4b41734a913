"""A worker serving the recommendation store loads no model, no data frame and no planner
(issue 16: a worker's memory does not depend on the staff's size). The routes that compute
(forecasts, plans, evaluations) import them the first time one of them is asked.

The worker runs in a fresh interpreter, serves real requests over HTTP, then lists its
``sys.modules``: a heavy import put back at the top of any module the app imports fails
here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.serving.server import STARTUP_TIMEOUT, score_into

#: Packages (and parts of recsys) a store-backed worker must not load to serve reads.
HEAVY = (
    "numpy",
    "pandas",
    "scipy",
    "sklearn",
    "lightgbm",
    "mlflow",
    "matplotlib",
    "openpyxl",
    "pyarrow",
    "recsys.data",
    "recsys.features",
    "recsys.models",
    "recsys.planning",
    "recsys.tracking",
    "recsys.evaluation.kirkpatrick",
    "recsys.scoring.answers",
)

#: The worker: the app over the store under uvicorn, asked every kind of store read; prints
#: the answers' status codes and the modules loaded, as JSON.
WORKER = """
import json, sys
from pathlib import Path

import httpx

from serving.main import create_app

helpers, world, bundle, store, audit, nip = sys.argv[1:]
sys.path.insert(0, helpers)  # tests/serving, by path: a site-packages "tests" may shadow ours
from server import PORTAL, key, serve, settings_for

settings = settings_for(Path(world), Path(bundle), Path(audit), store=store)
hr = key("hr-bkpsdm")
with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as client:
    minted = client.post("/v1/widget-tokens", json={"nip": nip, "origin": PORTAL},
                         headers=key("portal"))
    widget = {"Authorization": f"Bearer {minted.json().get('token')}", "Origin": PORTAL}
    answers = {
        "models": client.get("/v1/models", headers=key("analis")),
        "trainings": client.get(f"/v1/employees/{nip}/trainings?k=3", headers=hr),
        "mentors": client.get(f"/v1/employees/{nip}/mentors?lang=en", headers=hr),
        # with an Origin the fast path steps aside: the FastAPI route answers
        "trainings (route)": client.get(
            f"/v1/employees/{nip}/trainings", headers={**hr, "Origin": PORTAL}
        ),
        "unknown NIP": client.get("/v1/employees/199001012020011999/trainings", headers=hr),
        "batch": client.post(
            "/v1/recommendations:batch", json={"nips": [nip], "mentors": True}, headers=hr
        ),
        "widget token": minted,
        "widget": client.get("/v1/widget/suggestions", headers=widget),
        "openapi": client.get("/openapi.json"),
    }
print(json.dumps({
    "status": {what: got.status_code for what, got in answers.items()},
    "modules": sorted(sys.modules),
}))
"""


#: What a store-backed worker must not load to answer what-if forecasts either: MLflow (a
#: bundle's models are read from their pickles), the registry module (training, evaluation,
#: plots), the planner and numba. Issue 16: they made a worker that had forecast ~80 MB larger.
NOT_FOR_FORECASTS = (
    "mlflow",
    "matplotlib",
    "ortools",
    "recsys.tracking.registry",
    "recsys.tracking.pyfunc",
    "recsys.planning",
    # the compiled tree scorer is for batches: a forecast's few pairs are LightGBM's (numba
    # and llvmlite made a worker that had forecast ~100 MB larger)
    "numba",
    "llvmlite",
)

#: The worker: the app over the store, asked a training and a mentor forecast; prints the
#: answers' status codes and the modules loaded, as JSON.
FORECASTING_WORKER = """
import json, sys
from pathlib import Path

import httpx

from serving.main import create_app

helpers, world, bundle, store, audit, nip, mentor, training = sys.argv[1:]
sys.path.insert(0, helpers)
from server import key, serve, settings_for

settings = settings_for(Path(world), Path(bundle), Path(audit), store=store)
with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as client:
    asked = [{"nip": nip, "training_ids": [training]}, {"nip": nip, "mentor_nip": mentor}]
    status = [client.post("/v1/forecasts", json=b, headers=key("analis")).status_code
              for b in asked]
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def _run(script: str, args: list[object]) -> dict[str, Any]:
    """Run a worker ``script`` in a fresh interpreter (no ``RECSYS_`` setting) and return
    what it printed last (JSON)."""
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("RECSYS_")},
        timeout=STARTUP_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.splitlines()[-1]))


def _imported(worker: dict[str, Any], packages: Iterable[str]) -> list[str]:
    """Which of ``packages`` the worker had imported (the package or any module of it)."""
    modules = worker["modules"]
    return [p for p in packages if any(n == p or n.startswith(f"{p}.") for n in modules)]


@pytest.fixture(scope="module")
def store_url(bundle: Path, small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'recommendations.db'}"
    done = score_into(small_world, bundle, url)
    assert done.returncode == 0, done.stderr
    return url


def test_a_store_worker_serves_reads_without_the_heavy_libraries(
    store_url: str, bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    nip = str(employees.loc[employees["active"] == "true", "nip"].iloc[0])
    helpers = Path(__file__).resolve().parent
    args = [helpers, small_world, bundle, store_url, tmp_path / "audit.jsonl", nip]
    worker = _run(WORKER, args)
    assert worker["status"] == {
        "models": 200,
        "trainings": 200,
        "mentors": 200,
        "trainings (route)": 200,
        "unknown NIP": 404,
        "batch": 200,
        "widget token": 200,
        "widget": 200,
        "openapi": 200,
    }
    loaded = _imported(worker, HEAVY)
    assert not loaded, (
        f"a store-backed worker imported {loaded}: import them where a computing route needs "
        "them (`python -X importtime -c 'import serving.main'` shows who imports them)"
    )


def test_a_store_worker_forecasts_without_mlflow_or_the_registry(
    store_url: str, bundle: Path, small_world: Path, tmp_path: Path
) -> None:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    active = employees.loc[employees["active"] == "true", "nip"].astype(str)
    training = pd.read_csv(small_world / "trainings.csv", dtype=str)["training_id"].iloc[0]
    helpers = Path(__file__).resolve().parent
    args = [helpers, small_world, bundle, store_url, tmp_path / "audit.jsonl"]
    args += [active.iloc[0], active.iloc[1], training]
    worker = _run(FORECASTING_WORKER, args)
    assert worker["status"] == [200, 200]
    assert "recsys.models.trainings" in worker["modules"]  # the models were loaded
    loaded = _imported(worker, NOT_FOR_FORECASTS)
    assert not loaded, f"a store-backed worker that forecast imported {loaded}"


def test_a_bundle_names_the_models_as_the_registry_does() -> None:
    """The bundle keeps the registry's names itself (so that loading one never imports
    the registry): they must be the registry's."""
    from recsys.tracking import bundle, registry

    assert (bundle.TRAINING_MODEL, bundle.MENTOR_MODEL, bundle.CHAMPION) == (
        registry.TRAINING_MODEL,
        registry.MENTOR_MODEL,
        registry.CHAMPION,
    )


def test_the_plan_schema_names_the_planners_shortfall_reasons() -> None:
    """The plan schemas keep the planner's reasons themselves (so that building the app never
    imports the planner): they must be the planner's."""
    from recsys.planning.program import SHORTFALL_REASONS
    from serving.schemas import plans

    assert plans.SHORTFALL_REASONS == SHORTFALL_REASONS
