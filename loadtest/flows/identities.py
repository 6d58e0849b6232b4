"""The identity pool virtual users lease test identities from.

One identity is leased by one virtual user at a time. A TOTP identity whose last code was sent
in the current 30 s step is not handed out again until the next step (Cognito rejects a code
used twice). Identities keep what they learn (devices, TOTP secrets, passwords) for the run.
Sans-I/O: callers pass ``now``; waiting is the caller's business.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime

from loadtest.flows.identity import Identity
from loadtest.flows.totp import STEP_SECONDS, step_of

__all__ = ["IdentityPool", "NoIdentityAvailable", "Predicate", "partition", "uses_totp"]

Predicate = Callable[[Identity], bool]


def uses_totp(identity: Identity) -> bool:
    """Whether a login of this identity sends a TOTP code (the default: it has a secret)."""
    return identity.totp_secret is not None


class NoIdentityAvailable(Exception):
    """No identity fits right now; ``retry_in`` seconds until one might (None: never).

    ``at_step``: they are free but for their TOTP step, so the next step frees them all at one
    instant, for every user waiting (where a leased identity comes back when one login ends).
    """

    def __init__(self, reason: str, retry_in: float | None, *, at_step: bool = False) -> None:
        super().__init__(reason)
        self.retry_in = retry_in
        self.at_step = at_step


class IdentityPool:
    """Identities free to lease, in least-recently-used order."""

    def __init__(self, identities: Iterable[Identity]) -> None:
        self._free: deque[Identity] = deque(identities)
        self._leased: set[int] = set()
        self.size = len(self._free)

    def __len__(self) -> int:
        return len(self._free)

    def lease(
        self, now: datetime, accept: Predicate = lambda _: True, needs_step: Predicate = uses_totp
    ) -> Identity:
        """The least recently used free identity that ``accept``s, and whose TOTP step is free
        if the login will send a code (``needs_step``).

        Raises :class:`NoIdentityAvailable` with how long until one might free up.
        """
        current = step_of(now)
        for index, identity in enumerate(self._free):
            if accept(identity) and (not needs_step(identity) or _step_free(identity, current)):
                del self._free[index]
                self._leased.add(id(identity))
                return identity
        raise self._none_available(now, accept)

    def release(self, identity: Identity) -> None:
        """Give an identity back (at the end of the queue)."""
        if id(identity) not in self._leased:
            raise ValueError(f"identity {identity.username!r} was not leased from this pool")
        self._leased.discard(id(identity))
        self._free.append(identity)

    def _none_available(self, now: datetime, accept: Predicate) -> NoIdentityAvailable:
        fitting = [i for i in self._free if accept(i)]
        if fitting:
            wait = STEP_SECONDS - now.timestamp() % STEP_SECONDS
            return NoIdentityAvailable(
                "every fitting identity used its TOTP step", wait, at_step=True
            )
        if self._leased:
            return NoIdentityAvailable("every fitting identity is leased", 0.1)
        return NoIdentityAvailable("no identity fits this user class", None)


def _step_free(identity: Identity, current: int) -> bool:
    return identity.last_totp_step is None or identity.last_totp_step < current


def partition(identities: list[Identity], index: int, count: int) -> list[Identity]:
    """The share of one of ``count`` worker processes, so no two workers lease one identity."""
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"worker index {index} out of range for {count} workers")
    return identities[index::count]
