"""Widget tokens: short-lived, signed, for one NIP and one portal origin.

``<payload>.<signature>``: the payload is base64url JSON ``{"nip", "origin", "exp"}``; the
signature is HMAC-SHA256 of the payload with the server's secret. Nothing else is needed to
check one, and nothing in it is secret (it holds only what the portal already knows).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass


class TokenError(ValueError):
    """A token that is malformed, forged or expired."""


@dataclass(frozen=True)
class WidgetGrant:
    nip: str
    origin: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(secret: bytes, nip: str, origin: str, ttl_seconds: int, now: float | None = None) -> str:
    """A token for ``nip`` on ``origin``, valid for ``ttl_seconds``."""
    expires = int((now if now is not None else time.time()) + ttl_seconds)
    payload = _b64(json.dumps({"nip": nip, "origin": origin, "exp": expires}).encode())
    signature = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def verify(secret: bytes, token: str, now: float | None = None) -> WidgetGrant:
    """The grant in ``token``; :class:`TokenError` if forged, malformed or expired."""
    try:
        payload, signature = token.split(".")
        expected = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature):
            raise TokenError("the token's signature is not valid")
        data = json.loads(_unb64(payload))
        grant = WidgetGrant(
            nip=str(data["nip"]), origin=str(data["origin"]), expires=int(data["exp"])
        )
    except TokenError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("the token is malformed") from exc
    if grant.expires < (now if now is not None else time.time()):
        raise TokenError("the token has expired")
    return grant
