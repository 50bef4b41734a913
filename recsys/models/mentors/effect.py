"""The mentor effectiveness model: how many SKP points a point of coverage is worth, for a
given mentor in a given context.

outcome ≈ coverage × effectiveness, with effectiveness = scale × exp(design(x) · slopes): a
log link, because distance, the mentor's skill and load multiply. The design
(:func:`design`, :data:`COLUMNS`) has few columns, each in natural units: distance class
(0 same unit, 1 same region, 2 far: one slope, as nearer is no worse and far moves are
rare in a history), remote-area mentee and remote-area mentee with a far mentor, the
direct supervisor, developing others (levels above the standard), the mean rating by past
mentees (points from the history's mean) and the mentor's load (log of the mentees the
mentor had at the same time). It is fitted by penalised least squares (ridge on the
slopes, a normal prior of sd ``prior_sd`` on each, Levenberg–Marquardt) with the signs the
data may not reverse (:data:`COLUMNS`): a history of a few thousand noisy outcomes
identifies a handful of slopes, not a tree ensemble. Every step is bounded
(effectiveness between :data:`EFFECT_FLOOR` and :data:`EFFECT_CAP`), so no history can
overflow it; a fit that still is not finite is a ``ValueError``.

Beside it, the simple rule (:func:`fit_constant`): coverage × one constant effectiveness.
Where mentoring had no effect in the history (the best constant is not above
:data:`EFFECT_FLOOR`), both say so: effectiveness is the floor, a tiny common effect, so
candidates are still ordered by coverage, and the intervals (:func:`gain_interval`) lie
around 0.

Effectiveness depends only on the mentor and the pair's context (distance × remote-area
mentee × supervisor), and forecasts are for a mentor taking one mentee at a time (load 1),
so :func:`effect_table` gives it as a small table per mentor; :meth:`EffectModel.load_factor`
says how it falls with more mentees at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.features.competency_state import AS_OF
from recsys.features.mentor import DISTANCES, mentor_features

#: Pair features the effectiveness model reads (besides coverage), in model order.
EFFECT_FEATURES = (
    "distance",
    "mentee_remote",
    "is_supervisor",
    "mentor_rating_mean",
    "mentor_developing_others",
)
#: Optional pair feature: the mentees the mentor has at the same time (≥ 1; absent: 1).
LOAD = "mentor_load"
#: Columns of the design after the scale, with the sign the fit keeps each slope to (−1:
#: not above 0, +1: not below 0, 0: free): nearer is no worse, better developing others and
#: better ratings are no worse, more mentees at once is no better.
COLUMNS = (
    ("distance", -1),
    ("mentee_remote", 0),
    ("remote_far", 0),
    ("is_supervisor", 0),
    ("developing_others", 1),
    ("rating", 1),
    ("log_load", -1),
)
#: Bounds of the effectiveness (SKP points per point of coverage). The floor is the tiny
#: common effect left where the history shows none (candidates still ordered by coverage);
#: above the cap a mentee would gain more than the mentor's whole lead.
EFFECT_FLOOR = 1e-3
EFFECT_CAP = 1.0
#: What the effectiveness was fitted as: the learned model or the simple rule.
KINDS = ("learned", "constant")
#: Contexts of the effect table, in column order: (distance, remote mentee, supervisor).
CONTEXTS = tuple((d, r, s) for d in range(len(DISTANCES)) for r in (0.0, 1.0) for s in (0.0, 1.0))

_LOG_FLOOR, _LOG_CAP = float(np.log(EFFECT_FLOOR)), float(np.log(EFFECT_CAP))
_MAX_ITER = 100
#: Largest change of a log coefficient in one step (a longer one is damped).
_MAX_STEP = 10.0


# Models saved before this version name this function (LightGBM keeps its objective by
# reference); it stays so that they unpickle and can be told to retrain.
def _log_link_objective(
    y_true: np.ndarray | None, raw: np.ndarray, weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Squared error of ``y ≈ coverage × exp(raw)`` (coverage passed as the weight):
    gradient and Gauss–Newton hessian with respect to the raw score."""
    if y_true is None or weight is None:
        raise ValueError("the effectiveness model needs outcomes and coverage (as weights)")
    mu = weight * np.exp(np.clip(raw, _LOG_FLOOR, _LOG_CAP))
    return -(y_true - mu) * mu, mu**2 + 1e-9


def design(x: pd.DataFrame, rating_center: float) -> np.ndarray:
    """The :data:`COLUMNS` of pair features ``x`` (:data:`EFFECT_FEATURES`, optionally
    :data:`LOAD`): missing developing others or rating count as the standard and the mean
    (0)."""
    columns = _design_without_rating(x)
    _set_rating(columns, x, rating_center)
    return columns


_RATING = [name for name, _ in COLUMNS].index("rating")


def _design_without_rating(x: pd.DataFrame) -> np.ndarray:
    """:func:`design` with the rating column left at 0 (the only column that depends on the
    model, through its ``rating_center``)."""
    distance = x["distance"].to_numpy(dtype=float)
    remote = x["mentee_remote"].to_numpy(dtype=float)
    load = x[LOAD].to_numpy(dtype=float) if LOAD in x else np.ones(len(x))
    return np.column_stack(
        [
            distance,
            remote,
            remote * (distance == 2),
            x["is_supervisor"].to_numpy(dtype=float),
            np.nan_to_num(x["mentor_developing_others"].to_numpy(dtype=float)),
            np.zeros(len(x)),
            np.log(np.maximum(np.nan_to_num(load, nan=1.0), 1.0)),
        ]
    )


def _set_rating(columns: np.ndarray, x: pd.DataFrame, rating_center: float) -> None:
    rating = x["mentor_rating_mean"].to_numpy(dtype=float)
    columns[:, _RATING] = np.nan_to_num(rating - rating_center)


@dataclass(frozen=True)
class EffectModel:
    """Effectiveness (SKP points per point of coverage) = ``scale`` × exp(:func:`design`
    · ``slopes``), bounded by :data:`EFFECT_FLOOR` and :data:`EFFECT_CAP`.

    ``kind``: ``"learned"`` or ``"constant"`` (the simple rule: no slopes).
    ``rating_center``: the mean mentee rating of the history (points). ``scale`` of a
    constant fitted where mentoring had no effect may be 0 or below (:meth:`raw` keeps it,
    for the spread of refits; :meth:`predict` bounds it).
    """

    kind: str
    scale: float
    slopes: np.ndarray
    rating_center: float

    def raw(self, x: pd.DataFrame) -> np.ndarray:
        """Effectiveness before the bounds (the scale's sign kept)."""
        return self._raw(design(x, self.rating_center))

    def _raw(self, columns: np.ndarray) -> np.ndarray:
        eta = np.clip(columns @ self.slopes, -30.0, 30.0)
        return self.scale * np.exp(eta)

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """Effectiveness of rows of :data:`EFFECT_FEATURES` (load 1 unless :data:`LOAD`
        is given)."""
        return np.clip(self.raw(x), EFFECT_FLOOR, EFFECT_CAP)

    def load_factor(self, load: np.ndarray | float) -> np.ndarray:
        """How much of the effectiveness at load 1 is left when the mentor has ``load``
        mentees at once (≤ 1 for load ≥ 1)."""
        slope = self.slopes[[name for name, _ in COLUMNS].index("log_load")]
        return np.exp(slope * np.log(np.maximum(np.asarray(load, dtype=float), 1.0)))

    def coefficients(self) -> pd.Series:
        """``scale`` and the slopes by column name (for reports and run artifacts)."""
        names = ["scale", *(name for name, _ in COLUMNS), "rating_center"]
        return pd.Series([self.scale, *self.slopes, self.rating_center], index=names)


def raw_spread(models: Sequence[EffectModel], x: pd.DataFrame) -> np.ndarray:
    """Standard deviation over ``models`` (bootstrap refits) of their
    :meth:`EffectModel.raw` of ``x``: the design is built once and only its rating column
    is set for each model."""
    base = _design_without_rating(x)
    raws = []
    for model in models:
        columns = base.copy()
        _set_rating(columns, x, model.rating_center)
        raws.append(model._raw(columns))
    return np.column_stack(raws).std(axis=1)


def best_constant(cover: np.ndarray, outcome: np.ndarray) -> float:
    """Least-squares effectiveness of ``outcome ≈ cover × c`` (may be 0 or below)."""
    denominator = float(np.sum(cover**2))
    return float(np.sum(cover * outcome)) / denominator if denominator > 0 else 0.0


def _rating_center(x: pd.DataFrame) -> float:
    ratings = x["mentor_rating_mean"].to_numpy(dtype=float)
    return float(np.nanmean(ratings)) if np.isfinite(ratings).any() else 0.0


def _check_history(cover: np.ndarray, outcome: np.ndarray) -> None:
    if len(cover) != len(outcome):
        raise ValueError(f"{len(cover)} coverages but {len(outcome)} outcomes")
    if not (np.isfinite(cover).all() and np.isfinite(outcome).all()):
        raise ValueError(
            "the mentor effectiveness cannot be fitted: coverage or outcomes are not finite"
        )


def fit_constant(x: pd.DataFrame, cover: np.ndarray, outcome: np.ndarray) -> EffectModel:
    """The simple rule: coverage × one constant effectiveness (least squares)."""
    _check_history(cover, outcome)
    return EffectModel(
        kind="constant",
        scale=best_constant(cover, outcome),
        slopes=np.zeros(len(COLUMNS)),
        rating_center=_rating_center(x),
    )


def fit_learned(
    x: pd.DataFrame, cover: np.ndarray, outcome: np.ndarray, *, prior_sd: float
) -> EffectModel:
    """The learned effectiveness: ``outcome ≈ cover × scale × exp(design · slopes)`` by
    penalised least squares, each slope with a normal prior of sd ``prior_sd`` (the ridge
    penalty is the outcome's variance over ``prior_sd``²) and kept to the sign of
    :data:`COLUMNS` (a slope of the wrong sign is fixed at 0 and the rest refitted).

    Where the best constant is not above :data:`EFFECT_FLOOR` there is no effect to
    explain: the result is that constant, without slopes."""
    if prior_sd <= 0:
        raise ValueError(f"prior_sd must be positive, got {prior_sd}")
    _check_history(cover, outcome)
    center = _rating_center(x)
    start = best_constant(cover, outcome)
    slopes = np.zeros(len(COLUMNS))
    if start <= EFFECT_FLOOR:
        return EffectModel(kind="learned", scale=start, slopes=slopes, rating_center=center)
    columns = design(x, center)
    variance = float(np.mean((outcome - start * cover) ** 2))
    penalty = max(variance, 1e-12) / prior_sd**2
    signs = np.array([sign for _, sign in COLUMNS])
    free = np.ones(len(COLUMNS), dtype=bool)
    theta = np.r_[np.log(min(start, EFFECT_CAP)), slopes]
    for _ in range(len(COLUMNS) + 1):
        theta = _levenberg_marquardt(
            np.column_stack([np.ones(len(cover)), columns[:, free]]),
            cover,
            outcome,
            penalty,
            np.r_[theta[0], theta[1:][free]],
        )
        slopes = np.zeros(len(COLUMNS))
        slopes[free] = theta[1:]
        wrong = free & (signs * slopes < 0)
        if not wrong.any():
            break
        free &= ~wrong
        theta = np.r_[theta[0], slopes]
    if not (np.isfinite(theta).all() and np.isfinite(slopes).all()):
        raise ValueError(
            "the mentor effectiveness fit is not finite; the history's outcomes or coverage "
            "hold values it cannot use"
        )
    return EffectModel(
        kind="learned", scale=float(np.exp(theta[0])), slopes=slopes, rating_center=center
    )


def _levenberg_marquardt(
    columns: np.ndarray, cover: np.ndarray, outcome: np.ndarray, penalty: float, theta: np.ndarray
) -> np.ndarray:
    """Minimise Σ (outcome − cover·exp(clip(columns·θ)))² + penalty·Σ θ[1:]² from ``theta``.

    The log effectiveness is clipped to [log floor, log cap], so nothing overflows; a
    clipped row does not pull on θ. Steps are damped until the objective falls."""
    weights = np.full(len(theta), penalty)
    weights[0] = 0.0

    def fitted(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        eta = columns @ t
        inside = (eta > _LOG_FLOOR) & (eta < _LOG_CAP)
        return cover * np.exp(np.clip(eta, _LOG_FLOOR, _LOG_CAP)), inside

    def objective(t: np.ndarray) -> float:
        return float(np.sum((outcome - fitted(t)[0]) ** 2) + np.sum(weights * t**2))

    current, damping = objective(theta), 1e-3
    for _ in range(_MAX_ITER):
        mu, inside = fitted(theta)
        jac = columns * (mu * inside)[:, None]
        gradient = jac.T @ (outcome - mu) - weights * theta
        hessian = jac.T @ jac + np.diag(weights)
        scale = np.diag(hessian) + 1e-12
        while damping <= 1e12:
            step = np.linalg.solve(hessian + damping * np.diag(scale), gradient)
            if not np.isfinite(step).all() or np.max(np.abs(step)) > _MAX_STEP:
                damping *= 10.0
                continue
            trial = theta + step
            value = objective(trial)
            if value <= current:
                break
            damping *= 10.0
        else:
            return theta
        converged = current - value <= 1e-12 * max(current, 1.0)
        theta, current, damping = trial, value, max(damping / 10.0, 1e-9)
        if converged or np.max(np.abs(step)) < 1e-8:
            break
    return theta


def fit_effect(
    kind: str, x: pd.DataFrame, cover: np.ndarray, outcome: np.ndarray, *, prior_sd: float
) -> EffectModel:
    """The effectiveness of ``kind`` (:data:`KINDS`) fitted to ``outcome ≈ cover × effect``
    (``x``: :data:`EFFECT_FEATURES` and :data:`LOAD`)."""
    if kind == "learned":
        return fit_learned(x, cover, outcome, prior_sd=prior_sd)
    if kind == "constant":
        return fit_constant(x, cover, outcome)
    raise ValueError(f"the effect must be one of {KINDS}, got {kind!r}")


def relative_error(
    forecast: np.ndarray, observed: np.ndarray, noise_var: float, *, prior: float
) -> float:
    """Log-sd of a forecast's multiplicative error against the true gain, beyond the
    estimation spread.

    The out-of-fold ``forecast`` misses the de-baselined ``observed`` outcome by the
    outcome's noise (``noise_var``, from the baseline's control windows) plus that error:
    E[(observed − forecast)² − noise_var] ≈ k·forecast², k = exp(s²) − 1. The weighted
    least-squares k (bigger forecasts weigh more: they are the ones recommended) is
    combined with the ``prior`` s by precision (prior sd of k: a third of its mean), so a
    short, noisy history leans on the prior and a long one on its own error."""
    prior_k = float(np.expm1(prior**2))
    squared = forecast**2
    weight = float(np.sum(squared**2))
    if weight <= 0 or len(forecast) < 2:
        return prior
    excess = (observed - forecast) ** 2 - noise_var
    k = float(np.sum(squared * excess)) / weight
    se = float(np.std(excess)) * np.sqrt(weight) / weight
    prior_precision = 1.0 / (prior_k / 3.0) ** 2
    precision = 1.0 / se**2 if se > 0 else 0.0
    blended = (prior_k * prior_precision + k * precision) / (prior_precision + precision)
    return float(np.sqrt(np.log1p(max(blended, 0.0))))


def gain_interval(
    expected: np.ndarray, spread: np.ndarray, relative: float, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds (SKP points) of a (1 − alpha) interval around ``expected``:
    the multiplicative error of log-sd ``relative`` (asymmetric: exp(± z·relative)) and the
    estimation ``spread`` (sd of the refits' gain, points) combined side by side. Where the
    effect is nil the interval is ± z·spread around 0."""
    z = NormalDist().inv_cdf(1 - alpha / 2)
    expected = np.asarray(expected, dtype=float)
    spread = z * np.nan_to_num(np.asarray(spread, dtype=float))
    down = expected * -np.expm1(-z * relative)
    up = expected * np.expm1(z * relative)
    return expected - np.hypot(down, spread), expected + np.hypot(up, spread)


def concurrent_load(
    mentorships: pd.DataFrame, past: pd.DataFrame, until: pd.Timestamp
) -> np.ndarray:
    """For each mentorship of ``past`` (mentor_nip, start_date, end_date), how many of the
    mentor's ``mentorships`` (itself included) ran at the same time; a mentorship without
    an end runs until ``until``."""
    every = pd.DataFrame(
        {
            "mentor": mentorships["mentor_nip"].astype(str).to_numpy(),
            "start": pd.to_datetime(mentorships["start_date"]).to_numpy(),
            "end": pd.to_datetime(mentorships["end_date"]).fillna(until).to_numpy(),
        }
    )
    asked = pd.DataFrame(
        {
            "mentor": past["mentor_nip"].astype(str).to_numpy(),
            "start": pd.to_datetime(past["start_date"]).to_numpy(),
            "end": pd.to_datetime(past["end_date"]).fillna(until).to_numpy(),
            "_row": np.arange(len(past)),
        }
    )
    pairs = asked.merge(every, on="mentor", suffixes=("", "_other"))
    overlap = (pairs["start_other"] < pairs["end"]) & (pairs["end_other"] > pairs["start"])
    counts = overlap.groupby(pairs["_row"]).sum()
    return np.maximum(counts.reindex(range(len(past)), fill_value=0).to_numpy(dtype=float), 1.0)


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
    model: EffectModel,
    ds: Dataset,
    mentor_nips: pd.Series,
    when: pd.Timestamp,
    *,
    state: pd.DataFrame | None = None,
) -> Effects:
    """Effectiveness of each mentor in every context (:data:`CONTEXTS`) as of ``when``, for
    one mentee at a time (``state``: the mentors' competency state then, if the caller has
    it already: :func:`~recsys.features.mentor.mentor_features`)."""
    n = len(mentor_nips)
    queries = pd.DataFrame({"nip": mentor_nips, AS_OF: when})
    per_mentor = mentor_features(ds, queries, state=state)
    x = per_mentor.loc[np.tile(np.arange(n), len(CONTEXTS))].reset_index(drop=True)
    x["distance"] = np.repeat([c[0] for c in CONTEXTS], n).astype(float)
    x["mentee_remote"] = np.repeat([c[1] for c in CONTEXTS], n)
    x["is_supervisor"] = np.repeat([c[2] for c in CONTEXTS], n)
    point = model.predict(x[list(EFFECT_FEATURES)])
    return Effects(
        point=point.reshape(len(CONTEXTS), n).T,
        features=per_mentor,
        has_record=per_mentor["mentor_n_mentored"].to_numpy() > 0,
    )
