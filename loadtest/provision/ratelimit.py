"""Client-side rate limits per quota category, and jittered backoff when throttled anyway.

Sans-I/O: :class:`TokenBucket` and :class:`Backoff` take ``now`` and random draws as arguments.
:class:`Limiter` is the thin asyncio wrapper that sleeps. Categories and defaults come from
:mod:`loadtest.protocol.quotas`, the table the local pool enforces, so provisioning paces itself
by the same numbers the pool (and a real account) throttles at.

Each bucket is a token bucket written in its GCRA form (a "theoretical arrival time"): a call
reserves the next free slot and is told how long to wait for it, so waiters are served in order
and no lock is needed on one event loop. A throttle cuts the bucket's current rate by 30 % and
every success gives back a small share of the configured rate (additive increase,
multiplicative decrease), so when an account's real quota (or other traffic in it) is below
the configured rate, provisioning settles just under what the service admits instead of
retrying into a wall.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from loadtest.protocol.errors import TooManyRequests
from loadtest.protocol.quotas import DEFAULT_RPS, QuotaCategory

__all__ = ["Backoff", "Limiter", "RateLimits", "ThrottleStats", "TokenBucket"]

T = TypeVar("T")

#: A throttle multiplies the current rate by this. Halving, the textbook choice, measured about
#: 40 % slower against a pool admitting a fifth of the configured rate: it undershoots for long.
DECREASE = 0.7
#: A throttled bucket never slows below this share of its configured rate.
MIN_RATE_SHARE = 0.05
#: Successes it takes to climb back from zero to the configured rate (additive increase).
RECOVERY_CALLS = 20


@dataclass(slots=True)
class TokenBucket:
    """``rate`` calls per second with room for ``burst`` calls at once; adapts to throttles."""

    rate: float
    burst: float = 1.0
    current: float = 0.0
    _tat: float | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1 (got {self.rate}, {self.burst})")
        self.current = self.current or self.rate

    def reserve(self, now: float) -> float:
        """Take the next slot; returns the seconds to wait before using it."""
        interval = 1.0 / self.current
        tat = now if self._tat is None else max(self._tat, now)
        self._tat = tat + interval
        return max(0.0, tat - (self.burst - 1.0) * interval - now)

    def throttled(self) -> None:
        """The service said ``Rate exceeded``: slow down by :data:`DECREASE`."""
        self.current = max(self.rate * MIN_RATE_SHARE, self.current * DECREASE)

    def succeeded(self) -> None:
        """A call got through: climb back towards the configured rate."""
        self.current = min(self.rate, self.current + self.rate / RECOVERY_CALLS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Full-jitter exponential backoff: attempt n waits a uniform draw of base·2^(n-1), capped.

    ``attempts`` bounds the tries of one call (the first included).
    """

    attempts: int = 10
    base: float = 0.25
    cap: float = 8.0

    def delay(self, attempt: int, draw: float) -> float | None:
        """Seconds to wait after failed ``attempt`` (1-based), or ``None``: give up."""
        if attempt >= self.attempts:
            return None
        return draw * min(self.cap, self.base * 2.0 ** (attempt - 1))


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    """Requests per second per category; ``None`` means unlimited. Defaults: Cognito's quotas."""

    rps: Mapping[QuotaCategory, float | None] = field(default_factory=lambda: dict(DEFAULT_RPS))
    burst: float = 1.0

    @classmethod
    def unlimited(cls) -> RateLimits:
        """No client-side pacing at all (backoff on throttles still applies)."""
        return cls(rps=dict.fromkeys(QuotaCategory))

    def with_rates(self, changes: Mapping[QuotaCategory, float | None]) -> RateLimits:
        """These limits with some categories changed."""
        return RateLimits(rps={**self.rps, **changes}, burst=self.burst)

    def rate(self, category: QuotaCategory) -> float | None:
        """The limit of one category (``None``: unlimited)."""
        return self.rps.get(category, DEFAULT_RPS[category])


@dataclass(slots=True)
class ThrottleStats:
    """Throttles seen and calls given up, per category."""

    throttles: dict[QuotaCategory, int] = field(default_factory=dict)
    exhausted: int = 0

    @property
    def total(self) -> int:
        """All throttled attempts."""
        return sum(self.throttles.values())


class Limiter:
    """Paces calls by category and retries throttled ones with jittered backoff (asyncio)."""

    def __init__(
        self,
        limits: RateLimits,
        backoff: Backoff = Backoff(),
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.limits, self.backoff = limits, backoff
        self.stats = ThrottleStats()
        self._clock = clock
        self._sleep, self._draw = sleep, draw
        self._buckets: dict[QuotaCategory, TokenBucket] = {}

    def bucket(self, category: QuotaCategory) -> TokenBucket | None:
        """The category's bucket, created on first use (``None`` if unlimited)."""
        rate = self.limits.rate(category)
        if rate is None:
            return None
        if category not in self._buckets:
            self._buckets[category] = TokenBucket(rate=rate, burst=self.limits.burst)
        return self._buckets[category]

    async def acquire(self, category: QuotaCategory | None) -> None:
        """Wait for the category's next slot."""
        bucket = None if category is None else self.bucket(category)
        if bucket is not None:
            await self._sleep(bucket.reserve(self._now()))

    async def run(self, category: QuotaCategory | None, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` paced by ``category``; retry it while it raises TooManyRequests."""
        for number in itertools.count(1):
            await self.acquire(category)
            try:
                result = await attempt()
            except TooManyRequests:
                delay = self._throttled(category, number)
                if delay is None:
                    raise
                await self._sleep(delay)
                continue
            if category is not None and (bucket := self.bucket(category)) is not None:
                bucket.succeeded()
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _throttled(self, category: QuotaCategory | None, number: int) -> float | None:
        """Count the throttle and slow the bucket; the wait before a retry (``None``: give up)."""
        if category is not None:
            self.stats.throttles[category] = self.stats.throttles.get(category, 0) + 1
            if (bucket := self.bucket(category)) is not None:
                bucket.throttled()
        delay = self.backoff.delay(number, self._draw())
        if delay is None:
            self.stats.exhausted += 1
        return delay

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()
