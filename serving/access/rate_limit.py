"""Rate limits per client: a token bucket each, and the 429 that says when to come back.

:class:`RateLimiter` keeps the buckets in the process; :class:`SharedRateLimiter` keeps
them in the recommendation store, so a limit holds across every worker and replica."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from fastapi import HTTPException, status

from recsys.scoring.store import RecommendationStore


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


class SharedRateLimiter:
    """The same token buckets as :class:`RateLimiter`, kept in the recommendation store's
    ``rec_rate_limits`` table: one atomic update per request, shared by every worker and
    replica that uses the store."""

    def __init__(
        self,
        store: RecommendationStore,
        per_minute: int,
        burst: int | None = None,
        clock: Callable[[], float] = time.time,
        scope: str = "",
    ) -> None:
        if per_minute < 1:
            raise ValueError(f"per_minute must be at least 1, got {per_minute}")
        self.store = store
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(10, per_minute // 10))
        self._clock = clock  # wall time: every worker and replica must share it
        self.scope = scope

    def wait(self, client: str) -> float:
        """0 if ``client`` may go now (and count it), else the seconds until it may."""
        return self.store.take_token(f"{self.scope}{client}", self.rate, self.burst, self._clock())


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
