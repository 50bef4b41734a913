"""What the API serves: the data set and the champion models, loaded once and swapped
atomically on reload (a failed load keeps the old ones serving)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from recsys.data.loading import Dataset, load_dataset
from recsys.tracking.bundle import Bundle, load_bundle
from recsys.tracking.registry import MENTOR_MODEL, TRAINING_MODEL
from serving.core.config import ServingSettings
from serving.generation.answers import Answers, precompute
from serving.generation.encoding import encode, join

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """One consistent generation of data and models."""

    dataset: Dataset
    models: Bundle
    answers: Answers
    loaded_at: str

    def listing(self, kind: str, nip: str, k: int, lang: str) -> tuple[str, bytes]:
        """The answer of ``GET /v1/employees/{nip}/{kind}`` (``trainings`` or ``mentors``,
        whose answers must be loaded) and the model it comes from, as ``name=version``. A
        training list also says which ranker made it and its forecast gain; a mentor list, why
        the agency's mentor matching leaves the person out (or null)."""
        table = self.answers.of(kind)
        assert table is not None, f"no {kind} answers loaded"
        name = TRAINING_MODEL if kind == "trainings" else MENTOR_MODEL
        version = self.models.versions[name]
        extra = b""
        if kind == "trainings":
            extra = b'"ranker":%s,"list_gain":%s,' % (
                encode(self.answers.ranker),
                encode(self.answers.list_gain(nip, k)),
            )
        else:  # why the agency's mentor matching leaves the person out, or null
            extra = self.answers.mentor_extra(nip, lang)
        body = b'{"nip":"%s","model_version":%s,%s"items":%s}' % (
            nip.encode(),
            encode(version),
            extra,
            join(table[lang].get(nip, [])[:k]),
        )
        return f"{name}={version}", body

    def versions_text(self) -> str:
        """Every served model as ``name=version,…`` (what the audit log records)."""
        return ",".join(f"{name}={version}" for name, version in self.models.versions.items())


def load(settings: ServingSettings) -> Served:
    """Load the data set and the models (bundle if configured, else the registry) and
    compute everybody's answers."""
    models = load_bundle(settings.bundle) if settings.bundle is not None else _from_registry()
    dataset = load_dataset(settings.data)
    answers = precompute(dataset, models, settings.max_k, on_progress=_log_progress)
    return Served(
        dataset=dataset, models=models, answers=answers, loaded_at=datetime.now(UTC).isoformat()
    )


_logged: dict[str, int] = {}


def _log_progress(what: str, done: int, total: int) -> None:
    """One line per quarter of the way (the models report far more often)."""
    quarter = 4 * done // max(total, 1)
    if quarter > _logged.get(what, 0) or done == total:
        _logged[what] = 0 if done == total else quarter
        log.info("precomputing %s: %d/%d employees", what, done, total)


def _from_registry() -> Bundle:
    from mlflow.tracking import MlflowClient

    from recsys.tracking import registry as tracking

    trainings = tracking.load_champion()
    client = MlflowClient()
    versions = {
        tracking.TRAINING_MODEL: str(
            client.get_model_version_by_alias(tracking.TRAINING_MODEL, tracking.CHAMPION).version
        )
    }
    try:
        mentors = tracking.load_mentor_champion()
        versions[tracking.MENTOR_MODEL] = str(
            client.get_model_version_by_alias(tracking.MENTOR_MODEL, tracking.CHAMPION).version
        )
    except tracking.NoChampionError:
        mentors = None
    except LookupError as exc:  # e.g. saved by an earlier version: must be retrained
        log.warning("the mentor champion is not served: %s", exc)
        mentors = None
    return Bundle(trainings=trainings, mentors=mentors, versions=versions, source="registry")


class State:
    """The current generation, swapped under a lock; None until the first load succeeds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: Served | None = None
        self._loading = 0

    @property
    def current(self) -> Served | None:
        return self._current

    @property
    def reloading(self) -> bool:
        """Whether a load is under way (the current generation keeps serving meanwhile)."""
        return self._loading > 0

    def reload(self, settings: ServingSettings) -> Served:
        """Load a new generation and swap it in; on failure the old one keeps serving."""
        with self._lock:
            self._loading += 1
        try:
            fresh = load(settings)
            with self._lock:
                self._current = fresh
        finally:
            with self._lock:
                self._loading -= 1
        log.info("serving models %s (%s)", fresh.models.versions, fresh.models.source)
        return fresh
