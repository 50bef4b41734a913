"""The mentor recommender: senior colleagues ranked by the forecast gain in a mentee's SKP
score from being mentored by them.

How a forecast is made:

1. **Candidates**: active employees of the mentee's agency at least
   :data:`SENIOR_STEPS` steps more senior (position type, then grade), whose last appraisal
   was ``baik`` or ``sangat_baik``; never the mentee, and not the mentee's direct supervisor
   unless the setting ``RECSYS_MENTOR_ALLOW_SUPERVISOR`` allows it.
2. **Coverage** of a (mentee, mentor) pair: in every competency of the mentee's standard
   where the mentee is below the standard (plus the surplus that still counts), how far the
   mentor is ahead, weighted by how much that competency matters for performance
   (:class:`~recsys.models.importance.CompetencyImportance`). A mentor who knows nothing the mentee
   lacks covers nothing and is not a candidate.
3. **Effectiveness**, learned from past mentorships and their outcomes (the contract's
   outcome, minus what the mentee would have gained anyway: :class:`~recsys.models.baseline.
   ScoreBaseline`, whose control windows exclude only mentorships and which takes the
   trainings completed in the window as features, so trainings are not credited to
   mentors): outcome ≈ coverage × exp(f(x)), a log link, because distance, the mentor's
   skill and record multiply. f starts from a ridge-penalised log-linear model (few
   parameters, steady on few noisy outcomes) and LightGBM, monotone where it should be,
   boosts what it misses. Features: the mentor's record (mentee ratings, mentorships),
   their level in *Pengembangan Diri dan Orang Lain* (developing others), the distance
   (same unit, same region, other region; remote-area mentee: the data decide whether
   remote mentoring works) and whether the mentor is the supervisor.
4. **Expected gain** = coverage × effectiveness (SKP points at the first appraisal at least
   six months after the mentorship); the interval combines the spread of bootstrap refits
   with the model's out-of-fold error (outcome noise removed), as for trainings.

Effectiveness depends only on the mentor and the pair's context, so it is a small table per
mentor and every candidate of a whole agency is scored exactly, without pruning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from recsys.features.competency_state import AS_OF, QUERY, competency_state
from recsys.features.person import person_features
from recsys.features import outcomes as O
from recsys.models.baseline import ScoreBaseline
from recsys.data.contract import GRADES, ID_DTYPE, POSITION_SENIORITY, RATINGS
from recsys.data.loading import Dataset
from recsys.models.importance import SURPLUS_CAP, CompetencyImportance
from recsys.models.intervals import calibrate_error, error_at, interval_half_width
from recsys.models.reasons import check_language, explain_mentors
from recsys.data.snapshot import latest_date, snapshot
from recsys.models.trainings import UnknownEmployeeError

log = logging.getLogger(__name__)

ProgressFn = Callable[[str], None]

#: Output columns of :meth:`MentorRecommender.recommend`.
RECOMMENDATION_COLUMNS = (
    "nip",
    "rank",
    "mentor_nip",
    "expected_gain",
    "gain_lower",
    "gain_upper",
    "gaps_covered",
    "distance",
    "reason",
)
#: Columns of a batch export (``recommend ... --all``): one row per (nip, rank), the least
#: personal data a file for HR needs.
MENTOR_EXPORT_COLUMNS = (
    "nip",
    "rank",
    "mentor_nip",
    "expected_gain",
    "gain_lower",
    "gain_upper",
    "reason",
)
#: Grade steps a mentor is at least above the mentee (a position type above counts as more).
SENIOR_STEPS = 2
#: Last appraisal ratings a mentor must have (good recent performance).
GOOD_RATINGS = ("baik", "sangat_baik")
#: Distance classes, nearest first.
DISTANCES = ("same_unit", "same_region", "far")
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
#: The managerial competency "Pengembangan Diri dan Orang Lain" (developing self and
#: others) of the national ASN competency dictionary: a mentor's level in it is a feature.
DEVELOPING_OTHERS = "M6"
#: Ratings of a mentor's mentees are shrunk toward the mean of all ratings by this many.
RATING_PRIOR_N = 2.0
#: Fewest past mentorships with an outcome to learn from.
MIN_MENTORSHIPS = 30
N_FOLDS = 5
#: Pairs scored at a time (bounds memory).
PAIR_BLOCK = 1_000_000
#: Candidates per mentee scored exactly beyond the ``top`` asked for (the shortlist).
SHORTLIST_EXTRA = 20


class InactiveEmployeeError(ValueError):
    """NIPs of employees who are no longer active (no mentoring is planned for them)."""

    def __init__(self, nips: list[str]) -> None:
        shown = ", ".join(nips[:5]) + (f" and {len(nips) - 5} more" if len(nips) > 5 else "")
        super().__init__(f"not an active employee: {shown}")
        self.nips = nips


def seniority(employees: pd.DataFrame) -> np.ndarray:
    """Position-type rank × 100 + grade index, per employee (NaN where unknown)."""
    rank = employees["position_type"].astype(str).map(POSITION_SENIORITY).to_numpy(dtype=float)
    grade = pd.Categorical(employees["grade"].astype(str), categories=GRADES).codes.astype(float)
    grade[grade < 0] = np.nan
    return rank * 100 + grade


# ----------------------------------------------------------------------------- competencies


@dataclass(frozen=True)
class Profiles:
    """Competency profiles of a set of queries (person, date), slot by slot.

    ``codes`` (queries × slots, −1 = padding) index the competency dictionary ``vocabulary``;
    ``level``, ``required`` and ``weight`` are aligned with it (NaN at padding); ``dense``
    holds the level over the whole dictionary plus a trailing NaN column (gather target for
    the padding).
    """

    vocabulary: np.ndarray
    codes: np.ndarray
    level: np.ndarray
    required: np.ndarray
    weight: np.ndarray
    assessed: np.ndarray
    dense: np.ndarray
    room: np.ndarray = field(init=False)
    level32: np.ndarray = field(init=False)
    dense32: np.ndarray = field(init=False)
    open_weight: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        # Scoring arrays (float32, no NaN): a mentor's level 0 where their standard lacks a
        # competency; a mentee's weight 0 where they cannot improve (or at padding).
        with np.errstate(invalid="ignore"):
            room = self.level < np.minimum(self.required + SURPLUS_CAP, 5.0)
        object.__setattr__(self, "room", room)
        object.__setattr__(self, "level32", np.nan_to_num(self.level, nan=5.0).astype(np.float32))
        object.__setattr__(self, "dense32", np.nan_to_num(self.dense, nan=0.0).astype(np.float32))
        object.__setattr__(self, "open_weight", np.where(room, self.weight, 0.0).astype(np.float32))


def profiles(
    ds: Dataset, queries: pd.DataFrame, importance: CompetencyImportance, vocabulary: np.ndarray
) -> Profiles:
    """:class:`Profiles` of ``queries`` (columns nip, as_of) as of their dates."""
    state = competency_state(ds, queries)
    n = len(queries)
    vocab = pd.Index(vocabulary)
    code = vocab.get_indexer(state["competency"].astype(str))
    state = state.assign(_code=code)[code >= 0]
    slot = state.groupby(QUERY).cumcount().to_numpy()
    width = int(slot.max()) + 1 if len(slot) else 1
    rows = state[QUERY].to_numpy()

    def matrix(values: np.ndarray, fill: float) -> np.ndarray:
        out = np.full((n, width), fill)
        out[rows, slot] = values
        return out

    ptype = ds.employees.set_index("nip")["position_type"].astype(str)
    weight = importance.weight(
        ptype.reindex(state["nip"].astype(str)).to_numpy(), state["competency"].astype(str)
    )
    level = state["level_estimate"].to_numpy(dtype=float)
    dense = np.full((n, len(vocab) + 1), np.nan)
    dense[rows, state["_code"].to_numpy()] = level
    return Profiles(
        vocabulary=np.asarray(vocabulary),
        codes=matrix(state["_code"].to_numpy(), -1).astype(np.int64),
        level=matrix(level, np.nan),
        required=matrix(state["required_level"].to_numpy(dtype=float), np.nan),
        weight=matrix(weight, 0.0),
        assessed=matrix(state["implied_level"].notna().to_numpy(dtype=float), 0.0).astype(bool),
        dense=dense,
    )


def coverage(
    mentees: Profiles, mentee_rows: np.ndarray, mentors: Profiles, mentor_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted lead of each mentor over each mentee where the mentee can still improve.

    Returns ``coverage`` (SKP points per level, summed over the mentee's slots) and the
    per-slot lead (pairs × slots, levels; 0 where the mentor is not ahead or the mentee is
    already above the standard plus :data:`~recsys.models.importance.SURPLUS_CAP`).
    """
    codes = mentees.codes[mentee_rows]
    mentor_level = mentors.dense32[mentor_rows[:, None], codes]  # padding (-1) → 0 column
    lead = np.maximum(mentor_level - mentees.level32[mentee_rows], np.float32(0.0))
    cover = np.einsum("ps,ps->p", lead, mentees.open_weight[mentee_rows]).astype(float)
    return cover, np.where(mentees.room[mentee_rows], lead, 0.0)


def block_coverage(
    profiles_: Profiles, mentee_rows: np.ndarray, mentor_rows: np.ndarray
) -> np.ndarray:
    """:func:`coverage` of every (mentee, mentor) combination (mentees × mentors) at once,
    competency by competency over the dictionary — no per-pair gathers."""
    n_vocab = profiles_.dense32.shape[1] - 1  # without the padding column
    codes = profiles_.codes[mentee_rows]
    rows = np.arange(len(mentee_rows))[:, None]
    weight = np.zeros((len(mentee_rows), n_vocab + 1), dtype=np.float32)
    level = np.full((len(mentee_rows), n_vocab + 1), 5.0, dtype=np.float32)
    weight[rows, codes] = profiles_.open_weight[mentee_rows]
    level[rows, codes] = profiles_.level32[mentee_rows]
    mentor_level = profiles_.dense32[mentor_rows]
    total = np.zeros((len(mentee_rows), len(mentor_rows)), dtype=np.float32)
    for c in np.flatnonzero(weight[:, :n_vocab].any(axis=0)):
        lead = np.maximum(mentor_level[None, :, c] - level[:, c, None], np.float32(0.0))
        total += weight[:, c, None] * lead
    return total.astype(float)


# ----------------------------------------------------------------------------- mentor record


def mentor_record(ds: Dataset, queries: pd.DataFrame) -> pd.DataFrame:
    """Each query's (nip as mentor, as_of) record from mentorships ended before as_of:
    mentor_n_mentored, mentor_n_rated, mentor_rating_mean (shrunk toward the mean of all
    ratings by :data:`RATING_PRIOR_N`; NaN without any rating)."""
    ended = ds.mentorships.dropna(subset=["end_date"])
    rec = pd.DataFrame(
        {
            "nip": ended["mentor_nip"].astype(ID_DTYPE),
            "end_date": ended["end_date"],
            "n": 1.0,
            "rated": ended["mentee_rating"].notna().astype(float),
            "rating": ended["mentee_rating"].fillna(0.0),
        }
    ).sort_values(["nip", "end_date"], kind="stable")
    grouped = rec.groupby("nip", sort=False)
    cum = pd.DataFrame({"nip": rec["nip"], "end_date": rec["end_date"]})
    for col in ("n", "rated", "rating"):
        cum[f"sum_{col}"] = grouped[col].cumsum()
    q = pd.DataFrame(
        {
            "nip": queries["nip"].astype(ID_DTYPE).reset_index(drop=True),
            AS_OF: pd.to_datetime(queries[AS_OF]).astype("datetime64[ns]").to_numpy(),
            "_order": np.arange(len(queries)),
        }
    )
    joined = pd.merge_asof(
        q.sort_values(AS_OF, kind="stable"),
        cum.sort_values("end_date", kind="stable"),
        left_on=AS_OF,
        right_on="end_date",
        by="nip",
        direction="backward",
        allow_exact_matches=False,
    ).sort_values("_order")
    ratings = ended["mentee_rating"].dropna()
    prior = float(ratings.mean()) if len(ratings) else np.nan
    n_rated = joined["sum_rated"].fillna(0.0).to_numpy()
    total = joined["sum_rating"].fillna(0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        shrunk = (total + RATING_PRIOR_N * prior) / (n_rated + RATING_PRIOR_N)
    return pd.DataFrame(
        {
            "mentor_n_mentored": joined["sum_n"].fillna(0.0).to_numpy(),
            "mentor_n_rated": n_rated,
            "mentor_rating_mean": np.where(n_rated > 0, shrunk, np.nan),
        }
    )


def mentor_features(ds: Dataset, queries: pd.DataFrame) -> pd.DataFrame:
    """Mentor-level columns of :data:`EFFECT_FEATURES` for (nip, as_of) queries."""
    person = person_features(ds, queries)
    out = mentor_record(ds, queries)
    out["mentor_last_score"] = person["last_score"].to_numpy()
    out["mentor_rating_rank"] = person["last_rating_rank"].to_numpy()
    out["mentor_position_rank"] = (
        person["position_type"].astype(str).map(POSITION_SENIORITY).to_numpy(dtype=float)
    )
    out["mentor_tenure_years"] = person["tenure_years"].to_numpy()
    state = competency_state(ds, queries)
    developing = state[state["competency"].astype(str) == DEVELOPING_OTHERS]
    surplus = developing["level_estimate"] - developing["required_level"]
    out["mentor_developing_others"] = (
        surplus.set_axis(developing[QUERY].to_numpy()).reindex(range(len(queries))).to_numpy()
    )
    return out


def distance_class(same_unit: np.ndarray, same_region: np.ndarray) -> np.ndarray:
    """Index into :data:`DISTANCES` (0 same unit, 1 same region, 2 far)."""
    return np.where(same_unit, 0, np.where(same_region, 1, 2))


# ----------------------------------------------------------------------------- the model


def _log_link_objective(
    y_true: np.ndarray | None, raw: np.ndarray, weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Squared error of ``y ≈ coverage × exp(raw)`` (coverage passed as the weight):
    gradient and Gauss–Newton hessian with respect to the raw score."""
    if y_true is None or weight is None:
        raise ValueError("the effectiveness model needs outcomes and coverage (as weights)")
    mu = weight * np.exp(raw)
    return -(y_true - mu) * mu, mu**2 + 1e-9


def _effect(model: lgb.LGBMRegressor, x: pd.DataFrame) -> np.ndarray:
    """Effectiveness (SKP points per point of coverage) of a fitted effect model."""
    raw = np.asarray(model.predict(x, raw_score=True), dtype=float)
    return np.exp(_prior_design(x) @ model.prior_ + raw)


def _prior_design(x: pd.DataFrame) -> np.ndarray:
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


def _fit_log_linear(
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


class MentorRecommender(BaseEstimator):
    """Forecast mentoring gain per (mentee, mentor); see the module docstring.

    Parameters (stored as given): ``n_estimators``, ``learning_rate``, ``num_leaves``,
    ``min_child_samples`` (LightGBM effectiveness model), ``n_bootstrap`` (refits for the
    interval), ``allow_supervisor`` (may the direct supervisor be the mentor),
    ``random_state``. Learned: ``as_of_``, ``importance_``, ``baseline_``, ``model_``,
    ``bootstrap_``, ``error_bins_``, ``error_scale_``, ``vocabulary_``,
    ``n_mentorships_``, ``oof_r2_`` (out-of-fold R² of the forecast against the
    de-baselined outcomes: the held-out check where no ground truth exists).
    """

    def __init__(
        self,
        *,
        n_estimators: int = 150,
        learning_rate: float = 0.02,
        num_leaves: int = 4,
        min_child_samples: int = 300,
        n_bootstrap: int = 20,
        allow_supervisor: bool = False,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.n_bootstrap = n_bootstrap
        self.allow_supervisor = allow_supervisor
        self.random_state = random_state

    def _regressor(self, seed: int) -> lgb.LGBMRegressor:
        return lgb.LGBMRegressor(
            objective=_log_link_objective,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            monotone_constraints=list(MONOTONE),
            subsample=0.8,
            subsample_freq=1,
            random_state=seed,
            n_jobs=1,
            verbose=-1,
        )

    def _fit_effect(
        self, x: pd.DataFrame, cover: np.ndarray, residual: np.ndarray, seed: int
    ) -> lgb.LGBMRegressor:
        """Effectiveness model: residual ≈ coverage × exp(f(x)) (log link, so that distance,
        record and skill multiply as they do in mentoring). f starts from a ridge-penalised
        log-linear model of the same features (few parameters: steady on few, noisy
        outcomes) and LightGBM boosts what it misses."""
        beta = _fit_log_linear(_prior_design(x), cover, residual)
        # small histories: leaves no larger than a tenth of the data, or nothing can split
        leaf = min(self.min_child_samples, max(5, len(x) // 10))
        model = (
            self._regressor(seed)
            .set_params(min_child_samples=leaf)
            .fit(x, residual, sample_weight=cover, init_score=_prior_design(x) @ beta)
        )
        model.prior_ = beta  # LightGBM does not keep the init score: prediction adds it
        return model

    # ------------------------------------------------------------------------- fit

    def fit(
        self,
        ds: Dataset,
        *,
        as_of: pd.Timestamp | None = None,
        on_progress: ProgressFn | None = None,
        importance: CompetencyImportance | None = None,
        baseline: ScoreBaseline | None = None,
    ) -> MentorRecommender:
        """Learn from ``ds``'s mentorships before ``as_of`` (default: after its last
        appraisal). ``importance`` and ``baseline`` (one that excludes mentorships only)
        may be shared with other fits on the same data and date."""
        step = on_progress or (lambda _stage: None)
        when = pd.Timestamp(as_of) if as_of is not None else latest_date(ds)
        data = snapshot(ds, when)
        self.vocabulary_ = data.competencies["code"].astype(str).to_numpy()
        step("importance")
        self.importance_ = importance or CompetencyImportance().fit(data)
        step("baseline")
        self.baseline_ = baseline or ScoreBaseline(
            excluded="mentorships", random_state=self.random_state
        ).fit(data)
        step("outcomes")
        past = data.mentorships.dropna(subset=["end_date"]).reset_index(drop=True)
        past = past.rename(columns={"mentee_nip": "nip"})
        outcomes = O.activity_outcomes(past, data.performance, key="mentorship_id")
        keep = outcomes[O.OUTCOME].notna().to_numpy()
        past, outcomes = past[keep].reset_index(drop=True), outcomes[keep].reset_index(drop=True)
        if len(past) < MIN_MENTORSHIPS:
            raise ValueError(
                f"too little history: {len(past)} mentorships with an outcome "
                f"(at least {MIN_MENTORSHIPS} needed)"
            )
        residual = self.baseline_.residuals(data, past["nip"], outcomes)
        step("effects")
        cover, x = self._past_pairs(data, past)
        usable = cover > 1e-3
        cover, x, residual = cover[usable], x[usable].reset_index(drop=True), residual[usable]
        self.model_ = self._fit_effect(x, cover, residual, self.random_state)
        step("intervals")
        rng = np.random.default_rng(self.random_state)
        n = len(residual)
        self.bootstrap_ = []
        for b in range(self.n_bootstrap):
            idx = rng.integers(0, n, n)
            self.bootstrap_.append(
                self._fit_effect(x.iloc[idx], cover[idx], residual[idx], self.random_state + 1 + b)
            )
        folds = rng.integers(0, N_FOLDS, n)
        oof = np.empty(n)
        for fold in range(N_FOLDS):
            train, test = folds != fold, folds == fold
            model = self._fit_effect(x[train], cover[train], residual[train], self.random_state)
            oof[test] = cover[test] * _effect(model, x[test])
        self.error_bins_, self.error_scale_ = calibrate_error(
            oof, residual, self.baseline_.noise_var_
        )
        spread = float(np.sum((residual - residual.mean()) ** 2))
        self.oof_r2_ = 1.0 - float(np.sum((residual - oof) ** 2)) / spread if spread > 0 else 0.0
        self.as_of_ = when
        self.n_mentorships_ = n
        log.info("mentor recommender fitted on %d mentorships (as of %s)", n, when.date())
        return self

    def _past_pairs(self, ds: Dataset, past: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
        """Coverage and effectiveness features of past mentorships, as of their start."""
        mentee_q = pd.DataFrame({"nip": past["nip"], AS_OF: past["start_date"]})
        mentor_q = pd.DataFrame({"nip": past["mentor_nip"], AS_OF: past["start_date"]})
        mentees = profiles(ds, mentee_q, self.importance_, self.vocabulary_)
        mentors = profiles(ds, mentor_q, self.importance_, self.vocabulary_)
        rows = np.arange(len(past))
        cover, _ = coverage(mentees, rows, mentors, rows)
        emp = ds.employees.set_index("nip")
        mentee_info = emp.reindex(past["nip"])
        mentor_info = emp.reindex(past["mentor_nip"])
        x = mentor_features(ds, mentor_q)
        x.insert(
            0,
            "distance",
            distance_class(
                mentee_info["unit"].to_numpy() == mentor_info["unit"].to_numpy(),
                mentee_info["region"].to_numpy() == mentor_info["region"].to_numpy(),
            ).astype(float),
        )
        x.insert(1, "mentee_remote", mentee_info["remote_area"].astype(float).to_numpy())
        x.insert(
            2,
            "is_supervisor",
            (
                mentee_info["supervisor_nip"].astype(object).fillna("").astype(str).to_numpy()
                == past["mentor_nip"].astype(str).to_numpy()
            ).astype(float),
        )
        return cover, x[list(EFFECT_FEATURES)]

    # ------------------------------------------------------------------------- forecast

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError("the recommender is not trained yet: call fit() or load a model")

    def forecast_from_features(self, features: pd.DataFrame, alpha: float = 0.1) -> pd.DataFrame:
        """Expected gain and interval (SKP points) from pair features: ``coverage`` and
        :data:`EFFECT_FEATURES` (the MLflow pyfunc model's whole job)."""
        self._check_fitted()
        x = features[list(EFFECT_FEATURES)].astype(float)
        cover = features["coverage"].to_numpy(dtype=float)
        expected = cover * _effect(self.model_, x)
        spread = (
            np.column_stack([_effect(m, x) for m in self.bootstrap_]).std(axis=1)
            if self.bootstrap_
            else np.zeros(len(x))
        )
        error = error_at(self.error_bins_, self.error_scale_, expected)
        half = interval_half_width(alpha, cover * spread, error)
        return pd.DataFrame(
            {
                "expected_gain": expected,
                "gain_lower": expected - half,
                "gain_upper": expected + half,
            }
        )

    def example_features(self) -> pd.DataFrame:
        """A few rows of pyfunc input, for the model signature and example."""
        n = 4
        return pd.DataFrame(
            {
                "coverage": np.linspace(5.0, 40.0, n),
                "distance": [0.0, 1.0, 2.0, 0.0],
                "mentee_remote": [0.0, 0.0, 1.0, 1.0],
                "is_supervisor": [0.0] * n,
                "mentor_rating_mean": [4.2, np.nan, 3.5, 4.0],
                "mentor_developing_others": [0.5, 0.0, -0.5, 1.0],
                "mentor_n_mentored": [3.0, 0.0, 1.0, 2.0],
            }
        )

    def _effect_table(self, ds: Dataset, mentor_nips: pd.Series, when: pd.Timestamp) -> _Effects:
        """Effectiveness of each mentor in every context (distance × remote mentee ×
        supervisor; see :func:`_context`)."""
        n = len(mentor_nips)
        per_mentor = mentor_features(ds, pd.DataFrame({"nip": mentor_nips, AS_OF: when}))
        contexts = [
            (d, r, s) for d in range(len(DISTANCES)) for r in (0.0, 1.0) for s in (0.0, 1.0)
        ]
        x = per_mentor.loc[np.tile(np.arange(n), len(contexts))].reset_index(drop=True)
        x["distance"] = np.repeat([c[0] for c in contexts], n).astype(float)
        x["mentee_remote"] = np.repeat([c[1] for c in contexts], n)
        x["is_supervisor"] = np.repeat([c[2] for c in contexts], n)
        point = _effect(self.model_, x[list(EFFECT_FEATURES)])
        return _Effects(
            point=point.reshape(len(contexts), n).T,
            features=per_mentor,
            has_record=per_mentor["mentor_n_mentored"].to_numpy() > 0,
        )

    def forecast(
        self,
        ds: Dataset,
        mentee_nips: pd.Series | list[str],
        mentor_nips: pd.Series | list[str],
        *,
        as_of: pd.Timestamp | None = None,
        alpha: float = 0.1,
    ) -> pd.DataFrame:
        """Expected gain (SKP points) with a (1 − alpha) interval for aligned (mentee,
        mentor) pairs, eligible or not (a what-if). Columns: nip, mentor_nip,
        expected_gain, gain_lower, gain_upper, coverage, distance, is_supervisor."""
        self._check_fitted()
        mentees = pd.Series(mentee_nips, dtype=ID_DTYPE).reset_index(drop=True)
        mentors = pd.Series(mentor_nips, dtype=ID_DTYPE).reset_index(drop=True)
        if len(mentees) != len(mentors):
            raise ValueError("mentee and mentor lists must have the same length")
        when = pd.Timestamp(as_of) if as_of is not None else latest_date(ds)
        people = pd.Series(pd.unique(pd.concat([mentees, mentors])), dtype=ID_DTYPE)
        _check_known(ds, people)
        pool = _Pool.build(self, ds, people, when)
        scored = pool.score(pool.roster.row(mentees), pool.roster.row(mentors))
        return pool.add_intervals(self, scored, alpha)

    def candidates(
        self,
        ds: Dataset,
        nips: pd.Series | list[str],
        *,
        top: int | None = None,
        as_of: pd.Timestamp | None = None,
        alpha: float = 0.1,
        on_progress: Callable[[int, int], None] | None = None,
        mentors: pd.Series | list[str] | None = None,
    ) -> pd.DataFrame:
        """Every eligible mentor of each mentee (or the ``top`` best), scored.

        ``mentors``: only these may be candidates (e.g. the agency's mentor pool); they must
        be known employees, and still have to meet the candidate rules. Columns as
        :meth:`forecast`, best first per mentee, plus ``n_eligible`` (candidates before
        ``top``). Mentees without any candidate have no rows.
        """
        return self._candidates(ds, nips, top, as_of, alpha, on_progress, mentors)[0]

    def _candidates(
        self,
        ds: Dataset,
        nips: pd.Series | list[str],
        top: int | None,
        as_of: pd.Timestamp | None,
        alpha: float,
        on_progress: Callable[[int, int], None] | None,
        mentors: pd.Series | list[str] | None = None,
    ) -> tuple[pd.DataFrame, _Pool]:
        self._check_fitted()
        people = pd.Series(pd.unique(pd.Series(list(nips), dtype=ID_DTYPE)), dtype=ID_DTYPE)
        _check_known(ds, people)
        if mentors is not None:
            _check_known(ds, pd.Series(list(mentors), dtype=ID_DTYPE))
        when = pd.Timestamp(as_of) if as_of is not None else latest_date(ds)
        # candidates come from the mentees' own agencies: score only those
        agency = ds.employees.set_index(ds.employees["nip"].astype(str))["agency"].astype(str)
        agencies = agency.reindex(people.astype(str)).unique()
        pool = _Pool.build(self, ds, None, when, agencies)
        found = pool.roster.index.get_indexer(pd.Index(people.astype(str)))
        if (found < 0).any():
            raise InactiveEmployeeError(sorted(people.astype(str).to_numpy()[found < 0]))
        parts: list[pd.DataFrame] = []
        done = 0
        allowed = (
            None
            if mentors is None
            else pool.roster.index.isin(pd.Index(pd.Series(list(mentors)).astype(str)))
        )
        matrices = pool.roster.matrices(found, allow_supervisor=self.allow_supervisor, only=allowed)
        for block, agency_mentors, ok in matrices:
            mi, mj, eligible = pool.shortlist(block, agency_mentors, ok, top)
            cover, expected = pool.expected(mi, mj)
            keep = cover > 0
            mi, mj, eligible = mi[keep], mj[keep], eligible[keep]
            order = np.lexsort((-expected[keep], mi))  # by mentee, best first
            mi, mj, eligible = mi[order], mj[order], eligible[order]
            if len(mi):
                starts = np.flatnonzero(np.r_[True, mi[1:] != mi[:-1]])
                sizes = np.diff(np.r_[starts, len(mi)])
                rank = np.arange(len(mi)) - np.repeat(starts, sizes)
                chosen = rank < top if top is not None else np.ones(len(mi), dtype=bool)
                scored = pool.score(mi[chosen], mj[chosen])
                parts.append(
                    pool.add_intervals(self, scored, alpha).assign(n_eligible=eligible[chosen])
                )
            done += len(block)
            if on_progress:
                on_progress(min(done, len(people)), len(people))
        if not parts:
            return pd.DataFrame(columns=[*_SCORE_COLUMNS, "n_eligible"]), pool
        return pd.concat(parts, ignore_index=True), pool

    def recommend(
        self,
        ds: Dataset,
        nips: pd.Series | list[str],
        *,
        k: int = 3,
        lang: str = "id",
        also_in: Sequence[str] = (),
        as_of: pd.Timestamp | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> pd.DataFrame:
        """Top-``k`` mentors per mentee: one row per (nip, rank), with reasons.

        ``also_in``: further languages whose reasons and distances are added as
        ``reason_<lang>`` and ``distance_<lang>`` columns (one scoring pass for all)."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        for language in (lang, *also_in):
            check_language(language)
        people = pd.Series(pd.unique(pd.Series(list(nips), dtype=ID_DTYPE)), dtype=ID_DTYPE)
        top, pool = self._candidates(ds, people, k, as_of, 0.1, on_progress)
        if top.empty:
            return pd.DataFrame(columns=list(RECOMMENDATION_COLUMNS))
        top = top.reset_index(drop=True)
        top["rank"] = top.groupby("nip", sort=False).cumcount() + 1
        mentee_rows = pool.roster.row(top["nip"])
        mentor_rows = pool.roster.row(top["mentor_nip"])
        _, lead = coverage(pool.profiles, mentee_rows, pool.profiles, mentor_rows)
        detail = _lead_detail(pool.profiles, mentee_rows, mentor_rows, lead)
        explained = {
            language: explain_mentors(top, detail, ds, language) for language in (lang, *also_in)
        }
        top["gaps_covered"], top["reason"], top["distance"] = explained[lang]
        extra = []
        for language in also_in:
            _, top[f"reason_{language}"], top[f"distance_{language}"] = explained[language]
            extra += [f"reason_{language}", f"distance_{language}"]
        order = {n: i for i, n in enumerate(people.astype(str))}
        top = top.sort_values(
            ["nip", "rank"], key=lambda c: c.astype(str).map(order) if c.name == "nip" else c
        )
        return top[[*RECOMMENDATION_COLUMNS, *extra]].reset_index(drop=True)


_SCORE_COLUMNS = (
    "nip",
    "mentor_nip",
    "expected_gain",
    "gain_lower",
    "gain_upper",
    "coverage",
    "distance",
    "is_supervisor",
    "has_record",
)


def _check_known(ds: Dataset, people: pd.Series) -> None:
    known = set(ds.employees["nip"].astype(str))
    unknown = sorted({n for n in people.astype(str) if n not in known})
    if unknown:
        raise UnknownEmployeeError(unknown)


def _lead_detail(
    profiles_: Profiles, mentee_rows: np.ndarray, mentor_rows: np.ndarray, lead: np.ndarray
) -> pd.DataFrame:
    """Long frame of the competencies each pair's mentor covers: pair, competency,
    level (mentee), mentor_level, priority (weighted lead), assessed."""
    pair, slot = np.nonzero(lead > 0)
    codes = profiles_.codes[mentee_rows[pair], slot]
    level = profiles_.level[mentee_rows[pair], slot]
    return pd.DataFrame(
        {
            "pair": pair,
            "competency": profiles_.vocabulary[codes],
            "level": level,
            "mentor_level": level + lead[pair, slot],
            "priority": lead[pair, slot] * profiles_.weight[mentee_rows[pair], slot],
            "assessed": profiles_.assessed[mentee_rows[pair], slot],
        }
    )


@dataclass(frozen=True)
class _Effects:
    point: np.ndarray  # mentors × contexts
    features: pd.DataFrame  # mentor-level effect features, one row per mentor
    has_record: np.ndarray  # mentors: has mentored before


def _context(distance: np.ndarray, remote: np.ndarray, supervisor: np.ndarray) -> np.ndarray:
    """Column of a context in the effect table (order of ``_effect_table``'s contexts)."""
    return distance * 4 + remote.astype(int) * 2 + supervisor.astype(int)


@dataclass(frozen=True)
class Roster:
    """Who may mentor whom: the employees of a data set (or a chosen set of them) with the
    facts eligibility needs, as of one date."""

    nip: pd.Series
    agency: np.ndarray
    unit: np.ndarray
    region: np.ndarray
    remote: np.ndarray
    seniority: np.ndarray
    supervisor: np.ndarray  # row of the direct supervisor, -1 if none in the roster
    can_mentor: np.ndarray  # active, with a good last appraisal
    index: pd.Index

    @classmethod
    def build(
        cls,
        ds: Dataset,
        people: pd.Series | None,
        when: pd.Timestamp,
        agencies: np.ndarray | None = None,
    ) -> Roster:
        """The roster of ``people`` (None: every active employee, of ``agencies`` if
        given)."""
        emp = ds.employees
        if people is None:
            emp = emp[emp["active"]]
            if agencies is not None:
                emp = emp[emp["agency"].astype(str).isin(agencies)]
        else:
            wanted = pd.Index(pd.Series(people).astype(ID_DTYPE), name="nip")
            emp = emp.set_index("nip").reindex(wanted).reset_index()
        emp = emp.reset_index(drop=True)
        nip = emp["nip"].astype(ID_DTYPE)
        index = pd.Index(nip.astype(str))
        last = person_features(ds, pd.DataFrame({"nip": nip, AS_OF: when}))
        good_ranks = [RATINGS.index(r) for r in GOOD_RATINGS]
        good = np.isin(last["last_rating_rank"].to_numpy(), good_ranks)
        return cls(
            nip=nip,
            agency=pd.factorize(emp["agency"].astype(str))[0],
            unit=pd.factorize(emp["agency"].astype(str) + "|" + emp["unit"].astype(str))[0],
            region=pd.factorize(emp["region"].astype(str))[0],
            remote=emp["remote_area"].to_numpy(dtype=bool),
            seniority=seniority(emp),
            supervisor=index.get_indexer(pd.Index(emp["supervisor_nip"].astype(object).fillna(""))),
            can_mentor=emp["active"].to_numpy(dtype=bool) & good,
            index=index,
        )

    def row(self, nips: pd.Series) -> np.ndarray:
        """Roster rows of ``nips``; unknown ones are an :class:`UnknownEmployeeError`."""
        wanted = pd.Series(nips).astype(str).to_numpy()
        rows = self.index.get_indexer(pd.Index(wanted))
        if (rows < 0).any():
            raise UnknownEmployeeError(sorted(set(wanted[rows < 0])))
        return rows

    def matrices(
        self,
        mentee_rows: np.ndarray,
        *,
        allow_supervisor: bool,
        any_performance: bool = False,
        only: np.ndarray | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """A block of mentees at a time: (mentee rows, the agency's mentor rows, the
        eligibility matrix). Eligible: same agency, at least :data:`SENIOR_STEPS` more
        senior, not the mentee, not the supervisor unless allowed, (unless
        ``any_performance``) able to mentor, and (if ``only`` is given: a mask over the
        roster) in that pool."""
        pool = self.can_mentor if not any_performance else np.ones(len(self.nip), dtype=bool)
        if only is not None:
            pool = pool & only
        order = np.argsort(self.agency[mentee_rows], kind="stable")
        mentee_rows = mentee_rows[order]
        for agency in pd.unique(self.agency[mentee_rows]):
            group = mentee_rows[self.agency[mentee_rows] == agency]
            mentors = np.flatnonzero(pool & (self.agency == agency))
            step = max(1, PAIR_BLOCK // max(len(mentors), 1))
            for start in range(0, len(group), step):
                block = group[start : start + step]
                senior = self.seniority[block][:, None] + SENIOR_STEPS
                ok = self.seniority[mentors][None, :] >= senior
                ok &= mentors[None, :] != block[:, None]
                if not allow_supervisor:
                    ok &= mentors[None, :] != self.supervisor[block][:, None]
                yield block, mentors, ok

    def blocks(
        self,
        mentee_rows: np.ndarray,
        *,
        allow_supervisor: bool,
        any_performance: bool = False,
        only: np.ndarray | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Eligible (mentee row, mentor row) pairs (see :meth:`matrices`)."""
        for block, mentors, ok in self.matrices(
            mentee_rows,
            allow_supervisor=allow_supervisor,
            any_performance=any_performance,
            only=only,
        ):
            i, j = np.nonzero(ok)
            yield block[i], mentors[j]

    def distance(self, mentee_rows: np.ndarray, mentor_rows: np.ndarray) -> np.ndarray:
        """Index into :data:`DISTANCES` of each pair."""
        return distance_class(
            self.unit[mentee_rows] == self.unit[mentor_rows],
            self.region[mentee_rows] == self.region[mentor_rows],
        )


def eligible_pairs(
    ds: Dataset,
    nips: pd.Series | list[str],
    *,
    allow_supervisor: bool = False,
    any_performance: bool = False,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Every eligible (mentee, mentor) pair of active mentees ``nips`` (columns nip,
    mentor_nip, distance), by the candidate rules of the module docstring; with
    ``any_performance`` a mentor's last appraisal does not matter (the oracle's view)."""
    when = pd.Timestamp(as_of) if as_of is not None else latest_date(ds)
    roster = Roster.build(ds, None, when)
    rows = roster.row(pd.Series(pd.unique(pd.Series(list(nips), dtype=ID_DTYPE))))
    parts = [
        pd.DataFrame(
            {
                "nip": roster.nip.to_numpy()[i],
                "mentor_nip": roster.nip.to_numpy()[j],
                "distance": np.asarray(DISTANCES, dtype=object)[roster.distance(i, j)],
            }
        )
        for i, j in roster.blocks(
            rows, allow_supervisor=allow_supervisor, any_performance=any_performance
        )
    ]
    if not parts:
        return pd.DataFrame(columns=["nip", "mentor_nip", "distance"])
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class _Pool:
    """A roster with competency profiles and mentor effectiveness: all that scoring needs."""

    roster: Roster
    profiles: Profiles
    effects: _Effects
    mentor_slot: np.ndarray  # roster row → row of the effect table (-1: none)

    @classmethod
    def build(
        cls,
        model: MentorRecommender,
        ds: Dataset,
        people: pd.Series | None,
        when: pd.Timestamp,
        agencies: np.ndarray | None = None,
    ) -> _Pool:
        """The pool of ``people`` (None: every active employee, of ``agencies`` if given)."""
        roster = Roster.build(ds, people, when, agencies)
        # a what-if (explicit people) may ask about anyone; a candidate search only mentors
        mentor_rows = (
            np.flatnonzero(roster.can_mentor) if people is None else np.arange(len(roster.nip))
        )
        slot = np.full(len(roster.nip), -1)
        slot[mentor_rows] = np.arange(len(mentor_rows))
        query = pd.DataFrame({"nip": roster.nip, AS_OF: when})
        return cls(
            roster=roster,
            profiles=profiles(ds, query, model.importance_, model.vocabulary_),
            effects=model._effect_table(
                ds, roster.nip.iloc[mentor_rows].reset_index(drop=True), when
            ),
            mentor_slot=slot,
        )

    def _lookup(
        self, mentee_rows: np.ndarray, mentor_rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Coverage, effectiveness, distance, supervisor flag, context and effect-table row
        of aligned (mentee row, mentor row) pairs."""
        roster = self.roster
        cover, _ = coverage(self.profiles, mentee_rows, self.profiles, mentor_rows)
        distance = roster.distance(mentee_rows, mentor_rows)
        supervisor = roster.supervisor[mentee_rows] == mentor_rows
        ctx = _context(distance, roster.remote[mentee_rows], supervisor)
        slot = self.mentor_slot[mentor_rows]
        known = slot >= 0
        effect = np.full(len(slot), np.nan)
        effect[known] = self.effects.point[slot[known], ctx[known]]
        return cover, effect, distance, supervisor, ctx, slot

    def shortlist(
        self, block: np.ndarray, mentors: np.ndarray, ok: np.ndarray, top: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs worth scoring exactly: each mentee's eligible mentors, or, with ``top``,
        the :data:`SHORTLIST_EXTRA` + ``top`` best by the forecast computed for the whole
        block at once (:func:`block_coverage`). Returns mentee rows, mentor rows and each
        mentee's number of eligible mentors who cover a gap."""
        cover = block_coverage(self.profiles, block, mentors)
        useful = ok & (cover > 0)
        counts = useful.sum(axis=1)
        width = len(mentors) if top is None else min(len(mentors), top + SHORTLIST_EXTRA)
        if width >= len(mentors):
            i, j = np.nonzero(useful)
            return block[i], mentors[j], counts[i]
        roster = self.roster
        same_unit = roster.unit[block][:, None] == roster.unit[mentors][None, :]
        same_region = roster.region[block][:, None] == roster.region[mentors][None, :]
        supervisor = roster.supervisor[block][:, None] == mentors[None, :]
        ctx = _context(
            distance_class(same_unit, same_region), roster.remote[block][:, None], supervisor
        )
        table = self.effects.point[self.mentor_slot[mentors]]  # mentors × contexts
        effect = table[np.arange(len(mentors))[None, :], ctx]
        score = np.where(useful, cover * effect, -np.inf)
        best = np.argpartition(-score, width - 1, axis=1)[:, :width]
        rows = np.repeat(np.arange(len(block)), width)
        cols = best.reshape(-1)
        keep = np.isfinite(score[rows, cols])
        rows, cols = rows[keep], cols[keep]
        return block[rows], mentors[cols], counts[rows]

    def expected(
        self, mentee_rows: np.ndarray, mentor_rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Coverage and expected gain of aligned pairs (arrays only: for bulk ranking)."""
        cover, effect, *_ = self._lookup(mentee_rows, mentor_rows)
        return cover, cover * effect

    def score(self, mentee_rows: np.ndarray, mentor_rows: np.ndarray) -> pd.DataFrame:
        """Point forecast for aligned (mentee row, mentor row) pairs."""
        roster = self.roster
        cover, effect, distance, supervisor, ctx, slot = self._lookup(mentee_rows, mentor_rows)
        known = slot >= 0
        return pd.DataFrame(
            {
                "nip": roster.nip.to_numpy()[mentee_rows],
                "mentor_nip": roster.nip.to_numpy()[mentor_rows],
                "expected_gain": cover * effect,
                "coverage": cover,
                "distance": np.asarray(DISTANCES, dtype=object)[distance],
                "is_supervisor": supervisor,
                "has_record": np.where(known, self.effects.has_record[np.maximum(slot, 0)], False),
                "_slot": slot,
                "_ctx": ctx,
            }
        )

    def add_intervals(
        self, model: MentorRecommender, scored: pd.DataFrame, alpha: float
    ) -> pd.DataFrame:
        """``gain_lower`` and ``gain_upper`` for scored pairs: bootstrap spread of the
        effectiveness (only the mentors and contexts present are predicted) and the
        calibrated model error."""
        slot, ctx = scored["_slot"].to_numpy(), scored["_ctx"].to_numpy()
        expected = scored["expected_gain"].to_numpy()
        spread = np.full(len(scored), np.nan)
        known = slot >= 0
        if known.any() and model.bootstrap_:
            keys = pd.DataFrame({"slot": slot[known], "ctx": ctx[known]})
            unique = keys.drop_duplicates().reset_index(drop=True)
            x = self.effects.features.iloc[unique["slot"].to_numpy()].reset_index(drop=True)
            distance, rest = np.divmod(unique["ctx"].to_numpy(), 4)
            remote, supervisor = np.divmod(rest, 2)
            x = x.assign(
                distance=distance.astype(float),
                mentee_remote=remote.astype(float),
                is_supervisor=supervisor.astype(float),
            )[list(EFFECT_FEATURES)]
            samples = np.column_stack([_effect(m, x) for m in model.bootstrap_]).std(axis=1)
            lookup = pd.Series(samples, index=pd.MultiIndex.from_frame(unique))
            spread[known] = lookup.reindex(pd.MultiIndex.from_frame(keys)).to_numpy()
        cover = scored["coverage"].to_numpy()
        error = error_at(model.error_bins_, model.error_scale_, expected)
        half = interval_half_width(alpha, cover * np.nan_to_num(spread), error)
        out = scored.assign(gain_lower=expected - half, gain_upper=expected + half)
        return out[list(_SCORE_COLUMNS)]
