"""The mentor effectiveness model: how many SKP points a point of coverage is worth, for a
given mentor in a given context.

outcome ≈ coverage × exp(f(x)), a log link, because distance, the mentor's skill and
record multiply. f starts from a ridge-penalised log-linear model (:func:`fit_log_linear`
over :func:`prior_design`: few parameters, steady on few noisy outcomes) and LightGBM,
monotone where it should be, boosts what it misses (a custom objective,
``_log_link_objective``, with coverage passed as the sample weight).

Effectiveness depends only on the mentor and the pair's context (distance × remote-area
mentee × supervisor), so :func:`effect_table` gives it as a small table per mentor.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.features.competency_state import AS_OF
from recsys.features.mentor import DISTANCES, mentor_features

#: Features of the effectiveness model, in model order.
EFFECT_FEATURES = (
    "distance",
    "mentee_remote",
    "is_supervisor",
    "mentor_rating_mean",
    "mentor_developing_others",
    "mentor_n_mentored",
)
#: Monotone constraints of the effectiveness model, aligned with :data:`EFFECT_FEATURES`:
#: nearer is no worse, better-rated and stronger in developing others is no worse.
MONOTONE = (-1, 0, 0, 1, 1, 0)
#: Contexts of the effect table, in column order: (distance, remote mentee, supervisor).
CONTEXTS = tuple((d, r, s) for d in range(len(DISTANCES)) for r in (0.0, 1.0) for s in (0.0, 1.0))


# The name and module of this function are stored in saved models (LightGBM keeps its
# objective by reference): recsys.tracking.legacy maps the old path to this module.
def _log_link_objective(
    y_true: np.ndarray | None, raw: np.ndarray, weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Squared error of ``y ≈ coverage × exp(raw)`` (coverage passed as the weight):
    gradient and Gauss–Newton hessian with respect to the raw score."""
    if y_true is None or weight is None:
        raise ValueError("the effectiveness model needs outcomes and coverage (as weights)")
    mu = weight * np.exp(raw)
    return -(y_true - mu) * mu, mu**2 + 1e-9


def prior_design(x: pd.DataFrame) -> np.ndarray:
    """Columns of the log-linear prior: intercept, distance classes, remote-area mentee
    (and far), supervisor, developing others and rating (piecewise linear, knots at ±0.5
    around the middle; missing → 0, with indicators), log mentorships."""
    distance = x["distance"].to_numpy(dtype=float)
    remote = x["mentee_remote"].to_numpy(dtype=float)
    develop = x["mentor_developing_others"].to_numpy(dtype=float)
    rating = x["mentor_rating_mean"].to_numpy(dtype=float) - 3.5
    return np.column_stack(
        [
            np.ones(len(x)),
            distance == 1,
            distance == 2,
            remote,
            remote * (distance == 2),
            x["is_supervisor"].to_numpy(dtype=float),
            np.nan_to_num(develop),
            np.nan_to_num(np.maximum(develop - 0.5, 0.0)),
            np.nan_to_num(np.maximum(develop + 0.5, 0.0)),
            np.isnan(develop),
            np.nan_to_num(rating),
            np.nan_to_num(np.maximum(rating - 0.5, 0.0)),
            np.nan_to_num(np.maximum(rating + 0.5, 0.0)),
            np.isnan(rating),
            np.log1p(x["mentor_n_mentored"].to_numpy(dtype=float)),
        ]
    ).astype(float)


def fit_log_linear(
    design: np.ndarray, cover: np.ndarray, residual: np.ndarray, alpha: float = 1.0
) -> np.ndarray:
    """Ridge-penalised least squares of ``residual ≈ cover × exp(design @ beta)`` by
    Gauss–Newton (the intercept unpenalised), started at the best constant."""
    base = float(np.sum(cover * residual) / np.sum(cover**2))
    beta = np.zeros(design.shape[1])
    beta[0] = np.log(max(base, 1e-3))
    penalty = alpha * np.eye(len(beta))
    penalty[0, 0] = 0.0
    for _ in range(25):
        mu = cover * np.exp(np.clip(design @ beta, -20, 5))
        jac = design * mu[:, None]
        step = np.linalg.solve(jac.T @ jac + penalty, jac.T @ (residual - mu) - penalty @ beta)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-6:
            break
    return beta


def effect_regressor(
    *,
    n_estimators: int,
    learning_rate: float,
    num_leaves: int,
    min_child_samples: int,
    subsample: float,
    random_state: int,
) -> lgb.LGBMRegressor:
    """An unfitted LightGBM booster of the log-link objective, monotone as :data:`MONOTONE`."""
    return lgb.LGBMRegressor(
        objective=_log_link_objective,
        n_estimators=n_estimators,
        learning_rate=learning_rate,
        num_leaves=num_leaves,
        min_child_samples=min_child_samples,
        monotone_constraints=list(MONOTONE),
        subsample=subsample,
        subsample_freq=1,
        random_state=random_state,
        # one thread: small data, and no OpenMP spinning when the machine is busy
        n_jobs=1,
        verbose=-1,
    )


def fit_effect(
    regressor: lgb.LGBMRegressor, x: pd.DataFrame, cover: np.ndarray, residual: np.ndarray
) -> lgb.LGBMRegressor:
    """``regressor`` (from :func:`effect_regressor`) fitted to ``residual ≈ cover ×
    exp(f(x))``: the log-linear prior as the initial score, LightGBM boosting from it. The
    prior's coefficients are kept as ``prior_`` (LightGBM does not keep the init score:
    :func:`effect` adds it)."""
    beta = fit_log_linear(prior_design(x), cover, residual)
    # small histories: leaves no larger than a tenth of the data, or nothing can split
    leaf = min(regressor.min_child_samples, max(5, len(x) // 10))
    model = regressor.set_params(min_child_samples=leaf).fit(
        x, residual, sample_weight=cover, init_score=prior_design(x) @ beta
    )
    model.prior_ = beta
    return model


def effect(model: lgb.LGBMRegressor, x: pd.DataFrame) -> np.ndarray:
    """Effectiveness (SKP points per point of coverage) of a :func:`fit_effect` model for
    rows of :data:`EFFECT_FEATURES`."""
    raw = np.asarray(model.predict(x, raw_score=True), dtype=float)
    return np.exp(prior_design(x) @ model.prior_ + raw)


def context(distance: np.ndarray, remote: np.ndarray, supervisor: np.ndarray) -> np.ndarray:
    """Column of a pair's context in the effect table (order of :data:`CONTEXTS`)."""
    return distance * 4 + remote.astype(int) * 2 + supervisor.astype(int)


def context_features(contexts: np.ndarray) -> pd.DataFrame:
    """The distance, mentee_remote and is_supervisor features of :func:`context` columns."""
    distance, rest = np.divmod(np.asarray(contexts), 4)
    remote, supervisor = np.divmod(rest, 2)
    return pd.DataFrame(
        {
            "distance": distance.astype(float),
            "mentee_remote": remote.astype(float),
            "is_supervisor": supervisor.astype(float),
        }
    )


@dataclass(frozen=True)
class Effects:
    """Effectiveness of a set of mentors in every context."""

    point: np.ndarray  # mentors × contexts
    features: pd.DataFrame  # mentor-level effect features, one row per mentor
    has_record: np.ndarray  # mentors: has mentored before


def effect_table(
    model: lgb.LGBMRegressor, ds: Dataset, mentor_nips: pd.Series, when: pd.Timestamp
) -> Effects:
    """Effectiveness of each mentor in every context (:data:`CONTEXTS`) as of ``when``."""
    n = len(mentor_nips)
    per_mentor = mentor_features(ds, pd.DataFrame({"nip": mentor_nips, AS_OF: when}))
    x = per_mentor.loc[np.tile(np.arange(n), len(CONTEXTS))].reset_index(drop=True)
    x["distance"] = np.repeat([c[0] for c in CONTEXTS], n).astype(float)
    x["mentee_remote"] = np.repeat([c[1] for c in CONTEXTS], n)
    x["is_supervisor"] = np.repeat([c[2] for c in CONTEXTS], n)
    point = effect(model, x[list(EFFECT_FEATURES)])
    return Effects(
        point=point.reshape(len(CONTEXTS), n).T,
        features=per_mentor,
        has_record=per_mentor["mentor_n_mentored"].to_numpy() > 0,
    )
