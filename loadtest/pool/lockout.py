"""The failed sign-in lockout model (cognito-facts §4), as pure functions over a state record.

After ``threshold`` counted failures the user is locked for ``first_lock`` seconds, and each
further counted failure multiplies that by ``factor`` up to ``cap``: with the defaults, failure
n locks for 2^(n-5) s, capped at 900 s. Attempts during a lock are answered ``Password attempts
exceeded`` and are not counted. The count resets after ``idle_reset`` seconds without attempts
or after a successful sign-in. Durations pass through the time scale. The store persists the
state; this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from loadtest.protocol.errors import Messages, NotAuthorized
from loadtest.protocol.lockout import LockoutSchedule

from .clock import TimeScale

__all__ = ["LockoutPolicy", "LockoutState", "check", "on_failure"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockoutPolicy(LockoutSchedule):
    """The documented schedule and its formula (model seconds); the scale applies when enforcing."""

    scale: TimeScale = field(default_factory=TimeScale)


@dataclass(frozen=True, slots=True, kw_only=True)
class LockoutState:
    """Per-user counters: counted failures, end of the current lock, time of the last attempt."""

    failures: int = 0
    locked_until: float = 0.0
    last_attempt: float = 0.0

    @property
    def clean(self) -> bool:
        """True when there is nothing to reset."""
        return self.failures == 0 and self.locked_until == 0.0


def _idle_reset(policy: LockoutPolicy, state: LockoutState, now: float) -> LockoutState:
    idle = policy.scale.seconds(policy.idle_reset)
    if not state.clean and now - state.last_attempt >= idle:
        return LockoutState()
    return state


def check(policy: LockoutPolicy, state: LockoutState, now: float) -> LockoutState:
    """The state in force now; raises ``Password attempts exceeded`` while locked."""
    current = _idle_reset(policy, state, now)
    if now < current.locked_until:
        raise NotAuthorized(Messages.ATTEMPTS_EXCEEDED)
    return current


def on_failure(policy: LockoutPolicy, state: LockoutState, now: float) -> LockoutState:
    """The state after a counted failure (call only once :func:`check` has passed)."""
    current = _idle_reset(policy, state, now)
    failures = current.failures + 1
    lock = policy.scale.seconds(policy.lock_seconds(failures))
    until = now + lock if lock else current.locked_until
    return replace(current, failures=failures, locked_until=until, last_attempt=now)
