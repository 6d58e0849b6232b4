"""The documented temporary-lockout model (cognito-facts §4), as the probe's expectation.

After ``threshold`` counted failures Cognito locks the user for ``first_lock`` seconds; each
further counted failure multiplies the lock by ``factor``, up to about ``cap`` (with the
defaults, failure n locks for 2^(n-5) s, capped near 900 s). Attempts during a lock are
answered ``Password attempts exceeded`` and are not counted. The count resets after a
successful sign-in, or after ``idle_reset`` seconds without any sign-in attempt.

Every parameter is configurable so that a changed AWS behaviour can be described, not only
reported as a failure.

**Time scale.** A pool started with ``--time-scale F`` enforces every model duration (locks and
the idle reset) multiplied by F: real seconds = model seconds × F. The probe is told the same F
(``--time-scale``) and compares measured real durations with model × F; its report gives both.
Real Cognito runs at F = 1.

This module deliberately does not import the local pool: the probe measures a black box. The
defaults and the formula are the protocol's (:mod:`loadtest.protocol.lockout`), which the pool
reads too.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtest.protocol.lockout import LockoutSchedule

__all__ = ["DEFAULT_MODEL", "LockoutModel"]

#: Beyond this exponent the lock is far past any cap; avoids float overflow.
_MAX_EXPONENT = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class LockoutModel(LockoutSchedule):
    """The documented schedule (model seconds, its formula included) and the target's time scale.

    It extends :class:`~loadtest.protocol.lockout.LockoutSchedule` so that the formula and the
    defaults have one home, shared with the local pool's enforcement.
    """

    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("the threshold must be at least 1")
        if not (self.first_lock > 0 and self.cap > 0 and self.idle_reset > 0):
            raise ValueError("lock durations and the idle reset must be positive")
        if self.factor < 1:
            raise ValueError("the factor must be at least 1")
        if not self.time_scale > 0:
            raise ValueError("the time scale must be positive")

    def lock_duration(self, k: int) -> float:
        """Model seconds of lock number ``k`` (1-based) after a reset."""
        if k < 1:
            raise ValueError("locks are numbered from 1")
        return self.lock_seconds(self.threshold + k - 1)

    def real(self, model_seconds: float) -> float:
        """Real seconds on the target for ``model_seconds`` (× the time scale)."""
        return model_seconds * self.time_scale

    def expected(self, failures: int) -> float:
        """Real seconds of the lock the ``failures``-th counted failure starts."""
        return self.real(self.lock_seconds(failures))

    @property
    def idle_reset_real(self) -> float:
        """Real seconds without attempts after which the count resets."""
        return self.real(self.idle_reset)

    def failures_to_cap(self) -> int:
        """The first counted failure whose lock reaches the cap."""
        failures = self.threshold
        while self.lock_seconds(failures) < self.cap and failures - self.threshold < _MAX_EXPONENT:
            failures += 1
        return failures

    def total_lock_seconds(self, failures: int) -> float:
        """Model seconds of every lock started by counted failures 1..``failures``."""
        return sum(self.lock_seconds(n) for n in range(1, failures + 1))

    def describe(self) -> str:
        """One line for reports."""
        return (
            f"threshold {self.threshold}, first lock {self.first_lock:g} s, factor "
            f"{self.factor:g}, cap {self.cap:g} s, idle reset {self.idle_reset:g} s, "
            f"time scale {self.time_scale:g}"
        )

    def to_json(self) -> dict[str, float]:
        """The parameters, for summaries."""
        return {
            "threshold": self.threshold,
            "first_lock": self.first_lock,
            "factor": self.factor,
            "cap": self.cap,
            "idle_reset": self.idle_reset,
            "time_scale": self.time_scale,
        }


DEFAULT_MODEL = LockoutModel()
