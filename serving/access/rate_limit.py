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


#: How long a worker may use tokens it took from a shared bucket in advance (seconds).
LEASE_SECONDS = 0.1


class SharedRateLimiter:
    """The same token buckets as :class:`RateLimiter`, kept in the recommendation store's
    ``rec_rate_limits`` table, shared by every worker and replica that uses the store.

    A worker takes tokens with one atomic update; at high rates it takes a tenth of a
    second's worth at once (never more than a quarter of the burst) and spends them
    within :data:`LEASE_SECONDS`, so the store sees a few updates a second per client
    whatever the traffic, and a client can exceed its limit by at most that lease per
    worker. At ordinary limits (600 a minute) a lease is one token: every request counts
    in the store."""

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
        self.lease = max(1.0, min(self.burst / 4, self.rate * LEASE_SECONDS))
        self._leases: dict[str, tuple[float, float]] = {}  # client -> (tokens left, until)
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """0 if ``client`` may go now (and count it), else the seconds until it may."""
        now = self._clock()
        with self._lock:
            left, until = self._leases.get(client, (0.0, 0.0))
            if left >= 1.0 and now < until:
                self._leases[client] = (left - 1.0, until)
                return 0.0
        key = f"{self.scope}{client}"
        if (
            self.lease > 1.0
            and self.store.take_token(key, self.rate, self.burst, now, self.lease) == 0.0
        ):
            with self._lock:
                self._leases[client] = (self.lease - 1.0, now + LEASE_SECONDS)
            return 0.0
        return self.store.take_token(key, self.rate, self.burst, now)


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
