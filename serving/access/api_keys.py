"""API keys with roles: who is asking, and may they.

Keys are compared by their SHA-256 (the secret itself is never stored). Roles: ``hr``
(everything), ``analyst`` (read and forecasts), ``portal`` (only minting widget tokens).
The FastAPI dependency that applies this to a request is ``serving.api.deps.require``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from serving.core.config import DEMO_KEYS, Role, ServingSettings

#: The request header carrying the key.
HEADER = "X-API-Key"
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
