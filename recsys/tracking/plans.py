"""MLflow tracking of the agency's yearly programs: every plan a face makes is a run.

A run of the :data:`EXPERIMENT` experiment logs what the plan was asked (agency, year,
budget and the other limits, as parameters), what it achieved
(:meth:`~recsys.planning.agency_program.AgencyProgram.summary`'s numbers, as metrics) and
what it is (artifacts): the planned items and the staff still below the JP minimum, the
budget curve and the unit service forecast when made, the unit budgets and seats it was
given, and the written plan document.

Least personal data: NIP and unit kerja identify a person; no name, score, competency
level or protected attribute (nor remote-area status) leaves the planner.

Where runs go: the store of :mod:`recsys.tracking.store` (``MLFLOW_TRACKING_URI``, else
the embedded SQLite store).
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

import mlflow
from recsys.planning.agency_program import AgencyProgram
from recsys.tracking import store

log = logging.getLogger(__name__)

EXPERIMENT = "program-plans"
#: Columns of the planned items logged (no competency levels, no remote-area status).
ITEM_ARTIFACT_COLUMNS = (
    "nip",
    "unit",
    "training_id",
    "rank",
    "gain",
    "gain_lower",
    "gain_upper",
    "cost_idr",
    "hours_jp",
    "modality",
    "classroom",
    "quarter",
)
#: Columns of the staff still below the JP minimum logged (as the document's compliance
#: sheet shows them).
SHORTFALL_ARTIFACT_COLUMNS = ("nip", "unit", "jp_completed", "jp_planned", "shortfall", "reason")


def plan_params(program: AgencyProgram) -> dict[str, Any]:
    """What the plan was asked: agency (``""``: every agency), year, the limits (budgets
    in IDR, JP, shares 0–1) and the share of the items' forecasts taken from the gap rule's
    (``rule_weight``); unit budgets and seats are counted here and logged in full as
    artifacts."""
    limits = program.limits
    return {
        "agency": program.agency or "",
        "year": program.year,
        "budget_idr": float(limits.budget_idr),
        "max_jp_per_person": float(limits.max_jp_per_person),
        "classroom_share": float(limits.classroom_share),
        "remote_budget_share": float(limits.remote_budget_share),
        "min_jp": float(limits.min_jp),
        "unit_budgets": len(limits.unit_budgets or {}),
        "seat_overrides": len(limits.seats or {}),
        "baselines": ",".join(sorted(program.baselines)) or "none",
        "curve": program.curve is not None,
        "rule_weight": float(program.rule_weight),
    }


def plan_metrics(program: AgencyProgram) -> dict[str, float]:
    """The summary's finite numbers (gains in SKP points, amounts in IDR, shares 0–1,
    seconds); a bound or price that could not be computed (NaN) is left out."""
    metrics: dict[str, float] = {}
    for name, value in program.summary().items():
        if name == "year" or isinstance(value, bool) or not isinstance(value, int | float):
            continue  # the year is a parameter; text (agency, method) is a parameter or tag
        if math.isfinite(float(value)):
            metrics[name] = float(value)
    return metrics


def log_plan(
    program: AgencyProgram, *, out_path: Path | str | None = None, data: str | None = None
) -> str:
    """Log ``program`` as a run of :data:`EXPERIMENT` (see the module's docstring) and
    return the run id. ``out_path``: the plan document written from it, logged as an
    artifact; ``data``: where the data set was read from, logged as a parameter."""
    store.use_experiment(EXPERIMENT)
    summary = program.summary()
    name = f"{program.agency or 'all agencies'} {program.year}"
    with mlflow.start_run(run_name=name) as run:
        params = plan_params(program)
        if data is not None:
            params["data"] = data
        mlflow.log_params(params)
        mlflow.set_tags({"kind": "program-plan", "method": str(summary["method"])})
        mlflow.log_metrics(plan_metrics(program))
        with tempfile.TemporaryDirectory() as tmp:
            _write_artifacts(program, Path(tmp))
            mlflow.log_artifacts(tmp, artifact_path="plan")
        if out_path is not None:
            mlflow.log_artifact(str(out_path), artifact_path="document")
    log.info("plan logged as run %s of %s", run.info.run_id, EXPERIMENT)
    return str(run.info.run_id)


def _write_artifacts(program: AgencyProgram, folder: Path) -> None:
    """The plan's tables into ``folder``: ``items.csv``, ``shortfall.csv``, ``summary.json``
    and, when there are any, ``curve.csv``, ``service.csv``, ``unit_budgets.csv`` and
    ``seats.csv``. NIPs and training ids are written as text."""
    plan = program.plan
    items = plan.items[[c for c in ITEM_ARTIFACT_COLUMNS if c in plan.items.columns]]
    _text_ids(items).to_csv(folder / "items.csv", index=False)
    below = plan.people[plan.people["shortfall"] > 1e-9]
    columns = [c for c in SHORTFALL_ARTIFACT_COLUMNS if c in below.columns]
    _text_ids(below[columns]).to_csv(folder / "shortfall.csv", index=False)
    summary = {
        k: (v if not isinstance(v, float) or math.isfinite(v) else None)
        for k, v in program.summary().items()
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    if program.curve is not None:
        program.curve.to_csv(folder / "curve.csv", index=False)
    if program.service is not None:
        program.service.to_csv(folder / "service.csv", index=False)
    limits = program.limits
    if limits.unit_budgets:
        pd.DataFrame(sorted(limits.unit_budgets.items()), columns=["unit", "budget_idr"]).to_csv(
            folder / "unit_budgets.csv", index=False
        )
    if limits.seats:
        pd.DataFrame(sorted(limits.seats.items()), columns=["training_id", "seats"]).to_csv(
            folder / "seats.csv", index=False
        )


def _text_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """``nip`` and ``training_id`` as text (an 18-digit NIP read as a number loses digits)."""
    return frame.assign(**{c: frame[c].astype(str) for c in ("nip", "training_id") if c in frame})
