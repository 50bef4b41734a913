"""The recommenders as MLflow pyfunc models, and loading them back.

What leaves training is a pyfunc with a signature (the registry and the offline bundle hold
the same thing); serving and the CLI load a model URI or folder with
:func:`load_recommender`, which also reads models registered by earlier versions of the
package (:mod:`recsys.tracking.legacy`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

import mlflow
from recsys.models.mentors.policy import policies_from_settings
from recsys.models.mentors.recommender import MentorRecommender
from recsys.models.trainings import TrainingRecommender
from recsys.settings import get_settings
from recsys.tracking import legacy

#: Input columns every training pyfunc model reads: one row per (person, training) pair
#: (weighted gap in SKP points per level closed). A model served by the gap rule also reads
#: ``gap_rule``, one served by the uplift or blend ranker the pair features of
#: :mod:`recsys.features.training_pair` (the blend also ``weighted_reach``): their signature
#: lists them, and
#: :meth:`TrainingRecommender.pyfunc_input` computes them from a data set.
PYFUNC_INPUT = ("training_id", "modality", "remote_area", "position_type", "weighted_gap")


class TrainingRecommenderModel(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined]
    """The recommender as an MLflow pyfunc.

    Input: a frame with :data:`PYFUNC_INPUT`. Output: expected_gain, gain_lower,
    gain_upper (SKP points). The fitted :class:`TrainingRecommender` itself is
    ``.recommender`` (for scoring people straight from a data set).
    """

    def __init__(self, recommender: TrainingRecommender) -> None:
        self.recommender = recommender

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        del context, params
        return self.recommender.forecast_from_features(model_input)


class MentorRecommenderModel(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined]
    """The mentor recommender as an MLflow pyfunc.

    Input: one row per (mentee, mentor) pair with ``coverage`` and
    :data:`recsys.models.mentors.effect.EFFECT_FEATURES`. Output: expected_gain, gain_lower,
    gain_upper (SKP points). The fitted :class:`MentorRecommender` itself is ``.recommender``.
    """

    def __init__(self, recommender: MentorRecommender) -> None:
        self.recommender = recommender

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        del context, params
        return self.recommender.forecast_from_features(model_input)


def load_recommender(uri: str) -> Any:
    """The fitted recommender inside the pyfunc model at ``uri`` (a ``models:/`` URI or a
    folder). Models saved by earlier versions of the package load too; one that cannot be
    used any more raises :class:`~recsys.tracking.legacy.RetrainRequiredError`, which says
    so. Other MLflow errors (no such model) propagate. A mentor recommender gets the
    mentoring policies of the settings
    (:func:`~recsys.models.mentors.policy.policies_from_settings`)."""
    with legacy.old_module_names():
        try:
            model = mlflow.pyfunc.load_model(uri)
        except (AttributeError, ImportError, ModuleNotFoundError, TypeError) as exc:
            raise legacy.RetrainRequiredError(uri, exc) from exc
    recommender = legacy.upgrade(model.unwrap_python_model().recommender, uri)
    if isinstance(recommender, MentorRecommender):
        # eligibility is the agency's policy, not something learned: the settings decide,
        # the same in the CLI, the API and the notebooks
        recommender.set_params(
            policies=policies_from_settings(get_settings()), allow_supervisor=None
        )
    return recommender
