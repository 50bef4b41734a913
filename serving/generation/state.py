"""What the API serves: one consistent generation of answers, from one of two sources.

* **The recommendation store** (``RECSYS_API_STORE``, production): ``recsys score`` has
  written every employee's answers; the API reads one person per request by primary key
  and follows the store's ``current`` pointer (checked every ``store_poll_seconds``, and
  at once on ``/v1/admin/reload``), so every worker and replica serves the same
  generation, start-up takes no scoring, and memory does not grow with the staff. A
  what-if forecast reads the people it is about and the generation's shared part from
  the store (:mod:`recsys.scoring.records`; the shared part is kept per generation), and
  the models, loaded on first use. The data set is loaded only for plans and evaluations
  (and for forecasts from a generation written before the store kept records), once per
  process.
* **In memory** (no store configured): the data set and the models are loaded at start-up
  and everybody's answers computed then (:func:`recsys.scoring.answers.precompute`);
  ``/v1/admin/reload`` loads and computes them again.

Either way a new generation is swapped in atomically, and a failed load keeps the old one
serving. Routes see a :class:`Served` and its :class:`Person` answers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from recsys.scoring.encoding import encode, join
from recsys.scoring.store import PLANS_ENTRY, Generation, RecommendationStore, StoredPerson
from serving.core.config import ServingSettings

if TYPE_CHECKING:  # loaded when first needed: a store-backed worker may never need them
    import pandas as pd

    from recsys.data.loading import Dataset
    from recsys.scoring.answers import Answers
    from recsys.scoring.records import SharedPart
    from recsys.tracking.bundle import Bundle

#: The registered models' names (as recsys.tracking.registry names them; kept here so that
#: serving a store never imports the tracking layer).
TRAINING_MODEL = "asn-training-recommender"
MENTOR_MODEL = "asn-mentor-recommender"

log = logging.getLogger(__name__)


class Person(Protocol):
    """One person's answers in the generation served."""

    @property
    def active(self) -> bool: ...

    def items(self, kind: str, lang: str, k: int) -> list[bytes]: ...

    def widget(self, lang: str) -> bytes | None: ...

    def unassigned(self, lang: str) -> bytes | None: ...

    def list_gain(self, k: int) -> float: ...


class _InMemoryPerson:
    """A person's answers in :class:`~recsys.scoring.answers.Answers`."""

    def __init__(self, answers: Answers, nip: str) -> None:
        self._answers, self._nip = answers, nip
        self.active = nip in answers.active

    def items(self, kind: str, lang: str, k: int) -> list[bytes]:
        table = self._answers.of(kind)
        return [] if table is None else table[lang].get(self._nip, [])[:k]

    def widget(self, lang: str) -> bytes | None:
        return self._answers.widget[lang].get(self._nip)

    def unassigned(self, lang: str) -> bytes | None:
        return self._answers.unassigned.get(lang, {}).get(self._nip)

    def list_gain(self, k: int) -> float:
        return self._answers.list_gain(self._nip, k)


@dataclass(frozen=True)
class WhatIf:
    """What a what-if forecast reads: a data set holding the people it is about (the whole
    one, or just them with the summaries they need) and the decision date to forecast at
    (the whole data set's)."""

    dataset: Dataset
    as_of: pd.Timestamp


class Served:
    """One generation: who is in it and their answers, the model versions that made them,
    the training ranker; the data set and the models for the routes that compute."""

    versions: dict[str, str]
    source: str
    loaded_at: str
    ranker: str
    has_mentors: bool
    #: Whether people's places in the agency plans are served (only from the store).
    serves_plans = False

    def person(self, nip: str) -> Person | None:
        """The person's answers (None: not in the data served)."""
        raise NotImplementedError

    def people(self, nips: Sequence[str]) -> dict[str, Person]:
        """Several people's answers, by nip (only those in the data served)."""
        found = {nip: self.person(nip) for nip in nips}
        return {nip: p for nip, p in found.items() if p is not None}

    @property
    def dataset(self) -> Dataset:
        raise NotImplementedError

    @property
    def models(self) -> Bundle:
        raise NotImplementedError

    def what_if(self, nips: Sequence[str]) -> WhatIf:
        """The data a what-if forecast of ``nips`` (active employees of the generation)
        reads."""
        raise NotImplementedError

    def plan_place(self, nip: str, lang: str) -> tuple[str, bytes] | None:
        """The person's place in an attached plan, in ``lang``: the plan's run id and the
        answer of ``GET /v1/employees/{nip}/plan`` (None: no place)."""
        return None

    def attached_plans(self) -> list[dict[str, object]] | None:
        """The plans attached to the generation (None: scored before plans could be)."""
        return None

    def listing(self, kind: str, nip: str, person: Person, k: int, lang: str) -> tuple[str, bytes]:
        """The answer of ``GET /v1/employees/{nip}/{kind}`` (``trainings`` or ``mentors``)
        and the model it comes from, as ``name=version``. A training list also says which
        ranker made it and its forecast gain; a mentor list, why the agency's mentor
        matching leaves the person out (or null)."""
        name = TRAINING_MODEL if kind == "trainings" else MENTOR_MODEL
        version = self.versions[name]
        if kind == "trainings":
            extra = b'"ranker":%s,"list_gain":%s,' % (
                encode(self.ranker),
                encode(person.list_gain(k)),
            )
        else:  # why the agency's mentor matching leaves the person out, or null
            extra = b'"unassigned":%s,' % (person.unassigned(lang) or b"null")
        body = b'{"nip":"%s","model_version":%s,%s"items":%s}' % (
            nip.encode(),
            encode(version),
            extra,
            join(person.items(kind, lang, k)),
        )
        return f"{name}={version}", body

    def demo_people(self, n: int) -> list[str]:
        """Up to ``n`` active employees to show in the demo portal."""
        raise NotImplementedError

    def versions_text(self) -> str:
        """Every served model as ``name=version,…`` (what the audit log records)."""
        return ",".join(f"{name}={version}" for name, version in self.versions.items())


class InMemory(Served):
    """A generation computed by this process at load."""

    def __init__(self, dataset: Dataset, models: Bundle, answers: Answers) -> None:
        from recsys.models.requests import decision_date

        self._dataset, self._models, self.answers = dataset, models, answers
        self._as_of = decision_date(dataset, None)
        self.versions = dict(models.versions)
        self.source = models.source
        self.loaded_at = datetime.now(UTC).isoformat()
        self.ranker = answers.ranker
        self.has_mentors = answers.mentors is not None

    def person(self, nip: str) -> Person | None:
        return _InMemoryPerson(self.answers, nip) if nip in self.answers.known else None

    def demo_people(self, n: int) -> list[str]:
        # juniors (pelaksana) with both trainings and a mentor make the best demo
        staff = self._dataset.employees
        juniors = staff.loc[staff["active"] & (staff["position_type"] == "pelaksana"), "nip"]
        mentored = (self.answers.mentors or {}).get("id", {})
        return [nip for nip in sorted(juniors.astype(str)) if nip in mentored][:n]

    @property
    def dataset(self) -> Dataset:
        return self._dataset

    @property
    def models(self) -> Bundle:
        return self._models

    def what_if(self, nips: Sequence[str]) -> WhatIf:
        return WhatIf(self._dataset, self._as_of)


class _Heavy:
    """The data set and the models of a store-backed process, loaded on first use (once;
    concurrent first uses wait for the one load)."""

    def __init__(self, settings: ServingSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._dataset: Dataset | None = None
        self._models: Bundle | None = None

    def whole(self) -> WhatIf:
        """Forecasts from the whole data set, at its decision date."""
        from recsys.models.requests import decision_date

        dataset = self.dataset()
        return WhatIf(dataset, decision_date(dataset, None))

    def dataset(self) -> Dataset:
        from recsys.data.loading import load_dataset

        with self._lock:
            if self._dataset is None:
                log.info("loading the data set %s for a computing route", self.settings.data)
                self._dataset = load_dataset(self.settings.data)
            return self._dataset

    def models(self) -> Bundle:
        from recsys.tracking.bundle import load_bundle, load_champions

        with self._lock:
            if self._models is None:
                bundle = self.settings.bundle
                self._models = load_bundle(bundle) if bundle is not None else load_champions()
            return self._models


class Stored(Served):
    """A generation in the recommendation store: each read is one primary-key look-up."""

    serves_plans = True

    def __init__(self, store: RecommendationStore, generation: Generation, heavy: _Heavy) -> None:
        self.store, self.generation, self._heavy = store, generation, heavy
        self.versions = dict(generation.model_versions)
        self.source = f"store generation {generation.id}"
        self.loaded_at = generation.completed_at or generation.created_at
        self.ranker = generation.ranker
        self.has_mentors = generation.has_mentors
        self._part_lock = threading.Lock()
        self._part_read = False
        self._part: SharedPart | None = None

    def person(self, nip: str) -> StoredPerson | None:
        return self.store.person(self.generation.id, nip)

    def what_if(self, nips: Sequence[str]) -> WhatIf:
        """The stored records of ``nips`` with the generation's shared part; the whole data
        set if the generation keeps no records (scored before they were kept)."""
        part = self.shared_part()
        if part is not None:
            found = self.store.records_of(self.generation.id, nips)
            if len(found) == len(set(nips)):
                return WhatIf(part.dataset(found), part.as_of)
            log.warning(
                "generation %d keeps no records of %d of the %d people asked: forecasting "
                "from the whole data set",
                self.generation.id,
                len(set(nips) - set(found)),
                len(set(nips)),
            )
        return self._heavy.whole()

    def plan_place(self, nip: str, lang: str) -> tuple[str, bytes] | None:
        return self.store.plan_place(self.generation.id, nip, lang)

    def attached_plans(self) -> list[dict[str, object]] | None:
        entry = self.store.shared_part(self.generation.id, PLANS_ENTRY).get(PLANS_ENTRY)
        return None if entry is None else list(json.loads(entry))

    def shared_part(self) -> SharedPart | None:
        """The generation's shared part, read on first use and kept with the generation
        (None: the store keeps none for it, or one this version cannot read)."""
        with self._part_lock:
            if not self._part_read:
                self._part = _read_shared(self.store, self.generation.id)
                self._part_read = True
            return self._part

    def people(self, nips: Sequence[str]) -> dict[str, Person]:
        return dict(self.store.persons(self.generation.id, nips))

    def demo_people(self, n: int) -> list[str]:
        return self.store.sample_nips(self.generation.id, n)

    @property
    def dataset(self) -> Dataset:
        return self._heavy.dataset()

    @property
    def models(self) -> Bundle:
        models = self._heavy.models()
        if models.versions != self.versions:
            log.warning(
                "computing with models %s while the store serves %s: run recsys score",
                models.versions,
                self.versions,
            )
        return models


def _read_shared(store: RecommendationStore, generation_id: int) -> SharedPart | None:
    """A generation's shared part from the store (None, with a warning: it keeps none, or
    one this version cannot read)."""
    from recsys.scoring.records import RecordsError, SharedPart

    entries = store.shared_part(generation_id)
    if not entries:
        log.warning(
            "generation %d of %r keeps no records for forecasts (scored before they were "
            "kept): forecasts load the whole data set; run `recsys score` again",
            generation_id,
            store,
        )
        return None
    try:
        return SharedPart.read(entries)
    except RecordsError as exc:
        log.warning(
            "the records of generation %d cannot be read (%s): forecasts load the whole data set",
            generation_id,
            exc,
        )
        return None


def load(settings: ServingSettings) -> InMemory:
    """Load the data set and the models (bundle if configured, else the registry) and
    compute everybody's answers."""
    from recsys.data.loading import load_dataset
    from recsys.scoring.answers import precompute
    from recsys.tracking.bundle import load_bundle, load_champions

    models = load_bundle(settings.bundle) if settings.bundle is not None else load_champions()
    dataset = load_dataset(settings.data)
    answers = precompute(dataset, models, settings.max_k, on_progress=_log_progress)
    return InMemory(dataset, models, answers)


_logged: dict[str, int] = {}


def _log_progress(what: str, done: int, total: int) -> None:
    """One line per quarter of the way (the models report far more often)."""
    quarter = 4 * done // max(total, 1)
    if quarter > _logged.get(what, 0) or done == total:
        _logged[what] = 0 if done == total else quarter
        log.info("precomputing %s: %d/%d employees", what, done, total)


class State:
    """The current generation, swapped under a lock; None until the first load succeeds.

    With a store, :attr:`current` follows the store's pointer, looked at no more often
    than every ``store_poll_seconds``."""

    def __init__(self, store: RecommendationStore | None = None) -> None:
        self._lock = threading.Lock()
        self._current: Served | None = None
        self._loading = 0
        self._store = store
        self._heavy: _Heavy | None = None
        self._poll = 0.0
        self._checked = 0.0

    @property
    def current(self) -> Served | None:
        if self._store is not None and time.monotonic() - self._checked >= self._poll:
            self._follow()
        return self._current

    @property
    def reloading(self) -> bool:
        """Whether a load is under way (the current generation keeps serving meanwhile)."""
        return self._loading > 0

    def reload(self, settings: ServingSettings) -> Served:
        """Load a new generation and swap it in (with a store: follow its pointer now); on
        failure the old one keeps serving."""
        if settings.store is not None:
            return self._reload_store(settings)
        with self._lock:
            self._loading += 1
        try:
            fresh = load(settings)
            with self._lock:
                self._current = fresh
        finally:
            with self._lock:
                self._loading -= 1
        log.info("serving models %s (%s)", fresh.versions, fresh.source)
        return fresh

    def _reload_store(self, settings: ServingSettings) -> Served:
        assert settings.store is not None
        with self._lock:
            if self._store is None or self._store.url != settings.store:
                self._store = RecommendationStore(settings.store)
            if self._heavy is None:
                self._heavy = _Heavy(settings)
            self._poll = settings.store_poll_seconds
        fresh = self._follow()
        if fresh is None:
            raise LookupError(
                f"the recommendation store {self._store!r} has no complete generation yet: "
                "run `recsys score`"
            )
        return fresh

    def _follow(self) -> Served | None:
        """Serve the generation the store's pointer names (keep serving the old one if
        the store cannot be read)."""
        store, heavy = self._store, self._heavy
        assert store is not None and heavy is not None
        self._checked = time.monotonic()
        try:
            generation = store.current()
        except Exception:  # the store is unreachable for now: keep serving
            log.exception("cannot read the recommendation store's pointer")
            return self._current
        if generation is None:
            return self._current
        current = self._current
        if isinstance(current, Stored) and current.generation.id == generation.id:
            return current
        fresh = Stored(store, generation, heavy)
        with self._lock:
            self._current = fresh
        log.info("serving store generation %d (%s)", generation.id, generation.model_versions)
        return fresh

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
