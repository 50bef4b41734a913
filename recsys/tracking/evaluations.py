"""MLflow tracking of program evaluations: every evaluation a face makes is a run.

A run of the :data:`EXPERIMENT` experiment logs what was asked (year, interval level,
fewest participants, smallest effect worth funding, where the data came from), what was
found (:meth:`~recsys.evaluation.kirkpatrick.ProgramEvaluation.summary`'s counts as
metrics, and the unit service slopes) and the tables themselves as artifacts: per training,
per provider, dropout, unit service, and the trainings flagged for the next plan. Every row
is a training, a provider, a group or a unit: no person's data.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import mlflow
from recsys.evaluation.kirkpatrick import ProgramEvaluation
from recsys.tracking import store

EXPERIMENT = "program-evaluations"


def log_evaluation(
    evaluation: ProgramEvaluation,
    *,
    out_path: Path | str | None = None,
    data: str | None = None,
) -> str:
    """Log ``evaluation`` as a run of :data:`EXPERIMENT` and return the run id;
    ``out_path`` (the workbook written from it) is logged as an artifact too."""
    store.use_experiment(EXPERIMENT)
    with mlflow.start_run(run_name=f"evaluation {evaluation.year}") as run:
        params: dict[str, object] = {
            "year": evaluation.year,
            "alpha": evaluation.alpha,
            "min_participants": evaluation.min_participants,
            "min_effect": evaluation.min_effect,
            "units_evaluated": evaluation.units is not None,
        }
        if data is not None:
            params["data"] = data
        mlflow.log_params(params)
        mlflow.set_tags({"kind": "program-evaluation"})
        metrics = {k: v for k, v in evaluation.summary().items() if math.isfinite(v)}
        if evaluation.units is not None:
            coef = evaluation.units.coefficients
            slopes = coef[coef["term"] == "trained_share"]
            for outcome, estimate in zip(
                slopes["outcome"].astype(str), slopes["estimate"].to_numpy(dtype=float), strict=True
            ):
                metrics[f"{outcome}_per_trained_share"] = float(estimate)
        mlflow.log_metrics(metrics)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            evaluation.trainings.astype({"training_id": str}).to_csv(
                folder / "trainings.csv", index=False
            )
            evaluation.providers.to_csv(folder / "providers.csv", index=False)
            evaluation.dropout.to_csv(folder / "dropout.csv", index=False)
            if evaluation.units is not None:
                evaluation.units.units.to_csv(folder / "units.csv", index=False)
                evaluation.units.coefficients.to_csv(folder / "unit_slopes.csv", index=False)
            (folder / "flagged.json").write_text(json.dumps(evaluation.flagged(), indent=2))
            mlflow.log_artifacts(tmp, artifact_path="evaluation")
        if out_path is not None:
            mlflow.log_artifact(str(out_path), artifact_path="document")
    return str(run.info.run_id)
