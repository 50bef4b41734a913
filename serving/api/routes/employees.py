"""One employee's recommendations: ``/v1/employees/{nip}/trainings`` and ``…/mentors``.

The fast path (``serving.middleware.fast_reads``) answers most of these before they reach
FastAPI, with the same bodies and audit records; these routes answer the rest, errors
included.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status

from recsys.settings import LANGUAGES
from serving.api.deps import AuditDep, Lang, Nip, ReadCaller, ServedDep, active, items
from serving.api.errors import ERRORS
from serving.schemas import responses

router = APIRouter(prefix="/v1/employees", tags=["employees"], responses=ERRORS)


@router.get("/{nip}/trainings", response_model=responses.TrainingList)
async def trainings(
    nip: Nip,
    caller: ReadCaller,
    k: Annotated[int, Depends(items(5))],
    current: ServedDep,
    audit: AuditDep,
    lang: Lang = LANGUAGES[0],
) -> Response:
    """Trainings for one employee (as ``recsys recommend trainings`` gives them): a list
    built by marginal gain, each item credited with what it adds to those above it, no
    course twice; with the whole list's forecast SKP gain and the ranker that made it."""
    person = active(current, nip)
    model, body = current.listing("trainings", nip, person, k, lang)
    audit.record(caller=caller.name, role=caller.role, nip=nip, action="trainings", model=model)
    return Response(body, media_type="application/json")


@router.get("/{nip}/mentors", response_model=responses.MentorList)
async def mentors(
    nip: Nip,
    caller: ReadCaller,
    k: Annotated[int, Depends(items(3))],
    current: ServedDep,
    audit: AuditDep,
    lang: Lang = LANGUAGES[0],
) -> Response:
    """Mentors ranked by forecast mentoring gain for one employee (as ``recsys recommend
    mentors`` gives them)."""
    if not current.has_mentors:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="no mentor model")
    person = active(current, nip)
    model, body = current.listing("mentors", nip, person, k, lang)
    audit.record(caller=caller.name, role=caller.role, nip=nip, action="mentors", model=model)
    return Response(body, media_type="application/json")
