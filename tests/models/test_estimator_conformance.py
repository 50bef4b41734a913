"""Every estimator in recsys.models behaves like a scikit-learn estimator: it clones with its
parameters (nested estimators too), pickles to identical answers, says ``NotFittedError``
before it is fitted, and gives the same answers for the same ``random_state``.

One table of cases (:data:`CASES`), one set of tests for all of them. Settings are small
(few bootstrap refits, few trees) so the whole file stays quick.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks

from benchmarks.impact_semisynthetic import Synthetic, make_setup
from recsys.data import Dataset, load_dataset
from recsys.features import outcomes as O
from recsys.models.baseline import ScoreBaseline, busy_spans
from recsys.models.impact import ImpactEstimator
from recsys.models.importance import CompetencyImportance
from recsys.models.mentors.recommender import MentorRecommender
from recsys.models.service import ServiceForecaster
from recsys.models.trainings import TrainingRecommender


@dataclass(frozen=True)
class World:
    """What the cases fit on and ask about."""

    ds: Dataset
    active: list[str]  # a few active employees
    juniors: list[str]  # a few active pelaksana / fungsional (mentees)
    windows: pd.DataFrame  # appraisal windows without activity (nip, periods, horizon)
    synthetic: Synthetic  # arrays with a known effect (ImpactEstimator)


@dataclass(frozen=True)
class Case:
    """An estimator under test: how to make, fit and ask it, and what needs a fit."""

    name: str
    make: Callable[[], BaseEstimator]
    fit: Callable[[BaseEstimator, World], BaseEstimator]
    answer: Callable[[BaseEstimator, World], Any]
    needs_fit: dict[str, Callable[[BaseEstimator, World], Any]]


_TRAINING_FEATURES = pd.DataFrame(
    {
        "training_id": ["T1"],
        "modality": ["klasikal"],
        "remote_area": [0.0],
        "position_type": ["pelaksana"],
        "weighted_gap": [1.0],
    }
)


def _service_plan(w: World) -> pd.DataFrame:
    """A few active employees, each planned for the catalog's first active training."""
    first = w.ds.trainings.loc[w.ds.trainings["active"], "training_id"].iloc[0]
    return pd.DataFrame({"nip": w.active, "training_id": first})


CASES = (
    Case(
        name="TrainingRecommender",
        make=lambda: TrainingRecommender(
            n_bootstrap=3, baseline=ScoreBaseline(n_estimators=60), random_state=5
        ),
        fit=lambda est, w: est.fit(w.ds),
        answer=lambda est, w: est.recommend(w.ds, w.active, k=3),
        needs_fit={
            "recommend": lambda est, w: est.recommend(w.ds, w.active, k=3),
            "forecast": lambda est, w: est.forecast(w.ds, w.active[:1], ["T1"]),
            "forecast_from_features": lambda est, w: est.forecast_from_features(_TRAINING_FEATURES),
            "effects_table": lambda est, w: est.effects_table(),
            "example_features": lambda est, w: est.example_features(),
        },
    ),
    Case(
        name="MentorRecommender",
        make=lambda: MentorRecommender(
            n_bootstrap=2,
            baseline=ScoreBaseline(excluded="mentorships", n_estimators=60),
            random_state=5,
        ),
        fit=lambda est, w: est.fit(w.ds),
        answer=lambda est, w: est.recommend(w.ds, w.juniors, k=2),
        needs_fit={
            "recommend": lambda est, w: est.recommend(w.ds, w.juniors, k=2),
            "candidates": lambda est, w: est.candidates(w.ds, w.juniors, top=2),
            "forecast": lambda est, w: est.forecast(w.ds, w.juniors[:1], w.active[:1]),
            "forecast_from_features": lambda est, w: est.forecast_from_features(
                est.example_features()
            ),
        },
    ),
    Case(
        name="ScoreBaseline",
        make=lambda: ScoreBaseline(n_estimators=60, num_leaves=15, random_state=5),
        fit=lambda est, w: est.fit(w.ds),
        answer=lambda est, w: (
            est.predict(w.ds, w.windows["nip"], w.windows),
            est.noise_var_,
        ),
        needs_fit={
            "predict": lambda est, w: est.predict(w.ds, w.windows["nip"], w.windows),
        },
    ),
    Case(
        name="CompetencyImportance",
        make=lambda: CompetencyImportance(alpha=5.0),
        fit=lambda est, w: est.fit(w.ds),
        answer=lambda est, w: est.weight(
            np.repeat(est.weights_.columns.to_numpy(), len(est.weights_)),
            np.tile(est.weights_.index.to_numpy(), len(est.weights_.columns)),
        ),
        needs_fit={
            "weight": lambda est, w: est.weight(np.array(["pelaksana"]), np.array(["M6"])),
        },
    ),
    Case(
        name="ImpactEstimator",
        make=lambda: ImpactEstimator(n_bags=4, random_state=5, n_jobs=1),
        fit=lambda est, w: est.fit(w.synthetic.X, w.synthetic.treated, w.synthetic.outcome),
        answer=lambda est, w: (est.effect(w.synthetic.X), *est.effect_interval(w.synthetic.X)),
        needs_fit={
            name: lambda est, w, name=name: getattr(est, name)(w.synthetic.X)
            for name in ("effect", "effect_interval", "in_overlap", "overlap_score")
        },
    ),
    Case(
        name="ServiceForecaster",
        make=lambda: ServiceForecaster(),
        fit=lambda est, w: est.fit(w.ds),
        answer=lambda est, w: (est.forecast(w.ds, _service_plan(w)), est.coefficients_),
        needs_fit={"forecast": lambda est, w: est.forecast(w.ds, _service_plan(w))},
    ),
)
RECOMMENDERS = [case for case in CASES if case.name.endswith("Recommender")]
_IDS = [case.name for case in CASES]


@pytest.fixture(scope="module")
def world(small_world: Path) -> World:
    ds = load_dataset(small_world)
    emp = ds.employees
    junior = emp["active"] & emp["position_type"].astype(str).isin(["pelaksana", "fungsional"])
    windows = O.control_windows(ds.performance, busy_spans(ds)).head(300).reset_index(drop=True)
    return World(
        ds=ds,
        active=emp.loc[emp["active"], "nip"].astype(str).head(8).tolist(),
        juniors=emp.loc[junior, "nip"].astype(str).head(8).tolist(),
        windows=windows,
        synthetic=make_setup("B", 400, 0),
    )


@pytest.fixture(scope="module", params=CASES, ids=_IDS)
def fitted(request: pytest.FixtureRequest, world: World) -> tuple[Case, BaseEstimator, Any]:
    """Each case fitted once, with its answer."""
    case: Case = request.param
    estimator = case.fit(case.make(), world)
    return case, estimator, case.answer(estimator, world)


def assert_same(left: Any, right: Any) -> None:
    """Exactly the same answer: frames, arrays, numbers, or tuples of them."""
    if isinstance(left, tuple):
        assert isinstance(right, tuple) and len(left) == len(right)
        for a, b in zip(left, right, strict=True):
            assert_same(a, b)
    elif isinstance(left, pd.DataFrame):
        pd.testing.assert_frame_equal(left, right, check_exact=True)
    else:
        np.testing.assert_array_equal(left, right)


def comparable(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters with nested estimators as (class, their parameters): clones compare equal."""
    return {
        name: (type(value), value.get_params()) if isinstance(value, BaseEstimator) else value
        for name, value in params.items()
    }


def learned(estimator: BaseEstimator) -> list[str]:
    return [name for name in vars(estimator) if name.endswith("_") and not name.startswith("_")]


# ------------------------------------------------------------------------ parameters


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_clone_keeps_the_parameters_and_nothing_else(case: Case) -> None:
    estimator = case.make()
    twin = clone(estimator)
    assert twin is not estimator and type(twin) is type(estimator)
    assert comparable(twin.get_params(deep=True)) == comparable(estimator.get_params(deep=True))
    for name, value in estimator.get_params(deep=False).items():
        if isinstance(value, BaseEstimator):  # nested estimators are cloned, not shared
            assert getattr(twin, name) is not value
    assert not learned(estimator)


@pytest.mark.parametrize("case", RECOMMENDERS, ids=[c.name for c in RECOMMENDERS])
def test_lightgbm_settings_are_parameters_nested_ones_too(case: Case) -> None:
    params = case.make().get_params(deep=True)
    assert params["baseline__n_estimators"] == 60
    assert {"baseline__learning_rate", "baseline__num_leaves", "baseline__subsample"} <= set(params)
    # defaults: the same settings as before they were parameters
    defaults = type(case.make())().get_params(deep=True)
    assert defaults["baseline"] is None and defaults["importance"] is None
    assert ScoreBaseline().get_params() == {
        "excluded": "all",
        "n_estimators": 300,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_child_samples": 50,
        "subsample": 0.8,
        "sent_within_months": None,
        "unit_shocks": True,
        "random_state": 0,
    }


def test_recommenders_refuse_a_baseline_that_counts_the_wrong_activities(world: World) -> None:
    with pytest.raises(ValueError, match="excluded='all'"):
        TrainingRecommender(baseline=ScoreBaseline(excluded="mentorships")).fit(world.ds)
    with pytest.raises(ValueError, match="excluded='mentorships'"):
        MentorRecommender(baseline=ScoreBaseline(excluded="all")).fit(world.ds)
    # a baseline that looks at who was sent to training later is for evaluations only
    with pytest.raises(ValueError, match="sent_within_months=None"):
        TrainingRecommender(baseline=ScoreBaseline(sent_within_months=24)).fit(world.ds)
    with pytest.raises(ValueError, match="sent_within_months=None"):
        MentorRecommender(
            baseline=ScoreBaseline(excluded="mentorships", sent_within_months=24)
        ).fit(world.ds)


# ------------------------------------------------------------------------- fitted


def test_fit_changes_no_parameter_and_a_clone_forgets_the_fit(
    fitted: tuple[Case, BaseEstimator, Any],
) -> None:
    case, estimator, _ = fitted
    assert learned(estimator)
    assert comparable(estimator.get_params(deep=True)) == comparable(
        case.make().get_params(deep=True)
    )
    assert not learned(clone(estimator))
    for name, given in estimator.get_params(deep=False).items():
        if isinstance(given, BaseEstimator):  # a nested estimator: a clone of it is fitted
            part = getattr(estimator, f"{name}_")
            assert part is not given and learned(part) and not learned(given)
            assert part.get_params() == given.get_params()


def test_pickle_round_trip_gives_identical_answers(
    fitted: tuple[Case, BaseEstimator, Any], world: World
) -> None:
    case, estimator, answer = fitted
    restored = pickle.loads(pickle.dumps(estimator))
    assert_same(case.answer(restored, world), answer)


def test_same_random_state_same_answers(
    fitted: tuple[Case, BaseEstimator, Any], world: World
) -> None:
    case, estimator, answer = fitted
    again = case.fit(clone(estimator), world)
    assert_same(case.answer(again, world), answer)


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_not_fitted_error_before_fit(case: Case, world: World) -> None:
    for call in case.needs_fit.values():
        with pytest.raises(NotFittedError, match="fit"):  # and says what to do
            call(case.make(), world)


# ------------------------------------------------------------------ sklearn's own


_CHECKS = (
    estimator_checks.check_no_attributes_set_in_init,
    estimator_checks.check_parameters_default_constructible,
    estimator_checks.check_get_params_invariance,
    estimator_checks.check_set_params,
    estimator_checks.check_estimator_repr,
    estimator_checks.check_estimator_cloneable,
    estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
    estimator_checks.check_mixin_order,
    estimator_checks.check_estimator_tags_renamed,
)


@pytest.mark.parametrize("check", _CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_sklearn_estimator_checks(case: Case, check: Callable[[str, BaseEstimator], None]) -> None:
    """The checks of ``sklearn.utils.estimator_checks`` that do not assume ``fit(X, y)``
    (only ImpactEstimator takes arrays; the recommenders take a data set)."""
    check(case.name, type(case.make())())
