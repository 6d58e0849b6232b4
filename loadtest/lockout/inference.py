"""From an attempt log to the lockout schedule it shows, with error bars and verdicts.

Sans-I/O: :func:`infer` takes one user's :class:`~.records.Attempt` list and the model, and
returns one :class:`LockMeasure` per counted failure. Causality alone gives each lock's
bracket, with no assumption about latencies:

- the lock began when the pool counted the failure, inside ``[failure.sent_at,
  failure.answered_at]``;
- it was still on when the pool refused the last poll (``Password attempts exceeded``), at or
  after that poll's ``sent_at``;
- it was off when the pool let the next attempt through (counted, or a success), at or before
  that attempt's ``answered_at``.

So the duration lies in ``[last_refused.sent_at - failure.answered_at, closing.answered_at -
failure.sent_at]`` (the lower end is 0 when no poll was refused). The model's duration for the
failure's index is checked against that bracket, widened by ``slack`` (relative, for clocks of
two machines running at slightly different rates).

The index follows the model: it counts failures since the last success or the last gap of at
least the idle reset without attempts. Throttled and errored attempts never reached the lockout
logic and are skipped; a lost answer may or may not have been counted, so it makes the lock it
falls in, and every later one until a success, inconclusive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .model import LockoutModel
from .records import Attempt, Outcome, Phase

__all__ = ["DEFAULT_SLACK", "LockMeasure", "Verdict", "infer"]

#: Relative allowance for two clocks' rates (500 ppm, NTP's worst-case slew).
DEFAULT_SLACK = 5e-4
_SKIPPED = frozenset({Outcome.THROTTLED, Outcome.ERROR})


class Verdict(StrEnum):
    """How a measured lock compares with the model."""

    MATCH = "match"  # the model's duration is inside the measured bracket
    LONGER = "longer"  # the lock lasted longer than the model says, by at least ``off_by``
    SHORTER = "shorter"  # the lock lifted sooner than the model says, by at least ``off_by``
    UNMEASURED = "unmeasured"  # its end was not watched (probe stopped, idle wait)
    INCONCLUSIVE = "inconclusive"  # an answer was lost, so the failure count is uncertain


@dataclass(frozen=True, slots=True, kw_only=True)
class LockMeasure:
    """The lock started by one counted failure: bracket, model value and verdict (seconds)."""

    user: str
    failure: int
    phase: Phase
    started_at: float
    low: float
    high: float | None
    expected: float
    verdict: Verdict
    off_by: float
    polls: int

    @property
    def seen(self) -> bool:
        """Whether a refused poll showed the lock at all (a lock shorter than the probe's
        resolution can match the model without being seen)."""
        return self.polls > 0

    @property
    def measured(self) -> float | None:
        """The bracket's midpoint, or ``None`` when the end was not seen."""
        return None if self.high is None else (self.low + self.high) / 2

    @property
    def error_bar(self) -> float | None:
        """Half the bracket's width."""
        return None if self.high is None else (self.high - self.low) / 2

    def to_json(self, model: LockoutModel) -> dict[str, Any]:
        """The ``lock`` event and summary row (real seconds, and model seconds)."""
        scale = model.time_scale
        return {
            "event": "lock",
            "user": self.user,
            "failure": self.failure,
            "phase": self.phase.value,
            "started_at": round(self.started_at, 6),
            "low_s": round(self.low, 6),
            "high_s": None if self.high is None else round(self.high, 6),
            "measured_s": _round(self.measured),
            "error_bar_s": _round(self.error_bar),
            "expected_s": round(self.expected, 6),
            "measured_model_s": _round(None if self.measured is None else self.measured / scale),
            "expected_model_s": round(self.expected / scale, 6),
            "verdict": self.verdict.value,
            "off_by_s": round(self.off_by, 6),
            "polls": self.polls,
            "seen": self.seen,
        }

    def statement(self) -> str:
        """One sentence: what was measured against what the model says."""
        what = f"lock after failure {self.failure} ({self.phase})"
        model = f"model {self.expected:.4g} s" if self.expected else "model: no lock"
        if self.high is None:
            seen = f"at least {self.low:.4g} s"
        else:
            seen = f"{self.measured:.4g} ± {self.error_bar:.2g} s"
        verdict = self.verdict.value
        if self.verdict is Verdict.MATCH and self.expected and not self.seen:
            verdict += " (not seen: shorter than the probe's resolution)"
        if self.verdict in (Verdict.LONGER, Verdict.SHORTER):
            verdict = f"{verdict} by at least {self.off_by:.4g} s"
        return f"{what}: measured {seen}, {model}: {verdict}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@dataclass(slots=True)
class _Open:
    """A lock being watched: the failure that started it and what polls saw since."""

    failure: Attempt
    index: int
    last_refused: float | None = None
    polls: int = 0
    uncertain: bool = False
    across_idle: bool = False


def infer(
    attempts: Iterable[Attempt], model: LockoutModel, *, slack: float = DEFAULT_SLACK
) -> list[LockMeasure]:
    """One :class:`LockMeasure` per counted failure in ``attempts`` (one user's log)."""
    state = _Inference(model, slack)
    for attempt in sorted(attempts, key=lambda a: (a.sent_at, a.seq)):
        if attempt.outcome not in _SKIPPED:
            state.feed(attempt)
    return state.finish()


class _Inference:
    """The walk over one user's attempts: the model's count, the open lock, the results."""

    def __init__(self, model: LockoutModel, slack: float) -> None:
        self.model, self.slack = model, slack
        self.count = 0
        self.uncertain = False
        self.open: _Open | None = None
        self.previous: Attempt | None = None
        self.results: list[LockMeasure] = []

    def feed(self, attempt: Attempt) -> None:
        self._idle_gap(attempt)
        handler = _HANDLERS[attempt.outcome]
        handler(self, attempt)
        self.previous = attempt

    def _idle_gap(self, attempt: Attempt) -> None:
        if self.previous is None:
            return
        if attempt.sent_at - self.previous.answered_at >= self.model.idle_reset_real:
            self.count = 0
            if self.open is not None:
                self.open.across_idle = True

    def refused(self, attempt: Attempt) -> None:
        if self.open is not None:
            self.open.last_refused = attempt.sent_at
            self.open.polls += 1

    def lost(self, attempt: Attempt) -> None:
        self.uncertain = True
        if self.open is not None:
            self.open.uncertain = True

    def counted(self, attempt: Attempt) -> None:
        self._close(attempt)
        self.count += 1
        self.open = _Open(failure=attempt, index=self.count, uncertain=self.uncertain)

    def succeeded(self, attempt: Attempt) -> None:
        self._close(attempt)
        self.count = 0
        self.uncertain = False

    def _close(self, closing: Attempt) -> None:
        if self.open is not None:
            self.results.append(self._measure(self.open, closing))
            self.open = None

    def finish(self) -> list[LockMeasure]:
        if self.open is not None:
            self.results.append(self._measure(self.open, None))
            self.open = None
        return self.results

    def _measure(self, lock: _Open, closing: Attempt | None) -> LockMeasure:
        failure = lock.failure
        low = 0.0
        if lock.last_refused is not None:
            low = max(0.0, lock.last_refused - failure.answered_at)
        high = None if closing is None else closing.answered_at - failure.sent_at
        expected = self.model.expected(lock.index)
        verdict, off_by = _verdict(low, high, expected, self.slack)
        if lock.polls and not expected:  # a refused poll proves a lock the model does not have
            verdict, off_by = Verdict.LONGER, low
        if lock.uncertain:
            verdict, off_by = Verdict.INCONCLUSIVE, 0.0
        elif lock.across_idle and verdict is Verdict.MATCH:
            verdict = Verdict.UNMEASURED
        return LockMeasure(
            user=failure.user,
            failure=lock.index,
            phase=failure.phase,
            started_at=failure.sent_at,
            low=low,
            high=high,
            expected=expected,
            verdict=verdict,
            off_by=off_by,
            polls=lock.polls,
        )


def _verdict(
    low: float, high: float | None, expected: float, slack: float
) -> tuple[Verdict, float]:
    """Compare the model's duration with the bracket ``[low, high]`` (``high`` unknown: None)."""
    tolerance = slack * expected
    if expected < low - tolerance:
        return Verdict.LONGER, low - expected
    if high is None:
        return Verdict.UNMEASURED, 0.0
    if expected > high + tolerance:
        return Verdict.SHORTER, expected - high
    return Verdict.MATCH, 0.0


_HANDLERS = {
    Outcome.LOCKED: _Inference.refused,
    Outcome.LOST: _Inference.lost,
    Outcome.COUNTED: _Inference.counted,
    Outcome.SUCCESS: _Inference.succeeded,
}
