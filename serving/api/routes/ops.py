"""Operations: liveness, readiness (for load balancers) and the model versions served."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from serving.api.deps import ReadCaller, ServedDep, StateDep
from serving.api.errors import ERRORS, NOT_READY
from serving.schemas import responses

router = APIRouter(tags=["ops"])

JSON = "application/json"


@router.get("/healthz", response_model=responses.Health)
async def healthz() -> Response:
    """Alive."""
    return Response(b'{"status":"ok"}', media_type=JSON)


@router.get("/readyz", response_model=responses.Health, responses=NOT_READY)
async def readyz(state: StateDep) -> Response:
    """Ready once the models are loaded and everybody's answers computed."""
    if state.current is None:
        return JSONResponse({"detail": "models not loaded"}, status_code=503)
    return Response(b'{"status":"ready"}', media_type=JSON)


@router.get("/v1/models", response_model=responses.Models, responses=ERRORS)
async def models(caller: ReadCaller, current: ServedDep) -> responses.Models:
    """The model versions being served."""
    return responses.Models(
        versions=current.versions,
        source=current.source,
        loaded_at=current.loaded_at,
    )
