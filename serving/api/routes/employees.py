"""One employee's recommendations: ``/v1/employees/{nip}/trainings`` and ``…/mentors``,
and their place in the agency plan: ``…/plan``.

The fast path (``serving.middleware.fast_reads``) answers most trainings and mentors reads
before they reach FastAPI, with the same bodies and audit records; these routes answer the
rest, errors included.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response, status

from recsys.settings import LANGUAGES
from serving.api.deps import AuditDep, Lang, Nip, ReadCaller, ServedDep, active, items
from serving.api.errors import ERRORS
from serving.generation.state import Served
from serving.schemas import responses

router = APIRouter(prefix="/v1/employees", tags=["employees"], responses=ERRORS)

#: The plan route's own errors: 404 also when the person has no place in the attached
#: plans, 409 when the API serves no store.
PLAN_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {
        "model": responses.Error,
        "description": "unknown NIP, or no place for them in the plans attached",
    },
    409: {
        "model": responses.Error,
        "description": "places in the plans are served only from the recommendation store",
    },
}
#: Why the API without a store serves no places.
NO_STORE = (
    "a person's place in the agency plan is served from the recommendation store: attach "
    "the plan with `recsys score` (it attaches the latest plans by default) and serve the "
    "store (RECSYS_API_STORE)"
)


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


@router.get("/{nip}/plan", response_model=responses.PlanPlace, responses=PLAN_ERRORS)
async def plan(
    nip: Nip,
    caller: ReadCaller,
    current: ServedDep,
    audit: AuditDep,
    lang: Lang = LANGUAGES[0],
) -> Response:
    """The employee's place in the agency's yearly plan attached to the served
    recommendations (``recsys plan``, then ``recsys score``): the trainings it funds for
    them (quarter, JP, cost, forecast gain) and, if they stay below the 20-JP minimum, the
    shortfall and why, worded in ``lang``."""
    if not current.serves_plans:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=NO_STORE)
    active(current, nip)
    found = current.plan_place(nip, lang)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_no_place(current, nip))
    run, body = found
    audit.record(caller=caller.name, role=caller.role, nip=nip, action="plan", model=f"plan={run}")
    return Response(body, media_type="application/json")


def _no_place(current: Served, nip: str) -> str:
    """Why ``nip`` has no place: no plan attached, or none places them."""
    plans = current.attached_plans()
    if plans is None:
        return (
            f"the recommendations served ({current.source}) were scored before plans could be "
            "attached: run `recsys score` again"
        )
    if not plans:
        return (
            f"no plan is attached to the recommendations served ({current.source}): make one "
            "with `recsys plan`, then run `recsys score`"
        )
    listed = "; ".join(
        f"run {p['run_id']} ({p.get('agency') or 'every agency'}, {p['year']})" for p in plans
    )
    return (
        f"NIP {nip} has no place in the plans attached ({listed}): no plan covers their "
        "agency, or it plans nothing for them and they already reach the JP minimum"
    )
