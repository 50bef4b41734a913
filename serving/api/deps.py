"""What the routes get from a request, as ``Annotated`` aliases: the caller (by permission),
the served generation, the settings, the audit log, a widget token's grant, and the
parameters several routes share.

Each route names what it needs in its signature (``caller: ReadCaller, current:
ServedDep``); FastAPI resolves them in that order, so a bad key is refused before anything
else is looked at.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from recsys.settings import LANGUAGES
from serving.access import widget_tokens
from serving.access.api_keys import HEADER, PERMISSIONS, Caller, identify
from serving.access.audit import AuditLog
from serving.access.rate_limit import RateLimiter, too_many_requests
from serving.api.errors import over_the_maximum
from serving.core.config import ServingSettings
from serving.generation.state import Person, Served, State
from serving.schemas.requests import NIP_PATTERN

api_key = APIKeyHeader(
    name=HEADER,
    auto_error=False,
    description="An API key; its role (hr, analyst, portal) decides what it may do.",
)
widget_bearer = HTTPBearer(
    auto_error=False, description="A widget token from POST /v1/widget-tokens."
)

#: An employee's NIP in a path.
Nip = Annotated[str, Path(pattern=NIP_PATTERN, description="18-digit NIP")]
#: The language of the answer's wording.
Lang = Annotated[
    str,
    Query(
        pattern=f"^({'|'.join(LANGUAGES)})$",
        description=f"{LANGUAGES[0]} (default) or {' or '.join(LANGUAGES[1:])}",
    ),
]


def serving_settings(request: Request) -> ServingSettings:
    return request.app.state.settings


def serving_state(request: Request) -> State:
    return request.app.state.state


def audit_log(request: Request) -> AuditLog:
    return request.app.state.audit


SettingsDep = Annotated[ServingSettings, Depends(serving_settings)]
StateDep = Annotated[State, Depends(serving_state)]
AuditDep = Annotated[AuditLog, Depends(audit_log)]


def served(state: StateDep) -> Served:
    """The generation being served; 503 until the first load has succeeded."""
    current = state.current
    if current is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="models not loaded")
    return current


ServedDep = Annotated[Served, Depends(served)]


def require(permission: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller, who must hold ``permission`` and be within the rate limit
    of their key."""

    async def caller(
        request: Request,
        settings: SettingsDep,
        secret: Annotated[str | None, Security(api_key)] = None,
    ) -> Caller:
        found = identify(secret, settings)
        if found is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail=f"a valid API key is required in the {HEADER} header",
            )
        if permission not in PERMISSIONS[found.role]:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"the {found.role} role may not {permission}",
            )
        limiter: RateLimiter = request.app.state.limiter
        wait = limiter.wait(f"key:{found.name}")
        if wait:
            raise too_many_requests(wait, f"requests for key {found.name}")
        return found

    return caller


ReadCaller = Annotated[Caller, Depends(require("read"))]
ForecastCaller = Annotated[Caller, Depends(require("forecast"))]
BatchCaller = Annotated[Caller, Depends(require("batch"))]
AdminCaller = Annotated[Caller, Depends(require("admin"))]
WidgetCaller = Annotated[Caller, Depends(require("widget"))]


def items(default: int) -> Callable[..., int]:
    """A dependency: the query's ``k`` (items per person, ``default`` if not given), at
    most the API's ``max_k`` (a setting, so checked here rather than in the signature;
    ``serving.main`` puts the maximum in the OpenAPI document)."""

    def k_param(
        settings: SettingsDep,
        k: Annotated[int, Query(ge=1, description="items, 1 to the API's max_k")] = default,
    ) -> int:
        if k > settings.max_k:
            raise over_the_maximum(("query", "k"), settings.max_k)
        return k

    return k_param


def widget_grant(
    request: Request,
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(widget_bearer)] = None,
) -> widget_tokens.WidgetGrant:
    """The grant of the request's widget token, which must be valid, for an allowed portal
    that is the request's ``Origin``, and within the holder's rate limit."""
    if bearer is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="a widget token is required")
    try:
        grant = widget_tokens.verify(settings.signing_key, bearer.credentials)
    except widget_tokens.TokenError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=str(exc)) from exc
    if grant.origin not in settings.widget_origins:  # removed since the token was minted
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="the token's portal is no longer allowed"
        )
    if request.headers.get("Origin") != grant.origin:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="the token is for another portal origin"
        )
    limiter: RateLimiter = request.app.state.widget_limiter
    wait = limiter.wait(f"widget:{grant.nip}@{grant.origin}")
    if wait:
        raise too_many_requests(wait, "widget requests")
    return grant


WidgetHolder = Annotated[widget_tokens.WidgetGrant, Depends(widget_grant)]


def known(current: Served, nip: str) -> Person:
    """The person's answers; 404 unless ``nip`` is in the data served."""
    person = current.person(nip)
    if person is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown NIP {nip}")
    return person


def active(current: Served, nip: str) -> Person:
    """The person's answers; 404 unless ``nip`` is known, 422 unless they are an active
    employee."""
    person = known(current, nip)
    if not person.active:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"NIP {nip} is not an active employee: no recommendations",
        )
    return person
