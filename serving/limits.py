"""Request limits: a body-size cap (413) and per-client rate limits (429)."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, status

Scope = dict[str, Any]
Message = dict[str, Any]


class RateLimiter:
    """A token bucket per client: ``per_minute`` requests a minute sustained, in bursts of
    up to ``burst`` (default: a tenth of a minute's worth, at least 10)."""

    def __init__(
        self,
        per_minute: int,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute < 1:
            raise ValueError(f"per_minute must be at least 1, got {per_minute}")
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(10, per_minute // 10))
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """0 if ``client`` may go now (and count it), else the seconds until it may."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.rate


def retry_after(seconds: float) -> str:
    """The Retry-After header value (whole seconds, at least 1)."""
    return str(max(1, math.ceil(seconds)))


def too_many_requests(wait: float, what: str) -> HTTPException:
    """The 429 for a client over its limit, saying when to come back."""
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=f"too many {what}; retry in {retry_after(wait)} s",
        headers={"Retry-After": retry_after(wait)},
    )


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` gets 413 and never reaches the
    app (checked on Content-Length first, then while streaming)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._reject(send)
            return
        received = 0
        started = rejected = False

        async def limited() -> Message:
            nonlocal received, rejected
            message: Message = await receive()
            if message["type"] == "http.request" and not rejected:
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # answer 413 now and tell the app the client is gone: it stops reading,
                    # and whatever it answers is dropped
                    rejected = True
                    if not started:
                        await self._reject(send)
                    return {"type": "http.disconnect"}
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited, tracked)

    async def _reject(self, send: Any) -> None:
        body = json.dumps(
            {"detail": f"the request body is over the limit of {self.max_bytes} bytes"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
