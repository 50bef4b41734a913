"""ImpactEstimator: known answers under strong selection, input checks, sklearn conventions."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from benchmarks.impact_semisynthetic import SLearner, Synthetic, make_setup, naive_effect
from recsys.models.impact import ImpactEstimator, IntervalCalibration, OverlapReport

SEED = 3
N_TRAIN = 3_000
N_TEST = 4_000
TRIM = 0.05
#: One LightGBM thread per fit: the suite runs on 2 xdist workers over 2 cores, and
#: oversubscribed OpenMP threads make fits many times slower.
JOBS = 1


def _in_region(data: Synthetic) -> np.ndarray:
    """Rows whose TRUE propensity lies in [trim, 1 - trim]."""
    return (data.propensity >= TRIM) & (data.propensity <= 1 - TRIM)


def _pehe(estimate: np.ndarray | float, data: Synthetic, rows: np.ndarray) -> float:
    return float(np.sqrt(np.mean((estimate - data.tau)[rows] ** 2)))


@pytest.fixture(scope="module")
def strong() -> tuple[Synthetic, Synthetic, ImpactEstimator]:
    """Strong-selection training and test samples and an estimator fitted on the first."""
    train = make_setup("strong", N_TRAIN, SEED)
    test = make_setup("strong", N_TEST, SEED + 1000)
    est = ImpactEstimator(random_state=SEED, n_jobs=JOBS).fit(train.X, train.treated, train.outcome)
    return train, test, est


@pytest.fixture(scope="module")
def small() -> Synthetic:
    return make_setup("B", 400, 0)


# ---------------------------------------------------------------- known answers


def test_dr_beats_naive_and_s_learner_under_strong_selection(
    strong: tuple[Synthetic, Synthetic, ImpactEstimator],
) -> None:
    train, test, est = strong
    rows = _in_region(test)
    dr = _pehe(est.effect(test.X), test, rows)
    naive = _pehe(naive_effect(train.treated, train.outcome), test, rows)
    s_learner = SLearner(random_state=SEED, n_jobs=JOBS).fit(train.X, train.treated, train.outcome)
    slearn = _pehe(s_learner.effect(test.X), test, rows)
    assert dr < 0.1 * naive
    assert dr < 0.9 * slearn  # 0.65 at this seed; see the slow test for other seeds


@pytest.mark.slow
def test_dr_beats_s_learner_over_seeds() -> None:
    """Median PEHE ratio over seeds (0.57-1.15 per seed at this size, median about 0.7)."""
    ratios = []
    for seed in range(5):
        train = make_setup("strong", N_TRAIN, seed)
        test = make_setup("strong", N_TEST, seed + 1000)
        rows = _in_region(test)
        est = ImpactEstimator(random_state=seed, n_jobs=JOBS)
        dr = _pehe(est.fit(train.X, train.treated, train.outcome).effect(test.X), test, rows)
        s_learner = SLearner(random_state=seed, n_jobs=JOBS)
        slearn = _pehe(
            s_learner.fit(train.X, train.treated, train.outcome).effect(test.X), test, rows
        )
        ratios.append(dr / slearn)
    assert np.median(ratios) < 0.85


def test_ate_close_to_truth(strong: tuple[Synthetic, Synthetic, ImpactEstimator]) -> None:
    train, _, est = strong
    truth = train.tau[est.in_overlap_].mean()  # the ATE's population: the overlap units
    assert abs(est.ate_ - truth) < max(4 * est.ate_se_, 0.1)
    lo, hi = est.ate_interval_
    assert lo < est.ate_ < hi
    assert hi - lo == pytest.approx(2 * 1.959964 * est.ate_se_, rel=1e-4)


def test_interval_coverage_near_nominal(
    strong: tuple[Synthetic, Synthetic, ImpactEstimator],
) -> None:
    _, test, est = strong
    rows = _in_region(test)
    lo, hi = est.effect_interval(test.X, alpha=0.1)
    covered = (lo <= test.tau) & (test.tau <= hi)
    assert 0.75 <= covered[rows].mean() <= 0.99
    assert np.all(lo <= est.effect(test.X)) and np.all(est.effect(test.X) <= hi)
    lo50, hi50 = est.effect_interval(test.X, alpha=0.5)
    assert np.all(hi50 - lo50 < hi - lo)


@pytest.mark.slow
@pytest.mark.parametrize("setup", ["A", "B", "D", "strong"])
def test_coverage_over_seeds(setup: str) -> None:
    """Median coverage over seeds of the 90% interval, in the overlap region."""
    coverages = []
    for seed in range(3):
        train, test = make_setup(setup, 2_000, seed), make_setup(setup, 2_000, seed + 1000)
        est = ImpactEstimator(random_state=seed, n_jobs=JOBS).fit(
            train.X, train.treated, train.outcome
        )
        lo, hi = est.effect_interval(test.X, alpha=0.1)
        rows = _in_region(test)
        coverages.append(((lo <= test.tau) & (test.tau <= hi))[rows].mean())
    assert 0.7 <= np.median(coverages) <= 0.99


def test_overlap_report(strong: tuple[Synthetic, Synthetic, ImpactEstimator]) -> None:
    _, _, est = strong
    report = est.overlap_
    assert isinstance(report, OverlapReport)
    assert report.n_treated + report.n_control == N_TRAIN
    assert 0.3 < report.share_trimmed < 0.7  # about half lie outside [0.05, 0.95]
    assert report.share_trimmed == pytest.approx(1 - est.in_overlap_.mean())
    assert 0 < report.ess_treated <= report.n_treated - report.n_trimmed_treated
    assert 0 < report.ess_control <= report.n_control - report.n_trimmed_control
    q = report.propensity_quantiles
    assert q["treated"][0.5] > 0.8 > 0.2 > q["control"][0.5]
    # Weighting within the overlap region removes most of the confounders' imbalance.
    for col in ("x1", "x2"):
        assert abs(report.smd_raw[col]) > 1.0
        assert abs(report.smd_weighted[col]) < 0.5 * abs(report.smd_raw[col])
    assert abs(report.smd_raw["x4"]) < 0.2
    assert set(report.to_dict()) >= {"share_trimmed", "smd_raw", "smd_weighted"}
    assert est.propensity_.shape == (N_TRAIN,)
    assert np.all((est.propensity_ >= 0) & (est.propensity_ <= 1))


def test_in_overlap_flags_rows_far_outside(
    strong: tuple[Synthetic, Synthetic, ImpactEstimator],
) -> None:
    _, _, est = strong
    X = pd.DataFrame(np.zeros((4, 6)), columns=[f"x{i}" for i in range(1, 7)])
    X.loc[:, "x1"] = [2.5, -2.5, 0.0, 0.3]
    X.loc[:, "x2"] = [2.5, -2.5, 0.0, -0.3]
    assert est.in_overlap(X).tolist() == [False, False, True, True]
    score = est.overlap_score(X)
    assert np.all((score >= 0) & (score <= 0.5))
    assert score[2] > 0.2 > score[0]


def test_calibration_check(strong: tuple[Synthetic, Synthetic, ImpactEstimator]) -> None:
    _, _, est = strong
    cal = est.calibration_
    assert isinstance(cal, IntervalCalibration)
    frame = cal.to_frame()
    assert len(frame) == est.n_bins
    assert frame["n_units"].sum() == est.in_overlap_.sum()
    assert np.all(np.diff(frame["mean_effect"]) >= 0)
    assert 0 <= cal.p_value <= 1 and cal.excess_sd >= 0
    assert est.n_trees_ >= est.n_trees_tuned_


# ------------------------------------------------------- features and dtypes


def test_categorical_and_boolean_columns() -> None:
    rng = np.random.default_rng(0)
    n = 3_000
    region = pd.Categorical(rng.choice(["jawa", "sumatra", "papua"], n))
    remote = rng.random(n) < 0.4
    age = rng.normal(40, 8, n)
    age[rng.random(n) < 0.05] = np.nan
    X = pd.DataFrame({"region": region, "remote": remote, "age": age})
    e = 0.3 + 0.4 * remote
    t = rng.random(n) < e
    tau = np.where(region == "papua", 3.0, 0.5)
    y = 0.1 * np.nan_to_num(age, nan=40) + 2 * remote + t * tau + rng.normal(size=n)
    est = ImpactEstimator(random_state=0, n_jobs=JOBS).fit(X, t, y)
    effect = est.effect(X)
    papua = np.asarray(region == "papua")
    assert effect[papua].mean() - effect[~papua].mean() > 1.5
    assert any(k.startswith("region=") for k in est.overlap_.smd_raw)
    # Same columns in another order, an unseen level, and a fresh boolean column all work.
    new = X.head(5)[["age", "remote", "region"]].copy()
    new["region"] = pd.Categorical(["bali", "jawa", "papua", "papua", "sumatra"])
    out = est.effect(new)
    assert out.shape == (5,) and np.all(np.isfinite(out))
    np.testing.assert_allclose(out[1:], est.effect(X.head(5).assign(region=new["region"]))[1:])


def test_numpy_input_gets_generated_names(small: Synthetic) -> None:
    est = ImpactEstimator(random_state=0, n_bags=4, n_jobs=JOBS).fit(
        small.X.to_numpy(), small.treated, small.outcome
    )
    assert list(est.feature_names_in_) == [f"x{i}" for i in range(6)]
    assert est.n_features_in_ == 6
    assert est.effect(small.X.to_numpy()[:3]).shape == (3,)


# ------------------------------------------------------- sklearn conventions
# (clone, pickle, not fitted, seeds and sklearn's checks of every estimator:
# test_estimator_conformance.py)


def test_deterministic_given_seed(small: Synthetic) -> None:
    def fit(seed: int) -> np.ndarray:
        est = ImpactEstimator(random_state=seed, n_bags=4, n_jobs=JOBS)
        return est.fit(small.X, small.treated, small.outcome).effect(small.X)

    np.testing.assert_array_equal(fit(1), fit(1))
    assert not np.array_equal(fit(1), fit(2))


def test_clone_pickle_and_params(small: Synthetic) -> None:
    est = ImpactEstimator(
        trim=0.1, n_bags=4, final_params={"num_leaves": 5}, random_state=0, n_jobs=JOBS
    )
    params = est.get_params()
    assert params["trim"] == 0.1 and params["final_params"] == {"num_leaves": 5}
    twin = clone(est)
    assert twin.get_params() == params and twin is not est
    assert est.set_params(trim=0.02) is est and est.trim == 0.02
    est.set_params(trim=0.1)
    est.fit(small.X, small.treated, small.outcome)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.effect(small.X), est.effect(small.X))
    lo, hi = est.effect_interval(small.X)
    rlo, rhi = restored.effect_interval(small.X)
    np.testing.assert_array_equal(lo, rlo)
    np.testing.assert_array_equal(hi, rhi)
    assert not hasattr(clone(est), "members_")
    assert est.get_params() == params  # fitting changes no parameter


# ---------------------------------------------------------------- bad input


def _bad_inputs(data: Synthetic) -> dict[str, tuple[Any, Any, Any, str]]:
    X, t, y = data.X, data.treated, data.outcome
    n = len(t)
    t_nan = t.astype(float)
    t_nan[3] = np.nan
    y_nan = y.copy()
    y_nan[5] = np.nan
    few = np.zeros(n, dtype=int)
    few[:7] = 1
    return {
        "lengths differ": (X, t[:-1], y, "lengths differ"),
        "outcome length": (X, t, y[:-2], "lengths differ"),
        "not binary": (X, np.where(t == 1, 2, 0), y, "binary"),
        "text treated": (X, np.where(t == 1, "yes", "no"), y, "0/1"),
        "treated NaN": (X, t_nan, y, "treated has 1 missing"),
        "outcome NaN": (X, t, y_nan, "outcome has 1 missing"),
        "one group": (X, np.ones(n, dtype=int), y, "only one group"),
        "too few": (X, few, y, "too few units per group"),
        "object column": (X.assign(unit=["a"] * n), t, y, "column 'unit'"),
        "string column": (X.assign(unit=pd.array(["a"] * n, dtype="string")), t, y, "category"),
        "2-D treated": (X, t.reshape(-1, 1), y, "1-D"),
        "no rows": (X.head(0), t[:0], y[:0], "no rows"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "lengths differ",
        "outcome length",
        "not binary",
        "text treated",
        "treated NaN",
        "outcome NaN",
        "one group",
        "too few",
        "object column",
        "string column",
        "2-D treated",
        "no rows",
    ],
)
def test_bad_input_raises_clear_error(case: str, small: Synthetic) -> None:
    X, t, y, message = _bad_inputs(small)[case]
    with pytest.raises(ValueError, match=message):
        ImpactEstimator(n_bags=4, n_jobs=JOBS).fit(X, t, y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_folds": 1}, "n_folds"),
        ({"trim": 0.5}, "trim"),
        ({"clip": 0.0}, "clip"),
        ({"n_bags": 5}, "n_bags"),
        ({"undersmooth": 0.5}, "undersmooth"),
        ({"n_bins": 1}, "n_bins"),
    ],
)
def test_bad_params_raise_in_fit(params: dict[str, float], message: str, small: Synthetic) -> None:
    est = ImpactEstimator(**params)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        est.fit(small.X, small.treated, small.outcome)


def test_predict_checks_columns(small: Synthetic) -> None:
    est = ImpactEstimator(n_bags=4, random_state=0, n_jobs=JOBS).fit(
        small.X, small.treated, small.outcome
    )
    with pytest.raises(ValueError, match=r"missing \['x6'\]"):
        est.effect(small.X.drop(columns="x6"))
    with pytest.raises(ValueError, match=r"unexpected \['extra'\]"):
        est.effect_interval(small.X.assign(extra=1.0))
    with pytest.raises(ValueError, match="6 columns"):
        est.effect(small.X.to_numpy()[:, :5])
    with pytest.raises(ValueError, match="alpha"):
        est.effect_interval(small.X, alpha=1.5)
    with pytest.raises(ValueError, match="was numeric in fit"):
        est.effect(small.X.assign(x1=pd.Categorical(["a"] * len(small.X))))


def test_bool_treated_and_trim_zero(small: Synthetic) -> None:
    est = ImpactEstimator(n_bags=4, trim=0.0, random_state=0, n_jobs=JOBS)
    est.fit(small.X, small.treated.astype(bool), small.outcome)
    assert est.in_overlap_.all() and est.overlap_.share_trimmed == 0.0
