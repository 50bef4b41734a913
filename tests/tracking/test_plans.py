"""Every yearly program is an MLflow run: what it was asked (parameters), what it achieved
(metrics) and what it is (artifacts), with no personal data beyond NIP and unit; checked
against a real store on a small program solved by the real planner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

import mlflow
from recsys.planning.agency_program import AgencyProgram, budget_curve
from recsys.planning.program import PlanLimits, greedy, plan_items, solve
from recsys.settings import get_settings
from recsys.tracking.plans import EXPERIMENT, ITEM_ARTIFACT_COLUMNS, log_plan

MODALITIES = ("klasikal", "e_learning", "blended", "workshop")


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty SQLite store under ``tmp_path`` as the settings' tracking URI."""
    uri = f"sqlite:///{tmp_path / 'tracking.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    get_settings.cache_clear()
    before = mlflow.get_tracking_uri()
    yield uri
    mlflow.set_tracking_uri(before)
    get_settings.cache_clear()


def _program(*, curve: bool) -> AgencyProgram:
    """A 40-person program of one agency solved by the planner, with both baselines."""
    rng = np.random.default_rng(3)
    catalog = pd.DataFrame(
        {
            "training_id": [f"PLT-{i:03d}" for i in range(12)],
            "modality": [MODALITIES[i % len(MODALITIES)] for i in range(12)],
            "hours_jp": rng.choice([8, 16, 24], 12),
            "cost_idr": rng.choice([500_000, 2_000_000, 5_000_000], 12).astype(float),
            "capacity": pd.array([10 if i % 4 == 0 else None for i in range(12)], "Int64"),
        }
    )
    people = pd.DataFrame(
        {
            "nip": [f"19900101201501{i:04d}" for i in range(40)],
            "agency": "Pemerintah Kota Contoh",
            "unit": [f"Dinas {i % 4}" for i in range(40)],
            "remote_area": rng.random(40) < 0.2,
            "jp_completed": rng.choice([0.0, 8.0, 24.0], 40),
        }
    )
    rows = []
    for nip in people["nip"]:
        for rank, t in enumerate(rng.choice(12, 5, replace=False), start=1):
            gain = float(rng.gamma(2.0, 0.6))
            rows.append(
                {
                    "nip": nip,
                    "rank": rank,
                    "training_id": catalog["training_id"].iat[t],
                    "expected_gain": gain,
                    "gain_lower": gain - 0.8,
                    "gain_upper": gain + 0.8,
                    "cost_idr": catalog["cost_idr"].iat[t],
                    "hours_jp": catalog["hours_jp"].iat[t],
                    "modality": catalog["modality"].iat[t],
                }
            )
    items = plan_items(pd.DataFrame(rows), people)
    items["gaps_closed"] = "M1 1.6→4"  # a competency level: never logged
    limits = PlanLimits(
        budget_idr=60_000_000, unit_budgets={"Dinas 0": 10_000_000}, seats={"PLT-001": 3}
    )
    plan = solve(items, people, catalog, limits)
    program = AgencyProgram(
        plan=plan,
        limits=limits,
        year=2026,
        agency="Pemerintah Kota Contoh",
        people=people,
        items=items,
        catalog=catalog,
        baselines={
            "greedy": greedy(items, people, catalog, limits),
            "gap_rule": greedy(items, people, catalog, limits, name="gap_rule"),
        },
    )
    if curve:
        program.curve = budget_curve(
            items, people, catalog, limits, levels=(0.5, 1.0), at_budget=plan
        )
    return program


def _artifacts(client: MlflowClient, run_id: str, path: str, folder: Path) -> Path:
    return Path(client.download_artifacts(run_id, path, str(folder)))


def test_a_plan_is_a_run_with_its_inputs_figures_and_tables(tracking: str, tmp_path: Path) -> None:
    program = _program(curve=True)
    document = tmp_path / "rencana.csv"
    document.write_text("placeholder document\n")
    run_id = log_plan(program, out_path=document, data="data/demo")

    client = MlflowClient(tracking_uri=tracking)
    run = client.get_run(run_id)
    assert client.get_experiment(run.info.experiment_id).name == EXPERIMENT
    params = run.data.params
    assert params["agency"] == "Pemerintah Kota Contoh"
    assert params["year"] == "2026"
    assert float(params["budget_idr"]) == 60_000_000
    assert float(params["classroom_share"]) == 0.25
    assert params["unit_budgets"] == "1" and params["seat_overrides"] == "1"
    assert params["data"] == "data/demo"

    metrics = run.data.metrics
    summary = program.summary()
    for name in (
        "total_gain",
        "gain_lower",
        "gain_upper",
        "cost_idr",
        "share_at_minimum",
        "gap",
        "bound",
        "seconds",
        "greedy_gain",
        "gap_rule_gain",
    ):
        assert metrics[name] == pytest.approx(float(summary[name])), name
    assert metrics["cost_idr"] <= metrics["budget_idr"]
    assert run.data.tags["method"] == summary["method"]

    folder = tmp_path / "downloaded"
    plan = _artifacts(client, run_id, "plan", folder)
    items = pd.read_csv(plan / "items.csv", dtype={"nip": str, "training_id": str})
    assert list(items.columns) == list(ITEM_ARTIFACT_COLUMNS)
    assert len(items) == len(program.plan.items)
    assert items["nip"].str.len().eq(18).all()  # written as text: no digits lost
    assert items["cost_idr"].sum() == pytest.approx(program.plan.cost)
    assert pd.read_csv(plan / "curve.csv")["budget_idr"].tolist() == [30_000_000, 60_000_000]
    assert pd.read_csv(plan / "unit_budgets.csv").to_dict("records") == [
        {"unit": "Dinas 0", "budget_idr": 10_000_000}
    ]
    assert pd.read_csv(plan / "seats.csv").to_dict("records") == [
        {"training_id": "PLT-001", "seats": 3}
    ]
    shortfall = pd.read_csv(plan / "shortfall.csv")
    assert set(shortfall.columns) <= {
        "nip",
        "unit",
        "jp_completed",
        "jp_planned",
        "shortfall",
        "reason",
    }
    assert json.loads((plan / "summary.json").read_text())["agency"] == "Pemerintah Kota Contoh"
    logged = _artifacts(client, run_id, "document/rencana.csv", folder)
    assert logged.read_text() == "placeholder document\n"


def test_no_personal_data_beyond_nip_and_unit(tracking: str, tmp_path: Path) -> None:
    run_id = log_plan(_program(curve=False))
    client = MlflowClient(tracking_uri=tracking)
    plan = _artifacts(client, run_id, "plan", tmp_path / "downloaded")
    names = {p.name for p in plan.iterdir()}
    assert "curve.csv" not in names  # no curve was made
    for table in plan.glob("*.csv"):
        text = table.read_text()
        assert "→" not in text  # no competency levels (gaps_closed)
        assert "remote" not in text.splitlines()[0]  # no remote-area status
    assert "document" not in {a.path for a in client.list_artifacts(run_id)}


def test_each_plan_is_its_own_run(tracking: str) -> None:
    program = _program(curve=False)
    first, second = log_plan(program), log_plan(program)
    assert first != second
    client = MlflowClient(tracking_uri=tracking)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert {r.info.run_id for r in runs} == {first, second}
