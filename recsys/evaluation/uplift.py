"""How much gain a ranking captures: top-k share of the oracle (known effects), Qini curves
(observed outcomes) and true uplift curves (known effects).

- **Top-k share of the oracle** (demo world): give every person the k trainings a ranking
  puts first; the realized true gain as a share of the best k per person. At each k this is
  :func:`recsys.evaluation.trainings.share_of_oracle` of
  :func:`recsys.evaluation.trainings.top_k` — computed here for many k at once.
- **Qini curve** (Radcliffe 2007, "Using control groups to target on predicted lift",
  Direct Marketing Analytics Journal 1): people sorted by predicted effect, best first; for
  the top n, Q(n) = Y_T(n) − Y_C(n) · N_T(n) / N_C(n), the treated's total outcome minus the
  controls' scaled to as many people: the extra outcome the targeted treated gained. With
  inverse-propensity weights (treated 1/e, controls 1/(1 − e)) the sums and counts are
  weighted, which corrects for who was treated in observational data.
- **True uplift curve** (known effects): the total true effect of treating the top share.

Curves are frames with columns ``share`` (of people targeted, 0–1), ``gain`` (outcome units,
total) and ``curve``; a straight line from 0 to the last point is what random targeting gets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from recsys.data.cohorts import staff
from recsys.data.loading import Dataset
from recsys.evaluation.trainings import BASELINES, baseline_scores, candidate_pairs
from recsys.models.trainings import TrainingRecommender

#: Points per curve.
CURVE_POINTS = 101


@dataclass(frozen=True)
class TrainingRankings:
    """Every candidate (person, training) pair of a demo world with its true gain and the
    score of each ranking (``model`` and the baselines of :mod:`recsys.evaluation.trainings`).

    ``pairs``: nip, training_id, true_gain (SKP points, the truth's expected gain);
    ``scores``: one column per ranking, aligned with ``pairs``; ``forecast``: the model's
    expected_gain, gain_lower, gain_upper and weighted_gap, aligned too.
    """

    pairs: pd.DataFrame
    scores: pd.DataFrame
    forecast: pd.DataFrame


def training_rankings(
    model: TrainingRecommender,
    ds: Dataset,
    truth_dir: str | Path,
    *,
    max_people: int | None = None,
    seed: int = 0,
    alpha: float = 0.1,
) -> TrainingRankings:
    """Score every active person's candidate trainings with the fitted ``model`` (pairs
    without a gap it can close last, as in the recommender) and with each baseline."""
    truth = pd.read_parquet(Path(truth_dir) / "training_gain.parquet")
    gain = truth.set_index([truth["nip"].astype(str), truth["training_id"].astype(str)])[
        "expected_gain"
    ]
    people = staff(ds)["nip"].astype(str)
    if max_people is not None and len(people) > max_people:
        people = people.sample(max_people, random_state=seed)
    pairs = candidate_pairs(ds, people)
    forecast, _ = model.forecast(ds, pairs["nip"], pairs["training_id"], alpha=alpha)
    model_score = np.where(
        forecast["weighted_gap"].to_numpy() > 0, forecast["expected_gain"], -np.inf
    )
    baselines = baseline_scores(ds, pairs, model.as_of_)
    scores = pd.DataFrame({"model": model_score}).join(baselines[list(BASELINES)])
    true_gain = gain.reindex(pd.MultiIndex.from_frame(pairs)).to_numpy(dtype=float)
    if np.isnan(true_gain).any():
        raise ValueError("the truth has no gain for some candidate pairs: is it this world's?")
    return TrainingRankings(
        pairs=pairs.assign(true_gain=true_gain),
        scores=scores,
        forecast=forecast[["expected_gain", "gain_lower", "gain_upper", "weighted_gap"]],
    )


def _rank_within(nips: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Each pair's 0-based rank within its person by descending score (ties: pair order)."""
    order = np.lexsort((np.arange(len(score)), -score, nips))
    sorted_nips = nips[order]
    starts = np.flatnonzero(np.r_[True, sorted_nips[1:] != sorted_nips[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order)) - np.repeat(starts, sizes)
    return rank


def topk_share(rankings: TrainingRankings, ks: ArrayLike = (1, 2, 3, 5, 10)) -> pd.DataFrame:
    """Per k and ranking: the true gain of each person's top-k as a share of the best k's
    (0–1). Columns ``k``, ``ranking``, ``share``; ``oracle`` rows are 1 by definition and
    left out."""
    nips = pd.factorize(rankings.pairs["nip"])[0]
    true = rankings.pairs["true_gain"].to_numpy(dtype=float)
    best_rank = _rank_within(nips, true)
    rows = []
    ranks = {name: _rank_within(nips, rankings.scores[name].to_numpy()) for name in rankings.scores}
    for k in np.asarray(ks, dtype=int):
        best = true[best_rank < k].sum()
        for name, rank in ranks.items():
            share = true[rank < k].sum() / best if best > 0 else np.nan
            rows.append({"k": int(k), "ranking": name, "share": float(share)})
    return pd.DataFrame(rows)


def _at_points(cumulative: np.ndarray, points: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(cumulative)
    counts = np.unique(np.round(np.linspace(0, n, points)).astype(int))
    values = np.r_[0.0, cumulative][counts]
    return counts / n, values


def qini_curve(
    score: ArrayLike,
    treated: ArrayLike,
    outcome: ArrayLike,
    *,
    propensity: ArrayLike | None = None,
    name: str = "model",
    points: int = CURVE_POINTS,
) -> pd.DataFrame:
    """Qini curve of ranking people by ``score`` (highest first); see the module docstring.

    ``propensity`` (P(treated | x) per person, in (0, 1)): inverse-propensity weights. Gain
    is in outcome units, totalled over the people targeted (scaled by weights if given).
    """
    s = np.asarray(score, dtype=float)
    t = np.asarray(treated).astype(bool)
    y = np.asarray(outcome, dtype=float)
    if not len(s) == len(t) == len(y):
        raise ValueError("score, treated and outcome must have the same length")
    if propensity is None:
        w = np.ones(len(s))
    else:
        e = np.clip(np.asarray(propensity, dtype=float), 1e-3, 1 - 1e-3)
        w = np.where(t, 1.0 / e, 1.0 / (1.0 - e))
    order = np.argsort(-s, kind="stable")
    t, y, w = t[order], y[order], w[order]
    y_t = np.cumsum(np.where(t, w * y, 0.0))
    y_c = np.cumsum(np.where(t, 0.0, w * y))
    n_t = np.cumsum(np.where(t, w, 0.0))
    n_c = np.cumsum(np.where(t, 0.0, w))
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(n_c > 0, y_t - y_c * n_t / n_c, 0.0)
    share, gain = _at_points(q, points)
    return pd.DataFrame({"share": share, "gain": gain, "curve": name})


def uplift_curve(
    score: ArrayLike, effect: ArrayLike, *, name: str = "model", points: int = CURVE_POINTS
) -> pd.DataFrame:
    """True uplift curve: the total true ``effect`` of treating the top share by ``score``."""
    s = np.asarray(score, dtype=float)
    tau = np.asarray(effect, dtype=float)
    if len(s) != len(tau):
        raise ValueError("score and effect must have the same length")
    order = np.argsort(-s, kind="stable")
    share, gain = _at_points(np.cumsum(tau[order]), points)
    return pd.DataFrame({"share": share, "gain": gain, "curve": name})


def cross_fitted_effect(
    estimator: Any,
    X: pd.DataFrame,
    treated: ArrayLike,
    outcome: ArrayLike,
    *,
    n_splits: int = 2,
    seed: int = 0,
) -> np.ndarray:
    """Each row's effect as estimated by a clone of ``estimator`` (anything with
    ``fit(X, treated, outcome)`` and ``effect(X)``, e.g.
    :class:`~recsys.models.impact.ImpactEstimator`) fitted on the other folds (stratified by
    treatment): effects for a Qini curve that no row helped estimate."""
    t = np.asarray(treated).astype(int)
    y = np.asarray(outcome, dtype=float)
    effect = np.empty(len(t))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    # Only these fits' effects are used, not their intervals: their interval-calibration
    # warnings (on a fraction of the data) would only mislead.
    quiet = logging.getLogger("recsys.models.impact")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        for fit_rows, held_out in folds.split(np.zeros(len(t)), t):
            model = clone(estimator).fit(X.iloc[fit_rows], t[fit_rows], y[fit_rows])
            effect[held_out] = model.effect(X.iloc[held_out])
    finally:
        quiet.setLevel(level)
    return effect


def random_line(curve: pd.DataFrame, *, name: str = "random") -> pd.DataFrame:
    """What random targeting gets: a straight line from 0 to the curve's last point."""
    end = float(curve["gain"].iloc[-1])
    return pd.DataFrame({"share": curve["share"], "gain": curve["share"] * end, "curve": name})


def area_above_random(curve: pd.DataFrame) -> float:
    """Area between a curve and :func:`random_line` over shares 0–1 (outcome units; the Qini
    coefficient when the curve is a Qini curve). Positive: better than random."""
    share = curve["share"].to_numpy(dtype=float)
    above = curve["gain"].to_numpy(dtype=float) - random_line(curve)["gain"].to_numpy()
    return float(np.sum((above[1:] + above[:-1]) / 2 * np.diff(share)))
