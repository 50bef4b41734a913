"""API keys with roles: who is asking, and may they.

Keys are compared by their SHA-256 (the secret itself is never stored). Roles: ``hr``
(everything), ``analyst`` (read and forecasts), ``portal`` (only minting widget tokens).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from serving.limits import too_many_requests
from serving.settings import DEMO_KEYS, Role, ServingSettings

HEADER = "X-API-Key"
api_key = APIKeyHeader(
    name=HEADER,
    auto_error=False,
    description="An API key; its role (hr, analyst, portal) decides what it may do.",
)
#: What each role may do.
PERMISSIONS: dict[Role, frozenset[str]] = {
    "hr": frozenset({"read", "forecast", "batch", "admin", "widget"}),
    "analyst": frozenset({"read", "forecast"}),
    "portal": frozenset({"widget"}),
}


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the key's name and role."""

    name: str
    role: Role


def hash_key(secret: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def identify(secret: str | None, settings: ServingSettings) -> Caller | None:
    """The caller holding ``secret``, or None."""
    if not secret:
        return None
    digest = hash_key(secret)
    for name, key in settings.keys.items():
        if hmac.compare_digest(digest, key.sha256):
            return Caller(name, key.role)
    if settings.demo_mode:
        for name, (demo_secret, role) in DEMO_KEYS.items():
            if hmac.compare_digest(digest, hash_key(demo_secret)):
                return Caller(name, role)
    return None


def require(permission: str) -> Callable[..., Awaitable[Caller]]:
    """A FastAPI dependency: the caller, who must hold ``permission`` and be within the
    rate limit of their key."""

    async def dependency(
        request: Request, secret: Annotated[str | None, Security(api_key)] = None
    ) -> Caller:
        settings: ServingSettings = request.app.state.settings
        caller = identify(secret, settings)
        if caller is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail=f"a valid API key is required in the {HEADER} header",
            )
        if permission not in PERMISSIONS[caller.role]:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"the {caller.role} role may not {permission}",
            )
        wait = request.app.state.limiter.wait(f"key:{caller.name}")
        if wait:
            raise too_many_requests(wait, f"requests for key {caller.name}")
        return caller

    return dependency
