"""The mentor recommender: senior colleagues ranked by the forecast gain in a mentee's SKP
score from being mentored by them.

How a forecast is made:

1. **Candidates** (:mod:`~recsys.models.mentors.eligibility`): active employees of the
   mentee's agency at least :data:`~recsys.models.mentors.eligibility.SENIOR_STEPS` steps
   more senior (position type, then grade), whose last appraisal was ``baik`` or
   ``sangat_baik``; never the mentee, and not the mentee's direct supervisor unless the
   setting ``RECSYS_MENTOR_ALLOW_SUPERVISOR`` allows it.
2. **Coverage** of a (mentee, mentor) pair (:mod:`~recsys.models.mentors.coverage`): in
   every competency of the mentee's standard where the mentee is below the standard (plus
   the surplus that still counts), how far the mentor is ahead, weighted by how much that
   competency matters for performance (:class:`~recsys.models.importance.CompetencyImportance`).
   A mentor who knows nothing the mentee lacks covers nothing and is not a candidate.
3. **Effectiveness** (:mod:`~recsys.models.mentors.effect`), learned from past mentorships
   and their outcomes (the contract's outcome, minus what the mentee would have gained
   anyway: :class:`~recsys.models.baseline.ScoreBaseline`, whose control windows exclude
   only mentorships and which takes the trainings completed in the window as features, so
   trainings are not credited to mentors): outcome ≈ coverage × exp(f(x)), a log link,
   because distance, the mentor's skill and record multiply. f starts from a
   ridge-penalised log-linear model (few parameters, steady on few noisy outcomes) and
   LightGBM, monotone where it should be, boosts what it misses. Features
   (:mod:`recsys.features.mentor`): the mentor's record (mentee ratings, mentorships),
   their level in *Pengembangan Diri dan Orang Lain* (developing others), the distance
   (same unit, same region, other region; remote-area mentee: the data decide whether
   remote mentoring works) and whether the mentor is the supervisor.
4. **Expected gain** = coverage × effectiveness (SKP points at the first appraisal at least
   six months after the mentorship); the interval combines the spread of bootstrap refits
   with the model's out-of-fold error (outcome noise removed), as for trainings.

Effectiveness depends only on the mentor and the pair's context, so it is a small table per
mentor and every candidate of a whole agency is scored exactly, without pruning
(:mod:`~recsys.models.mentors.pool`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from recsys.data.contract import ID_DTYPE
from recsys.data.loading import Dataset
from recsys.data.snapshot import snapshot
from recsys.features import outcomes as O
from recsys.features.competency_state import AS_OF
from recsys.features.mentor import distance_class, mentor_features
from recsys.models.baseline import ScoreBaseline
from recsys.models.importance import CompetencyImportance
from recsys.models.intervals import calibrate_error, error_at, interval_half_width
from recsys.models.mentors.coverage import coverage, lead_detail, profiles
from recsys.models.mentors.effect import (
    EFFECT_FEATURES,
    effect,
    effect_regressor,
    fit_effect,
)
from recsys.models.mentors.pool import SCORE_COLUMNS, Pool
from recsys.models.reasons import explain_mentors
from recsys.models.requests import (
    NOT_FITTED,
    check_active,
    check_known,
    decision_date,
    recommend_request,
    unique_nips,
)

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
#: Fewest past mentorships with an outcome to learn from.
MIN_MENTORSHIPS = 30
N_FOLDS = 5


class MentorRecommender(BaseEstimator):
    """Forecast mentoring gain per (mentee, mentor); see the module docstring.

    Parameters (stored as given): ``n_estimators``, ``learning_rate``, ``num_leaves``,
    ``min_child_samples``, ``subsample`` (LightGBM effectiveness model), ``n_bootstrap``
    (refits for the interval), ``allow_supervisor`` (may the direct supervisor be the
    mentor), ``importance`` (a :class:`CompetencyImportance`; None: the default one),
    ``baseline`` (a :class:`ScoreBaseline` with ``excluded="mentorships"``; None: the
    default one with this ``random_state``), ``random_state``. ``fit`` clones
    ``importance`` and ``baseline`` before fitting them.

    Learned: ``as_of_``, ``importance_``, ``baseline_``, ``model_``, ``bootstrap_``,
    ``error_bins_``, ``error_scale_``, ``vocabulary_``, ``n_mentorships_``, ``oof_r2_``
    (out-of-fold R² of the forecast against the de-baselined outcomes: the held-out check
    where no ground truth exists).
    """

    def __init__(
        self,
        *,
        n_estimators: int = 150,
        learning_rate: float = 0.02,
        num_leaves: int = 4,
        min_child_samples: int = 300,
        subsample: float = 0.8,
        n_bootstrap: int = 20,
        allow_supervisor: bool = False,
        importance: CompetencyImportance | None = None,
        baseline: ScoreBaseline | None = None,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.n_bootstrap = n_bootstrap
        self.allow_supervisor = allow_supervisor
        self.importance = importance
        self.baseline = baseline
        self.random_state = random_state

    def _fit_effect(
        self, x: pd.DataFrame, cover: np.ndarray, residual: np.ndarray, seed: int
    ) -> lgb.LGBMRegressor:
        """The effectiveness model of :mod:`~recsys.models.mentors.effect` with this
        recommender's LightGBM settings."""
        regressor = effect_regressor(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            random_state=seed,
        )
        return fit_effect(regressor, x, cover, residual)

    # ------------------------------------------------------------------------- fit

    def fit(
        self,
        ds: Dataset,
        *,
        as_of: pd.Timestamp | None = None,
        on_progress: ProgressFn | None = None,
    ) -> MentorRecommender:
        """Learn from ``ds``'s mentorships before ``as_of`` (default: after its last
        appraisal)."""
        importance = CompetencyImportance() if self.importance is None else clone(self.importance)
        baseline = (
            ScoreBaseline(excluded="mentorships", random_state=self.random_state)
            if self.baseline is None
            else clone(self.baseline)
        )
        if baseline.excluded != "mentorships":
            raise ValueError(
                "the mentor recommender's baseline must exclude mentorships only "
                f"(excluded='mentorships'), got excluded={baseline.excluded!r}"
            )
        step = on_progress or (lambda _stage: None)
        when = decision_date(ds, as_of)
        data = snapshot(ds, when)
        self.vocabulary_ = data.competencies["code"].astype(str).to_numpy()
        step("importance")
        self.importance_ = importance.fit(data)
        step("baseline")
        self.baseline_ = baseline.fit(data)
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
            oof[test] = cover[test] * effect(model, x[test])
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

    def forecast_from_features(self, features: pd.DataFrame, alpha: float = 0.1) -> pd.DataFrame:
        """Expected gain and interval (SKP points) from pair features: ``coverage`` and
        :data:`~recsys.models.mentors.effect.EFFECT_FEATURES` (the MLflow pyfunc model's
        whole job)."""
        check_is_fitted(self, "model_", msg=NOT_FITTED)
        x = features[list(EFFECT_FEATURES)].astype(float)
        cover = features["coverage"].to_numpy(dtype=float)
        expected = cover * effect(self.model_, x)
        spread = (
            np.column_stack([effect(m, x) for m in self.bootstrap_]).std(axis=1)
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

    def _pool(
        self,
        ds: Dataset,
        people: pd.Series | None,
        when: pd.Timestamp,
        agencies: np.ndarray | None = None,
    ) -> Pool:
        return Pool.build(
            ds,
            people,
            when,
            importance=self.importance_,
            vocabulary=self.vocabulary_,
            effect_model=self.model_,
            agencies=agencies,
        )

    def _intervals(self, pool: Pool, scored: pd.DataFrame, alpha: float) -> pd.DataFrame:
        return pool.add_intervals(
            scored,
            alpha,
            bootstrap=self.bootstrap_,
            error_bins=self.error_bins_,
            error_scale=self.error_scale_,
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
        check_is_fitted(self, "model_", msg=NOT_FITTED)
        mentees = pd.Series(mentee_nips, dtype=ID_DTYPE).reset_index(drop=True)
        mentors = pd.Series(mentor_nips, dtype=ID_DTYPE).reset_index(drop=True)
        if len(mentees) != len(mentors):
            raise ValueError("mentee and mentor lists must have the same length")
        when = decision_date(ds, as_of)
        people = pd.Series(pd.unique(pd.concat([mentees, mentors])), dtype=ID_DTYPE)
        check_known(ds, people)
        pool = self._pool(ds, people, when)
        scored = pool.score(pool.roster.row(mentees), pool.roster.row(mentors))
        return self._intervals(pool, scored, alpha)

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
        check_is_fitted(self, "model_", msg=NOT_FITTED)
        people = unique_nips(nips)
        check_known(ds, people)
        if mentors is not None:
            check_known(ds, pd.Series(list(mentors), dtype=ID_DTYPE))
        check_active(ds, people)
        when = decision_date(ds, as_of)
        return self._candidates(ds, people, top, when, alpha, on_progress, mentors)[0]

    def _candidates(
        self,
        ds: Dataset,
        people: pd.Series,
        top: int | None,
        when: pd.Timestamp,
        alpha: float,
        on_progress: Callable[[int, int], None] | None,
        mentors: pd.Series | list[str] | None = None,
    ) -> tuple[pd.DataFrame, Pool]:
        """:meth:`candidates` of checked ``people`` (known, active, unique) and the pool."""
        # candidates come from the mentees' own agencies: score only those
        agency = ds.employees.set_index(ds.employees["nip"].astype(str))["agency"].astype(str)
        agencies = agency.reindex(people.astype(str)).unique()
        pool = self._pool(ds, None, when, agencies)
        found = pool.roster.row(people)
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
                    self._intervals(pool, scored, alpha).assign(n_eligible=eligible[chosen])
                )
            done += len(block)
            if on_progress:
                on_progress(min(done, len(people)), len(people))
        if not parts:
            return pd.DataFrame(columns=[*SCORE_COLUMNS, "n_eligible"]), pool
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
        ``reason_<lang>`` and ``distance_<lang>`` columns (one scoring pass for all).
        Unknown NIPs are an :class:`~recsys.models.requests.UnknownEmployeeError`, inactive
        ones an :class:`~recsys.models.requests.InactiveEmployeeError`."""
        request = recommend_request(self, ds, nips, k=k, lang=lang, also_in=also_in, as_of=as_of)
        people = request.people
        top, pool = self._candidates(ds, people, k, request.as_of, 0.1, on_progress)
        if top.empty:
            return pd.DataFrame(columns=list(RECOMMENDATION_COLUMNS))
        top = top.reset_index(drop=True)
        top["rank"] = top.groupby("nip", sort=False).cumcount() + 1
        mentee_rows = pool.roster.row(top["nip"])
        mentor_rows = pool.roster.row(top["mentor_nip"])
        _, lead = coverage(pool.profiles, mentee_rows, pool.profiles, mentor_rows)
        detail = lead_detail(pool.profiles, mentee_rows, lead)
        explained = {
            language: explain_mentors(top, detail, ds, language) for language in request.languages
        }
        main, *others = request.languages
        top["gaps_covered"], top["reason"], top["distance"] = explained[main]
        extra = []
        for language in others:
            _, top[f"reason_{language}"], top[f"distance_{language}"] = explained[language]
            extra += [f"reason_{language}", f"distance_{language}"]
        order = {n: i for i, n in enumerate(people.astype(str))}
        top = top.sort_values(
            ["nip", "rank"], key=lambda c: c.astype(str).map(order) if c.name == "nip" else c
        )
        return top[[*RECOMMENDATION_COLUMNS, *extra]].reset_index(drop=True)
