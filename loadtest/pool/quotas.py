"""API request-rate quotas as token buckets in memory shared by all worker processes.

Each quota category has one bucket refilled at its rate (cognito-facts §5), holding at most
``burst_seconds`` worth of tokens. RespondToAuthChallenge and AdminRespondToAuthChallenge first
draw on their own allowance of 3x UserAuthentication's rate and only spill into
UserAuthentication beyond it; NEW_PASSWORD_REQUIRED answers count under UserAccountRecovery
(:func:`loadtest.protocol.quotas.category_of`). Each user also has a bucket of 10 requests/s,
kept in a fixed table of slots indexed by a hash of the user (two users sharing a slot share a
bucket: harmless at the per-user rates load tests run). The pool-level categories (¹ on the
quotas page) also have a bucket of 5 requests/s per user pool and operation, hashed likewise.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from loadtest.protocol.errors import Messages, TooManyRequests
from loadtest.protocol.names import Endpoint, Operation
from loadtest.protocol.quotas import (
    CHALLENGE_ALLOWANCE_FACTOR,
    DEFAULT_RPS,
    DOMAIN_LIMITS,
    PER_POOL_CATEGORIES,
    PER_POOL_OPERATION_RPS,
    PER_USER_RPS,
    Allocation,
    DomainLimit,
    DomainLimits,
    DomainThrottled,
    QuotaCategory,
    charge_of,
)

__all__ = ["QuotaSettings", "Quotas"]

_CATEGORIES = tuple(QuotaCategory)
_CHALLENGE_SLOT = len(_CATEGORIES)
#: Authorization-code redemption's own allocation, at UserAuthentication's rate.
_REDEMPTION_SLOT = _CHALLENGE_SLOT + 1
_FIRST_USER_SLOT = _REDEMPTION_SLOT + 1
#: The domain limits by bucket kind (0 IP, 1 client, 2 domain).
_DOMAIN_KINDS = (DomainLimit.PER_IP, DomainLimit.PER_CLIENT, DomainLimit.PER_DOMAIN)


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaSettings:
    """Rates per category, the per-user rate, burst size and the size of the per-user table."""

    enabled: bool = True
    rps: Mapping[QuotaCategory, float] = field(default_factory=lambda: dict(DEFAULT_RPS))
    per_user_rps: float = PER_USER_RPS
    per_pool_operation_rps: float = PER_POOL_OPERATION_RPS
    burst_seconds: float = 1.0
    user_slots: int = 1 << 16
    pool_slots: int = 1 << 12
    #: A domain's bulk limits; each kind (IP, client, domain) has ``domain_slots`` buckets.
    domain: DomainLimits = DOMAIN_LIMITS
    domain_slots: int = 1 << 10

    @property
    def bucket_slots(self) -> int:
        """How many buckets the shared table needs."""
        return self._first_domain_slot + 3 * self.domain_slots

    @property
    def _first_domain_slot(self) -> int:
        return _FIRST_USER_SLOT + self.user_slots + self.pool_slots

    def domain_slot(self, kind: int, key: str) -> int:
        """The bucket of ``key`` among the domain limits of ``kind`` (0 IP, 1 client, 2 domain)."""
        return self._first_domain_slot + kind * self.domain_slots + _hash(key, self.domain_slots)

    def domain_rate(self, slot: int) -> float:
        """The rate of a domain-limit bucket."""
        kind = (slot - self._first_domain_slot) // self.domain_slots
        limits = self.domain
        return float((limits.per_ip, limits.per_client, limits.per_domain)[kind])


def _hash(key: str, slots: int) -> int:
    return zlib.crc32(key.encode()) % slots


class Quotas:
    """Admits or throttles calls; safe across threads and worker processes (one shared lock)."""

    def __init__(
        self,
        settings: QuotaSettings,
        buckets: Any,
        lock: Any,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._buckets = buckets  # RawArray("d"): (tokens, last refill) per slot
        self._lock = lock
        self._now = monotonic

    def admit(
        self,
        operation: Operation | Endpoint,
        challenge: str | None,
        user: str | None,
        pool: str | None = None,
    ) -> None:
        """Take one token from every bucket the call counts against, or raise TooManyRequests."""
        if not self._settings.enabled:
            return
        plan = self._plan(operation, challenge, user, pool)
        if not plan:
            return
        with self._lock:
            now = self._now()
            chosen = [self._pick(options, now) for options in plan]
            if any(slot is None for slot in chosen):
                raise TooManyRequests(Messages.RATE_EXCEEDED)
            for slot in chosen:
                self._buckets[2 * slot] -= 1.0  # type: ignore[operator]

    def admit_domain(self, domain: str, source_ip: str, client_id: str | None) -> None:
        """Take one token from a domain request's bulk limits (its source IP, its app client if
        named, the domain), or raise DomainThrottled naming the first limit (in that order)
        without a token."""
        if not self._settings.enabled:
            return
        settings = self._settings
        keys = [(0, f"{domain}/{source_ip}")]
        if client_id:
            keys.append((1, f"{domain}/{client_id}"))
        keys.append((2, domain))
        plan = [(settings.domain_slot(kind, key),) for kind, key in keys]
        with self._lock:
            now = self._now()
            chosen = [self._pick(options, now) for options in plan]
            for (kind, _), slot in zip(keys, chosen, strict=True):
                if slot is None:
                    raise DomainThrottled(_DOMAIN_KINDS[kind])
            for slot in chosen:
                self._buckets[2 * slot] -= 1.0  # type: ignore[operator]

    def _plan(
        self,
        operation: Operation | Endpoint,
        challenge: str | None,
        user: str | None,
        pool: str | None,
    ) -> list[tuple[int, ...]]:
        """For each quota the call is subject to, the buckets that may pay for it, in order."""
        charge = charge_of(operation, challenge)
        if charge is None:
            return []
        category = charge.category
        main = _CATEGORIES.index(category)
        plan: list[tuple[int, ...]] = []
        if charge.allocation is Allocation.CHALLENGE:
            plan.append((_CHALLENGE_SLOT, main))
        elif charge.allocation is Allocation.REDEMPTION:
            plan.append((_REDEMPTION_SLOT,))
        else:
            plan.append((main,))
        if user is not None:
            plan.append((self._user_slot(user),))
        if pool is not None and category in PER_POOL_CATEGORIES:
            plan.append((self._pool_slot(f"{pool}/{operation}"),))
        return plan

    def _user_slot(self, user: str) -> int:
        return _FIRST_USER_SLOT + zlib.crc32(user.encode()) % self._settings.user_slots

    def _pool_slot(self, key: str) -> int:
        first = _FIRST_USER_SLOT + self._settings.user_slots
        return first + zlib.crc32(key.encode()) % self._settings.pool_slots

    def _rate(self, slot: int) -> float:
        if slot < _CHALLENGE_SLOT:
            return float(self._settings.rps.get(_CATEGORIES[slot], 0.0))
        if slot == _CHALLENGE_SLOT:
            ua = self._settings.rps.get(QuotaCategory.USER_AUTHENTICATION, 0.0)
            return float(ua) * CHALLENGE_ALLOWANCE_FACTOR
        if slot == _REDEMPTION_SLOT:
            return float(self._settings.rps.get(QuotaCategory.USER_AUTHENTICATION, 0.0))
        if slot < _FIRST_USER_SLOT + self._settings.user_slots:
            return float(self._settings.per_user_rps)
        if slot < self._settings.bucket_slots - 3 * self._settings.domain_slots:
            return float(self._settings.per_pool_operation_rps)
        return self._settings.domain_rate(slot)

    def _pick(self, options: tuple[int, ...], now: float) -> int | None:
        """The first bucket among ``options`` with a whole token after refilling, if any."""
        for slot in options:
            if self._refill(slot, now) >= 1.0:
                return slot
        return None

    def _refill(self, slot: int, now: float) -> float:
        rate = self._rate(slot)
        capacity = max(1.0, rate * self._settings.burst_seconds)
        tokens, last = self._buckets[2 * slot], self._buckets[2 * slot + 1]
        tokens = capacity if last == 0.0 else min(capacity, tokens + (now - last) * rate)
        self._buckets[2 * slot], self._buckets[2 * slot + 1] = tokens, now
        return float(tokens)
