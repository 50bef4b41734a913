"""The champion models as the commands meet them: loaded from the MLflow registry, with a
clear message when there is none or when it must be retrained.

``recsys.tracking`` (and so MLflow) is imported only by the commands that need it, which
keeps ``recsys --help`` and ``recsys simulate`` quick.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NoReturn

from recsys.cli.console import fail
from recsys.cli.messages import t
from recsys.settings import Language

if TYPE_CHECKING:
    from recsys.models.mentors.recommender import MentorRecommender
    from recsys.models.trainings import TrainingRecommender

log = logging.getLogger(__name__)


def quiet_mlflow() -> None:
    """MLflow's own notices (database set-up, registration, pickling) are for developers:
    shown with --verbose only. Called after mlflow is imported, which configures its
    loggers."""
    if logging.getLogger().level > logging.INFO:
        for name in ("mlflow", "alembic"):
            logging.getLogger(name).setLevel(logging.ERROR)


def training_champion(lang: Language) -> TrainingRecommender:
    """The champion training model; the command ends with a clear message if there is none
    or it must be retrained."""
    from recsys.tracking import registry

    quiet_mlflow()
    try:
        return registry.load_champion()
    except LookupError as exc:
        _fail_to_load(exc, registry.TRAINING_MODEL, lang)


def mentor_champion(lang: Language) -> MentorRecommender:
    """The champion mentor model; the command ends with a clear message if there is none or
    it must be retrained."""
    from recsys.models.mentors.policy import PolicyError
    from recsys.tracking import registry

    quiet_mlflow()
    try:
        return registry.load_mentor_champion()
    except PolicyError as exc:
        fail(str(exc), lang)
    except LookupError as exc:
        _fail_to_load(exc, registry.MENTOR_MODEL, lang)


def _fail_to_load(exc: LookupError, name: str, lang: Language) -> NoReturn:
    from recsys.tracking.legacy import RetrainRequiredError
    from recsys.tracking.registry import NoChampionError

    if isinstance(exc, RetrainRequiredError):
        log.info("%s", exc)  # the cause, for --verbose
        fail(t("model.retrain", lang, name=name), lang)
    if isinstance(exc, NoChampionError):
        fail(t("model.none", lang, name=name), lang)
    fail(str(exc), lang)
