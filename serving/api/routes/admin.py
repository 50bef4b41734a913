"""Administration: reload the models and recompute everybody's answers."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from serving.api.deps import AdminCaller, SettingsDep, StateDep
from serving.api.errors import ERRORS, RELOAD_FAILED
from serving.schemas import responses

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ERRORS)


@router.post("/reload", response_model=responses.Models, responses=RELOAD_FAILED)
async def reload(
    caller: AdminCaller, settings: SettingsDep, state: StateDep
) -> responses.Models | JSONResponse:
    """Load the current champions and swap them in atomically; a failed load keeps the old
    models serving. Heavy (it recomputes everybody's answers): give it a long timeout."""
    try:
        fresh = await run_in_threadpool(state.reload, settings)
    except Exception as exc:
        log.exception("reload failed")
        current = state.current
        kept = current.versions if current else {}
        return JSONResponse(
            {"detail": f"reload failed ({exc}); still serving {kept}"}, status_code=500
        )
    log.info("reload by %s", caller.name)
    return responses.Models(versions=fresh.versions, source=fresh.source, loaded_at=fresh.loaded_at)
