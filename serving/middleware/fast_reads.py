"""The hot read path: ``GET /v1/employees/{nip}/trainings|mentors`` answered from the
precomputed answers by a small ASGI handler, before FastAPI's routing and validation.

It answers only a request that is entirely valid and allowed — a well-formed NIP of an
active employee, known query parameters within range, a key with the ``read`` permission
within its rate limit, no ``Origin`` (browsers go through CORS) — with the same body the
FastAPI route gives, and writes the same audit record. Anything else falls through to the
FastAPI route, which gives the one canonical answer or error. A test checks both paths give
the same bodies.
"""

import re
from typing import Any
from urllib.parse import parse_qsl

from recsys.settings import LANGUAGES
from serving.access.api_keys import HEADER, PERMISSIONS, identify

_PATH = re.compile(r"^/v1/employees/(\d{18})/(trainings|mentors)$")
_HEADER = HEADER.lower().encode()
_DEFAULT_K = {"trainings": 5, "mentors": 3}
_JSON_HEADERS = [(b"content-type", b"application/json")]


class FastReads:
    """ASGI middleware serving valid employee reads from ``app.state.state``."""

    def __init__(self, app: Any, api: Any) -> None:
        self.app = app
        self.api = api  # the FastAPI app: its state, settings, audit log and rate limiter

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            answer = self._answer(scope)
            if answer is not None:
                await send({"type": "http.response.start", "status": 200, "headers": answer[0]})
                await send({"type": "http.response.body", "body": answer[1]})
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: dict[str, Any]) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        found = _PATH.match(scope["path"])
        if found is None:
            return None
        nip, kind = found.groups()
        secret = None
        for name, value in scope["headers"]:
            if name == b"origin":
                return None
            if name == _HEADER:
                secret = value.decode("latin-1")
        state = self.api.state
        settings = state.settings
        params = _params(scope["query_string"], _DEFAULT_K[kind], settings.max_k)
        current = state.state.current
        if params is None or current is None or secret is None:
            return None
        if kind == "mentors" and not current.has_mentors:
            return None
        caller = identify(secret, settings)
        if caller is None or "read" not in PERMISSIONS[caller.role]:
            return None
        person = current.person(nip)
        if person is None or not person.active:
            return None
        if state.limiter.wait(f"key:{caller.name}"):
            return None
        model, body = current.listing(kind, nip, person, *params)
        state.audit.record(caller=caller.name, role=caller.role, nip=nip, action=kind, model=model)
        return [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())], body


def _params(query: bytes, default_k: int, max_k: int) -> tuple[int, str] | None:
    """(k, lang) when the query holds only valid ``k`` and ``lang``, else None."""
    k, lang = default_k, LANGUAGES[0]
    if not query:
        return k, lang
    seen = set()
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            return None
        seen.add(name)
        if name == "k" and value.isdigit() and 1 <= int(value) <= max_k:
            k = int(value)
        elif name == "lang" and value in LANGUAGES:
            lang = value
        else:
            return None
    return k, lang
