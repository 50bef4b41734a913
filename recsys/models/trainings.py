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
from recsys.data.snapshot import snapshot
from recsys.features import outcomes as O
from recsys.features.competency_state import AS_OF, QUERY, competency_state
from recsys.models.baseline import ScoreBaseline
from recsys.models.importance import SURPLUS_CAP, CompetencyImportance
from recsys.models.intervals import calibrate_error, error_at, interval_half_width
from recsys.models.reasons import explain_trainings
from recsys.models.requests import NOT_FITTED, check_known, decision_date, recommend_request

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
    "reason",
)
N_FOLDS = 5
#: People scored at a time by ``recommend`` (bounds memory).
RECOMMEND_CHUNK = 25_000
_MOD_REMOTE = [f"{m}|{r}" for m in MODALITIES for r in ("0", "1")]


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
    (pair, competency, level, target, closable, weight) for explanations.
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
            "competency": joined["competency"].to_numpy(),
            "level": joined["level_estimate"].to_numpy(),
            "target": joined["target_level"].to_numpy(),
            "closable": closable,
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


class TrainingRecommender(BaseEstimator):
    """Forecast gain of trainings per person; see the module docstring for the method.

    Parameters (stored as given): ``ridge_alpha`` (shrinkage of per-training effects),
    ``n_bootstrap`` (refits for the interval), ``backfit_rounds``, ``importance`` (a
    :class:`CompetencyImportance`; None: the default one), ``baseline`` (a
    :class:`ScoreBaseline` with ``excluded="all"``, whose LightGBM settings are its
    parameters; None: the default one with this ``random_state``), ``random_state``.
    ``fit`` clones ``importance`` and ``baseline`` before fitting them.
    Learned: ``as_of_``, ``importance_``, ``baseline_`` (:class:`ScoreBaseline`), ``coef_``,
    ``intercept_``, ``coef_samples_``, ``training_ids_``, ``n_enrollments_``,
    ``n_controls_``.
    """

    def __init__(
        self,
        *,
        ridge_alpha: float = 30.0,
        n_bootstrap: int = 30,
        backfit_rounds: int = 3,
        importance: CompetencyImportance | None = None,
        baseline: ScoreBaseline | None = None,
        random_state: int = 0,
    ) -> None:
        self.ridge_alpha = ridge_alpha
        self.n_bootstrap = n_bootstrap
        self.backfit_rounds = backfit_rounds
        self.importance = importance
        self.baseline = baseline
        self.random_state = random_state

    # ------------------------------------------------------------------------- fit

    def fit(
        self,
        ds: Dataset,
        *,
        as_of: pd.Timestamp | None = None,
        on_progress: ProgressFn | None = None,
    ) -> TrainingRecommender:
        """Learn from ``ds``'s history before ``as_of`` (default: after its last appraisal)."""
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
        step = on_progress or (lambda _stage: None)
        when = decision_date(ds, as_of)
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
        gap, _ = weighted_gaps(data, self.importance_, state, pairs, ptype)
        self.training_ids_ = data.trainings["training_id"].astype(str).to_numpy()
        modality = (
            data.trainings.set_index("training_id")["modality"]
            .reindex(enrolled["training_id"])
            .astype(str)
            .to_numpy()
        )
        design = self._design(
            gap, enrolled["training_id"].astype(str).to_numpy(), modality, remote, ptype
        )
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
        self.error_bins_, self.error_scale_ = self._calibrate_error(
            design, target, self.baseline_.noise_var_, rng
        )
        self.as_of_ = when
        self.n_enrollments_ = len(enrolled)
        self.n_controls_ = self.baseline_.n_controls_
        log.info(
            "training recommender fitted on %d enrollments and %d control windows (as of %s)",
            self.n_enrollments_,
            self.n_controls_,
            when.date(),
        )
        return self

    def _design(
        self,
        gap: np.ndarray,
        training_ids: np.ndarray,
        modality: np.ndarray,
        remote: np.ndarray,
        position_type: np.ndarray,
    ) -> sparse.csr_matrix:
        """Varying-coefficient design (sparse): the weighted gap, and the gap per training,
        per modality × remote area and per position type."""
        n_t = len(self.training_ids_)
        frame = pd.DataFrame(
            {
                "training_id": training_ids,
                "modality": modality,
                "remote_area": remote,
                "position_type": position_type,
            }
        )
        t_idx, mr_idx, p_idx = self._indices(frame)
        rows = np.arange(len(gap))
        blocks = [
            (rows, np.zeros(len(gap), dtype=int)),
            (rows[t_idx >= 0], 1 + t_idx[t_idx >= 0]),
            (rows[mr_idx >= 0], 1 + n_t + mr_idx[mr_idx >= 0]),
            (rows[p_idx >= 0], 1 + n_t + len(_MOD_REMOTE) + p_idx[p_idx >= 0]),
        ]
        r = np.concatenate([b[0] for b in blocks])
        c = np.concatenate([b[1] for b in blocks])
        width = 1 + n_t + len(_MOD_REMOTE) + len(POSITION_TYPES)
        return sparse.csr_matrix((gap[r].astype(float), (r, c)), shape=(len(gap), width))

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

    def _calibrate_error(
        self,
        design: sparse.csr_matrix,
        target: np.ndarray,
        noise_var: float,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """How far forecasts are from the true effect, by size of forecast.

        Out of fold, the squared error of a forecast against the observed (de-baselined)
        outcome is the effect error plus the outcome's own noise; the noise is measured on
        control windows, out of fold, and subtracted. Returns bin edges over the forecast
        and the effect error's RMSE (SKP points) in each bin.
        """
        folds = rng.integers(0, N_FOLDS, len(target))
        oof = np.empty(len(target))
        for fold in range(N_FOLDS):
            train, test = folds != fold, folds == fold
            coef, intercept = ridge(design[train], target[train], self.ridge_alpha)
            oof[test] = design[test] @ coef + intercept
        return calibrate_error(oof, target, noise_var)

    # ------------------------------------------------------------------------- forecast

    def forecast(
        self,
        ds: Dataset,
        nips: pd.Series | list[str],
        training_ids: pd.Series | list[str],
        *,
        as_of: pd.Timestamp | None = None,
        alpha: float = 0.1,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Expected gain (SKP points) with a (1 − alpha) interval for aligned pairs.

        Returns the pair frame (nip, training_id, expected_gain, gain_lower, gain_upper,
        weighted_gap) and the per-competency detail used for explanations.
        """
        check_is_fitted(self, "coef_", msg=NOT_FITTED)
        nips = pd.Series(nips, dtype=ID_DTYPE).reset_index(drop=True)
        training_ids = pd.Series(training_ids, dtype=ID_DTYPE).reset_index(drop=True)
        when = decision_date(ds, as_of)
        people = pd.Series(nips.unique(), dtype=ID_DTYPE)
        check_known(ds, people)
        person_q = pd.DataFrame({"nip": people, AS_OF: when})
        state = competency_state(ds, person_q)
        info = ds.employees.set_index("nip").reindex(people)
        ptype = info["position_type"].astype(str).to_numpy()
        remote = info["remote_area"].astype(float).to_numpy()
        index = pd.Series(np.arange(len(people)), index=people.astype(str))
        query = index.reindex(nips.astype(str)).to_numpy()
        pairs = pd.DataFrame({QUERY: query, "training_id": training_ids})
        gap, detail = weighted_gaps(ds, self.importance_, state, pairs, ptype)
        modality = (
            ds.trainings.set_index("training_id")["modality"]
            .reindex(training_ids)
            .astype(str)
            .to_numpy()
        )
        features = pd.DataFrame(
            {
                "training_id": training_ids.astype(str).to_numpy(),
                "modality": modality,
                "remote_area": remote[query],
                "position_type": ptype[query],
                "weighted_gap": gap,
            }
        )
        frame = pd.concat(
            [
                pd.DataFrame({"nip": nips, "training_id": training_ids}),
                self.forecast_from_features(features, alpha=alpha),
                pd.DataFrame({"weighted_gap": gap}),
            ],
            axis=1,
        )
        return frame, detail

    def _multipliers(
        self, coefs: np.ndarray, indices: tuple[np.ndarray, np.ndarray, np.ndarray]
    ) -> np.ndarray:
        """Effectiveness (SKP points per weighted level) for each row and coefficient set.

        ``coefs`` is (sets × design columns); returns (rows × sets). An unknown training
        gets the common effect only.
        """
        n_t = len(self.training_ids_)
        t_idx, mr_idx, p_idx = indices
        coefs = np.atleast_2d(coefs)
        padded = np.hstack([coefs, np.zeros((len(coefs), 1))])  # column -1 = "unknown": 0
        last = padded.shape[1] - 1

        def col(idx: np.ndarray, offset: int) -> np.ndarray:
            return np.where(idx >= 0, idx + offset, last)

        total = padded[:, [0]].T + padded[:, col(t_idx, 1)].T
        total = total + padded[:, col(mr_idx, 1 + n_t)].T
        total = total + padded[:, col(p_idx, 1 + n_t + len(_MOD_REMOTE))].T
        return np.asarray(total)

    def _indices(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
        :data:`recsys.tracking.pyfunc.PYFUNC_INPUT`): the pyfunc model's whole job."""
        check_is_fitted(self, "coef_", msg=NOT_FITTED)
        gap = np.asarray(features["weighted_gap"], dtype=float)
        indices = self._indices(features)
        expected = gap * self._multipliers(self.coef_, indices)[:, 0]
        # estimation spread (bootstrap) and model error (calibrated out of fold), combined
        spread = (gap[:, None] * self._multipliers(self.coef_samples_, indices)).std(axis=1)
        error = error_at(self.error_bins_, self.error_scale_, expected)
        half = interval_half_width(alpha, spread, error)
        return pd.DataFrame(
            {
                "expected_gain": expected,
                "gain_lower": expected - half,
                "gain_upper": expected + half,
            }
        )

    def example_features(self) -> pd.DataFrame:
        """A few rows of pyfunc input, for the model signature and example."""
        check_is_fitted(self, "coef_", msg=NOT_FITTED)
        ids = self.training_ids_[: min(5, len(self.training_ids_))]
        return pd.DataFrame(
            {
                "training_id": ids,
                "modality": ["klasikal"] * len(ids),
                "remote_area": [0.0] * len(ids),
                "position_type": ["pelaksana"] * len(ids),
                "weighted_gap": np.linspace(0.5, 2.5, len(ids)),
            }
        )

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
    ) -> pd.DataFrame:
        """Top-``k`` trainings per person: one row per (nip, rank), with reasons.

        Candidates: active trainings the person has not completed that develop a competency
        of their standard beyond their current level. ``also_in``: further languages whose
        reasons are added as ``reason_<lang>`` columns (one scoring pass for all). Unknown
        NIPs are an :class:`~recsys.models.requests.UnknownEmployeeError`, inactive ones an
        :class:`~recsys.models.requests.InactiveEmployeeError`.
        """
        request = recommend_request(self, ds, nips, k=k, lang=lang, also_in=also_in, as_of=as_of)
        people = request.people
        main, *others = request.languages
        parts = []
        for start in range(0, len(people), RECOMMEND_CHUNK):
            chunk = people.iloc[start : start + RECOMMEND_CHUNK].reset_index(drop=True)
            parts.append(self._recommend_chunk(ds, chunk, k, main, others, request.as_of))
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
    ) -> pd.DataFrame:
        catalog = ds.trainings[ds.trainings["active"]]
        n_t = len(catalog)
        pair_nips = pd.Series(np.repeat(people.to_numpy(), n_t), dtype=ID_DTYPE)
        pair_ids = pd.Series(
            np.tile(catalog["training_id"].to_numpy(), len(people)), dtype=ID_DTYPE
        )
        scored, detail = self.forecast(ds, pair_nips, pair_ids, as_of=as_of)
        done = ds.enrollments.loc[ds.enrollments["status"] == "completed", ["nip", "training_id"]]
        taken_mask = pd.MultiIndex.from_arrays([pair_nips, pair_ids]).isin(
            pd.MultiIndex.from_frame(done)
        )
        useful = scored["weighted_gap"].to_numpy() > 0
        scored = scored[useful & ~taken_mask]
        scored = scored.sort_values(
            ["nip", "expected_gain"], ascending=[True, False], kind="stable"
        )
        top = scored.groupby("nip", sort=False).head(k).copy()
        top["rank"] = top.groupby("nip", sort=False).cumcount() + 1
        top = top.join(
            catalog.set_index("training_id")[["title", "hours_jp", "cost_idr", "modality"]],
            on="training_id",
        )
        top["gaps_closed"], top["reason"] = explain_trainings(top, detail, ds, lang)
        extra = [f"reason_{language}" for language in also_in]
        for language, column in zip(also_in, extra, strict=True):
            top[column] = explain_trainings(top, detail, ds, language)[1]
        order = {n: i for i, n in enumerate(people.astype(str))}
        top = top.sort_values(
            ["nip", "rank"], key=lambda c: c.astype(str).map(order) if c.name == "nip" else c
        )
        return top[[*RECOMMENDATION_COLUMNS, *extra]].reset_index(drop=True)
