"""A model that could be worse than the simple rule never becomes champion.

Refused if its metrics or forecasts are not finite, if it recommends nothing for most
people, or if it loses to the gap rule on the out-of-time validation. The fitted model is
real; each case breaks one thing about it.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlflow
from recsys.data import load_dataset
from recsys.data.loading import Dataset
from recsys.models.trainings import TrainingRecommender
from recsys.tracking import registry


@pytest.fixture(scope="module")
def fitted(small_world: Path) -> tuple[Dataset, TrainingRecommender]:
    ds = load_dataset(small_world)
    return ds, TrainingRecommender(n_bootstrap=3, ranker="structured").fit(ds)


def test_a_sound_model_is_not_refused(fitted: tuple[Dataset, TrainingRecommender]) -> None:
    ds, model = fitted
    metrics = registry.validation_metrics(model)
    assert np.isfinite(metrics["validation_served_value"])
    assert registry.champion_refusals(model, ds, metrics) == {}


def test_non_finite_forecasts_are_refused(fitted: tuple[Dataset, TrainingRecommender]) -> None:
    ds, model = fitted
    broken = copy.deepcopy(model)
    broken.coef_ = np.full_like(broken.coef_, np.nan)
    refusals = registry.champion_refusals(broken, ds, registry.validation_metrics(broken))
    assert "non_finite_forecasts" in refusals


def test_non_finite_metrics_are_refused(fitted: tuple[Dataset, TrainingRecommender]) -> None:
    ds, model = fitted
    metrics = {**registry.validation_metrics(model), "share_of_oracle_top5": float("nan")}
    refusals = registry.champion_refusals(model, ds, metrics)
    assert refusals["non_finite_metrics"] == "share_of_oracle_top5"


def test_a_model_that_lists_nothing_is_refused(
    fitted: tuple[Dataset, TrainingRecommender],
) -> None:
    ds, model = fitted
    # every person has already completed every active training: nothing left to suggest
    active = ds.employees.loc[ds.employees["active"], "nip"]
    catalog = ds.trainings.loc[ds.trainings["active"], "training_id"]
    done = pd.DataFrame(
        {
            "enrollment_id": [f"X{i}" for i in range(len(active) * len(catalog))],
            "nip": np.repeat(active.to_numpy(), len(catalog)),
            "training_id": np.tile(catalog.to_numpy(), len(active)),
            "start_date": pd.Timestamp("2020-01-01"),
            "end_date": pd.Timestamp("2020-01-02"),
            "status": "completed",
        }
    )
    done = done.reindex(columns=ds.enrollments.columns).astype(ds.enrollments.dtypes.to_dict())
    enrollments = pd.concat([ds.enrollments, done])
    saturated = dataclasses.replace(
        ds, tables={**ds.tables, "enrollments": enrollments.reset_index(drop=True)}
    )
    refusals = registry.champion_refusals(model, saturated, registry.validation_metrics(model))
    assert refusals["empty_lists"] == "0%"


def test_a_model_that_loses_to_the_gap_rule_is_refused_and_not_promoted(
    fitted: tuple[Dataset, TrainingRecommender], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, model = fitted
    losing = copy.deepcopy(model)
    table = losing.validation_.set_index("ranker")
    table.loc["structured", ["vs_gap_rule", "vs_gap_rule_lower", "vs_gap_rule_upper"]] = (
        -0.8,
        -1.2,
        -0.3,
    )
    losing.validation_ = table.reset_index()
    refusals = registry.champion_refusals(losing, ds, registry.validation_metrics(losing))
    assert refusals["loses_to_rule"].startswith("-0.80")

    # registered, but the champion alias does not move to it
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'gate.db'}")
    registry.configure()
    with mlflow.start_run():
        version = registry._log_and_register(
            registry.TRAINING_MODEL,
            registry.TrainingRecommenderModel(losing),
            {"validation_served_value": 1.0},
            lambda _folder: None,
            lambda _stage: None,
        )
    result = registry._result(
        registry.TRAINING_MODEL,
        "run",
        version,
        {"validation_served_value": 1.0},
        "validation_served_value",
        "uri",
        {},
        refusals,
    )
    assert not result.champion
    assert result.refusals == refusals
    assert registry._champion_version(mlflow.MlflowClient()) is None
