"""The mentor recommender: senior colleagues ranked by the forecast gain in a mentee's SKP
score from being mentored by them.

How a forecast is made:

1. **Candidates** (:mod:`~recsys.models.mentors.eligibility`), by the mentoring policy of
   the mentee's agency (:mod:`~recsys.models.mentors.policy`; by default, after Perlan LAN
   10/2018): active colleagues of the mentee's agency at least one step more senior
   (position type, then grade), the direct supervisor included, whose last appraisal was
   ``baik`` or ``sangat_baik`` or whose past mentees rated them well (the evidence rule);
   never the mentee.
2. **Coverage** of a (mentee, mentor) pair (:mod:`~recsys.models.mentors.coverage`): in
   every competency of the mentee's standard where the mentee is below the standard (plus
   the surplus that still counts), how far the mentor is ahead, weighted by how much that
   competency matters for performance (:class:`~recsys.models.importance.CompetencyImportance`).
   A mentor who knows nothing the mentee lacks covers nothing and is not a candidate.
3. **Effectiveness** (:mod:`~recsys.models.mentors.effect`), learned from past mentorships
   and their outcomes (the contract's outcome, minus what the mentee would have gained
   anyway: :class:`~recsys.models.baseline.ScoreBaseline`, whose control windows exclude
   only mentorships and which takes the trainings completed in the window as features, so
   trainings are not credited to mentors): outcome ≈ coverage × effectiveness, a log-linear
   effectiveness, because distance, the mentor's skill and load multiply. A few slopes in
   natural units, ridge-penalised and kept to the signs the data may not reverse: the
   distance class (same unit, same region, other region; remote-area mentee: the data
   decide whether remote mentoring works), whether the mentor is the supervisor, their
   level in *Pengembangan Diri dan Orang Lain* (developing others), their past mentees'
   ratings (:mod:`recsys.features.mentor`) and how many mentees they had at once.
   **The learned model or the simple rule** (``effect="auto"``): beside it, coverage × one
   constant effectiveness is fitted on the same folds; the learned model is served unless
   its out-of-fold error on the agency's own outcomes is larger than the rule's by more
   than the noise of that comparison (one standard error, :data:`LOSS_Z`; ``effect_``,
   ``effect_reason_`` and ``effect_loss_z_`` say which and why). Where the history shows
   no mentoring effect, the effectiveness is a tiny common floor: candidates are ordered
   by coverage and the intervals lie around 0.
4. **Expected gain** = coverage × effectiveness (SKP points at the first appraisal at least
   six months after the mentorship, the mentor taking one mentee at a time); the 90%
   interval combines the spread of bootstrap refits with the forecast's multiplicative
   error (its log-sd, ``relative_error_``: a prior updated by the out-of-fold error beyond
   the outcome noise), asymmetric around the forecast as the error is.

Effectiveness depends only on the mentor and the pair's context, so it is a small table per
mentor and every candidate of a whole agency is scored exactly, without pruning
(:mod:`~recsys.models.mentors.pool`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from recsys.data.contract import ID_DTYPE
from recsys.data.loading import Dataset
from recsys.data.snapshot import snapshot
from recsys.features import outcomes as O
from recsys.features.competency_state import AS_OF, id_positions
from recsys.features.mentor import distance_class, mentor_features
from recsys.models.baseline import ScoreBaseline, refuse_look_ahead
from recsys.models.importance import CompetencyImportance
from recsys.models.mentors.coverage import coverage, lead_detail, profiles
from recsys.models.mentors.effect import (
    EFFECT_FEATURES,
    EFFECT_FLOOR,
    KINDS,
    LOAD,
    EffectModel,
    best_constant,
    concurrent_load,
    fit_effect,
    gain_interval,
    relative_error,
)
from recsys.models.mentors.eligibility import matching_groups, unit_scoped
from recsys.models.mentors.policy import MentorPolicies
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
#: Repeats of the out-of-fold comparison (different fold draws, averaged: one draw of
#: folds can tip a close comparison).
N_REPEATS = 5
#: The simple rule's relative error, as a multiple of the learned effectiveness' prior: it
#: ignores the differences between mentors and contexts, taken to be as large as what the
#: learned model leaves.
RULE_ERROR_FACTOR = float(np.sqrt(2.0))
#: The learned effectiveness loses to the simple rule when its out-of-fold squared error is
#: larger by more than this many standard errors of the paired difference (same folds,
#: same mentorships). Nearer than that, the agency's outcomes cannot tell them apart (a
#: history of a few thousand mentorships explains well under 1% of the outcomes' variance
#: either way); the learned model is then served: it is the rule (slopes 0) with its
#: slopes estimated under a prior centred on the rule, so what it adds is what the data
#: support, and it ranks by the mentor's signals where the rule ranks by coverage alone.
LOSS_Z = 1.0
#: What ``effect`` may be: the out-of-fold choice, or one kind fixed.
EFFECT_CHOICES = ("auto", *KINDS)
#: Why the effectiveness served is what it is (``effect_reason_``): the learned model's
#: out-of-fold error is lower than the simple rule's; it is higher, but within the noise
#: (:data:`LOSS_Z`); it loses to the rule; the history shows no mentoring effect; or the
#: ``effect`` parameter fixed it.
WHY_BEATS_RULE = "beats_rule"
WHY_TIES_RULE = "ties_rule"
WHY_NO_BETTER = "no_better"
WHY_NO_EFFECT = "no_effect"
WHY_FIXED = "fixed"


def _require_finite(*named: str | np.ndarray) -> None:
    """A ``ValueError`` naming the first of the (name, values) pairs that is not finite."""
    for name, values in zip(named[::2], named[1::2], strict=True):
        if not np.isfinite(np.asarray(values, dtype=float)).all():
            raise ValueError(
                f"the mentor recommender's fit is not finite: {name} hold NaN or infinite "
                "values; check the mentorship and appraisal data"
            )


def choose_effect(effect: str, loss_z: float, *, no_effect: bool) -> tuple[str, str]:
    """The effectiveness to serve and why (:data:`WHY_BEATS_RULE` …), given the ``effect``
    parameter, the learned model's out-of-fold loss against the rule in standard errors
    (``loss_z``) and whether the history shows no mentoring effect."""
    if effect != "auto":
        return effect, WHY_FIXED
    if no_effect:
        return "constant", WHY_NO_EFFECT
    if not loss_z <= LOSS_Z:  # NaN loses too
        return "constant", WHY_NO_BETTER
    return "learned", WHY_TIES_RULE if loss_z > 0 else WHY_BEATS_RULE


class MentorRecommender(BaseEstimator):
    """Forecast mentoring gain per (mentee, mentor); see the module docstring.

    Parameters (stored as given): ``effect`` (``"auto"``: the learned effectiveness where
    its out-of-fold error beats the simple rule's, else the rule; ``"learned"`` or
    ``"constant"``: that one), ``prior_sd`` (prior sd of each slope of the learned
    effectiveness, log units per unit of its column), ``relative_error`` (prior log-sd of
    a forecast's multiplicative error; the simple rule's is :data:`RULE_ERROR_FACTOR` times
    it), ``n_bootstrap`` (refits for the interval),
    ``policies`` (each agency's mentoring policy, a
    :class:`~recsys.models.mentors.policy.MentorPolicies`; None: the built-in default;
    eligibility only, fit does not use it), ``allow_supervisor`` (None: the policies
    decide; True or False replaces every agency's supervisor rule), ``importance`` (a
    :class:`CompetencyImportance`; None: the default one), ``baseline`` (a
    :class:`ScoreBaseline` with ``excluded="mentorships"``; None: the default one with this
    ``random_state``), ``random_state``. ``fit`` clones ``importance`` and ``baseline``
    before fitting them.

    Learned: ``as_of_``, ``importance_``, ``baseline_``, ``model_`` (an
    :class:`~recsys.models.mentors.effect.EffectModel`), ``bootstrap_`` (its refits),
    ``effect_`` (``"learned"`` or ``"constant"``: what ``model_`` is), ``effect_reason_``
    (why: :data:`WHY_BEATS_RULE`, :data:`WHY_TIES_RULE`, :data:`WHY_NO_BETTER`,
    :data:`WHY_NO_EFFECT`,
    :data:`WHY_FIXED`), ``relative_error_``, ``vocabulary_``, ``n_mentorships_``,
    ``oof_r2_`` (out-of-fold R² of the served forecast against the de-baselined outcomes:
    the held-out check where no ground truth exists), ``oof_r2_learned_`` and
    ``oof_r2_constant_`` (both candidates' on the same folds), ``effect_loss_z_`` (the
    learned model's out-of-fold squared error minus the rule's, in standard errors of the
    paired difference: above :data:`LOSS_Z` it loses to the rule).
    """

    def __init__(
        self,
        *,
        effect: str = "auto",
        prior_sd: float = 0.35,
        relative_error: float = 0.5,
        n_bootstrap: int = 20,
        policies: MentorPolicies | None = None,
        allow_supervisor: bool | None = None,
        importance: CompetencyImportance | None = None,
        baseline: ScoreBaseline | None = None,
        random_state: int = 0,
    ) -> None:
        self.effect = effect
        self.prior_sd = prior_sd
        self.relative_error = relative_error
        self.n_bootstrap = n_bootstrap
        self.policies = policies
        self.allow_supervisor = allow_supervisor
        self.importance = importance
        self.baseline = baseline
        self.random_state = random_state

    def _fit_effect(
        self, kind: str, x: pd.DataFrame, cover: np.ndarray, residual: np.ndarray
    ) -> EffectModel:
        """The effectiveness of ``kind`` (:mod:`~recsys.models.mentors.effect`) with this
        recommender's prior."""
        return fit_effect(kind, x, cover, residual, prior_sd=self.prior_sd)

    def _choose_effect(
        self, x: pd.DataFrame, cover: np.ndarray, residual: np.ndarray, rng: np.random.Generator
    ) -> tuple[str, str, np.ndarray, dict[str, float], float]:
        """The learned effectiveness and the simple rule out of fold, on the same folds
        (:data:`N_REPEATS` × :data:`N_FOLDS`): the kind to serve, why, its out-of-fold
        forecasts (mean over the repeats), each kind's out-of-fold R² and how much larger
        the learned model's squared error is than the rule's, in standard errors of that
        paired difference (negative: smaller)."""
        n = len(residual)
        oof = {kind: np.zeros(n) for kind in KINDS}
        loss = {kind: np.zeros(n) for kind in KINDS}
        for _ in range(N_REPEATS):
            folds = rng.integers(0, N_FOLDS, n)
            for kind in KINDS:
                once = np.zeros(n)
                for fold in range(N_FOLDS):
                    train, test = folds != fold, folds == fold
                    if not test.any():
                        continue
                    model = self._fit_effect(kind, x[train], cover[train], residual[train])
                    once[test] = cover[test] * model.predict(x[test])
                oof[kind] += once / N_REPEATS
                loss[kind] += (residual - once) ** 2 / N_REPEATS
        spread = float(np.sum((residual - residual.mean()) ** 2))
        r2 = {kind: 1.0 - float(loss[kind].sum()) / spread if spread > 0 else 0.0 for kind in KINDS}
        gap = loss["learned"] - loss["constant"]
        se = float(gap.std(ddof=1)) / np.sqrt(n) if n > 1 else 0.0
        loss_z = float(gap.mean() / se) if se > 0 else 0.0
        no_effect = best_constant(cover, residual) <= EFFECT_FLOOR
        kind, why = choose_effect(self.effect, loss_z, no_effect=no_effect)
        return kind, why, oof[kind], r2, loss_z

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
        refuse_look_ahead(baseline, "mentor recommender")
        if self.effect not in EFFECT_CHOICES:
            raise ValueError(f"effect must be one of {EFFECT_CHOICES}, got {self.effect!r}")
        if not (self.prior_sd > 0 and self.relative_error > 0):
            raise ValueError(
                "prior_sd and relative_error must be positive, got "
                f"{self.prior_sd!r} and {self.relative_error!r}"
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
        cover, x = self._past_pairs(data, past, when)
        usable = cover > 1e-3
        cover, x, residual = cover[usable], x[usable].reset_index(drop=True), residual[usable]
        _require_finite(
            "the mentorship outcomes (de-baselined)", residual, "coverage of past pairs", cover
        )
        if len(residual) < MIN_MENTORSHIPS:
            raise ValueError(
                f"too little history: {len(residual)} mentorships with an outcome where the "
                f"mentor covered a gap (at least {MIN_MENTORSHIPS} needed)"
            )
        rng = np.random.default_rng(self.random_state)
        kind, why, oof, r2, loss_z = self._choose_effect(x, cover, residual, rng)
        self.effect_, self.effect_reason_, self.effect_loss_z_ = kind, why, loss_z
        self.model_ = self._fit_effect(kind, x, cover, residual)
        self.oof_r2_ = r2[kind]
        self.oof_r2_learned_, self.oof_r2_constant_ = r2["learned"], r2["constant"]
        step("intervals")
        n = len(residual)
        self.bootstrap_ = []
        for _ in range(self.n_bootstrap):
            idx = rng.integers(0, n, n)
            self.bootstrap_.append(self._fit_effect(kind, x.iloc[idx], cover[idx], residual[idx]))
        prior = self.relative_error * (RULE_ERROR_FACTOR if kind == "constant" else 1.0)
        self.relative_error_ = relative_error(oof, residual, self.baseline_.noise_var_, prior=prior)
        _require_finite(
            "the fitted effectiveness",
            np.r_[self.model_.scale, self.model_.slopes, self.relative_error_],
            "the out-of-fold R²",
            np.array([self.oof_r2_learned_, self.oof_r2_constant_]),
        )
        self.as_of_ = when
        self.n_mentorships_ = n
        log.info(
            "mentor recommender fitted on %d mentorships (as of %s): %s effectiveness (%s), "
            "out-of-fold R² %.4f (learned %.4f, simple rule %.4f)",
            n,
            when.date(),
            kind,
            why,
            self.oof_r2_,
            self.oof_r2_learned_,
            self.oof_r2_constant_,
        )
        return self

    def _past_pairs(
        self, ds: Dataset, past: pd.DataFrame, when: pd.Timestamp
    ) -> tuple[np.ndarray, pd.DataFrame]:
        """Coverage and effectiveness features of past mentorships, as of their start, with
        the mentor's load then (:data:`~recsys.models.mentors.effect.LOAD`)."""
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
        x[LOAD] = concurrent_load(ds.mentorships, past, when)
        return cover, x[[*EFFECT_FEATURES, LOAD]]

    # ------------------------------------------------------------------------- forecast

    def forecast_from_features(self, features: pd.DataFrame, alpha: float = 0.1) -> pd.DataFrame:
        """Expected gain and interval (SKP points) from pair features: ``coverage`` and
        :data:`~recsys.models.mentors.effect.EFFECT_FEATURES`, optionally
        :data:`~recsys.models.mentors.effect.LOAD` (mentees the mentor has at once; absent:
        1) (the MLflow pyfunc model's whole job). Missing rating or developing others count
        as the mean and the standard; a missing or non-finite coverage, distance, remote or
        supervisor value is a ``ValueError`` naming the column."""
        check_is_fitted(self, "model_", msg=NOT_FITTED)
        needed = ["coverage", *EFFECT_FEATURES]
        missing = [name for name in needed if name not in features]
        if missing:
            raise ValueError(f"mentor pair features lack the columns {missing}")
        optional = [LOAD] if LOAD in features else []
        x = features[[*EFFECT_FEATURES, *optional]].astype(float)
        for name in ("coverage", "distance", "mentee_remote", "is_supervisor"):
            column = features[name].to_numpy(dtype=float)
            if not np.isfinite(column).all():
                raise ValueError(f"mentor pair feature {name!r} must be finite in every row")
        cover = features["coverage"].to_numpy(dtype=float)
        if (cover < 0).any():
            raise ValueError("mentor pair feature 'coverage' must not be negative")
        expected = cover * self.model_.predict(x)
        spread = (
            np.column_stack([m.raw(x) for m in self.bootstrap_]).std(axis=1)
            if self.bootstrap_
            else np.zeros(len(x))
        )
        lower, upper = gain_interval(expected, cover * spread, self.relative_error_, alpha)
        return pd.DataFrame({"expected_gain": expected, "gain_lower": lower, "gain_upper": upper})

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
            }
        )

    def _pool(
        self,
        ds: Dataset,
        people: pd.Series | None,
        when: pd.Timestamp,
        agencies: np.ndarray | None = None,
        groups: np.ndarray | None = None,
    ) -> Pool:
        return Pool.build(
            ds,
            people,
            when,
            importance=self.importance_,
            vocabulary=self.vocabulary_,
            effect_model=self.model_,
            agencies=agencies,
            groups=groups,
            policies=self.eligibility_policies(),
        )

    def eligibility_policies(self) -> MentorPolicies:
        """The mentoring policies candidates are chosen by: ``policies`` (None: the
        built-in default) with ``allow_supervisor``, if set, as every agency's supervisor
        rule."""
        policies = MentorPolicies() if self.policies is None else self.policies
        if self.allow_supervisor is not None:
            policies = policies.replace_all(allow_supervisor=self.allow_supervisor)
        return policies

    def _intervals(self, pool: Pool, scored: pd.DataFrame, alpha: float) -> pd.DataFrame:
        return pool.add_intervals(
            scored,
            alpha,
            bootstrap=self.bootstrap_,
            relative_error=self.relative_error_,
        )

    def with_intervals(self, pool: Pool, pairs: pd.DataFrame, alpha: float = 0.1) -> pd.DataFrame:
        """``pairs`` (``nip``, ``mentor_nip`` of people in ``pool``, e.g. a few of the
        candidates found with ``alpha=None``) with their ``gain_lower`` and ``gain_upper``:
        the intervals the candidates would have had."""
        check_is_fitted(self, "model_", msg=NOT_FITTED)
        if pairs.empty:
            return pairs.assign(gain_lower=np.array([]), gain_upper=np.array([]))
        scored = pool.score(pool.roster.row(pairs["nip"]), pool.roster.row(pairs["mentor_nip"]))
        bounds = self._intervals(pool, scored, alpha)
        return pairs.assign(
            gain_lower=bounds["gain_lower"].to_numpy(), gain_upper=bounds["gain_upper"].to_numpy()
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
        be known employees, and still have to meet the candidate rules (the policy of the
        mentee's agency: :meth:`eligibility_policies`). Columns as
        :meth:`forecast`, best first per mentee, plus ``n_eligible`` (candidates before
        ``top``). Mentees without any candidate have no rows.
        """
        return self.candidates_in_pool(
            ds, nips, top=top, as_of=as_of, alpha=alpha, on_progress=on_progress, mentors=mentors
        )[0]

    def candidates_in_pool(
        self,
        ds: Dataset,
        nips: pd.Series | list[str],
        *,
        top: int | None = None,
        as_of: pd.Timestamp | None = None,
        alpha: float | None = 0.1,
        on_progress: Callable[[int, int], None] | None = None,
        mentors: pd.Series | list[str] | None = None,
    ) -> tuple[pd.DataFrame, Pool]:
        """:meth:`candidates` and the scoring pool they were found in: its roster rows and
        competency profiles tell which gaps each pair covers
        (:func:`~recsys.models.mentors.coverage.lead_detail`) without building them again.
        ``alpha=None``: no interval (no ``gain_lower``/``gain_upper``; give the pairs that
        need one theirs with :meth:`with_intervals`)."""
        check_is_fitted(self, "model_", msg=NOT_FITTED)
        people = unique_nips(nips)
        check_known(ds, people)
        if mentors is not None:
            check_known(ds, pd.Series(list(mentors), dtype=ID_DTYPE))
        check_active(ds, people)
        when = decision_date(ds, as_of)
        return self._candidates(ds, people, top, when, alpha, on_progress, mentors)

    def _candidates(
        self,
        ds: Dataset,
        people: pd.Series,
        top: int | None,
        when: pd.Timestamp,
        alpha: float | None,
        on_progress: Callable[[int, int], None] | None,
        mentors: pd.Series | list[str] | None = None,
    ) -> tuple[pd.DataFrame, Pool]:
        """:meth:`candidates` of checked ``people`` (known, active, unique) and the pool."""
        # candidates come from the mentees' own agencies (unless a policy looks further):
        # score only those
        agency = ds.employees["agency"].astype(str)
        agencies = agency.iloc[id_positions(people, ds.employees["nip"])].unique()
        policies = self.eligibility_policies()
        within = all(policies.policy_for(a).same_agency for a in agencies)
        # where every mentee's agency searches unit by unit, their units' staff suffice
        groups = (
            pd.unique(matching_groups(ds, policies, people))
            if unit_scoped(ds, policies, agencies).all()
            else None
        )
        pool = self._pool(ds, None, when, agencies if within else None, groups)
        found = pool.roster.row(people)
        parts: list[pd.DataFrame] = []
        done = 0
        allowed = (
            None
            if mentors is None
            else pool.roster.index.isin(pd.Index(pd.Series(list(mentors)).astype(str)))
        )
        matrices = pool.roster.matrices(found, only=allowed)
        # without intervals: the scores' columns but the bounds
        columns = [c for c in SCORE_COLUMNS if alpha is not None or not c.startswith("gain_")]
        for block, agency_mentors, ok in matrices:
            mi, mj, eligible = pool.shortlist(block, agency_mentors, ok, top)
            looked = pool.lookup(mi, mj)
            expected = looked.cover * looked.gain_per_cover
            kept = np.flatnonzero(looked.cover > 0)
            kept = kept[np.lexsort((-expected[kept], mi[kept]))]  # by mentee, best first
            mi, mj, eligible = mi[kept], mj[kept], eligible[kept]
            if len(mi):
                starts = np.flatnonzero(np.r_[True, mi[1:] != mi[:-1]])
                sizes = np.diff(np.r_[starts, len(mi)])
                rank = np.arange(len(mi)) - np.repeat(starts, sizes)
                chosen = rank < top if top is not None else np.ones(len(mi), dtype=bool)
                scored = pool.score(mi[chosen], mj[chosen], looked.take(kept[chosen]))
                scored = scored[columns] if alpha is None else self._intervals(pool, scored, alpha)
                parts.append(scored.assign(n_eligible=eligible[chosen]))
            done += len(block)
            if on_progress:
                on_progress(min(done, len(people)), len(people))
        if not parts:
            return pd.DataFrame(columns=[*columns, "n_eligible"]), pool
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
