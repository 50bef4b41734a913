"""MLflow tracking: every training run logged, every model registered, a champion served.

A run logs the parameters, a fingerprint of the data, the evaluation metrics (beside the
baselines), the evaluation table and a plot, and the model as an MLflow pyfunc with a
signature. The registry alias ``champion`` moves to the new version only when it beats the
current champion on the same primary metric (or there is none).

Where runs go: ``MLFLOW_TRACKING_URI`` if set, else the embedded store — SQLite at
``mlflow/mlflow.db`` with artifacts under ``mlflow/artifacts`` (:mod:`recsys.tracking.store`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.base import BaseEstimator

import mlflow
from recsys.data.cohorts import JUNIOR_POSITION_TYPES
from recsys.data.loading import Dataset
from recsys.evaluation.ground_truth import GroundTruth
from recsys.evaluation.mentors import evaluate_cohort, evaluate_recommendations
from recsys.evaluation.trainings import evaluate_on_truth
from recsys.models.mentors.recommender import LOSS_Z, MentorRecommender
from recsys.models.selection import VALUE_COLUMNS, loses_to_rule
from recsys.models.trainings import TrainingRecommender
from recsys.tracking import store
from recsys.tracking.pyfunc import (
    MentorRecommenderModel,
    TrainingRecommenderModel,
    load_recommender,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt

log = logging.getLogger(__name__)

EXPERIMENT = "asn-recsys"
#: The stages ``train`` reports to ``on_progress``, in order.
TRAIN_STAGES = (
    "importance",
    "baseline",
    "outcomes",
    "effects",
    "intervals",
    "rankers",
    "validation",
    "evaluation",
    "registering",
)
#: People whose forecasts and lists are checked before a model may become champion.
CHECK_PEOPLE = 300
#: Share of those people who must get at least one recommendation.
MIN_LISTED_SHARE = 0.5
TRAINING_MODEL = "asn-training-recommender"
MENTOR_MODEL = "asn-mentor-recommender"
#: The stages ``train_mentors`` reports to ``on_progress``, in order.
MENTOR_STAGES = (
    "importance",
    "baseline",
    "outcomes",
    "effects",
    "intervals",
    "evaluation",
    "registering",
)
CHAMPION = "champion"


def configure() -> str:
    """Point MLflow at the configured store (:mod:`recsys.tracking.store`) and the
    :data:`EXPERIMENT` experiment; returns the tracking URI."""
    return store.use_experiment(EXPERIMENT)


def fingerprint(ds: Dataset) -> str:
    """A short hash of the data set's content (rows of every table)."""
    digest = hashlib.sha256()
    for name in sorted(ds.tables):
        frame = ds.tables[name]
        digest.update(name.encode())
        digest.update(str(len(frame)).encode())
        if len(frame):
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


@dataclass
class TrainResult:
    """What ``train`` did: the run, the version, the metrics, whether it became champion."""

    run_id: str
    version: str
    metrics: dict[str, float]
    primary_metric: str
    champion: bool
    previous_champion: str | None
    tracking_uri: str
    params: dict[str, Any] = field(default_factory=dict)
    #: Why the version may not become champion (keys: ``refused.<key>`` messages), with
    #: the figure that decided it.
    refusals: dict[str, str] = field(default_factory=dict)
    #: The ranker that makes the lists and why it was chosen (training model only).
    ranker: str | None = None
    ranker_reason: str | None = None


def _plot(metrics: dict[str, float], path: Path) -> None:
    names = ["model", "gap_rule", "popularity", "position_popularity"]
    keys = ["share_of_oracle_top5" if n == "model" else f"{n}_share_of_oracle_top5" for n in names]
    values = [metrics.get(k, np.nan) for k in keys]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.bar(names, values, color=["#1f6f8b", "#99a8b2", "#c9d6df", "#c9d6df"])
    ax.set_ylabel("share of oracle top-5 gain")
    ax.set_ylim(0, 1)
    ax.set_title("Top-5 realized true gain vs the oracle")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def model_params(estimator: BaseEstimator) -> dict[str, Any]:
    """An estimator's parameters for a run (``get_params(deep=True)``): a nested estimator
    is logged as its own parameters (``baseline__n_estimators``), not as its repr."""
    return {
        name: value
        for name, value in estimator.get_params(deep=True).items()
        if not isinstance(value, BaseEstimator)
    }


def default_part_params(estimator: BaseEstimator) -> dict[str, Any]:
    """Parameters of the parts a fitted estimator built itself because its parameter was
    None (``baseline=None`` → ``baseline__n_estimators`` … of ``baseline_``): so a run
    records every setting the fit used."""
    out: dict[str, Any] = {}
    for name, value in estimator.get_params(deep=False).items():
        part = getattr(estimator, f"{name}_", None)
        if value is None and isinstance(part, BaseEstimator):
            out.update({f"{name}__{key}": v for key, v in part.get_params(deep=False).items()})
    return out


def _fit_logged(
    recommender: Any,
    ds: Dataset,
    name: str,
    as_of: pd.Timestamp | None,
    step: Any,
    counts: tuple[str, ...],
) -> None:
    """Inside the active run: log the recommender's parameters and the data, fit it, then
    log the settings of the parts the fit built and its learned ``counts`` (attribute
    names without the trailing ``_``) and date."""
    mlflow.log_params(
        {**model_params(recommender), "as_of": str(as_of or "latest"), "data": ds.source}
    )
    mlflow.set_tags({"data_fingerprint": fingerprint(ds), "model": name})
    recommender.fit(ds, as_of=as_of, on_progress=step)
    mlflow.log_params(
        {
            **default_part_params(recommender),
            **{count: getattr(recommender, f"{count}_") for count in counts},
            "fitted_as_of": str(recommender.as_of_.date()),
        }
    )


def train(
    ds: Dataset,
    *,
    truth: GroundTruth | None = None,
    as_of: pd.Timestamp | None = None,
    params: dict[str, Any] | None = None,
    on_progress: Any = None,
) -> TrainResult:
    """Fit, evaluate, log and register the training recommender; move ``champion`` if
    the new version is better."""
    uri = configure()
    params = params or {}
    step = on_progress or (lambda _stage: None)
    with mlflow.start_run() as run:
        recommender = TrainingRecommender(**params)
        _fit_logged(recommender, ds, TRAINING_MODEL, as_of, step, ("n_enrollments", "n_controls"))
        step("evaluation")
        metrics = validation_metrics(recommender)
        primary = "validation_served_value"
        if truth is not None and truth.trainings:
            metrics.update(evaluate_on_truth(recommender, ds, truth.path, k=5))
            primary = "share_of_oracle_top5"
        refusals = champion_refusals(recommender, ds, metrics)
        mlflow.set_tags(
            {
                "ranker": recommender.ranker_,
                "ranker_reason": recommender.ranker_reason_,
                "champion_refused": "; ".join(f"{k}: {v}" for k, v in refusals.items()) or "no",
            }
        )

        def artifacts(folder: Path) -> None:
            recommender.effects_table().to_csv(folder / "training_effectiveness.csv", index=False)
            recommender.importance_.weights_.to_csv(folder / "competency_importance.csv")
            recommender.validation_.to_csv(folder / "ranker_validation.csv", index=False)
            if "share_of_oracle_top5" in metrics:
                _plot(metrics, folder / "share_of_oracle.png")

        version = _log_and_register(
            TRAINING_MODEL, TrainingRecommenderModel(recommender), metrics, artifacts, step
        )
    result = _result(
        TRAINING_MODEL, run.info.run_id, version, metrics, primary, uri, params, refusals
    )
    result.ranker, result.ranker_reason = recommender.ranker_, recommender.ranker_reason_
    return result


def validation_metrics(recommender: TrainingRecommender) -> dict[str, float]:
    """The out-of-time validation as run metrics: each ranker's value (the doubly
    robust estimate of a recommended training's gain, SKP points) with its interval and
    its difference from the gap rule; ``validation_served_value`` is the served ranker's."""
    metrics: dict[str, float] = {}
    table = recommender.validation_
    for row in table.to_dict("records"):
        name = str(row["ranker"])
        for column in VALUE_COLUMNS:
            metrics[f"validation_{name}_{column}"] = float(row[column])
        if name == recommender.ranker_:
            metrics["validation_served_value"] = float(row["value"])
    metrics["validation_test_hits"] = float(table["test_hits"].sum()) if len(table) else 0.0
    return metrics


def champion_refusals(
    recommender: TrainingRecommender, ds: Dataset, metrics: dict[str, float]
) -> dict[str, str]:
    """Why this model must not become champion (empty: it may). A model is refused if its
    metrics or forecasts are not finite, if it recommends nothing for most people, or if
    it loses to the gap rule on the out-of-time validation."""
    refusals: dict[str, str] = {}
    bad = sorted(
        name
        for name, value in metrics.items()
        if _served(name, recommender) and not np.isfinite(value)
    )
    if bad:
        refusals["non_finite_metrics"] = ", ".join(bad[:5])
    active = ds.employees.loc[ds.employees["active"], "nip"].astype(str)
    sample = (
        active.sample(min(CHECK_PEOPLE, len(active)), random_state=0) if len(active) else active
    )
    if len(sample):
        catalog = ds.trainings.loc[ds.trainings["active"], "training_id"].astype(str).to_numpy()
        pairs_nip = np.repeat(sample.to_numpy()[:20], len(catalog))
        pairs_tid = np.tile(catalog, min(20, len(sample)))
        forecast, _ = recommender.forecast(ds, pd.Series(pairs_nip), pd.Series(pairs_tid))
        values = forecast[["expected_gain", "gain_lower", "gain_upper"]].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            refusals["non_finite_forecasts"] = f"{int((~np.isfinite(values)).any(axis=1).sum())}"
        lists = recommender.recommend(ds, sample, k=5)
        listed = lists["nip"].astype(str).nunique() / len(sample)
        if listed < MIN_LISTED_SHARE:
            refusals["empty_lists"] = f"{listed:.0%}"
        gains = lists[["expected_gain", "gain_lower", "gain_upper"]].to_numpy(dtype=float)
        if not np.isfinite(gains).all():
            refusals["non_finite_forecasts"] = "lists"
    if loses_to_rule(recommender.validation_, recommender.ranker_):
        row = recommender.validation_.set_index("ranker").loc[recommender.ranker_]
        refusals["loses_to_rule"] = (
            f"{row['vs_gap_rule']:+.2f} ({row['vs_gap_rule_lower']:+.2f} … "
            f"{row['vs_gap_rule_upper']:+.2f})"
        )
    return refusals


def _served(metric: str, recommender: TrainingRecommender) -> bool:
    """Whether a metric describes the served model (others may be NaN: a candidate with
    no test enrollment in its top-k)."""
    if metric.startswith("validation_"):
        return metric == "validation_served_value" or metric.startswith(
            f"validation_{recommender.ranker_}_value"
        )
    return not metric.startswith("candidate_")


def _log_and_register(
    name: str,
    wrapper: Any,
    metrics: dict[str, float],
    artifacts: Any,
    step: Any,
) -> str:
    """Inside the active run: log the metrics, the evaluation table and the model's own
    artifacts (``artifacts(folder)`` writes them), then log the pyfunc ``wrapper`` with a
    signature and register it as ``name``. Returns the new version."""
    mlflow.log_metrics({k: float(v) for k, v in metrics.items() if np.isfinite(v)})
    with tempfile.TemporaryDirectory() as tmp:
        table = pd.DataFrame(sorted(metrics.items()), columns=["metric", "value"])
        table.to_csv(Path(tmp) / "evaluation.csv", index=False)
        artifacts(Path(tmp))
        mlflow.log_artifacts(tmp, artifact_path="evaluation")
    step("registering")
    recommender = wrapper.recommender
    example = recommender.example_features()
    signature = infer_signature(example, recommender.forecast_from_features(example))
    notices = io.StringIO()
    # MLflow prints registration notices straight to stderr; keep them in the log
    with contextlib.redirect_stderr(notices):
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=wrapper,
            signature=signature,
            input_example=example.head(3),
            registered_model_name=name,
        )
    log.debug("mlflow: %s", notices.getvalue().strip())
    return str(info.registered_model_version)


def _result(
    name: str,
    run_id: str,
    version: str,
    metrics: dict[str, float],
    primary: str,
    uri: str,
    params: dict[str, Any],
    refusals: dict[str, str] | None = None,
) -> TrainResult:
    """Promote ``version`` if it is better and not refused, and say what happened."""
    refusals = refusals or {}
    previous, better = _promote(name, version, metrics.get(primary), primary, bool(refusals))
    return TrainResult(
        run_id=run_id,
        version=version,
        metrics=metrics,
        primary_metric=primary,
        champion=better,
        previous_champion=previous,
        tracking_uri=uri,
        params=params,
        refusals=refusals,
    )


def _promote(
    name: str, version: str, value: float | None, metric: str, refused: bool = False
) -> tuple[str | None, bool]:
    """Move ``name``'s champion alias to ``version`` if it is not ``refused`` and beats the
    champion on ``metric`` (or there is none). Returns the previous champion and whether it
    moved."""
    client = MlflowClient()
    previous = _champion_version(client, name)
    if refused:
        return previous, False
    better = previous is None or _is_better(client, name, previous, value, metric)
    if better:
        client.set_registered_model_alias(name, CHAMPION, version)
    return previous, better


def _champion_version(client: MlflowClient, name: str = TRAINING_MODEL) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except mlflow.exceptions.MlflowException:
        return None


def _is_better(
    client: MlflowClient, name: str, champion: str, value: float | None, metric: str
) -> bool:
    if value is None or not np.isfinite(value):
        return False
    run_id = client.get_model_version(name, champion).run_id
    current = client.get_run(run_id).data.metrics.get(metric) if run_id else None
    return current is None or value > current


class NoChampionError(LookupError):
    """No version of the model ``name`` carries the ``champion`` alias yet."""

    def __init__(self, name: str, what: str) -> None:
        super().__init__(
            f"no champion {what} model is registered yet: run `recsys train --data ...` first"
        )
        self.name = name


def _load(name: str, what: str) -> Any:
    configure()
    uri = f"models:/{name}@{CHAMPION}"
    try:
        mlflow.MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except mlflow.exceptions.MlflowException as exc:
        raise NoChampionError(name, what) from exc
    return load_recommender(uri)


def load_champion() -> TrainingRecommender:
    """The training recommender under the ``champion`` alias; a clear error if none."""
    recommender: TrainingRecommender = _load(TRAINING_MODEL, "training")
    return recommender


def load_mentor_champion() -> MentorRecommender:
    """The mentor recommender under the ``champion`` alias; a clear error if none."""
    recommender: MentorRecommender = _load(MENTOR_MODEL, "mentor")
    return recommender


def train_mentors(
    ds: Dataset,
    *,
    truth: GroundTruth | None = None,
    as_of: pd.Timestamp | None = None,
    params: dict[str, Any] | None = None,
    on_progress: Any = None,
) -> TrainResult:
    """Fit, evaluate, log and register the mentor recommender; move its ``champion`` if
    the new version is better on the agency's own held-out outcomes (out-of-fold R² of the
    served forecast against de-baselined mentorship outcomes) and is not refused
    (:func:`mentor_champion_refusals`). A demo world's truth, if given, is evaluated and
    logged for information only: a real agency has none, so it never picks the champion."""
    uri = configure()
    params = params or {}
    step = on_progress or (lambda _stage: None)
    with mlflow.start_run() as run:
        recommender = MentorRecommender(**params)
        _fit_logged(recommender, ds, MENTOR_MODEL, as_of, step, ("n_mentorships",))
        step("evaluation")
        metrics = mentor_validation_metrics(recommender)
        primary = "mentor_oof_r2"
        if truth is not None and truth.mentors:
            world = truth.world
            metrics.update(evaluate_recommendations(recommender, ds, world, k=3))
            metrics.update(evaluate_cohort(recommender, ds, world))
        refusals = mentor_champion_refusals(recommender, ds, metrics)
        mlflow.set_tags(
            {
                "mentor_effect": recommender.effect_,
                "mentor_effect_reason": recommender.effect_reason_,
                "champion_refused": "; ".join(f"{k}: {v}" for k, v in refusals.items()) or "no",
            }
        )

        def artifacts(folder: Path) -> None:
            coefficients = recommender.model_.coefficients().rename("value")
            coefficients.to_csv(folder / "effect_coefficients.csv", index_label="term")

        version = _log_and_register(
            MENTOR_MODEL, MentorRecommenderModel(recommender), metrics, artifacts, step
        )
    return _result(MENTOR_MODEL, run.info.run_id, version, metrics, primary, uri, params, refusals)


#: Metrics of the mentor model's held-out check (they decide the champion; all must be
#: finite).
MENTOR_HELD_OUT = (
    "mentor_oof_r2",
    "mentor_oof_r2_learned",
    "mentor_oof_r2_constant",
    "mentor_relative_error",
)


def mentor_validation_metrics(recommender: MentorRecommender) -> dict[str, float]:
    """The mentor model's held-out check as run metrics: the served forecast's out-of-fold
    R², the learned effectiveness' and the simple rule's on the same folds, the
    forecast's relative error (log-sd), whether the learned effectiveness is served and by
    how many standard errors its out-of-fold error exceeds the rule's."""
    return {
        "mentor_oof_r2": float(recommender.oof_r2_),
        "mentor_oof_r2_learned": float(recommender.oof_r2_learned_),
        "mentor_oof_r2_constant": float(recommender.oof_r2_constant_),
        "mentor_relative_error": float(recommender.relative_error_),
        "mentor_effect_learned": float(recommender.effect_ == "learned"),
        "mentor_effect_loss_z": float(recommender.effect_loss_z_),
    }


def mentor_champion_refusals(
    recommender: MentorRecommender, ds: Dataset, metrics: dict[str, float]
) -> dict[str, str]:
    """Why this mentor model must not become champion (empty: it may), as for the training
    model (:func:`champion_refusals`): its held-out metrics (:data:`MENTOR_HELD_OUT`) or
    forecasts are not finite, it suggests no mentor to most juniors, or it serves a learned
    effectiveness that does not beat the simple rule out of fold."""
    refusals: dict[str, str] = {}
    bad = sorted(
        name for name in MENTOR_HELD_OUT if not np.isfinite(metrics.get(name, float("nan")))
    )
    if bad:
        refusals["non_finite_metrics"] = ", ".join(bad)
    example = recommender.forecast_from_features(recommender.example_features())
    if not np.isfinite(example.to_numpy(dtype=float)).all():
        refusals["non_finite_forecasts"] = "pyfunc"
    emp = ds.employees
    juniors = emp.loc[
        emp["active"] & emp["position_type"].astype(str).isin(JUNIOR_POSITION_TYPES), "nip"
    ].astype(str)
    if len(juniors):
        sample = juniors.sample(min(CHECK_PEOPLE, len(juniors)), random_state=0)
        lists = recommender.candidates(ds, sample, top=3)
        gains = lists[["expected_gain", "gain_lower", "gain_upper"]].to_numpy(dtype=float)
        if not np.isfinite(gains).all():
            bad_rows = int((~np.isfinite(gains)).any(axis=1).sum())
            refusals["non_finite_forecasts"] = f"{bad_rows} of {len(gains)}"
        listed = lists["nip"].astype(str).nunique() / len(sample)
        if listed < MIN_LISTED_SHARE:
            refusals["empty_lists"] = f"{listed:.0%}"
    learned, rule = recommender.oof_r2_learned_, recommender.oof_r2_constant_
    loss_z = recommender.effect_loss_z_
    if recommender.effect_ == "learned" and not loss_z <= LOSS_Z:
        refusals["effect_loses_to_rule"] = (
            f"R² {learned:.4f} vs {rule:.4f}, {loss_z:+.1f} standard errors"
        )
    return refusals
