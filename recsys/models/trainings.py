"""The training recommender: trainings ranked by the forecast gain in a person's SKP score.

How a forecast is made, and why it can be explained:

1. **Weighted gap** of a (person, training) pair: for each competency the training develops
   and the person's position requires, the levels it could close —
   ``min(target, standard + cap) − current level`` — times how much that competency matters
   for performance in this position type (:class:`~recsys.models.importance.CompetencyImportance`).
2. **Effectiveness**, learned from history: the change in SKP score after each past
   enrollment (the contract's outcome), minus what the same person would have gained anyway
   (a LightGBM model of score changes in windows without any activity), is regressed on the
   weighted gap with coefficients per training, per modality × remote area and per position
   type (ridge, so a training with little history leans on the common effect; a new training
   gets the common one). Enrollments sharing an outcome window are disentangled by
   backfitting. Dropouts stay in (intention to treat): a forecast is what *enrolling* does.
3. **Expected gain** = weighted gap × effectiveness, in SKP points at the first appraisal at
   least six months after the training; the interval comes from refitting step 2 on
   bootstrap resamples of the enrollments.
4. **Candidates**: this structured model, a flexible uplift model over person × training
   features (:mod:`recsys.models.uplift_ranker`), the gap rule, and the blend: the average
   of the structured model, the uplift model and a line on the *weighted reach* (the gap up
   to each training's own target level where the person is below the standard,
   :func:`~recsys.features.training_pair.weighted_reach`). The one served is chosen on the
   agency's own held-out outcomes (:mod:`recsys.models.selection`).

Only records dated before the decision date are used (see :mod:`recsys.features.competency_state`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from recsys.data.contract import ID_DTYPE, MODALITIES, POSITION_TYPES
from recsys.data.loading import Dataset
from recsys.data.sample import sample_people
from recsys.data.snapshot import snapshot
from recsys.features import outcomes as O
from recsys.features.competency_state import AS_OF, QUERY, competency_state
from recsys.features.person import person_features
from recsys.features.training_pair import (
    PAIR_FEATURES,
    age_years,
    gap_rule_scores,
    training_pair_features,
    weighted_reach,
)
from recsys.models.baseline import ScoreBaseline, refuse_look_ahead
from recsys.models.importance import SURPLUS_CAP, CompetencyImportance
from recsys.models.intervals import (
    calibrate_error,
    dropout_noise,
    error_at,
    interval_half_width,
)
from recsys.models.marginal import marginal_lists
from recsys.models.reasons import explain_trainings_in
from recsys.models.requests import NOT_FITTED, check_known, decision_date, recommend_request
from recsys.models.selection import (
    RANKERS,
    RULE,
    VALIDATION_COLUMNS,
    WHY_FIXED,
    choice_propensity,
    choose_ranker,
    logging_propensity,
    validate_rankers,
)
from recsys.models.uplift_ranker import PairUpliftModel

log = logging.getLogger(__name__)

ProgressFn = Callable[[str], None]

#: Output columns of :meth:`TrainingRecommender.recommend`.
RECOMMENDATION_COLUMNS = (
    "nip",
    "rank",
    "training_id",
    "title",
    "expected_gain",
    "gain_lower",
    "gain_upper",
    "gain_alone",
    "list_gain",
    "ranker",
    "gaps_closed",
    "hours_jp",
    "cost_idr",
    "modality",
    "reason",
)
#: Columns of a batch export (``recommend ... --all``): one row per (nip, rank), the least
#: personal data a file for HR needs.
TRAINING_EXPORT_COLUMNS = (
    "nip",
    "rank",
    "training_id",
    "expected_gain",
    "gain_lower",
    "gain_upper",
    "list_gain",
    "reason",
)
N_FOLDS = 5
#: People scored at a time by ``recommend`` (bounds memory).
RECOMMEND_CHUNK = 25_000
#: Rankers whose forecasts need the person's features besides the gaps.
_NEEDS_PERSON = ("uplift", "blend")
_MOD_REMOTE = [f"{m}|{r}" for m in MODALITIES for r in ("0", "1")]


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares intercept and slope of ``y`` on ``x``, the slope at least 1e-6."""
    var = float(np.var(x))
    slope = float(np.cov(x, y, bias=True)[0, 1] / var) if var > 0 else 0.0
    slope = max(slope, 1e-6)
    return float(np.mean(y)) - slope * float(np.mean(x)), slope


def ridge(
    design: sparse.csr_matrix,
    target: np.ndarray,
    alpha: float,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Weighted ridge regression with an unpenalised intercept, solved in closed form.

    The design is sparse (a few non-zeros per row), so the Gram matrix costs little even
    for millions of rows; ``weights`` (e.g. bootstrap counts) multiply each row.
    """
    w = np.ones(design.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    total = w.sum()
    weighted = design.multiply(w[:, None]).tocsr()
    mean_x = np.asarray(weighted.sum(axis=0)).ravel() / total
    mean_y = float(w @ target) / total
    gram = (design.T @ weighted).toarray() - total * np.outer(mean_x, mean_x)
    rhs = weighted.T @ target - total * mean_x * mean_y
    coef = np.linalg.solve(gram + alpha * np.eye(len(mean_x)), rhs)
    return coef, mean_y - float(mean_x @ coef)


def completion_rates(
    status: pd.Series, modality: np.ndarray, remote: np.ndarray, *, prior: float = 20.0
) -> np.ndarray:
    """Each finished enrollment's chance of being completed rather than dropped: the share
    completed among the history's enrollments of the same modality and remote area, shrunk
    towards the overall share with ``prior`` pseudo-enrollments."""
    done = (np.asarray(status, dtype=object) == "completed").astype(float)
    if len(done) == 0:
        return done
    group = pd.Series(modality, dtype=str).str.cat(pd.Series(np.asarray(remote) > 0, dtype=str))
    grouped = pd.Series(done).groupby(group.to_numpy())
    overall = float(done.mean())
    rate = (grouped.transform("sum") + prior * overall) / (grouped.transform("size") + prior)
    return rate.to_numpy(dtype=float)


def weighted_gaps(
    ds: Dataset,
    importance: CompetencyImportance,
    state: pd.DataFrame,
    pairs: pd.DataFrame,
    position_type: np.ndarray,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Weighted gap (SKP points) of each pair, and the per-competency detail.

    ``pairs`` has a ``query`` column (row of ``state``'s queries) and ``training_id``;
    ``position_type`` is per query. Returns the weighted gap per pair and a long frame
    (pair, competency, level, target, required, closable, open, weight, assessed) for
    explanations and the pair features; ``open``: the level is below the standard plus the
    surplus that still counts.
    """
    pairs = pairs.assign(pair=np.arange(len(pairs)))
    targets = pairs[["pair", QUERY, "training_id"]].merge(
        ds.training_competencies, on="training_id"
    )
    levels = state[[QUERY, "competency", "required_level", "implied_level", "level_estimate"]]
    joined = targets.merge(levels, on=[QUERY, "competency"], how="inner")
    ceiling = np.minimum(joined["target_level"], joined["required_level"] + SURPLUS_CAP)
    closable = (ceiling - joined["level_estimate"]).clip(lower=0).to_numpy()
    weight = importance.weight(position_type[joined[QUERY].to_numpy()], joined["competency"])
    detail = pd.DataFrame(
        {
            "pair": joined["pair"].to_numpy(),
            "competency": joined["competency"].astype(str).array,
            "level": joined["level_estimate"].to_numpy(),
            "target": joined["target_level"].to_numpy(),
            "required": joined["required_level"].to_numpy(),
            "closable": closable,
            "open": (joined["level_estimate"] < joined["required_level"] + SURPLUS_CAP).to_numpy(),
            "weight": weight,
            "assessed": joined["implied_level"].notna().to_numpy(),
        }
    )
    total = (
        pd.Series(closable * weight)
        .groupby(joined["pair"].to_numpy())
        .sum()
        .reindex(range(len(pairs)), fill_value=0.0)
        .to_numpy()
    )
    return total, detail


class _PeopleAt:
    """The people of a request as of its decision date: their competency state (computed
    once), position type and remote area per person, and, when a ranker reads them, their
    person features (:func:`~recsys.features.person.person_features` plus age)."""

    def __init__(self, ds: Dataset, people: pd.Series, when: pd.Timestamp) -> None:
        self.ds, self.people, self.when = ds, people, when
        self.queries = pd.DataFrame({"nip": people, AS_OF: when})
        self.state = competency_state(ds, self.queries)
        info = ds.employees.set_index("nip").reindex(people)
        self.ptype = info["position_type"].astype(str).to_numpy()
        self.remote = info["remote_area"].astype(float).to_numpy()
        self._features: pd.DataFrame | None = None
        self._ptype_text: pd.Series | None = None

    def ptype_text(self) -> pd.Series:
        """The position types as Arrow text (positional index): taken per pair without a
        copy to Python objects."""
        if self._ptype_text is None:
            self._ptype_text = pd.Series(self.ptype, dtype=str)
        return self._ptype_text

    def features(self) -> pd.DataFrame:
        if self._features is None:
            person = person_features(self.ds, self.queries, state=self.state)
            person["age_years"] = age_years(
                self.ds, self.people, np.full(len(self.people), self.when)
            )
            self._features = person
        return self._features


def _check_rule_weight(rule_weight: float) -> None:
    """A share of the gap rule's forecast: a number from 0 to 1, else a ValueError."""
    if not (np.isfinite(rule_weight) and 0.0 <= rule_weight <= 1.0):
        raise ValueError(f"rule_weight must be between 0 and 1, got {rule_weight!r}")


def _candidate_pairs(ds: Dataset, people: _PeopleAt, training_ids: pd.Series) -> pd.DataFrame:
    """The (``query``, ``training_id``) pairs worth forecasting for ``people``: trainings
    among ``training_ids`` that develop a competency of the person's standard (any other
    closes no gap) and that the person has not completed; by person, then in
    ``training_ids``' order."""
    catalog = pd.Index(training_ids, dtype=ID_DTYPE)
    develops = ds.training_competencies[["training_id", "competency"]].assign(
        position=lambda t: catalog.get_indexer(pd.Index(t["training_id"], dtype=ID_DTYPE))
    )
    develops = develops[develops["position"] >= 0].drop(columns="training_id")
    pairs = (
        people.state[[QUERY, "competency"]]
        .merge(develops, on="competency")[[QUERY, "position"]]
        .drop_duplicates()
    )
    done = ds.enrollments.loc[ds.enrollments["status"] == "completed", ["nip", "training_id"]]
    who = pd.Index(people.people, dtype=ID_DTYPE).get_indexer(pd.Index(done["nip"]))
    which = catalog.get_indexer(pd.Index(done["training_id"], dtype=ID_DTYPE))
    taken = pd.DataFrame({QUERY: who, "position": which})
    taken = taken[(taken[QUERY] >= 0) & (taken["position"] >= 0)]
    width = max(len(catalog), 1)
    code = pairs[QUERY].to_numpy(np.int64) * width + pairs["position"].to_numpy(np.int64)
    taken_code = taken[QUERY].to_numpy(np.int64) * width + taken["position"].to_numpy(np.int64)
    code = np.sort(code[~np.isin(code, taken_code)])
    return pd.DataFrame(
        {
            QUERY: code // width,
            "training_id": pd.Series(catalog.array.take(code % width), dtype=ID_DTYPE),
        }
    )


def _subset_pairs(
    features: pd.DataFrame, detail: pd.DataFrame, keep: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pairs ``keep`` (positions) of ``features`` and their ``detail`` rows, renumbered
    ``0 … len(keep)-1``."""
    renumber = np.full(len(features), -1)
    renumber[keep] = np.arange(len(keep))
    new = renumber[detail["pair"].to_numpy()]
    detail = detail[new >= 0].assign(pair=new[new >= 0]).reset_index(drop=True)
    return features.iloc[keep].reset_index(drop=True), detail


def _choice_features(features: pd.DataFrame, prior: np.ndarray) -> np.ndarray:
    """What HR's choice of a training for a person may depend on, per candidate pair: how
    popular the training is for the position type (log share of past enrollments), the gaps
    it closes, and its modality, by remote area."""
    modality = pd.Index(MODALITIES).get_indexer(pd.Index(features["modality"].astype(str)))
    onehot = np.eye(len(MODALITIES))[np.maximum(modality, 0)] * (modality >= 0)[:, None]
    remote = np.asarray(features["remote_area"], dtype=float)[:, None] > 0
    return np.column_stack(
        [
            np.log(np.clip(prior, 1e-9, None)),
            features["gap_rule"].to_numpy(dtype=float),
            features["weighted_gap"].to_numpy(dtype=float),
            onehot[:, 1:],
            onehot * remote,
        ]
    )


class TrainingRecommender(BaseEstimator):
    """Forecast gain of trainings per person; see the module docstring for the method.

    Parameters (stored as given): ``ridge_alpha`` (shrinkage of per-training effects),
    ``n_bootstrap`` (refits for the interval), ``backfit_rounds``, ``importance`` (a
    :class:`CompetencyImportance`; None: the default one), ``baseline`` (a
    :class:`ScoreBaseline` with ``excluded="all"``, whose LightGBM settings are its
    parameters; None: the default one with this ``random_state``), ``uplift`` (a
    :class:`PairUpliftModel`; None: the default one), ``ranker`` ("auto": chosen on the
    out-of-time validation; or one of :data:`~recsys.models.selection.RANKERS`),
    ``validation_k`` (the soft top-k of the validation), ``validation_people`` (test people
    at most), ``validation_fit_people`` (the validation's refits learn from a random sample of
    this many employees' records at most: they are only compared, and at national scale
    refitting on everyone would dominate training time), ``validation_years`` (the
    validation cutoffs, in years before the decision
    date; empty: no validation, and "auto" serves the gap rule), ``random_state``.
    ``fit`` clones ``importance``, ``baseline`` and ``uplift`` before fitting them.
    Learned: ``as_of_``, ``importance_``, ``baseline_`` (:class:`ScoreBaseline`), ``coef_``,
    ``intercept_``, ``coef_samples_``, ``uplift_``, ``gap_coef_``, ``training_ids_``,
    ``n_enrollments_``, ``n_controls_``, ``validation_`` (one row per ranker, see
    :data:`~recsys.models.selection.VALIDATION_COLUMNS`), ``ranker_`` (the ranker that
    makes the lists) and ``ranker_reason_`` (why).
    """

    def __init__(
        self,
        *,
        ridge_alpha: float = 30.0,
        n_bootstrap: int = 30,
        backfit_rounds: int = 3,
        importance: CompetencyImportance | None = None,
        baseline: ScoreBaseline | None = None,
        uplift: PairUpliftModel | None = None,
        ranker: str = "auto",
        validation_k: int = 5,
        validation_people: int = 10_000,
        validation_fit_people: int = 30_000,
        validation_years: tuple[int, ...] = (2, 3),
        random_state: int = 0,
    ) -> None:
        self.ridge_alpha = ridge_alpha
        self.n_bootstrap = n_bootstrap
        self.backfit_rounds = backfit_rounds
        self.importance = importance
        self.baseline = baseline
        self.uplift = uplift
        self.ranker = ranker
        self.validation_k = validation_k
        self.validation_people = validation_people
        self.validation_fit_people = validation_fit_people
        self.validation_years = validation_years
        self.random_state = random_state

    # ------------------------------------------------------------------------- fit

    def fit(
        self,
        ds: Dataset,
        *,
        as_of: pd.Timestamp | None = None,
        on_progress: ProgressFn | None = None,
    ) -> TrainingRecommender:
        """Learn from ``ds``'s history before ``as_of`` (default: after its last appraisal),
        then choose the ranker on an out-of-time validation (:mod:`recsys.models.selection`)."""
        sizes = ("validation_k", "validation_people", "validation_fit_people")
        small = [f"{name}={getattr(self, name)}" for name in sizes if getattr(self, name) < 1]
        if small:
            raise ValueError(f"{', '.join(sizes)} must be at least 1, got {', '.join(small)}")
        if self.ranker not in ("auto", *RANKERS):
            raise ValueError(
                f"ranker must be 'auto' or one of {', '.join(RANKERS)}, got {self.ranker!r}"
            )
        step = on_progress or (lambda _stage: None)
        when = decision_date(ds, as_of)
        self._fit_at(ds, when, step)
        step("validation")
        self.validation_ = self._validate(ds, when)
        chosen, why = choose_ranker(self.validation_)
        if self.ranker != "auto":
            chosen, why = self.ranker, WHY_FIXED
        self.ranker_, self.ranker_reason_ = chosen, why
        if len(self.validation_):
            self.validation_["chosen"] = self.validation_["ranker"] == chosen
        log.info("training ranker: %s (%s)", chosen, why)
        return self

    def _fit_at(self, ds: Dataset, when: pd.Timestamp, step: ProgressFn) -> None:
        """Fit every candidate ranker on the history before ``when``."""
        importance = CompetencyImportance() if self.importance is None else clone(self.importance)
        baseline = (
            ScoreBaseline(random_state=self.random_state)
            if self.baseline is None
            else clone(self.baseline)
        )
        if baseline.excluded != "all":
            raise ValueError(
                "the training recommender's baseline must exclude every activity "
                f"(excluded='all'), got excluded={baseline.excluded!r}"
            )
        refuse_look_ahead(baseline, "training recommender")
        data = snapshot(ds, when)
        step("importance")
        self.importance_ = importance.fit(data)
        step("baseline")
        self.baseline_ = baseline.fit(data)
        step("outcomes")
        enrolled = data.enrollments[data.enrollments["status"] != "in_progress"].reset_index(
            drop=True
        )
        outcomes = O.activity_outcomes(enrolled, data.performance, key="enrollment_id")
        keep = outcomes[O.OUTCOME].notna().to_numpy()
        enrolled, outcomes = (
            enrolled[keep].reset_index(drop=True),
            outcomes[keep].reset_index(drop=True),
        )
        if len(enrolled) < 50:
            raise ValueError("too little history: fewer than 50 enrollments with an outcome")
        residual = self.baseline_.residuals(data, enrolled["nip"], outcomes)
        step("effects")
        queries = pd.DataFrame({"nip": enrolled["nip"], AS_OF: enrolled["start_date"]})
        state = competency_state(data, queries)
        info = data.employees.set_index("nip").reindex(enrolled["nip"])
        ptype = info["position_type"].astype(str).to_numpy()
        remote = info["remote_area"].astype(float).fillna(0).to_numpy()
        pairs = pd.DataFrame(
            {QUERY: np.arange(len(enrolled)), "training_id": enrolled["training_id"]}
        )
        gap, detail = weighted_gaps(data, self.importance_, state, pairs, ptype)
        self.training_ids_ = data.trainings["training_id"].astype(str).to_numpy()
        modality = (
            data.trainings.set_index("training_id")["modality"]
            .reindex(enrolled["training_id"])
            .astype(str)
            .to_numpy()
        )
        base = pd.DataFrame(
            {
                "training_id": enrolled["training_id"].astype(str).to_numpy(),
                "modality": modality,
                "remote_area": remote,
                "position_type": ptype,
                "weighted_gap": gap,
            }
        )
        design = self._design(base)
        window = (
            enrolled["nip"].astype(str)
            + "|"
            + outcomes[O.BASELINE_PERIOD].astype(str)
            + "|"
            + outcomes[O.OUTCOME_PERIOD].astype(str)
        ).to_numpy()
        self.coef_, self.intercept_, target = self._backfit(design, residual, window)
        step("intervals")
        rng = np.random.default_rng(self.random_state)
        n = len(target)
        samples = [
            ridge(design, target, self.ridge_alpha, rng.multinomial(n, np.full(n, 1.0 / n)))[0]
            for _ in range(self.n_bootstrap)
        ]
        self.coef_samples_ = np.array(samples).reshape(len(samples), design.shape[1])
        completion = completion_rates(enrolled["status"], modality, remote)
        structured_oof = self._out_of_fold(design, target, rng)
        self.error_bins_, self.error_scale_ = calibrate_error(
            structured_oof, target, self._noise(structured_oof, completion)
        )
        step("rankers")
        person = person_features(data, queries, state=state)
        person["age_years"] = age_years(data, enrolled["nip"], enrolled["start_date"])
        features = training_pair_features(
            data, detail, gap, enrolled["training_id"].to_numpy(), person, self.training_ids_
        )
        uplift = (
            PairUpliftModel(random_state=self.random_state)
            if self.uplift is None
            else clone(self.uplift)
        )
        self.uplift_ = uplift.fit(features, residual, self.baseline_.noise_var_, completion)
        reach = weighted_reach(detail, len(target))
        self.reach_coef_, self.reach_coef_samples_, reach_oof = self._fit_line(reach, target, rng)
        # the blend's own error, where its members are all out of fold: the uplift model's
        # held-out enrollments (an average of models misses by less than any one of them)
        held = self.uplift_.holdout_mask(len(target))
        blend_oof = (
            structured_oof[held] + self.uplift_.predict(features[held]) + reach_oof[held]
        ) / 3
        self.blend_error_bins_, self.blend_error_scale_ = calibrate_error(
            blend_oof, target[held], self._noise(blend_oof, completion[held])
        )
        self._fit_gap_rule(features["gap_rule"].to_numpy(), target, completion, rng)
        self.as_of_ = when
        self.n_enrollments_ = len(enrolled)
        self.n_controls_ = self.baseline_.n_controls_
        log.info(
            "training recommender fitted on %d enrollments and %d control windows (as of %s)",
            self.n_enrollments_,
            self.n_controls_,
            when.date(),
        )

    def _fit_line(
        self, score: np.ndarray, target: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """SKP points per unit of ``score`` (a line, its slope never negative, so the
        ranking stays the score's): the coefficients (intercept, slope), their bootstrap
        samples and each enrollment's out-of-fold forecast."""
        coef = np.array(_line(score, target))
        n = len(score)
        samples = []
        for _ in range(max(self.n_bootstrap, 2)):
            pick = rng.integers(0, n, n)
            samples.append(_line(score[pick], target[pick]))
        folds = rng.integers(0, N_FOLDS, n)
        oof = np.empty(n)
        for fold in range(N_FOLDS):
            a, b = _line(score[folds != fold], target[folds != fold])
            oof[folds == fold] = a + b * score[folds == fold]
        return coef, np.array(samples), oof

    def _fit_gap_rule(
        self,
        score: np.ndarray,
        target: np.ndarray,
        completion: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        """The gap rule's numbers: SKP points per level it counts, with a bootstrap spread
        and an out-of-fold error."""
        self.gap_coef_, self.gap_coef_samples_, oof = self._fit_line(score, target, rng)
        self.gap_error_bins_, self.gap_error_scale_ = calibrate_error(
            oof, target, self._noise(oof, completion)
        )

    def _validate(self, ds: Dataset, when: pd.Timestamp) -> pd.DataFrame:
        """Every candidate fitted before each validation cutoff (``validation_years`` before
        ``when``: by default two and three), judged on the enrollments that started in the
        period after it (up to the next cutoff) and whose outcome was appraised before
        ``when`` (observed outcomes only); the periods are pooled. An empty table if there
        is no cutoff or the history is too short for any of them."""
        periods = []
        end = pd.Timestamp(when)
        for years in sorted(self.validation_years):
            cutoff = pd.Timestamp(when) - pd.DateOffset(years=years)
            period = self._validation_period(ds, cutoff, end, when)
            if period is not None:
                periods.append(period)
            end = cutoff
        if not periods:
            return pd.DataFrame(columns=list(VALIDATION_COLUMNS))
        scores = {name: np.concatenate([p[0][name] for p in periods]) for name in RANKERS}
        pairs = pd.concat([p[1] for p in periods], ignore_index=True)
        test = pd.concat([p[2] for p in periods], ignore_index=True)
        return validate_rankers(scores, pairs, test, k=self.validation_k, seed=self.random_state)

    def _validation_period(
        self, ds: Dataset, cutoff: pd.Timestamp, end: pd.Timestamp, when: pd.Timestamp
    ) -> tuple[dict[str, np.ndarray], pd.DataFrame, pd.DataFrame] | None:
        """Candidates fitted before ``cutoff``: their scores for the test people's
        candidates, the pairs and the test rows of the enrollments in [cutoff, end); a
        person is keyed by period and NIP. None if there is too little history."""
        enrollments = ds.enrollments
        test = enrollments[
            (enrollments["start_date"] >= cutoff)
            & (enrollments["start_date"] < end)
            & (enrollments["status"] != "in_progress")
        ].reset_index(drop=True)
        outcomes = O.activity_outcomes(test, ds.performance, key="enrollment_id")
        keep = (outcomes[O.OUTCOME].notna() & (outcomes[O.OUTCOME_PERIOD] < when)).to_numpy()
        test, outcomes = test[keep].reset_index(drop=True), outcomes[keep].reset_index(drop=True)
        past = snapshot(ds, cutoff)
        if len(test) < 50 or (past.enrollments["status"] != "in_progress").sum() < 50:
            return None
        model = clone(self).set_params(n_bootstrap=2)
        try:
            sample = sample_people(ds, self.validation_fit_people, self.random_state)
            model._fit_at(sample, cutoff, lambda _stage: None)
        except ValueError as exc:
            log.info("no out-of-time validation before %s: %s", cutoff.date(), exc)
            return None
        people = pd.Series(pd.unique(test["nip"].astype(str)))
        known = set(past.employees["nip"].astype(str))
        people = people[people.isin(known)].reset_index(drop=True)
        share = max(1, self.validation_people // len(self.validation_years))
        if len(people) > share:
            people = people.sample(share, random_state=self.random_state).reset_index(drop=True)
        inside = test["nip"].astype(str).isin(set(people)).to_numpy()
        test, outcomes = (
            test[inside].reset_index(drop=True),
            outcomes[inside].reset_index(drop=True),
        )
        if len(test) == 0:
            return None
        offered = set(test["training_id"].astype(str)) | set(
            past.trainings.loc[past.trainings["active"], "training_id"].astype(str)
        )
        catalog = np.array(sorted(offered), dtype=object)
        pairs = pd.DataFrame(
            {
                "nip": np.repeat(people.to_numpy(), len(catalog)),
                "training_id": np.tile(catalog, len(people)),
            }
        )
        done = past.enrollments.loc[
            past.enrollments["status"] == "completed", ["nip", "training_id"]
        ]
        taken = pd.MultiIndex.from_frame(done.astype(str)).unique()
        pairs = pairs[~pd.MultiIndex.from_frame(pairs).isin(taken)].reset_index(drop=True)
        scores, features = model._candidates(past, pairs["nip"], pairs["training_id"], cutoff)
        uplift = model.baseline_.residuals(past, test["nip"], outcomes)
        ptype = past.employees.set_index(past.employees["nip"].astype(str))["position_type"]
        history = past.enrollments[["nip", "training_id"]].assign(
            position_type=lambda d: d["nip"].astype(str).map(ptype.astype(str))
        )
        test_rows = pd.DataFrame(
            {
                "nip": test["nip"].astype(str),
                "training_id": test["training_id"].astype(str),
                "uplift": uplift,
                "position_type": test["nip"].astype(str).map(ptype.astype(str)),
            }
        )
        # the popularity prior for every row; the choice model where the pair is a candidate
        test_rows["propensity"] = logging_propensity(history, test_rows)
        pairs["position_type"] = pairs["nip"].astype(str).map(ptype.astype(str))
        prior = logging_propensity(history, pairs)
        at = pd.MultiIndex.from_frame(pairs[["nip", "training_id"]].astype(str)).get_indexer(
            pd.MultiIndex.from_frame(test_rows[["nip", "training_id"]])
        )
        if (at >= 0).sum() >= 50:
            choice = choice_propensity(
                _choice_features(features, prior),
                pd.factorize(pairs["nip"])[0],
                at[at >= 0],
            )
            test_rows.loc[at >= 0, "propensity"] = choice
        pairs = pairs.drop(columns="position_type")
        key = f"{cutoff.date()}|"
        pairs = pairs.assign(nip=key + pairs["nip"].astype(str))
        test_rows = test_rows.assign(nip=key + test_rows["nip"])
        return scores, pairs, test_rows

    def candidate_scores(
        self, ds: Dataset, nips: pd.Series, training_ids: pd.Series, as_of: pd.Timestamp
    ) -> dict[str, np.ndarray]:
        """Every candidate ranker's expected gain for the pairs (−inf where the training
        closes no gap of the person's, as in a recommendation)."""
        return self._candidates(ds, nips, training_ids, as_of)[0]

    def _candidates(
        self, ds: Dataset, nips: pd.Series, training_ids: pd.Series, as_of: pd.Timestamp
    ) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
        """:meth:`candidate_scores` and the pair features behind them."""
        features, _ = self._pair_frame(ds, nips, training_ids, as_of, with_person=True)
        useful = features["weighted_gap"].to_numpy() > 0
        out = {}
        for name in RANKERS:
            expected = np.full(len(features), -np.inf)
            if useful.any():
                expected[useful] = self._expected(features[useful], name)
            out[name] = expected
        return out, features

    def _design(self, features: pd.DataFrame) -> sparse.csr_matrix:
        """Varying-coefficient design (sparse): the weighted gap, and the gap per training,
        per modality × remote area and per position type."""
        gap = np.asarray(features["weighted_gap"], dtype=float)
        indices = self._indices(features)
        offsets = self._offsets()
        rows = np.arange(len(gap))
        r, c, v = [rows], [np.zeros(len(gap), dtype=int)], [gap]
        for idx, offset in zip(indices, offsets, strict=True):
            ok = idx >= 0
            r.append(rows[ok])
            c.append(offset + idx[ok])
            v.append(gap[ok])
        width = self._width()
        return sparse.csr_matrix(
            (np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(len(gap), width)
        )

    def _offsets(self) -> tuple[int, ...]:
        """First design column of each varying-coefficient block (training, modality ×
        remote area, position type)."""
        n_t = len(self.training_ids_)
        return (1, 1 + n_t, 1 + n_t + len(_MOD_REMOTE))

    def _width(self) -> int:
        return self._offsets()[-1] + len(POSITION_TYPES)

    def _backfit(
        self, design: sparse.csr_matrix, residual: np.ndarray, window: np.ndarray
    ) -> tuple[np.ndarray, float, np.ndarray]:
        """Fit the effect model; each enrollment's target is its window's residual minus the
        effects of the other enrollments in the same window. Returns coefficients,
        intercept and the final targets."""
        target = residual.copy()
        coef, intercept = np.zeros(design.shape[1]), 0.0
        for _ in range(max(1, self.backfit_rounds)):
            coef, intercept = ridge(design, target, self.ridge_alpha)
            own = design @ coef + intercept
            total = pd.Series(own).groupby(window).transform("sum").to_numpy()
            target = residual - (total - own)
        return coef, intercept, target

    def _out_of_fold(
        self, design: sparse.csr_matrix, target: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """The structured model's forecast of each enrollment, fitted without its fold.

        Out of fold, the squared error of a forecast against the observed (de-baselined)
        outcome is the effect error plus the outcome's own noise (:meth:`_noise`), which
        calibration subtracts: what is left is how far forecasts are from the true effect.
        """
        folds = rng.integers(0, N_FOLDS, len(target))
        oof = np.empty(len(target))
        for fold in range(N_FOLDS):
            train, test = folds != fold, folds == fold
            coef, intercept = ridge(design[train], target[train], self.ridge_alpha)
            oof[test] = design[test] @ coef + intercept
        return oof

    def _noise(self, forecast: np.ndarray, completion: np.ndarray) -> np.ndarray:
        """An enrollment outcome's own noise variance around its expected gain: the
        appraisals' (measured on control windows) and the lottery of finishing."""
        return self.baseline_.noise_var_ + dropout_noise(forecast, completion)

    # ------------------------------------------------------------------------- forecast

    def forecast(
        self,
        ds: Dataset,
        nips: pd.Series | list[str],
        training_ids: pd.Series | list[str],
        *,
        as_of: pd.Timestamp | None = None,
        alpha: float = 0.1,
        ranker: str | None = None,
        rule_weight: float = 0.0,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Expected gain (SKP points) with a (1 − alpha) interval for aligned pairs, by the
        served ranker (or ``ranker``), with ``rule_weight`` of each taken from the gap
        rule's (as :meth:`recommend`).

        Returns the pair frame (nip, training_id, expected_gain, gain_lower, gain_upper,
        weighted_gap) and the per-competency detail used for explanations.
        """
        check_is_fitted(self, "coef_", msg=NOT_FITTED)
        _check_rule_weight(rule_weight)
        nips = pd.Series(nips, dtype=ID_DTYPE).reset_index(drop=True)
        training_ids = pd.Series(training_ids, dtype=ID_DTYPE).reset_index(drop=True)
        when = decision_date(ds, as_of)
        check_known(ds, pd.Series(nips.unique(), dtype=ID_DTYPE))
        name = self._ranker(ranker)
        features, detail = self._pair_frame(
            ds, nips, training_ids, when, with_person=name in _NEEDS_PERSON
        )
        frame = pd.concat(
            [
                pd.DataFrame({"nip": nips, "training_id": training_ids}),
                self._forecast_mixed(features, alpha, name, rule_weight),
                features[["weighted_gap"]],
            ],
            axis=1,
        )
        return frame, detail

    def pyfunc_input(
        self,
        ds: Dataset,
        nips: pd.Series | list[str],
        training_ids: pd.Series | list[str],
        *,
        as_of: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """The pyfunc model's input for aligned pairs: every column the served ranker reads
        (the registered signature lists them)."""
        check_is_fitted(self, "coef_", msg=NOT_FITTED)
        nips = pd.Series(nips, dtype=ID_DTYPE).reset_index(drop=True)
        check_known(ds, pd.Series(nips.unique(), dtype=ID_DTYPE))
        name = self._ranker(None)
        features, _ = self._pair_frame(
            ds,
            nips,
            pd.Series(training_ids, dtype=ID_DTYPE).reset_index(drop=True),
            decision_date(ds, as_of),
            with_person=name in _NEEDS_PERSON,
        )
        return features[list(self.example_features().columns)]

    def _ranker(self, ranker: str | None) -> str:
        name = getattr(self, "ranker_", "structured") if ranker is None else ranker
        if name not in RANKERS:
            raise ValueError(f"ranker must be one of {', '.join(RANKERS)}, got {name!r}")
        return name

    def _pair_frame(
        self,
        ds: Dataset,
        nips: pd.Series,
        training_ids: pd.Series,
        when: pd.Timestamp,
        *,
        with_person: bool,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Pyfunc input (:data:`PYFUNC_INPUT` and, ``with_person``, every
        :data:`~recsys.features.training_pair.PAIR_FEATURES`) for aligned pairs, and the
        per-competency detail."""
        nips = pd.Series(nips, dtype=ID_DTYPE).reset_index(drop=True)
        training_ids = pd.Series(training_ids, dtype=ID_DTYPE).reset_index(drop=True)
        people = pd.Series(nips.unique(), dtype=ID_DTYPE)
        index = pd.Series(np.arange(len(people)), index=people.astype(str))
        pairs = pd.DataFrame(
            {QUERY: index.reindex(nips.astype(str)).to_numpy(), "training_id": training_ids}
        )
        people_at = _PeopleAt(ds, people, when)
        features, detail = self._gap_frame(ds, people_at, pairs)
        return self._ranker_input(ds, people_at, pairs, features, detail, with_person), detail

    def _gap_frame(
        self, ds: Dataset, people: _PeopleAt, pairs: pd.DataFrame
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """:data:`PYFUNC_INPUT` of ``pairs`` (``query``: row of ``people``,
        ``training_id``) and their per-competency detail."""
        query = pairs[QUERY].to_numpy()
        training_ids = pairs["training_id"]
        gap, detail = weighted_gaps(ds, self.importance_, people.state, pairs, people.ptype)
        # text columns stay Arrow text throughout, each training's modality looked up once
        which, distinct = pd.factorize(training_ids, use_na_sentinel=False)
        modality = (
            ds.trainings.set_index("training_id")["modality"]
            .reindex(distinct)
            .astype(str)
            .reset_index(drop=True)
            .take(which)
        )
        features = pd.DataFrame(
            {
                "training_id": training_ids.astype(str).array,
                "modality": modality.array,
                "remote_area": people.remote[query],
                "position_type": people.ptype_text().take(query).array,
                "weighted_gap": gap,
            }
        )
        return features, detail

    def _ranker_input(
        self,
        ds: Dataset,
        people: _PeopleAt,
        pairs: pd.DataFrame,
        features: pd.DataFrame,
        detail: pd.DataFrame,
        with_person: bool,
    ) -> pd.DataFrame:
        """``features`` (from :meth:`_gap_frame`) with what the ranker reads added: every
        :data:`~recsys.features.training_pair.PAIR_FEATURES` and the weighted reach if
        ``with_person``, else the gap rule's score."""
        if not with_person:
            return features.assign(gap_rule=gap_rule_scores(detail, len(features)))
        extra = training_pair_features(
            ds,
            detail,
            features["weighted_gap"].to_numpy(),
            features["training_id"].to_numpy(),
            people.features().iloc[pairs[QUERY].to_numpy()].reset_index(drop=True),
            self.training_ids_,
        )
        extra["weighted_reach"] = weighted_reach(detail, len(features))  # the blend's line
        return pd.concat(
            [features, extra.drop(columns=list(features.columns.intersection(extra.columns)))],
            axis=1,
        )

    def _multipliers(self, coefs: np.ndarray, indices: tuple[np.ndarray, ...]) -> np.ndarray:
        """Effectiveness (SKP points per weighted level) for each row and coefficient set.

        ``coefs`` is (sets × design columns); returns (rows × sets). An unknown training
        (or group) gets the common effect only.
        """
        coefs = np.atleast_2d(coefs)
        padded = np.hstack([coefs, np.zeros((len(coefs), 1))])  # column -1 = "unknown": 0
        last = padded.shape[1] - 1
        total = np.repeat(padded[:, [0]].T, len(indices[0]), axis=0)
        for idx, offset in zip(indices, self._offsets(), strict=False):
            total = total + padded[:, np.where(idx >= 0, idx + offset, last)].T
        return np.asarray(total)

    def _indices(self, features: pd.DataFrame) -> tuple[np.ndarray, ...]:
        """Positions of each row's training, modality × remote area and position type in
        the coefficient blocks (-1: unknown)."""

        def positions(values: pd.Series | np.ndarray, vocabulary: Sequence[str]) -> np.ndarray:
            # factorize first: a handful of distinct values, looked up once each
            codes, uniques = pd.factorize(pd.Series(values).astype(object), use_na_sentinel=True)
            found = pd.Index(list(vocabulary)).get_indexer(pd.Index(uniques.astype(str)))
            return np.where(codes >= 0, found[codes], -1)

        t_idx = positions(features["training_id"], self.training_ids_.tolist())
        m_idx = positions(features["modality"], MODALITIES)
        remote = (np.asarray(features["remote_area"], dtype=float) > 0).astype(int)
        mr_idx = np.where(m_idx >= 0, 2 * m_idx + remote, -1)
        p_idx = positions(features["position_type"], POSITION_TYPES)
        return t_idx, mr_idx, p_idx

    def forecast_from_features(self, features: pd.DataFrame, alpha: float = 0.1) -> pd.DataFrame:
        """Expected gain and interval (SKP points) from pair features (see
        :data:`recsys.tracking.pyfunc.PYFUNC_INPUT`), by the served ranker: the pyfunc
        model's whole job."""
        check_is_fitted(self, "coef_", msg=NOT_FITTED)
        return self._forecast_features(features, alpha, self._ranker(None))

    def _forecast_features(
        self,
        features: pd.DataFrame,
        alpha: float,
        name: str,
        uplift: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """Expected gain and interval of pairs by the ranker ``name``; ``uplift``: the
        uplift model's predictions of these pairs, if already made."""
        needed: tuple[str, ...] = ("weighted_gap",)
        needed = (*needed, *(PAIR_FEATURES if name in _NEEDS_PERSON else ()))
        needed = (*needed, *(("gap_rule",) if name == "gap_rule" else ()))
        needed = (*needed, *(("weighted_reach",) if name == "blend" and self._reach() else ()))
        missing = [c for c in dict.fromkeys(needed) if c not in features.columns]
        if missing:
            raise ValueError(
                f"the {name} ranker needs the pair features {', '.join(missing)} "
                "(see recsys.features.training_pair.PAIR_FEATURES)"
            )
        if name == "structured":
            expected, half = self._structured(features, alpha)
        elif name == "uplift":
            expected, half = self._uplift(features, alpha, uplift)
        elif name == "blend":
            expected, half = self._blend(features, alpha, uplift)
        else:
            expected, half = self._gap_rule(features, alpha)
        return pd.DataFrame(
            {
                "expected_gain": expected,
                "gain_lower": expected - half,
                "gain_upper": expected + half,
            }
        )

    def _forecast_mixed(
        self,
        features: pd.DataFrame,
        alpha: float,
        name: str,
        rule_weight: float,
        uplift: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """:meth:`_forecast_features` by the ranker ``name`` with ``rule_weight`` of each
        column (expected gain and bounds) taken from the gap rule's."""
        if rule_weight >= 1.0 or name == RULE:
            return self._forecast_features(features, alpha, RULE)
        frame = self._forecast_features(features, alpha, name, uplift)
        if rule_weight > 0:
            rule = self._forecast_features(features, alpha, RULE)
            frame = (1 - rule_weight) * frame + rule_weight * rule
        return frame

    def _expected(
        self, features: pd.DataFrame, name: str, uplift: np.ndarray | None = None
    ) -> np.ndarray:
        """Expected gain of each pair by the ranker ``name`` (no interval); ``uplift``: the
        uplift model's predictions of these pairs, if already made."""
        if name == "structured":
            return self._structured(features, None)[0]
        if name == "uplift":
            return self.uplift_.predict(features) if uplift is None else uplift
        if name == "blend":
            second = self.uplift_.predict(features) if uplift is None else uplift
            if not self._reach():
                return (self._structured(features, None)[0] + second) / 2
            third = self._reach_line(features, with_spread=False)[0]
            return (self._structured(features, None)[0] + second + third) / 3
        return self._gap_rule(features, None)[0]

    def _structured(
        self, features: pd.DataFrame, alpha: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        expected, spread = self._structured_spread(features, alpha is not None)
        if alpha is None:
            return expected, spread
        # estimation spread (bootstrap) and model error (calibrated out of fold), combined
        error = error_at(self.error_bins_, self.error_scale_, expected)
        return expected, interval_half_width(alpha, spread, error)

    def _structured_spread(
        self, features: pd.DataFrame, with_spread: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """The structured model's expected gain and its bootstrap spread (zeros unless
        ``with_spread``)."""
        gap = np.asarray(features["weighted_gap"], dtype=float)
        indices = self._indices(features)
        expected = gap * self._multipliers(self.coef_, indices)[:, 0]
        if not with_spread:
            return expected, np.zeros(len(expected))
        spread = (gap[:, None] * self._multipliers(self.coef_samples_, indices)).std(axis=1)
        return expected, spread

    def _blend(
        self, features: pd.DataFrame, alpha: float, uplift: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The blend's expected gain and interval half-width: the bootstrap spreads of its
        structured model and its reach line (a third of the blend each) and the blend's own
        calibrated error."""
        if not hasattr(self, "blend_error_scale_"):
            # saved before the blend had its own error: its intervals stay as they were,
            # the two halves' widths averaged
            e1, h1 = self._structured(features, alpha)
            e2, h2 = self._uplift(features, alpha, uplift)
            return (e1 + e2) / 2, (h1 + h2) / 2
        e1, spread = self._structured_spread(features, True)
        e2 = self.uplift_.predict(features) if uplift is None else uplift
        if self._reach():
            e3, spread3 = self._reach_line(features, with_spread=True)
            expected = (e1 + e2 + e3) / 3
            spread = np.hypot(spread, spread3) / 3
        else:  # saved before the blend had its reach line: the two halves
            expected, spread = (e1 + e2) / 2, spread / 2
        error = error_at(self.blend_error_bins_, self.blend_error_scale_, expected)
        return expected, interval_half_width(alpha, spread, error)

    def _reach(self) -> bool:
        """Whether the blend has its third member, the line on the weighted reach (models
        saved before it blend two)."""
        return hasattr(self, "reach_coef_")

    def _reach_line(
        self, features: pd.DataFrame, *, with_spread: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """The blend's line on the weighted reach: expected gain and bootstrap spread
        (zeros unless ``with_spread``)."""
        score = np.asarray(features["weighted_reach"], dtype=float)
        expected = self.reach_coef_[0] + self.reach_coef_[1] * score
        if not with_spread:
            return expected, np.zeros(len(expected))
        samples = self.reach_coef_samples_[:, [0]] + self.reach_coef_samples_[:, [1]] * score[None]
        return expected, samples.std(axis=0)

    def _uplift(
        self, features: pd.DataFrame, alpha: float, uplift: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        frame = self.uplift_.forecast(features, alpha, expected=uplift)
        expected = frame["expected_gain"].to_numpy()
        return expected, frame["gain_upper"].to_numpy() - expected

    def _gap_rule(
        self, features: pd.DataFrame, alpha: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        score = np.asarray(features["gap_rule"], dtype=float)
        expected = self.gap_coef_[0] + self.gap_coef_[1] * score
        if alpha is None:
            return expected, np.zeros(len(expected))
        samples = self.gap_coef_samples_[:, [0]] + self.gap_coef_samples_[:, [1]] * score[None]
        error = error_at(self.gap_error_bins_, self.gap_error_scale_, expected)
        return expected, interval_half_width(alpha, samples.std(axis=0), error)

    def example_features(self) -> pd.DataFrame:
        """A few rows of pyfunc input, for the model signature and example."""
        check_is_fitted(self, "coef_", msg=NOT_FITTED)
        ids = self.training_ids_[: min(5, len(self.training_ids_))]
        n = len(ids)
        frame = pd.DataFrame(
            {
                "training_id": ids,
                "modality": ["klasikal"] * n,
                "remote_area": [0.0] * n,
                "position_type": ["pelaksana"] * n,
                "weighted_gap": np.linspace(0.5, 2.5, n),
            }
        )
        if getattr(self, "ranker_", "structured") == "structured":
            return frame
        if self.ranker_ == RULE:  # the gap rule reads its own score besides the gap
            return frame.assign(gap_rule=np.linspace(0.5, 2.5, n))
        extra = pd.DataFrame({c: np.linspace(0.5, 2.5, n) for c in PAIR_FEATURES}).assign(
            training_code=np.arange(n),
            modality_code=0,
            position_type_code=0,
            hours_jp=np.full(n, 40.0),
            log_cost=np.full(n, 15.0),
            tenure_years=np.full(n, 10.0),
            age_years=np.full(n, 40.0),
            last_score=np.full(n, 100.0),
        )
        if self.ranker_ == "blend" and self._reach():
            extra["weighted_reach"] = np.linspace(0.8, 3.0, n)
        return pd.concat([frame, extra.drop(columns=["weighted_gap", "remote_area"])], axis=1)

    def effects_table(self) -> pd.DataFrame:
        """Per training: its effectiveness (SKP points per weighted level closed, for a
        non-remote pelaksana in its modality) beside the common effect."""
        check_is_fitted(self, "coef_", msg=NOT_FITTED)
        n_t = len(self.training_ids_)
        return pd.DataFrame(
            {
                "training_id": self.training_ids_,
                "common_effect": self.coef_[0],
                "training_effect": self.coef_[1 : 1 + n_t],
            }
        )

    def recommend(
        self,
        ds: Dataset,
        nips: pd.Series | list[str],
        *,
        k: int = 5,
        lang: str = "id",
        also_in: Sequence[str] = (),
        as_of: pd.Timestamp | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        rule_weight: float = 0.0,
    ) -> pd.DataFrame:
        """Top-``k`` trainings per person: one row per (nip, rank), with reasons.

        Candidates: active trainings the person has not completed that develop a competency
        of their standard beyond their current level. ``also_in``: further languages whose
        reasons are added as ``reason_<lang>`` columns (one scoring pass for all). Unknown
        NIPs are an :class:`~recsys.models.requests.UnknownEmployeeError`, inactive ones an
        :class:`~recsys.models.requests.InactiveEmployeeError`.

        ``rule_weight`` (0–1): the share of every forecast (expected gain and interval) taken
        from the gap rule's, the rest from the served ranker's; the lists are ranked by that
        mixture. 0 (the default, what people are shown): the served ranker alone. The yearly
        planner shrinks the forecasts it compares across people this way
        (:data:`recsys.planning.program_inputs.PLAN_RULE_WEIGHT`).
        """
        _check_rule_weight(rule_weight)
        request = recommend_request(self, ds, nips, k=k, lang=lang, also_in=also_in, as_of=as_of)
        people = request.people
        main, *others = request.languages
        parts = []
        for start in range(0, len(people), RECOMMEND_CHUNK):
            chunk = people.iloc[start : start + RECOMMEND_CHUNK].reset_index(drop=True)
            parts.append(
                self._recommend_chunk(ds, chunk, k, main, others, request.as_of, rule_weight)
            )
            if on_progress:
                on_progress(min(start + RECOMMEND_CHUNK, len(people)), len(people))
        if not parts:
            return pd.DataFrame(columns=list(RECOMMENDATION_COLUMNS))
        return pd.concat(parts, ignore_index=True)

    def _recommend_chunk(
        self,
        ds: Dataset,
        people: pd.Series,
        k: int,
        lang: str,
        also_in: Sequence[str],
        as_of: pd.Timestamp,
        rule_weight: float = 0.0,
    ) -> pd.DataFrame:
        catalog = ds.trainings[ds.trainings["active"]]
        name = self._ranker(None)
        # the share of every forecast taken from the gap rule's (the served ranker's rest)
        weight = rule_weight if name != RULE else 0.0
        people_at = _PeopleAt(ds, people, as_of)
        pairs = _candidate_pairs(ds, people_at, catalog["training_id"])
        features, detail = self._gap_frame(ds, people_at, pairs)
        # only candidates are forecast: a training that closes no gap is never recommended
        keep = np.flatnonzero(features["weighted_gap"].to_numpy() > 0)
        pairs = pairs.iloc[keep].reset_index(drop=True)
        features, detail = _subset_pairs(features, detail, keep)
        features = self._ranker_input(ds, people_at, pairs, features, detail, name in _NEEDS_PERSON)
        # predicted once: the ranking and the listed pairs' intervals both read it
        uplift = self.uplift_.predict(features) if name in ("uplift", "blend") else None
        expected = self._expected(features, name, uplift)
        if weight > 0:
            expected = (1 - weight) * expected + weight * self._expected(features, RULE)
        scored = pd.DataFrame(
            {
                "nip": people.astype(str).take(pairs[QUERY].to_numpy()).array,
                "training_id": pairs["training_id"].astype(str).array,
                "expected_gain": expected,
                "weighted_gap": features["weighted_gap"].to_numpy(),
            }
        )
        titles = catalog.set_index(catalog["training_id"].astype(str))["title"].astype(str)
        # each training's title looked up once
        which, distinct = pd.factorize(scored["training_id"], use_na_sentinel=False)
        course = pd.Series(titles.reindex(distinct).to_numpy(dtype=object)[which])
        top = marginal_lists(scored, detail, k, course=course)
        # intervals only for the listed pairs, scaled like their gain (marginal_lists)
        at = top.index.to_numpy()
        listed = self._forecast_mixed(
            features.iloc[at], 0.1, name, weight, None if uplift is None else uplift[at]
        )
        half = (listed["gain_upper"] - listed["expected_gain"]).to_numpy() * top["open_share"]
        top["gain_lower"] = top["expected_gain"] - half
        top["gain_upper"] = top["expected_gain"] + half
        top["ranker"] = name
        top = top.join(
            catalog.set_index("training_id")[["title", "hours_jp", "cost_idr", "modality"]],
            on="training_id",
        )
        top["gaps_closed"], reasons = explain_trainings_in(top, detail, ds, [lang, *also_in])
        top["reason"] = reasons[lang]
        extra = [f"reason_{language}" for language in also_in]
        for language, column in zip(also_in, extra, strict=True):
            top[column] = reasons[language]
        # people in the order asked (a pair's query is the person's position), then by rank
        asked = pairs[QUERY].to_numpy()[top.index.to_numpy()]
        top = top.iloc[np.lexsort((top["rank"].to_numpy(), asked))]
        return top[[*RECOMMENDATION_COLUMNS, *extra]].reset_index(drop=True)
