"""Reading models saved by earlier versions of the package.

A registered model is a pickle: it names the classes and functions it was built from by
their module path. Version 0.1 had a flat layout (``recsys.trainings``,
``recsys.mentors``, ``recsys.tracking``, …); those paths are now spread over the layer
packages. While a model loads, :func:`old_module_names` puts stand-in modules under the old
names that resolve each old name to where it lives now; afterwards they are gone again, so
nothing else can import the old paths. :func:`upgrade` then gives parameters that did not
exist when the model was saved their default values, and learned state added since the
values that keep the model serving as it did (:data:`LEARNED_SINCE`).

A model that still cannot be used raises :class:`RetrainRequiredError`, which tells the user
to retrain it.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

#: Old module path → the modules that now hold its names, searched in order.
OLD_MODULES: dict[str, tuple[str, ...]] = {
    "recsys.trainings": ("recsys.models.trainings", "recsys.models.requests"),
    "recsys.mentors": (
        "recsys.models.mentors.recommender",
        "recsys.models.mentors.effect",
        "recsys.models.mentors.pool",
        "recsys.models.mentors.coverage",
        "recsys.models.mentors.eligibility",
        "recsys.features.mentor",
        "recsys.models.requests",
    ),
    "recsys.baseline": ("recsys.models.baseline",),
    "recsys.importance": ("recsys.models.importance",),
    "recsys.intervals": ("recsys.models.intervals",),
    "recsys.reasons": ("recsys.models.reasons",),
    "recsys.outcomes": ("recsys.features.outcomes",),
    "recsys.snapshot": ("recsys.data.snapshot",),
}
#: Old names in modules that are packages now (``recsys.tracking``): name → new module.
OLD_PACKAGE_NAMES: dict[str, str] = {
    "TrainingRecommenderModel": "recsys.tracking.pyfunc",
    "MentorRecommenderModel": "recsys.tracking.pyfunc",
}


def _served_as_saved() -> dict[str, Any]:
    """A training recommender saved before it had several rankers: it keeps serving its
    structured forecasts, as fixed, with no validation of the other rankers."""
    from recsys.models.selection import VALIDATION_COLUMNS, WHY_FIXED

    return {
        "ranker_": "structured",
        "ranker_reason_": WHY_FIXED,
        "validation_": pd.DataFrame(columns=list(VALIDATION_COLUMNS)),
    }


#: Class (``module.Name``) → learned attributes added since a model of it could be saved,
#: with their values for such a model (set only where missing, on fitted models).
LEARNED_SINCE: dict[str, Callable[[], dict[str, Any]]] = {
    "recsys.models.trainings.TrainingRecommender": _served_as_saved,
}
#: Class (``module.Name``) → learned attributes it cannot score without and that nothing
#: saved earlier can stand in for: a fitted model lacking one must be retrained. The mentor
#: recommender's effect model (``effect_``, an
#: :class:`~recsys.models.mentors.effect.EffectModel`) replaced the LightGBM booster of
#: version 0.1, whose forecasts were not bounded.
NEEDED_SINCE: dict[str, tuple[str, ...]] = {
    "recsys.models.mentors.recommender.MentorRecommender": ("effect_", "relative_error_"),
}

_lock = threading.Lock()


class RetrainRequiredError(LookupError):
    """A saved model this version of the package cannot use: it must be retrained."""

    def __init__(self, uri: str, cause: BaseException) -> None:
        super().__init__(
            f"the model at {uri} was saved by an earlier version of ASN Recsys and cannot be "
            f"used by this one ({type(cause).__name__}: {cause}); retrain it with "
            "`recsys train --data ...`"
        )
        self.uri = uri


def resolve(old_module: str, name: str) -> Any:
    """Where ``name`` of the old module ``old_module`` lives now (AttributeError if
    nowhere)."""
    for module in OLD_MODULES.get(old_module, ()):
        found = getattr(importlib.import_module(module), name, None)
        if found is not None:
            return found
    raise AttributeError(f"{old_module}.{name} has no counterpart in this version")


def _stand_in(old_module: str) -> types.ModuleType:
    module = types.ModuleType(old_module, f"stand-in for the old module {old_module}")

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return resolve(old_module, name)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module


@contextmanager
def old_module_names() -> Iterator[None]:
    """While inside: the old module paths import (as stand-ins), for unpickling."""
    with _lock:
        added = [name for name in OLD_MODULES if name not in sys.modules]
        for name in added:
            sys.modules[name] = _stand_in(name)
        try:
            yield
        finally:
            for name in added:
                sys.modules.pop(name, None)


def package_attribute(name: str) -> Any:
    """An old name of a module that is a package now (``recsys.tracking.X``)."""
    if name in OLD_PACKAGE_NAMES:
        return getattr(importlib.import_module(OLD_PACKAGE_NAMES[name]), name)
    raise AttributeError(name)


def _own_objects(obj: Any) -> list[Any]:
    """``obj`` and the package's objects it holds directly (fitted sub-estimators)."""
    held = [v for v in vars(obj).values() if type(v).__module__.startswith("recsys.")]
    return [obj, *held]


def upgrade(recommender: Any, uri: str) -> Any:
    """``recommender`` with defaults for parameters added since it was saved (in it and in
    its fitted parts) and the learned state a model of its kind gained since
    (:data:`LEARNED_SINCE`); :class:`RetrainRequiredError` if it is not a fitted model or
    lacks learned state nothing can stand in for (:data:`NEEDED_SINCE`)."""
    for part in _own_objects(recommender):
        for name, param in inspect.signature(type(part).__init__).parameters.items():
            if name == "self" or param.default is inspect.Parameter.empty:
                continue
            if name not in vars(part):
                setattr(part, name, param.default)
    try:
        check_is_fitted(recommender)
    except (NotFittedError, TypeError) as exc:
        raise RetrainRequiredError(uri, exc) from exc
    # only after the check: these must not make an unfitted model look fitted
    kind = type(recommender)
    qualified = f"{kind.__module__}.{kind.__qualname__}"
    missing = [a for a in NEEDED_SINCE.get(qualified, ()) if a not in vars(recommender)]
    if missing:
        raise RetrainRequiredError(
            uri, AttributeError(f"{kind.__name__} has no {', '.join(missing)}")
        )
    added = LEARNED_SINCE.get(qualified)
    if added is not None:
        for name, value in added().items():
            if name not in vars(recommender):
                setattr(recommender, name, value)
    return recommender
