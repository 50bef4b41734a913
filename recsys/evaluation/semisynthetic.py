"""A semi-synthetic check of effect estimators on the demo world's truth.

Real covariates (each active person's features at the end of the history) and a real
heterogeneous effect (the world's true gain from one training, from its ground truth), with a
treatment given by a strongly selective, confounded policy on those covariates and a baseline
outcome that depends on the same covariates. The effect is known for every row, so estimators
can be scored (PEHE: root mean squared error of the per-row effect, SKP points).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.data.snapshot import latest_date
from recsys.features.competency_state import AS_OF
from recsys.features.person import person_features


def demo_world_problem(
    ds: Dataset, truth_dir: str | Path, *, seed: int = 0, training_id: str | None = None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """``(X, treated, outcome, true_effect)`` for one training of a demo world.

    The training defaults to the one whose true gain varies most between people.
    """
    truth = pd.read_parquet(Path(truth_dir) / "training_gain.parquet")
    truth = truth.assign(nip=truth["nip"].astype(str), training_id=truth["training_id"].astype(str))
    if training_id is None:
        training_id = str(truth.groupby("training_id")["expected_gain"].std().idxmax())
    effect = truth[truth["training_id"] == training_id].set_index("nip")["expected_gain"]
    people = effect.index.to_series().reset_index(drop=True)
    X = person_features(ds, pd.DataFrame({"nip": people, AS_OF: latest_date(ds)}))
    tau = effect.reindex(people).to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    score = np.nan_to_num(X["last_score"].to_numpy(dtype=float), nan=100.0)
    grade = np.nan_to_num(X["grade_rank"].to_numpy(dtype=float), nan=8.0)
    gap = np.nan_to_num(X["mean_gap"].to_numpy(dtype=float), nan=0.4)
    remote = X["remote_area"].to_numpy(dtype=float)
    # able, senior, central staff are the ones sent: strong selection on X
    logit = -1.0 + 0.15 * (score - 100) + 0.35 * (grade - 10) - 1.5 * remote - 2.0 * gap
    treated = (rng.random(len(X)) < 1 / (1 + np.exp(-logit))).astype(int)
    baseline = 0.3 * (100 - score) + 1.5 * (grade - 10) / 3 - 2.0 * gap
    outcome = baseline + tau * treated + rng.normal(0.0, 2.0, len(X))
    return X, treated, outcome, tau


def pehe(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Root mean squared error of per-row effects (Hill 2011), in outcome units; ≥ 0."""
    return float(np.sqrt(np.mean((np.asarray(estimate) - np.asarray(truth)) ** 2)))
