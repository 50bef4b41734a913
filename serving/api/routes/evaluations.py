"""Program evaluation (issue 15): ``GET /v1/evaluations/{year}``, the Kirkpatrick evaluation
of the development that started in a year
(:func:`recsys.evaluation.kirkpatrick.evaluate_program`), per training, provider, modality
and unit kerja.

An evaluation takes seconds (it fits the no-activity baseline and the unit panel), so each
is computed once per generation served, year and filters, one at a time on a worker thread,
and the last :data:`MAX_CACHED` are kept in memory. A reload starts a new generation (its
``loaded_at``): its evaluations are computed afresh.

Every answer is audited (``nip`` empty in the record: the tables are aggregates, with no
personal data).

The evaluation library (pandas, SciPy, the estimators) is imported on the worker thread by
the first evaluation, not with the module: a worker that only serves the store's reads never
loads it.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi import status as http
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from serving.api.deps import AuditDep, ReadCaller, ServedDep
from serving.api.errors import ERRORS
from serving.generation.state import Served
from serving.schemas import evaluations as schemas
from serving.schemas import responses
from serving.schemas.requests import TrainingId

if TYPE_CHECKING:
    import pandas as pd

    from recsys.evaluation import kirkpatrick

#: Evaluations kept in memory (the least recently asked is dropped first).
MAX_CACHED = 32
#: Most training ids one request may limit the report to.
MAX_TRAINING_IDS = 200
#: The year evaluated, in a path.
Year = Annotated[
    int,
    PathParam(ge=1900, le=2100, description="The year the evaluated enrollments started in."),
]
#: An evaluation's key: the generation (its ``loaded_at``), year, training ids, provider.
Key = tuple[str, int, tuple[str, ...] | None, str | None]
Row = TypeVar("Row", bound=BaseModel)


class Evaluations:
    """The app's evaluations: computed one at a time, the last :attr:`max_cached` kept."""

    def __init__(self, *, max_cached: int = MAX_CACHED) -> None:
        self.max_cached = max_cached
        self._cached: OrderedDict[Key, schemas.ProgramEvaluation] = OrderedDict()
        self._lock = threading.Lock()
        # one at a time: an evaluation uses every core, and the same one asked twice while
        # it runs is then computed once
        self._computing = threading.Lock()

    def get(
        self,
        current: Served,
        year: int,
        trainings: tuple[str, ...] | None,
        provider: str | None,
    ) -> schemas.ProgramEvaluation:
        """The evaluation of ``year`` on ``current``'s data, limited to ``trainings`` and
        ``provider``; the library's :class:`~recsys.evaluation.kirkpatrick.
        EvaluationInputError` for an unknown one, its ValueError when the year cannot be
        evaluated."""
        key = (current.loaded_at, year, trainings, provider)
        found = self._cached_answer(key)
        if found is not None:
            return found
        with self._computing:
            found = self._cached_answer(key)
            if found is not None:
                return found
            from recsys.evaluation import kirkpatrick

            evaluation = kirkpatrick.evaluate_program(
                current.dataset,
                year,
                trainings=None if trainings is None else list(trainings),
                provider=provider,
            )
            answer = _answer(evaluation)
        with self._lock:
            self._cached[key] = answer
            while len(self._cached) > self.max_cached:
                self._cached.popitem(last=False)
        return answer

    def _cached_answer(self, key: Key) -> schemas.ProgramEvaluation | None:
        with self._lock:
            found = self._cached.get(key)
            if found is not None:
                self._cached.move_to_end(key)
            return found


# ----------------------------------------------------------------------------- the answer


def _answer(evaluation: kirkpatrick.ProgramEvaluation) -> schemas.ProgramEvaluation:
    units = evaluation.units
    return schemas.ProgramEvaluation(
        year=evaluation.year,
        settings=schemas.EvaluationSettings(
            alpha=evaluation.alpha,
            min_participants=evaluation.min_participants,
            min_effect=evaluation.min_effect,
        ),
        summary={k: _plain(v) for k, v in evaluation.summary().items()},
        trainings=_rows(evaluation.trainings, schemas.TrainingEvaluation),
        providers=_rows(evaluation.providers, schemas.ProviderEvaluation),
        dropout=_rows(evaluation.dropout, schemas.DropoutRow),
        units=[] if units is None else _rows(units.units, schemas.UnitEvaluation),
        unit_note=evaluation.unit_note,
        flagged=evaluation.flagged(),
    )


def _rows(frame: pd.DataFrame, model: type[Row]) -> list[Row]:
    """One ``model`` per row of ``frame`` (its columns are the library's documented ones)."""
    fields = list(model.model_fields)
    return [
        model.model_validate({k: _plain(v) for k, v in row.items()})
        for row in frame[fields].to_dict("records")
    ]


def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars as Python ones, and null for a missing or non-finite
    number (JSON has no NaN: a too_few training has no effect)."""
    import numpy as np  # loaded by the evaluation that made the value
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ----------------------------------------------------------------------------- the route


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's evaluations, for as long as it serves."""
    app.state.evaluations = Evaluations()
    yield


def evaluations(request: Request) -> Evaluations:
    found: Evaluations | None = getattr(request.app.state, "evaluations", None)
    if found is None:  # an app run without its lifespan
        raise HTTPException(
            http.HTTP_503_SERVICE_UNAVAILABLE, detail="program evaluation is not running"
        )
    return found


EvaluationsDep = Annotated[Evaluations, Depends(evaluations)]

router = APIRouter(
    prefix="/v1/evaluations", tags=["evaluations"], responses=ERRORS, lifespan=lifespan
)

#: The 404 of a year that cannot be evaluated.
NO_EVALUATION: dict[int | str, dict[str, Any]] = {
    404: {
        "model": responses.Error,
        "description": "no evaluation of the year: no enrollment started in it, or none of "
        "its completed trainings has an appraisal outcome yet (the message says which)",
    }
}


@router.get("/{year}", response_model=schemas.ProgramEvaluation, responses=NO_EVALUATION)
async def evaluation(
    year: Year,
    caller: ReadCaller,
    current: ServedDep,
    cached: EvaluationsDep,
    audit: AuditDep,
    training_id: Annotated[
        list[TrainingId] | None,
        Query(
            max_length=MAX_TRAINING_IDS,
            description="Limit the report to these trainings (repeat the parameter).",
        ),
    ] = None,
    provider: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Limit the report to one provider."),
    ] = None,
) -> schemas.ProgramEvaluation:
    """The Kirkpatrick evaluation of the development that started in ``year``: per training
    the reaction, learning, behaviour and the effect on its participants' SKP score with its
    90% interval and a verdict (works, unclear, does_not_work, too_few), the same per
    provider, dropout by modality and remote area, each unit kerja's service effect, and the
    trainings flagged as not working. ``training_id`` / ``provider`` limit the trainings
    and providers reported (the effects are always estimated on the whole year). Computed
    once per year and filters (seconds), then kept. An unknown training or provider is a 422
    naming it; a year with nothing to evaluate yet, a 404 saying why."""
    trainings = None if training_id is None else tuple(sorted(set(training_id)))
    try:
        answer = await run_in_threadpool(cached.get, current, year, trainings, provider)
    except ValueError as exc:
        raise _refused(exc) from exc
    audit.record(
        caller=caller.name,
        role=caller.role,
        nip="",
        action=f"evaluation:{year}",
        model=current.versions_text(),
    )
    return answer


def _refused(exc: ValueError) -> Exception:
    """What the client is told when the library refuses an evaluation: a 422 naming the
    unknown training or provider, else a 404 saying why the year cannot be evaluated."""
    from recsys.evaluation.kirkpatrick import EvaluationInputError  # loaded: it refused

    if isinstance(exc, EvaluationInputError):
        return RequestValidationError(
            [{"loc": ("query", exc.field), "msg": str(exc), "type": "value_error"}]
        )
    return HTTPException(http.HTTP_404_NOT_FOUND, detail=str(exc))
