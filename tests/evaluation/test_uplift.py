"""Gain curves of a ranking: Qini and true uplift curves worked out by hand, cross-fitted
effects that no row helped estimate, and top-k shares that agree with the evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from recsys.data.loading import load_dataset
from recsys.evaluation import uplift
from recsys.evaluation.trainings import evaluate_on_truth
from recsys.models.trainings import TrainingRecommender


def test_qini_curve_by_hand() -> None:
    # best first: treated 5, control 1, treated 2, control 1
    score, treated, outcome = [3, 2, 1, 0], [1, 0, 1, 0], [5.0, 1.0, 2.0, 1.0]
    curve = uplift.qini_curve(score, treated, outcome, points=5)
    assert curve["share"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    # top 1: no control yet -> 0; top 2: 5 - 1; top 3: 7 - 1 * 2/1; top 4: 7 - 2 * 2/2
    assert curve["gain"].tolist() == [0.0, 0.0, 4.0, 5.0, 5.0]
    weighted = uplift.qini_curve(score, treated, outcome, propensity=[0.5] * 4, points=5)
    assert weighted["gain"].tolist() == [0.0, 0.0, 8.0, 10.0, 10.0]  # every weight is 2
    with pytest.raises(ValueError, match="same length"):
        uplift.qini_curve([1, 2], [1], [1.0, 2.0])


def test_uplift_curve_random_line_and_area_by_hand() -> None:
    curve = uplift.uplift_curve([1, 3, 2], [1.0, 5.0, -1.0], name="m", points=4)
    assert curve["gain"].tolist() == [0.0, 5.0, 4.0, 5.0]
    assert set(curve["curve"]) == {"m"}
    line = uplift.random_line(curve)
    assert line["gain"].tolist() == pytest.approx([0.0, 5 / 3, 10 / 3, 5.0])
    # trapezoids over the gaps 0, 10/3, 2/3, 0 with width 1/3
    assert uplift.area_above_random(curve) == pytest.approx(4 / 3)
    assert uplift.area_above_random(line) == pytest.approx(0.0)


class Memorizer(BaseEstimator):
    """Effect 1 for rows it was fitted on, 0 for the others."""

    def fit(self, X: pd.DataFrame, treated: Any, outcome: Any) -> Memorizer:
        self.seen_ = set(X["id"])
        return self

    def effect(self, X: pd.DataFrame) -> np.ndarray:
        return X["id"].isin(self.seen_).to_numpy(dtype=float)


def test_cross_fitted_effects_come_from_models_that_did_not_see_the_row() -> None:
    X = pd.DataFrame({"id": np.arange(40)})
    treated = np.tile([0, 1], 20)
    effect = uplift.cross_fitted_effect(Memorizer(), X, treated, np.zeros(40), n_splits=4)
    assert (effect == 0).all()


def test_rank_within_person_breaks_ties_by_order() -> None:
    ranks = uplift._rank_within(np.array([0, 0, 1, 0]), np.array([1.0, 1.0, 0.0, 2.0]))
    assert ranks.tolist() == [1, 2, 0, 0]


def test_topk_share_agrees_with_the_evaluation(small_world: Path) -> None:
    ds = load_dataset(small_world)
    model = TrainingRecommender(n_bootstrap=3).fit(ds)
    truth = small_world / "_truth"
    rankings = uplift.training_rankings(model, ds, truth, max_people=400, seed=1)
    assert rankings.pairs["nip"].nunique() == 400
    assert len(rankings.scores) == len(rankings.pairs) == len(rankings.forecast)
    shares = uplift.topk_share(rankings, ks=[1, 5]).set_index(["k", "ranking"])["share"]
    expected = evaluate_on_truth(model, ds, truth, k=5, max_people=400, seed=1)
    for name in ("model", "popularity", "position_popularity", "gap_rule"):
        key = "share_of_oracle_top5" if name == "model" else f"{name}_share_of_oracle_top5"
        assert shares[(5, name)] == pytest.approx(expected[key])
    assert ((shares > 0) & (shares <= 1)).all()
