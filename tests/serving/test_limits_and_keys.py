"""The rate limiter on its own: a token bucket per client, with a fake clock."""

from __future__ import annotations

import pytest

from serving.access.rate_limit import RateLimiter, retry_after
from tests.serving.server import TOKEN_SECRET


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_the_sustained_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.wait("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.wait("a")
    assert wait == pytest.approx(1.0)  # one request a second
    assert limiter.wait("b") == 0.0  # clients are apart
    clock.now += 0.5
    assert limiter.wait("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.wait("a") == 0.0
    assert limiter.wait("a") > 0
    clock.now += 100  # refills, but never beyond the burst
    assert [limiter.wait("a") for _ in range(4)][-1] > 0


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert retry_after(0.01) == "1"
    assert retry_after(1.2) == "2"
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(per_minute=0)


def test_a_made_key_is_accepted_by_its_hash_only() -> None:
    from serving.access.api_keys import identify
    from serving.core.config import ServingSettings
    from serving.keys import make_key

    secret, entry = make_key("bkpsdm", "analyst")
    assert secret not in str(entry)
    settings = ServingSettings(keys=entry, token_secret=TOKEN_SECRET)  # type: ignore[arg-type]
    caller = identify(secret, settings)
    assert caller is not None and (caller.name, caller.role) == ("bkpsdm", "analyst")
    assert identify(secret + "x", settings) is None
    with pytest.raises(ValueError, match="unknown role 'root'"):
        make_key("x", "root")
