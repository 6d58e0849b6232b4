"""The lockout model as pure functions (cognito-facts §4)."""

from __future__ import annotations

import pytest

from loadtest.pool.clock import TimeScale
from loadtest.pool.lockout import LockoutPolicy, LockoutState, check, on_failure
from loadtest.protocol.errors import NotAuthorized


def _fail_times(policy: LockoutPolicy, count: int) -> list[float]:
    """Lock durations started by ``count`` failures, each sent as soon as allowed."""
    state, now, locks = LockoutState(), 1000.0, []
    for _ in range(count):
        now = max(now, state.locked_until)
        state = on_failure(policy, check(policy, state, now), now)
        locks.append(state.locked_until - now if state.locked_until > now else 0.0)
    return locks


def test_default_schedule_is_two_to_the_n_minus_five_capped_at_900() -> None:
    locks = _fail_times(LockoutPolicy(), 16)
    assert locks[:4] == [0.0] * 4
    assert locks[4:14] == [2.0 ** (n - 5) for n in range(5, 15)]
    assert locks[14] == 900.0
    # Waiting out a capped lock is also 15 idle minutes: the next failure starts afresh.
    assert locks[15] == 0.0


def test_threshold_cap_and_scale_are_parameters() -> None:
    policy = LockoutPolicy(threshold=3, cap=60.0, scale=TimeScale(0.01))
    locks = _fail_times(policy, 10)
    assert locks == pytest.approx([0, 0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.6, 0.6])


def test_attempts_during_a_lock_raise_and_change_nothing() -> None:
    policy = LockoutPolicy(threshold=1)
    state = on_failure(policy, LockoutState(), 10.0)
    with pytest.raises(NotAuthorized, match="Password attempts exceeded"):
        check(policy, state, 10.5)
    assert check(policy, state, 11.0) == state


def test_idle_reset_after_fifteen_minutes() -> None:
    policy = LockoutPolicy()
    state = LockoutState()
    for second in range(4):
        state = on_failure(policy, state, float(second))
    assert check(policy, state, 3.0 + 899).failures == 4
    assert check(policy, state, 3.0 + 900) == LockoutState()
