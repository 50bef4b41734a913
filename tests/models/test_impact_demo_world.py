"""ImpactEstimator on the demo world's truth: it beats the naive difference and a plain
outcome regression under the strong selection of a realistic policy."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np

from recsys.data import load_dataset
from recsys.evaluation.semisynthetic import demo_world_problem, pehe
from recsys.models.impact import ImpactEstimator


def test_dr_beats_naive_and_outcome_regression(small_world: Path) -> None:
    ds = load_dataset(small_world)
    X, treated, outcome, tau = demo_world_problem(ds, small_world / "_truth", seed=3)
    assert 0.05 < treated.mean() < 0.95
    assert np.std(tau) > 0.1  # a heterogeneous effect
    # One thread (the suite runs two workers on two cores) and a fixed 8 repeats: this test
    # is about the per-row effects; "auto" is tested in test_impact_repeat.py.
    est = ImpactEstimator(random_state=0, n_repeats=8, n_jobs=1).fit(X, treated, outcome)
    dr = pehe(est.effect(X), tau)
    naive = pehe(
        np.full(len(tau), outcome[treated == 1].mean() - outcome[treated == 0].mean()), tau
    )
    s_model = lgb.LGBMRegressor(n_estimators=300, learning_rate=0.05, verbose=-1)
    with_t = X.assign(treated=treated)
    s_model.fit(with_t, outcome)
    s_effect = s_model.predict(X.assign(treated=1)) - s_model.predict(X.assign(treated=0))
    s_learner = pehe(s_effect, tau)
    assert dr < naive
    assert dr < s_learner
    ate_error = abs(est.ate_ - tau.mean())
    assert ate_error < abs(outcome[treated == 1].mean() - outcome[treated == 0].mean() - tau.mean())
