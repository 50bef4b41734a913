"""The portal widget: tokens minted by a portal's backend, the suggestions the widget shows
with one, and the widget's script (``/widget.js``, from ``serving/static``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Response, status
from fastapi.responses import FileResponse

from recsys.settings import LANGUAGES
from serving.access import widget_tokens
from serving.api.deps import (
    AuditDep,
    Lang,
    ServedDep,
    SettingsDep,
    WidgetCaller,
    WidgetHolder,
    active,
)
from serving.api.errors import ERRORS
from serving.schemas import requests, responses

#: The embeddable ``<asn-suggestions>`` web component.
WIDGET_JS = Path(__file__).resolve().parents[2] / "static" / "widget.js"

router = APIRouter(prefix="/v1", tags=["widget"], responses=ERRORS)
#: The script is not part of the API's schema.
script_router = APIRouter(include_in_schema=False)


@router.post("/widget-tokens", response_model=responses.WidgetToken)
def widget_token(
    body: requests.WidgetTokenRequest,
    caller: WidgetCaller,
    settings: SettingsDep,
    current: ServedDep,
    audit: AuditDep,
) -> responses.WidgetToken:
    """A signed token (≤ 10 minutes) for one employee's widget on one portal origin."""
    if body.origin not in settings.widget_origins:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"origin {body.origin} is not an allowed portal"
        )
    active(current, body.nip)
    key = settings.signing_key
    token = widget_tokens.mint(key, body.nip, body.origin, settings.token_ttl_seconds)
    grant = widget_tokens.verify(key, token)
    audit.record(
        caller=caller.name,
        role=caller.role,
        nip=body.nip,
        action=f"widget-token@{body.origin}",
        model=current.versions_text(),
    )
    return responses.WidgetToken(token=token, expires_at=grant.expires)


@router.get("/widget/suggestions", response_model=responses.WidgetSuggestions)
async def widget_suggestions(
    grant: WidgetHolder, current: ServedDep, audit: AuditDep, lang: Lang = LANGUAGES[0]
) -> Response:
    """The token holder's top trainings and a suggested mentor: nothing about anyone
    else, no scores."""
    person = current.person(grant.nip)
    answer = None if person is None or not person.active else person.widget(lang)
    if answer is None:  # no longer active since the token was minted
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no suggestions for this token")
    audit.record(
        caller=f"widget@{grant.origin}",
        role="widget",
        nip=grant.nip,
        action="widget",
        model=current.versions_text(),
    )
    return Response(answer, media_type="application/json")


@script_router.get("/widget.js")
def widget_js() -> FileResponse:
    """The embeddable ``<asn-suggestions>`` web component (no dependencies)."""
    return FileResponse(
        WIDGET_JS,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )
