"""HR bulk requests: trainings (and mentors) for a bounded list of employees."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from recsys.scoring.encoding import encode, join
from serving.api.deps import AuditDep, BatchCaller, ServedDep, SettingsDep
from serving.api.errors import ERRORS, over_the_maximum
from serving.schemas import requests, responses

router = APIRouter(prefix="/v1/recommendations:batch", tags=["batch"], responses=ERRORS)


@router.post("", response_model=responses.BatchResponse)
async def batch(
    body: requests.BatchRequest,
    caller: BatchCaller,
    settings: SettingsDep,
    current: ServedDep,
    audit: AuditDep,
) -> Response:
    """Trainings (and mentors) for a bounded list of employees (HR bulk), in the order
    asked, with each training list's forecast gain and the ranker that made the lists."""
    if body.k > settings.max_k:
        raise over_the_maximum(("body", "k"), settings.max_k)
    nips = list(dict.fromkeys(body.nips))
    found = current.people(nips)
    missing = [n for n in nips if n not in found]
    if missing:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"unknown NIP: {', '.join(missing[:5])}"
        )
    inactive = [n for n in nips if not found[n].active]
    if inactive:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"not active employees: {', '.join(inactive[:5])}",
        )
    versions = current.versions_text()
    results = []
    for nip in nips:
        audit.record(caller=caller.name, role=caller.role, nip=nip, action="batch", model=versions)
        results.append(
            b'{"nip":"%s","training_list_gain":%s,"trainings":%s,"mentors":%s}'
            % (
                nip.encode(),
                encode(found[nip].list_gain(body.k)),
                join(found[nip].items("trainings", body.lang, body.k)),
                join(found[nip].items("mentors", body.lang, body.k) if body.mentors else []),
            )
        )
    content = b'{"model_versions":%s,"training_ranker":%s,"results":%s}' % (
        encode(current.versions),
        encode(current.ranker),
        join(results),
    )
    return Response(content, media_type="application/json")
