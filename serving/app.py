"""The HTTP API for HR, analysts and portals: FastAPI over the recsys library.

Run: ``uvicorn serving.app:create_app --factory``. Models are loaded once at start-up
(``/readyz`` answers 503 until then), never per request.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from recsys.tracking import MENTOR_MODEL, TRAINING_MODEL
from serving import schemas
from serving.audit import AuditLog
from serving.auth import Caller, require
from serving.settings import ServingSettings
from serving.state import Served, State

log = logging.getLogger(__name__)

NIP_PATTERN = r"^\d{18}$"
Nip = Annotated[str, Path(pattern=NIP_PATTERN, description="18-digit NIP")]
Lang = Annotated[str, Query(pattern="^(id|en)$", description="id (default) or en")]


def create_app(settings: ServingSettings | None = None) -> FastAPI:
    """The application; ``settings`` default to the environment's."""
    settings = settings or ServingSettings()
    state = State()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await run_in_threadpool(state.reload, settings)
        except Exception:  # the API stays up and says it is not ready
            log.exception("loading the models failed; /readyz stays 503")
        yield

    app = FastAPI(
        title="ASN Recsys API",
        version="1",
        description="Training and mentor recommendations for ASN, with forecast SKP gain.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.state = state
    app.state.audit = AuditLog(settings.audit_log)

    def served() -> Served:
        current = state.current
        if current is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="models not loaded")
        return current

    def known(current: Served, nip: str) -> None:
        employees = current.dataset.employees
        if not (employees["nip"].astype(str) == nip).any():
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown NIP {nip}")

    @app.get("/healthz", response_model=schemas.Health, tags=["ops"])
    def healthz() -> schemas.Health:
        """Alive."""
        return schemas.Health(status="ok")

    @app.get(
        "/readyz",
        response_model=schemas.Health,
        responses={503: {"model": schemas.Error}},
        tags=["ops"],
    )
    def readyz() -> JSONResponse:
        """Ready once the models are loaded."""
        if state.current is None:
            return JSONResponse({"detail": "models not loaded"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/v1/models", response_model=schemas.Models, tags=["models"])
    def models(
        caller: Annotated[Caller, Depends(require("read"))],
    ) -> schemas.Models:
        """The model versions being served."""
        current = served()
        return schemas.Models(
            versions=current.models.versions,
            source=current.models.source,
            loaded_at=current.loaded_at,
        )

    @app.get(
        "/v1/employees/{nip}/trainings",
        response_model=schemas.TrainingList,
        responses={404: {"model": schemas.Error}, 401: {"model": schemas.Error}},
        tags=["recommendations"],
    )
    def trainings(
        nip: Nip,
        request: Request,
        caller: Annotated[Caller, Depends(require("read"))],
        k: Annotated[int, Query(ge=1, description="items (at most the configured maximum)")] = 5,
        lang: Lang = "id",
    ) -> schemas.TrainingList:
        """Trainings ranked by forecast SKP gain for one employee."""
        _check_k(k, settings)
        current = served()
        known(current, nip)
        recs = current.models.trainings.recommend(current.dataset, [nip], k=k, lang=lang)
        version = current.models.versions[TRAINING_MODEL]
        request.app.state.audit.record(
            caller=caller.name, role=caller.role, nip=nip, action="trainings", model=version
        )
        items = [schemas.TrainingItem.from_row(row) for row in recs.to_dict("records")]
        return schemas.TrainingList(nip=nip, model_version=version, items=items)

    @app.get(
        "/v1/employees/{nip}/mentors",
        response_model=schemas.MentorList,
        responses={404: {"model": schemas.Error}, 401: {"model": schemas.Error}},
        tags=["recommendations"],
    )
    def mentors(
        nip: Nip,
        request: Request,
        caller: Annotated[Caller, Depends(require("read"))],
        k: Annotated[int, Query(ge=1, description="items (at most the configured maximum)")] = 3,
        lang: Lang = "id",
    ) -> schemas.MentorList:
        """Mentors ranked by forecast mentoring gain for one employee."""
        _check_k(k, settings)
        current = served()
        known(current, nip)
        model = current.models.mentors
        if model is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="no mentor model")
        try:
            recs = model.recommend(current.dataset, [nip], k=k, lang=lang)
        except ValueError as exc:  # e.g. no longer active
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
        version = current.models.versions[MENTOR_MODEL]
        request.app.state.audit.record(
            caller=caller.name, role=caller.role, nip=nip, action="mentors", model=version
        )
        items = [schemas.MentorItem.from_row(row) for row in recs.to_dict("records")]
        return schemas.MentorList(nip=nip, model_version=version, items=items)

    return app


def _check_k(k: int, settings: ServingSettings) -> None:
    if k > settings.max_k:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"k is at most {settings.max_k}"
        )
