"""Impact of a binary treatment (e.g. a training) on an outcome (e.g. SKP score points).

:class:`ImpactEstimator` is a cross-fitted doubly-robust learner (DR-learner) of the
conditional average treatment effect (CATE)

    tau(x) = E[Y(1) - Y(0) | X = x],

in the units of the outcome, with intervals and overlap diagnostics. It is built for
observational data under strong selection, where the treated look nothing like most controls.

Steps of :meth:`ImpactEstimator.fit`:

1. **Cross-fitted nuisances, repeated.** K folds, stratified by treatment. On each training
   part a LightGBM classifier learns the propensity e(x) = P(T = 1 | x) and two LightGBM
   regressors learn mu0(x) = E[Y | T = 0, x] (controls) and mu1(x) = E[Y | T = 1, x]
   (treated); each unit is scored by the models that did not see it (Chernozhukov et al.
   2018, "Double/debiased machine learning", Econometrics Journal 21(1)). The whole
   cross-fitting is done ``n_repeats`` times on different fold splits (and model seeds),
   each derived from ``random_state``: one split's answer depends on which units happened
   to share a fold, and on small or strongly selected samples that noise is a sizeable
   share of the standard error. On LaLonde's job-training data one cross-fitting's ATT
   moves by 0.3-0.6 se between splits (benchmarks/RESULTS.md, ``impact_public``), almost
   all through the propensity: with a few hundred treated, which of them share a fold with
   a control changes its weight. Learner randomness is not the cause: without row and column
   subsampling the spread is the same, and ten folds instead of five shrink it by about a
   tenth at twice the cost of a repeat. Averaging repeats is what removes it, so by default
   (``n_repeats="auto"``) the repeats go on until the average's remaining split noise is a
   small share of its standard error.
2. **Doubly-robust pseudo-outcomes** (AIPW; Robins, Rotnitzky & Zhao 1994), per repeat:

       phi = mu1 - mu0 + T (Y - mu1) / e - (1 - T) (Y - mu0) / (1 - e),

   with e clipped to [clip, 1 - clip] (to [trim, 1 - trim] for the units kept in step 3:
   one repeat's estimate may stray outside the range their mean lies in). E[phi | x] =
   tau(x) when either the propensity or the outcome models are right, and the bias is a
   product of their errors.
3. **Overlap.** Units whose propensity lies outside [trim, 1 - trim] are left out of the
   final stage and of the averages (Crump, Hotz, Imbens & Mitnik 2009, Biometrika 96(1)):
   their pseudo-outcomes divide by a near-zero propensity and carry almost no information.
   The set is decided before the repeats, by one more cross-fitting of the propensity on
   folds fixed independently of ``random_state``, without row or column sampling: it is the
   population the ATE and ATT are about, so it depends on the data alone. Decided by the
   repeats' own propensities instead, it moved with the seed where units crowd at the bound
   (on LaLonde's NSW treated against PSID-1, 146-154 of 185 treated were kept depending on
   the seed, each set with its own true effect), and no number of repeats settled it. They
   are counted in :attr:`ImpactEstimator.overlap_`. Effects are still
   predicted for any row (the final stage extrapolates), and
   :meth:`ImpactEstimator.in_overlap` tells the caller which rows lie outside the overlap
   region learned in training.
4. **Averages** over the kept units, per repeat: the ATE is the mean of phi, the ATT the
   doubly-robust effect on the treated

       (1 / n1) sum [T (Y - mu0) - (1 - T) e / (1 - e) (Y - mu0)],

   each with its influence-function standard error. Over repeats the estimate is the mean
   and its variance the mean of se_s^2 + (theta_s - mean)^2, which adds the spread between
   splits to the sampling variance (Chernozhukov et al. 2018, section 3.4, which gives this
   mean version and a median version). The mean is used because it settles faster: the
   median of S roughly normal draws has pi / 2 times the variance of their mean, so it needs
   about half again as many repeats for the same split noise; the median's protection
   against a wild split was not needed here (over 120 splits of each LaLonde sample the
   repeats' estimates are close to normal, with excess kurtosis 0.4-1.5).
5. **Final stage** (DR-learner; Kennedy 2023, "Towards optimal doubly robust estimation of
   heterogeneous causal effects", Electronic Journal of Statistics 17(2), arXiv 2004.14497):
   LightGBM regressions of phi on x over the overlap units, bagged: ``n_bags`` members in
   pairs, each pair splitting the units into two random halves, one member per half. The
   number of trees is first tuned on one such pair (each half fits, the other validates: a
   2-fold choice on noisy phi is much steadier than a small validation split), then
   multiplied by ``undersmooth`` (2): averaging the members removes variance, so the ensemble
   affords less smoothing than one member, and its bias shrinks next to its spread
   (undersmoothing, the usual route to honest intervals: Hall 1992, "Effect of bias
   estimation on coverage accuracy of bootstrap confidence intervals", Annals of Statistics
   20(2); Wager & Athey 2018, JASA 113(523)). ``effect(x)`` is the members' mean. The final
   stage is fitted once, on the pseudo-outcomes averaged over repeats: each repeat's phi
   has the same conditional mean, so the average has it too, with the split noise partly
   averaged out, at the cost of one final stage instead of ``n_repeats``.
6. **Intervals** from the members' spread, checked on held-out pseudo-outcomes; see
   :meth:`ImpactEstimator.effect_interval` and :class:`IntervalCalibration`.

Threads: ``n_jobs`` LightGBM (OpenMP) threads per model. Keep n_jobs x concurrent fits at or
below the cores: oversubscribed OpenMP threads spin and can make a fit 10-20x slower.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

logger = logging.getLogger(__name__)

#: LightGBM settings of the propensity classifier (small, regularised; trees are added until
#: a held-out fifth of the training part stops improving, so size follows the data).
PROPENSITY_DEFAULTS: dict[str, Any] = {
    "n_estimators": 1000,
    "learning_rate": 0.1,
    "num_leaves": 7,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "max_bin": 127,
}
#: LightGBM settings of the outcome regressors: as the propensity's, with linear models in the
#: leaves, which follow steep baselines and extend them to the edge of each arm's support
#: (where strong selection leaves few units) better than constant leaves.
OUTCOME_DEFAULTS: dict[str, Any] = {
    **PROPENSITY_DEFAULTS,
    "learning_rate": 0.05,
    "linear_tree": True,
    "linear_lambda": 1.0,
}
#: LightGBM settings of the final stage (pseudo-outcomes are noisy: fewer leaves, bigger leaves).
FINAL_DEFAULTS: dict[str, Any] = {
    "n_estimators": 1000,
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_child_samples": 40,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 5.0,
    "max_bin": 127,
}
#: Rounds without improvement on the held-out part before boosting stops.
EARLY_STOPPING_ROUNDS = 50
#: Share of a training part held out to choose the number of trees.
EARLY_STOPPING_SHARE = 0.2
#: Propensity quantiles reported per group in :class:`OverlapReport`.
PROPENSITY_QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
#: Two-sided level of :attr:`ImpactEstimator.ate_interval_` and ``att_interval_``.
ATE_ALPHA = 0.05
#: One cross-fitting's out-of-fold e(x), mu0(x), mu1(x).
_Nuisances = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
#: ``n_repeats="auto"`` (the default): repeats at least AUTO_MIN_REPEATS and at most
#: AUTO_MAX_REPEATS cross-fittings, stopping once the split noise left in the ATE and ATT
#: means (their Monte-Carlo standard error over fold splits, sd / sqrt(S)) is at most
#: REPEAT_TOLERANCE of their standard errors, so that refits with other seeds agree to about
#: that share of the se. The minimum is low so that data whose splits barely matter (large
#: samples with good overlap) cost little more than the old fixed five repeats, yet high
#: enough that the sd of the repeats is known to within about a quarter (7 degrees of
#: freedom) and a lucky run of similar splits rarely stops the loop early. The maximum caps
#: the cost at sixteen times that of five repeats. With 0.08 instead of 0.06, LaLonde's
#: NSW treated against PSID-1 spread by about 0.10 se over seeds (32-38 repeats); with 0.06,
#: 0.07 se over ten seeds (a median of 60 repeats).
AUTO_MIN_REPEATS = 8
AUTO_MAX_REPEATS = 80
REPEAT_TOLERANCE = 0.06
#: Significance level below which the held-out calibration check widens the intervals.
CALIBRATION_LEVEL = 0.05


@dataclass(frozen=True)
class OverlapReport:
    """Overlap diagnostics of a fitted :class:`ImpactEstimator`.

    Propensities are out-of-fold estimates of P(T = 1 | x), in [0, 1].

    Attributes:
        trim: Units with propensity outside [trim, 1 - trim] were left out of the final stage.
        n_treated: Treated units in the training data.
        n_control: Control units in the training data.
        n_trimmed_treated: Treated units left out (propensity above 1 - trim or below trim).
        n_trimmed_control: Control units left out.
        share_trimmed: Share of all units left out, in [0, 1].
        propensity_quantiles: ``{"treated": {q: e_q}, "control": {q: e_q}}`` for the quantiles
            in :data:`PROPENSITY_QUANTILES`.
        ess_treated: Kish effective sample size (sum w)^2 / sum w^2 of the treated in the
            overlap region under inverse-propensity weights w = 1 / e; at most their count.
        ess_control: The same for the controls, with w = 1 / (1 - e).
        smd_raw: Standardized mean difference per column, all units, unweighted:
            (mean_treated - mean_control) / sqrt((var_treated + var_control) / 2). Categorical
            columns give one entry per level, named ``"column=level"``. |SMD| > 0.1 is the
            usual sign of imbalance (Austin 2009, Statistics in Medicine 28(25)).
        smd_weighted: The same over the overlap region with inverse-propensity weights (means
            and variances weighted; Austin & Stuart 2015, Statistics in Medicine 34(28)).
    """

    trim: float
    n_treated: int
    n_control: int
    n_trimmed_treated: int
    n_trimmed_control: int
    share_trimmed: float
    propensity_quantiles: dict[str, dict[float, float]]
    ess_treated: float
    ess_control: float
    smd_raw: dict[str, float]
    smd_weighted: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The report as plain Python types (for logging or tracking)."""
        return asdict(self)


@dataclass(frozen=True)
class IntervalCalibration:
    """Check of the final stage on held-out pseudo-outcomes, by bins of predicted effect.

    Overlap units are sorted by their out-of-bag predicted effect (the mean of the ensemble
    members that did not see them) into equal-count bins. In a well-calibrated model each
    bin's mean pseudo-outcome matches its mean predicted effect up to noise: the bin's mean of
    phi has sampling variance var(phi - prediction) / n, and the ensemble's own uncertainty
    about the bin mean is the variance over members of their bin means (``se`` combines both).
    ``statistic`` = sum over bins of (gap / se)^2 is then roughly chi-square with one degree
    of freedom per bin (the calibration idea of Chernozhukov, Demirer, Duflo & Fernandez-Val
    2018, "Generic machine learning inference on heterogeneous treatment effects", NBER
    w24678, applied per bin).

    Attributes:
        n_units: Units per bin.
        mean_effect: Mean out-of-bag predicted effect per bin (outcome units).
        mean_pseudo_outcome: Mean held-out pseudo-outcome per bin (outcome units).
        se: Standard error of their difference per bin (outcome units).
        statistic: sum((mean_pseudo_outcome - mean_effect)^2 / se^2), >= 0.
        p_value: Chi-square tail probability of ``statistic``, in [0, 1].
        excess_sd: When p_value < :data:`CALIBRATION_LEVEL`, the root of the mean squared gap
            beyond its noise (outcome units), added in quadrature to every interval;
            otherwise 0.
    """

    n_units: NDArray[np.int_]
    mean_effect: NDArray[np.float64]
    mean_pseudo_outcome: NDArray[np.float64]
    se: NDArray[np.float64]
    statistic: float
    p_value: float
    excess_sd: float

    def to_frame(self) -> pd.DataFrame:
        """One row per bin: n_units, mean_effect, mean_pseudo_outcome, se."""
        return pd.DataFrame(
            {
                "n_units": self.n_units,
                "mean_effect": self.mean_effect,
                "mean_pseudo_outcome": self.mean_pseudo_outcome,
                "se": self.se,
            }
        )


class ImpactEstimator(BaseEstimator):
    """Cross-fitted doubly-robust (DR-learner) estimator of a binary treatment's effect.

    See the module docstring for the method and its sources. Fit with
    ``fit(X, treated, outcome)``; :meth:`effect` gives tau(x) per row in outcome units,
    :meth:`effect_interval` an interval for it and :meth:`in_overlap` whether the row lies in
    the region where treated and controls overlap (elsewhere effects are extrapolations).

    Parameters:
        n_folds: Folds for cross-fitting the nuisance models, >= 2.
        n_repeats: Times the cross-fitting is repeated on different fold splits: ``"auto"``
            (the default): at least :data:`AUTO_MIN_REPEATS`, then more until the split noise
            left in the ATE and ATT is at most :data:`REPEAT_TOLERANCE` of their standard
            errors (or :data:`AUTO_MAX_REPEATS` is reached); or a fixed integer >= 1. The ATE
            and ATT are means over repeats; the nuisances' fit time grows linearly with the
            repeats. "auto" spends repeats where splits matter: on LaLonde's strongly selected
            samples it ran a median of 60 and 46 (about 22 s on 2,675 rows, 60-90 s on
            16,177, one thread) for a spread over ten seeds of 0.07 and 0.06 se, where a
            fixed 5 leaves 0.25 and 0.15 se
            (benchmarks/RESULTS.md, ``impact_public``).
        trim: Overlap bound, in [0, 0.5): units whose out-of-fold propensity (one
            cross-fitting on folds that do not depend on ``random_state``) lies outside
            [trim, 1 - trim] are left out of the final stage, the ATE and the ATT, and new
            rows with propensity outside it are flagged by :meth:`in_overlap`. 0 keeps
            every unit.
        clip: Propensities are clipped to [clip, 1 - clip] inside the pseudo-outcome, in
            (0, 0.5). Only matters for kept units when clip > trim.
        n_bags: Members of the final-stage ensemble, an even number >= 4 (pairs of
            complementary halves). Their spread is the interval's standard error.
        undersmooth: Trees per member as a multiple (>= 1) of the number that minimises one
            member's held-out loss.
        n_bins: Bins of predicted effect in the held-out calibration check, >= 2.
        propensity_params: LightGBM parameters overriding :data:`PROPENSITY_DEFAULTS`.
        outcome_params: LightGBM parameters overriding :data:`OUTCOME_DEFAULTS`.
        final_params: LightGBM parameters overriding :data:`FINAL_DEFAULTS`.
        random_state: Seed of the fold splits and models (0 by default, so that two fits
            with default settings agree); the same seed, data and n_jobs give identical
            results. None draws a fresh seed per fit. Other seeds move the ATE and ATT by
            the split noise that ``n_repeats`` leaves.
        n_jobs: LightGBM threads per model (see the module docstring on oversubscription).

    Attributes:
        n_features_in_: Columns of X seen in fit.
        feature_names_in_: Their names (``"x0"``, ``"x1"``, ... when X was not a DataFrame).
        column_kinds_: ``{name: "numeric" | "bool" | "category"}`` per column.
        categories_: Levels of each category column seen in fit (unseen levels predict as
            missing).
        propensity_: Out-of-fold propensity per training unit, in [0, 1] (mean over repeats).
        overlap_propensity_: The out-of-fold propensity that decided ``in_overlap_`` (one
            cross-fitting on folds that do not depend on ``random_state``), in [0, 1].
        pseudo_outcome_: Pseudo-outcome phi per training unit, mean over repeats (outcome
            units).
        in_overlap_: Whether each training unit was kept (propensity in [trim, 1 - trim]).
        ate_: AIPW average effect over the kept units (outcome units), mean over repeats:
            the ATE of the overlap population, not of everyone when units were trimmed.
        ate_se_: Its standard error (outcome units): the root of the mean over repeats of
            se_s^2 + (ate_s - ate_)^2, with se_s = sd(phi_s) / sqrt(n_kept) of repeat s.
        ate_interval_: Normal-approximation interval ``ate_ +- z * ate_se_`` at level
            1 - :data:`ATE_ALPHA` (95%); other levels follow from ``ate_se_``.
        att_: Doubly-robust average effect on the kept treated units (outcome units), mean
            over repeats (see the module docstring): the ATT of the overlap population.
        att_se_: Its standard error, aggregated over repeats like ``ate_se_``.
        att_interval_: ``att_ +- z * att_se_`` at level 1 - :data:`ATE_ALPHA` (95%).
        n_repeats_: Repeats of the cross-fitting done (``n_repeats`` unless ``"auto"``).
        ate_repeats_, att_repeats_: The estimate of each repeat, shape (n_repeats_,).
        ate_se_repeats_, att_se_repeats_: The standard error of each repeat alone (sampling
            variance only), shape (n_repeats_,).
        overlap_: :class:`OverlapReport`.
        propensity_model_: Propensity classifier fitted on all units, deterministic (no
            row or column sampling; the tree count of the cross-fitting that decided
            ``in_overlap_``), for :meth:`in_overlap` on new rows. On the training units its
            in-sample propensities are more extreme than the out-of-fold ones that decided
            ``in_overlap_``, so the two can differ there.
        n_trees_tuned_: Trees minimising one final-stage member's held-out loss.
        n_trees_: Trees per member, ``undersmooth * n_trees_tuned_``.
        members_: The final-stage LightGBM regressors.
        calibration_: :class:`IntervalCalibration`, the held-out check of the final stage.
    """

    def __init__(
        self,
        *,
        n_folds: int = 5,
        n_repeats: int | Literal["auto"] = "auto",
        trim: float = 0.05,
        clip: float = 0.01,
        n_bags: int = 16,
        undersmooth: float = 2.0,
        n_bins: int = 10,
        propensity_params: dict[str, Any] | None = None,
        outcome_params: dict[str, Any] | None = None,
        final_params: dict[str, Any] | None = None,
        random_state: int | None = 0,
        n_jobs: int = 2,
    ) -> None:
        self.n_folds = n_folds
        self.n_repeats = n_repeats
        self.trim = trim
        self.clip = clip
        self.n_bags = n_bags
        self.undersmooth = undersmooth
        self.n_bins = n_bins
        self.propensity_params = propensity_params
        self.outcome_params = outcome_params
        self.final_params = final_params
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, treated: ArrayLike, outcome: ArrayLike) -> ImpactEstimator:
        """Learn the nuisances, pseudo-outcomes, final stage and interval calibration.

        Args:
            X: Covariates, a DataFrame (or 2-D array) of numeric, boolean or pandas
                ``category`` columns; NaN allowed. Object or string columns are refused:
                make them ``category`` first.
            treated: 1 (or True) for treated units, 0 (or False) for controls.
            outcome: Outcome per unit (any unit, e.g. SKP score points), finite.

        Returns:
            self, fitted.

        Raises:
            ValueError: on bad parameters or input (each message names the problem).
        """
        self._check_params()
        frame = self._validate_fit_X(X)
        t, y = _check_targets(treated, outcome, len(frame))
        n_treated, n_control = int(t.sum()), int(len(t) - t.sum())
        if min(n_treated, n_control) < 2 * self.n_folds:
            raise ValueError(
                f"too few units per group for {self.n_folds}-fold cross-fitting: "
                f"{n_treated} treated and {n_control} control; each group needs at least "
                f"{2 * self.n_folds} (lower n_folds or add data)"
            )
        rng = check_random_state(self.random_state)

        # Each repeat's generator comes from one draw of rng and the repeat's index: repeat s
        # is the same whatever the number of repeats, and the final stage (which goes on with
        # rng) does not depend on it either.
        base = _seed(rng)
        auto = isinstance(self.n_repeats, str)
        least = AUTO_MIN_REPEATS if auto else int(self.n_repeats)
        # The overlap set is fixed before the repeats, so that they all estimate one
        # population's effects and their spread is split noise only.
        self.overlap_propensity_, self.propensity_model_ = self._overlap_set(frame, t)
        keep = self._overlap(self.overlap_propensity_)
        n_keep = int(keep.sum())
        min_keep = max(4 * self.n_bins, 20)
        if n_keep < min_keep or min(int(t[keep].sum()), int(n_keep - t[keep].sum())) < 2:
            raise ValueError(
                f"only {n_keep} units ({int(t[keep].sum())} treated) have propensity in "
                f"[{self.trim}, {1 - self.trim}] (need {min_keep}, at least 2 per group): "
                "treated and controls barely overlap; lower trim"
            )
        if n_keep < len(t):
            logger.info(
                "overlap: %d of %d units outside propensity [%g, %g] left out of the final stage",
                len(t) - n_keep,
                len(t),
                self.trim,
                1 - self.trim,
            )

        fits: list[_Nuisances] = []
        while True:
            fits.append(
                self._cross_fit(frame, t, y, np.random.RandomState(_child_seed(base, len(fits))))
            )
            if len(fits) < least:
                continue
            if not auto or len(fits) >= AUTO_MAX_REPEATS:
                break
            if _Repeats.of(fits, t, y, keep, self.clip, self.trim).settled():
                break
        self.n_repeats_ = len(fits)
        e = np.mean([f[0] for f in fits], axis=0)
        self.propensity_ = e
        self.in_overlap_ = keep
        reps = _Repeats.of(fits, t, y, keep, self.clip, self.trim)
        phi = reps.phi.mean(axis=0)
        self.pseudo_outcome_ = phi
        self.ate_repeats_, self.ate_se_repeats_ = reps.ate, reps.ate_se
        self.att_repeats_, self.att_se_repeats_ = reps.att, reps.att_se
        self.ate_, self.ate_se_ = _mean_aggregate(reps.ate, reps.ate_se)
        self.att_, self.att_se_ = _mean_aggregate(reps.att, reps.att_se)
        z = float(stats.norm.ppf(1 - ATE_ALPHA / 2))
        self.ate_interval_ = (self.ate_ - z * self.ate_se_, self.ate_ + z * self.ate_se_)
        self.att_interval_ = (self.att_ - z * self.att_se_, self.att_ + z * self.att_se_)

        self._fit_final(frame[keep], phi[keep], rng)
        self.overlap_ = _overlap_report(
            frame,
            t,
            e,
            np.clip(e, self.clip, 1.0 - self.clip),
            keep,
            self.trim,
            self.feature_names_in_,
        )
        return self

    def _check_params(self) -> None:
        if not isinstance(self.n_folds, int | np.integer) or self.n_folds < 2:
            raise ValueError(f"n_folds must be an integer >= 2, got {self.n_folds!r}")
        if self.n_repeats != "auto" and (
            not isinstance(self.n_repeats, int | np.integer)
            or isinstance(self.n_repeats, bool)
            or self.n_repeats < 1
        ):
            raise ValueError(f"n_repeats must be 'auto' or an integer >= 1, got {self.n_repeats!r}")
        if not 0.0 <= self.trim < 0.5:
            raise ValueError(f"trim must be in [0, 0.5), got {self.trim!r}")
        if not 0.0 < self.clip < 0.5:
            raise ValueError(f"clip must be in (0, 0.5), got {self.clip!r}")
        if not isinstance(self.n_bags, int | np.integer) or self.n_bags < 4 or self.n_bags % 2:
            raise ValueError(f"n_bags must be an even integer >= 4, got {self.n_bags!r}")
        if not self.undersmooth >= 1.0:
            raise ValueError(f"undersmooth must be >= 1, got {self.undersmooth!r}")
        if not isinstance(self.n_bins, int | np.integer) or self.n_bins < 2:
            raise ValueError(f"n_bins must be an integer >= 2, got {self.n_bins!r}")
        if not isinstance(self.n_jobs, int | np.integer) or self.n_jobs == 0:
            raise ValueError(f"n_jobs must be a non-zero integer, got {self.n_jobs!r}")

    def _overlap(self, e: NDArray[np.float64]) -> NDArray[np.bool_]:
        return (e >= self.trim) & (e <= 1.0 - self.trim)

    def _overlap_set(
        self, frame: pd.DataFrame, t: NDArray[np.int8]
    ) -> tuple[NDArray[np.float64], Any]:
        """The propensity that decides the units kept (in [trim, 1 - trim]) and a propensity
        classifier for new rows (:meth:`in_overlap`).

        The overlap set is the population the ATE and ATT are about, so it must not depend
        on the seed: units crowd at the trim bound on strongly selected data (the NSW
        treated against PSID-1 pile up near 0.95), and a set decided by the cross-fitted
        propensities of the repeats kept 146-154 of 185 treated depending on the seed, each
        set with its own true effect. It is decided by one more cross-fitting of the
        propensity, on folds fixed independently of ``random_state``, with the repeats'
        settings but no row or column sampling (LightGBM is then deterministic) and the tree
        count at which the folds' mean held-out loss is least. Out-of-fold, like the
        repeats' propensities: a classifier's predictions on its own training units are
        more extreme, and trimming on them kept units whose weights the repeats then had to
        clip (on the ``strong`` semisynthetic setup the ATE's error doubled).
        """
        params = {
            **self._propensity_params(),
            "subsample": 1.0,
            "subsample_freq": 0,
            "colsample_bytree": 1.0,
        }
        rounds = int(params.pop("n_estimators"))
        folds = list(
            StratifiedKFold(n_splits=self.n_folds, shuffle=True, random_state=0).split(
                np.zeros(len(t)), t
            )
        )
        cv = lgb.cv(
            {
                **params,
                "objective": "binary",
                "metric": "binary_logloss",
                "verbose": -1,
                "deterministic": True,
                "force_col_wise": True,
                "num_threads": self.n_jobs,
            },
            lgb.Dataset(frame, label=t),
            num_boost_round=rounds,
            folds=folds,
            callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
            return_cvbooster=True,
        )
        boosters: Any = cv["cvbooster"]
        trees = max(1, int(boosters.best_iteration))
        e = np.empty(len(t))
        for booster, (_, test) in zip(boosters.boosters, folds, strict=True):
            e[test] = booster.predict(frame.iloc[test], num_iteration=trees)
        model = _lgbm("classifier", params, n_jobs=self.n_jobs, seed=0, n_estimators=trees)
        return e, model.fit(frame, t)

    def _propensity_params(self) -> dict[str, Any]:
        return {**PROPENSITY_DEFAULTS, **(self.propensity_params or {})}

    def _outcome_params(self) -> dict[str, Any]:
        return {**OUTCOME_DEFAULTS, **(self.outcome_params or {})}

    def _final_params(self) -> dict[str, Any]:
        return {**FINAL_DEFAULTS, **(self.final_params or {})}

    def _cross_fit(
        self, frame: pd.DataFrame, t: NDArray[np.int8], y: NDArray[np.float64], rng: Any
    ) -> _Nuisances:
        """Out-of-fold e(x), mu0(x), mu1(x)."""
        n = len(t)
        e, mu0, mu1 = np.empty(n), np.empty(n), np.empty(n)
        folds = StratifiedKFold(n_splits=self.n_folds, shuffle=True, random_state=_seed(rng))
        for train, test in folds.split(np.zeros(n), t):
            xt, tt, yt = frame.iloc[train], t[train], y[train]
            clf = _fit_early_stopped(
                "classifier", self._propensity_params(), xt, tt, self.n_jobs, _seed(rng)
            )
            e[test] = clf.predict_proba(frame.iloc[test])[:, 1]
            for arm, out in ((0, mu0), (1, mu1)):
                rows = tt == arm
                reg = _fit_early_stopped(
                    "regressor", self._outcome_params(), xt[rows], yt[rows], self.n_jobs, _seed(rng)
                )
                out[test] = reg.predict(frame.iloc[test])
        return e, mu0, mu1

    def _fit_final(self, frame: pd.DataFrame, phi: NDArray[np.float64], rng: Any) -> None:
        """Tune the tree count, fit the bagged final stage, check it on held-out phi."""
        n = len(phi)
        params = self._final_params()
        # Tuning: two models on complementary random halves, each scored on the other half;
        # every unit validates once, which is far steadier than a small split of noisy phi.
        first = np.zeros(n, dtype=bool)
        first[rng.permutation(n)[: n // 2]] = True
        curves = []
        for fit_rows in (first, ~first):
            model = _lgbm(
                "regressor",
                params,
                n_jobs=self.n_jobs,
                seed=_seed(rng),
                n_estimators=params["n_estimators"],
            ).fit(
                frame[fit_rows],
                phi[fit_rows],
                eval_X=(frame[~fit_rows],),
                eval_y=(phi[~fit_rows],),
                callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
            )
            curves.append(np.asarray(model.evals_result_["valid_0"]["l2"]))
        longest = max(len(c) for c in curves)
        mean_curve = np.mean([np.pad(c, (0, longest - len(c)), mode="edge") for c in curves], 0)
        self.n_trees_tuned_ = int(np.argmin(mean_curve)) + 1
        self.n_trees_ = max(1, round(self.undersmooth * self.n_trees_tuned_))

        members: list[Any] = []
        in_bag = np.zeros((self.n_bags, n), dtype=bool)
        for b in range(0, self.n_bags, 2):
            in_bag[b, rng.permutation(n)[: n // 2]] = True
            in_bag[b + 1] = ~in_bag[b]
            for m in (b, b + 1):
                members.append(
                    _lgbm(
                        "regressor",
                        params,
                        n_jobs=self.n_jobs,
                        seed=_seed(rng),
                        n_estimators=self.n_trees_,
                    ).fit(frame[in_bag[m]], phi[in_bag[m]])
                )
        self.members_ = members
        preds = np.stack([m.predict(frame) for m in members])
        self.calibration_ = _calibrate(phi, preds, ~in_bag, self.n_bins)
        if self.calibration_.excess_sd > 0:
            logger.warning(
                "held-out pseudo-outcomes disagree with the predicted effects beyond noise "
                "(p = %.3g): intervals widened by an excess sd of %.3g outcome units",
                self.calibration_.p_value,
                self.calibration_.excess_sd,
            )

    # -------------------------------------------------------------- predict
    def effect(self, X: Any) -> NDArray[np.float64]:
        """Conditional effect tau(x) per row, in outcome units: the mean of the members.

        Rows outside the overlap region (see :meth:`in_overlap`) get an extrapolation.
        """
        return self._member_predictions(X).mean(axis=0)

    def effect_interval(
        self, X: Any, alpha: float = 0.1
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(1 - alpha) interval for tau(x) per row, in outcome units.

        ``effect(x) +- z * sqrt(s(x)^2 + excess_sd^2)`` with z the standard normal
        1 - alpha/2 quantile, where:

        - s(x) is the standard deviation of the members' predictions. Members come in pairs
          fitted on complementary random halves, and the spread of half-sample estimates
          matches the sampling variance of the full-sample estimate (half-sampling: McCarthy
          1969, "Pseudo-replication: half samples", Review of the ISI 37(3)); refitting only
          the final stage on fixed pseudo-outcomes leaves the nuisances' error out, which
          cross-fitting makes second order.
        - The spread says nothing about bias, which is why a plain bootstrap of a tuned
          final stage under-covers: at the loss-optimal tree count, squared bias and variance
          are of the same size. The members are therefore undersmoothed (``undersmooth``
          times the tuned trees), which cuts the bias relative to the spread.
        - ``excess_sd`` is 0 unless the held-out check in :attr:`calibration_` finds the
          out-of-bag predictions off from the pseudo-outcomes beyond noise (chi-square test
          at :data:`CALIBRATION_LEVEL`); then its estimated excess is added to every row.

        Coverage of the true tau(x) measured on synthetic data with known effects is in
        benchmarks/RESULTS.md: about nominal where the final stage can see the effect's
        variation, lower where the data are too noisy to show it (the model then predicts
        nearly the ATE everywhere and nothing in the data reveals what it misses), higher
        when tau is constant. For rows outside the overlap region the interval is not honest:
        members agree on the same extrapolation.
        """
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
        preds = self._member_predictions(X)
        center = preds.mean(axis=0)
        sd = np.sqrt(preds.var(axis=0, ddof=1) + self.calibration_.excess_sd**2)
        z = float(stats.norm.ppf(1 - alpha / 2))
        return center - z * sd, center + z * sd

    def overlap_score(self, X: Any) -> NDArray[np.float64]:
        """min(e(x), 1 - e(x)) per row, in [0, 0.5], from a propensity model fitted on all units.

        Rows scoring below ``trim`` lie outside the overlap region the final stage was trained
        on: their effects are extrapolations.
        """
        check_is_fitted(self)
        e = self.propensity_model_.predict_proba(self._transform_X(X))[:, 1]
        return np.minimum(e, 1.0 - e)

    def in_overlap(self, X: Any) -> NDArray[np.bool_]:
        """True for rows whose propensity lies in [trim, 1 - trim] (see :meth:`overlap_score`)."""
        return self.overlap_score(X) >= self.trim

    def _member_predictions(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self)
        frame = self._transform_X(X)
        return np.stack([m.predict(frame) for m in self.members_])

    # ---------------------------------------------------------------- input
    def _validate_fit_X(self, X: Any) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            names = [str(c) for c in X.columns]
            if len(set(names)) != len(names):
                raise ValueError("X has duplicate column names")
            frame = X
        else:
            arr = np.asarray(X)
            if arr.ndim != 2:
                raise ValueError(f"X must be 2-D (rows x columns), got shape {arr.shape}")
            names = [f"x{i}" for i in range(arr.shape[1])]
            frame = pd.DataFrame(arr, columns=names)
        if frame.shape[1] == 0:
            raise ValueError("X has no columns")
        if frame.shape[0] == 0:
            raise ValueError("X has no rows")
        kinds: dict[str, str] = {}
        for name, col in zip(names, frame.columns, strict=True):
            dtype = frame[col].dtype
            if isinstance(dtype, pd.CategoricalDtype):
                kinds[name] = "category"
            elif pd.api.types.is_bool_dtype(dtype):
                kinds[name] = "bool"
            elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
                kinds[name] = "numeric"
            else:
                raise ValueError(
                    f"column {name!r} of X has dtype {dtype}: only numeric, boolean and "
                    "pandas category columns are supported (convert text with "
                    ".astype('category'))"
                )
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.categories_ = {
            name: frame[col].cat.categories
            for name, col in zip(names, frame.columns, strict=True)
            if kinds[name] == "category"
        }
        self.column_kinds_ = kinds
        return self._encode(frame.set_axis(names, axis=1))

    def _transform_X(self, X: Any) -> pd.DataFrame:
        """Check X against the fitted columns and encode it like in fit."""
        names = list(self.feature_names_in_)
        if isinstance(X, pd.DataFrame):
            cols = [str(c) for c in X.columns]
            missing = [c for c in names if c not in cols]
            extra = [c for c in cols if c not in names]
            if missing or extra:
                raise ValueError(
                    f"X columns differ from those seen in fit: missing {missing}, "
                    f"unexpected {extra}"
                )
            frame = X.set_axis(cols, axis=1)[names]
        else:
            arr = np.asarray(X)
            if arr.ndim != 2 or arr.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X must be 2-D with {self.n_features_in_} columns, got shape {arr.shape}"
                )
            frame = pd.DataFrame(arr, columns=names)
        for name in names:
            dtype = frame[name].dtype
            kind = self.column_kinds_[name]
            ok = (
                isinstance(dtype, pd.CategoricalDtype)
                if kind == "category"
                else pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)
            )
            if not ok:
                raise ValueError(f"column {name!r} of X has dtype {dtype}, but was {kind} in fit")
        return self._encode(frame)

    def _encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Numeric -> float64 (NaN for missing), bool -> 0/1, category -> fitted categories."""
        out: dict[str, Any] = {}
        for i, name in enumerate(self.feature_names_in_):
            col = frame[name]
            if self.column_kinds_[name] == "category":
                # Levels unseen in fit become missing: LightGBM sends them down the default
                # branch. Matching is by value, so the order of the levels does not matter.
                out[f"f{i}"] = col.cat.set_categories(self.categories_[name]).array
            else:
                out[f"f{i}"] = col.to_numpy(dtype=np.float64, na_value=np.nan)
        return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _check_targets(
    treated: ArrayLike, outcome: ArrayLike, n: int
) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    t_raw = np.asarray(treated)
    y_raw = np.asarray(outcome)
    if t_raw.ndim != 1 or y_raw.ndim != 1:
        raise ValueError(
            f"treated and outcome must be 1-D, got shapes {t_raw.shape} and {y_raw.shape}"
        )
    if not len(t_raw) == len(y_raw) == n:
        raise ValueError(
            f"lengths differ: X has {n} rows, treated {len(t_raw)}, outcome {len(y_raw)}"
        )
    try:
        t_float = pd.to_numeric(pd.Series(t_raw), errors="raise").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    except (TypeError, ValueError) as err:
        raise ValueError("treated must be 0/1 or boolean") from err
    if np.isnan(t_float).any():
        raise ValueError(f"treated has {int(np.isnan(t_float).sum())} missing values")
    if not np.isin(t_float, (0.0, 1.0)).all():
        bad = np.unique(t_float[~np.isin(t_float, (0.0, 1.0))])[:5]
        raise ValueError(f"treated must be binary (0/1 or boolean), found values {bad}")
    t = t_float.astype(np.int8)
    if t.min() == t.max():
        raise ValueError(f"only one group: every unit has treated == {int(t[0])}")
    try:
        y = pd.to_numeric(pd.Series(y_raw), errors="raise").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    except (TypeError, ValueError) as err:
        raise ValueError("outcome must be numeric") from err
    if not np.isfinite(y).all():
        raise ValueError(f"outcome has {int((~np.isfinite(y)).sum())} missing or infinite values")
    return t, y


def _seed(rng: np.random.RandomState) -> int:
    return int(rng.randint(np.iinfo(np.int32).max))


def _child_seed(base: int, index: int) -> int:
    """A seed for the index-th repeat, derived from base (independent streams per index)."""
    return int(np.random.SeedSequence([base, index]).generate_state(1)[0])


def _ate(phi: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per repeat (rows of phi): the mean pseudo-outcome and its standard error."""
    return phi.mean(axis=1), phi.std(axis=1, ddof=1) / np.sqrt(phi.shape[1])


def _att(
    t: NDArray[np.int8],
    y: NDArray[np.float64],
    mu0: NDArray[np.float64],
    e: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per repeat (rows of mu0 and e): the doubly-robust effect on the treated and its se.

    theta = sum(a) / n1 with a = T (Y - mu0) - (1 - T) e / (1 - e) (Y - mu0): the treated's
    outcomes minus their predicted untreated outcomes, corrected by the controls' residuals
    weighted to look like the treated (the odds e / (1 - e)). Its influence function is
    (a - T theta) / P(T = 1), so se = sd(a - T theta) / (sqrt(n) * n1 / n).
    """
    n, n1 = len(t), float(t.sum())
    residual = y - mu0
    a = np.where(t == 1, residual, -e / (1.0 - e) * residual)
    theta = a.sum(axis=1) / n1
    influence = a - t * theta[:, None]
    se = influence.std(axis=1, ddof=1) / np.sqrt(n) / (n1 / n)
    return theta, se


@dataclass(frozen=True)
class _Repeats:
    """Pseudo-outcomes (rows: repeats) and each repeat's ATE and ATT over the kept units."""

    phi: NDArray[np.float64]
    ate: NDArray[np.float64]
    ate_se: NDArray[np.float64]
    att: NDArray[np.float64]
    att_se: NDArray[np.float64]

    @classmethod
    def of(
        cls,
        fits: list[_Nuisances],
        t: NDArray[np.int8],
        y: NDArray[np.float64],
        keep: NDArray[np.bool_],
        clip: float,
        trim: float,
    ) -> _Repeats:
        """From each repeat's out-of-fold (e, mu0, mu1, ...).

        A kept unit's propensity lies in [trim, 1 - trim] on average over repeats, but one
        repeat's estimate may stray outside, and its weight 1 / e then explodes: within a
        repeat it is bounded to that range too (one cross-fitting kept only units inside it).
        """
        e = np.stack([f[0] for f in fits])
        bound = max(clip, trim)
        e = np.where(keep, np.clip(e, bound, 1.0 - bound), np.clip(e, clip, 1.0 - clip))
        mu0 = np.stack([f[1] for f in fits])
        mu1 = np.stack([f[2] for f in fits])
        phi = mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1.0 - e)
        ate, ate_se = _ate(phi[:, keep])
        att, att_se = _att(t[keep], y[keep], mu0[:, keep], e[:, keep])
        return cls(phi=phi, ate=ate, ate_se=ate_se, att=att, att_se=att_se)

    def settled(self) -> bool:
        """Whether both means' split noise, sd / sqrt(S), is at most REPEAT_TOLERANCE of their se.

        The overlap set is decided before the repeats (step 3 of the module docstring), so
        this is all the split noise the averages carry.
        """
        for theta, se in ((self.ate, self.ate_se), (self.att, self.att_se)):
            _, total_se = _mean_aggregate(theta, se)
            noise = theta.std(ddof=1) / np.sqrt(len(theta))
            if not noise <= REPEAT_TOLERANCE * total_se:
                return False
        return True


def _mean_aggregate(theta: NDArray[np.float64], se: NDArray[np.float64]) -> tuple[float, float]:
    """Mean over repeats and its standard error, sqrt(mean(se_s^2 + (theta_s - mean)^2)).

    Chernozhukov et al. 2018, "Double/debiased machine learning", Econometrics Journal 21(1),
    section 3.4: the second term adds the spread between fold splits to each split's sampling
    variance, so the interval owns up to the split noise.
    """
    middle = float(np.mean(theta))
    return middle, float(np.sqrt(np.mean(se**2 + (theta - middle) ** 2)))


def _lgbm(kind: str, params: dict[str, Any], *, n_jobs: int, seed: int, n_estimators: int) -> Any:
    cls = lgb.LGBMClassifier if kind == "classifier" else lgb.LGBMRegressor
    return cls(
        **{**params, "n_estimators": n_estimators},
        random_state=seed,
        n_jobs=n_jobs,
        verbose=-1,
        deterministic=True,
        force_col_wise=True,
    )


def _fit_early_stopped(
    kind: str, params: dict[str, Any], X: pd.DataFrame, y: NDArray[Any], n_jobs: int, seed: int
) -> Any:
    """Fit with trees added until a held-out share of the data stops improving."""
    stratify = y if kind == "classifier" and np.bincount(y.astype(int)).min() >= 2 else None
    fit_idx, val_idx = train_test_split(
        np.arange(len(y)), test_size=EARLY_STOPPING_SHARE, random_state=seed, stratify=stratify
    )
    model = _lgbm(kind, params, n_jobs=n_jobs, seed=seed, n_estimators=params["n_estimators"])
    model.fit(
        X.iloc[fit_idx],
        y[fit_idx],
        eval_X=(X.iloc[val_idx],),
        eval_y=(y[val_idx],),
        callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
    )
    return model


def _overlap_report(
    frame: pd.DataFrame,
    t: NDArray[np.int8],
    e: NDArray[np.float64],
    e_clip: NDArray[np.float64],
    keep: NDArray[np.bool_],
    trim: float,
    names: NDArray[Any],
) -> OverlapReport:
    treated = t == 1
    quantiles = {
        group: {q: float(np.quantile(e[mask], q)) for q in PROPENSITY_QUANTILES}
        for group, mask in (("treated", treated), ("control", ~treated))
    }
    w = np.where(treated, 1.0 / e_clip, 1.0 / (1.0 - e_clip))

    def ess(mask: NDArray[np.bool_]) -> float:
        ww = w[mask]
        return float(ww.sum() ** 2 / (ww**2).sum()) if mask.any() else 0.0

    smd_raw: dict[str, float] = {}
    smd_weighted: dict[str, float] = {}
    ones = np.ones(len(t))
    for i, name in enumerate(names):
        col = frame[f"f{i}"]
        if isinstance(col.dtype, pd.CategoricalDtype):
            series = {
                f"{name}={level}": (col == level).to_numpy(dtype=np.float64)
                for level in col.cat.categories
            }
        else:
            series = {str(name): col.to_numpy(dtype=np.float64)}
        for label, x in series.items():
            smd_raw[label] = _smd(x, treated, ones, np.ones(len(t), dtype=bool))
            smd_weighted[label] = _smd(x, treated, w, keep)
    return OverlapReport(
        trim=trim,
        n_treated=int(treated.sum()),
        n_control=int((~treated).sum()),
        n_trimmed_treated=int((treated & ~keep).sum()),
        n_trimmed_control=int((~treated & ~keep).sum()),
        share_trimmed=float((~keep).mean()),
        propensity_quantiles=quantiles,
        ess_treated=ess(treated & keep),
        ess_control=ess(~treated & keep),
        smd_raw=smd_raw,
        smd_weighted=smd_weighted,
    )


def _smd(
    x: NDArray[np.float64],
    treated: NDArray[np.bool_],
    w: NDArray[np.float64],
    rows: NDArray[np.bool_],
) -> float:
    """Weighted standardized mean difference of x (NaN rows ignored); 0 when x is constant."""
    moments = []
    for group in (treated & rows, ~treated & rows):
        ok = group & ~np.isnan(x)
        if not ok.any():
            return float("nan")
        mean = float(np.average(x[ok], weights=w[ok]))
        var = float(np.average((x[ok] - mean) ** 2, weights=w[ok]))
        moments.append((mean, var))
    (m1, v1), (m0, v0) = moments
    scale = np.sqrt((v1 + v0) / 2.0)
    return float((m1 - m0) / scale) if scale > 0 else 0.0


def _calibrate(
    phi: NDArray[np.float64],
    preds: NDArray[np.float64],
    out_of_bag: NDArray[np.bool_],
    n_bins: int,
) -> IntervalCalibration:
    """Compare out-of-bag predicted effects with held-out pseudo-outcomes in bins."""
    oob = (preds * out_of_bag).sum(axis=0) / out_of_bag.sum(axis=0)
    bins = np.array_split(np.argsort(oob, kind="stable"), n_bins)
    n_units = np.array([len(b) for b in bins])
    mean_effect = np.array([oob[b].mean() for b in bins])
    mean_phi = np.array([phi[b].mean() for b in bins])
    # Noise of the bin's mean pseudo-outcome, plus the ensemble's own uncertainty about the
    # bin's mean effect (spread over members of their bin means).
    noise = np.array([(phi[b] - oob[b]).var(ddof=1) / len(b) for b in bins])
    spread = np.array([preds[:, b].mean(axis=1).var(ddof=1) for b in bins])
    gap2 = (mean_phi - mean_effect) ** 2
    statistic = float((gap2 / (noise + spread)).sum())
    p_value = float(stats.chi2.sf(statistic, df=n_bins))
    excess = float(np.mean(gap2 - noise - spread)) if p_value < CALIBRATION_LEVEL else 0.0
    return IntervalCalibration(
        n_units=n_units,
        mean_effect=mean_effect,
        mean_pseudo_outcome=mean_phi,
        se=np.sqrt(noise + spread),
        statistic=statistic,
        p_value=p_value,
        excess_sd=float(np.sqrt(max(excess, 0.0))),
    )
