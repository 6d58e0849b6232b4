"""What one user's probe sends next, and when: a sans-I/O state machine.

:class:`UserPlan` is told every :class:`~.records.Attempt` (``record``) and answers with the
next :class:`Action` (``next_action``): send a wrong or the correct secret at a given time on
the probe's clock, or stop. The runner only sleeps and sends, so the whole strategy is unit
tested against a simulated pool without sockets or sleeping.

The phases, in order (``Phase``):

=============  ==============================================================================
baseline       only with the correct password: one success, so the count starts at 0
schedule       counted failures up to the cap (and one more), every lock's end watched
idle_reset     (option) no attempt for the idle reset and a margin, then failures from 1 again
success_reset  (needs the password) the previous lock lifted by a success, then failures
               from 1 again until the first lock, lifted by a success too
=============  ==============================================================================

While a lock is on, polls keep coming (attempts during a lock are not counted), spaced by
:func:`poll_delay`. The poll that is let through ends the lock: with a wrong secret it is the
next counted failure; with the correct one it is a success that resets the count. The last lock
of a phase followed by a success reset, or the very last lock when the password is known, is
polled with the correct secret, so the user ends unlocked with a zero count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from .model import LockoutModel
from .records import Attempt, Credential, Outcome, Phase

__all__ = ["Action", "ActionKind", "PlanSettings", "PollSettings", "UserPlan", "poll_delay"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PollSettings:
    """How often to poll during a lock.

    Far from the lock's expected end the gap between polls is ``coarse`` × the expected
    duration (or × the time already waited, if longer, so a lock longer than the model costs
    a bounded number of polls); within ``window`` of the expected end it is ``fine`` ×, which
    is what sets the error bar when the model is right. Gaps stay between ``min_interval`` and
    ``max_interval`` model seconds (scaled by the time scale), never below ``floor`` real
    seconds, and under a quarter of the idle reset so polling never resets the count itself.
    """

    coarse: float = 0.1
    fine: float = 0.01
    window: float = 0.05
    min_interval: float = 0.2
    max_interval: float = 30.0
    floor: float = 0.001


Zone = tuple[float, float]


def poll_delay(
    elapsed: float,
    expected: float,
    model: LockoutModel,
    poll: PollSettings,
    hints: tuple[Zone, ...] = (),
    rtt: float = 0.0,
) -> float:
    """Real seconds to wait before the next poll, ``elapsed`` seconds into a lock of
    ``expected`` real seconds (0: none expected), counted from the answer to the last attempt,
    which took ``rtt`` seconds: the gap between polls runs from one's sending to the next's.

    Polls are fine within ``window`` of ``expected`` and inside each of the ``hints``, other
    spans where the lock may well end (the last lock's bracket when it strayed from the model,
    and that times the factor): so a pool whose schedule differs from the model is still
    measured with small error bars once its pattern shows.

    Inside such a zone the polls fall on a lattice half a gap either side of its centre (the
    expected end, or the hint's midpoint): when the lock ends there, the two polls around its
    end are one gap apart and centred on it, so the bracket's midpoint is the end itself
    rather than wherever a grid counted from the failure fell. The gap is ``fine`` × the zone's
    end, or the floor between polls if that is longer (0.2 model seconds: at time scale 1 a
    1 s lock is bracketed ±0.1 s either way, and centred). The approach lands on the zone's
    first lattice point.
    """
    shortest = _floor(model, poll)
    longest = max(shortest, min(model.real(poll.max_interval), model.idle_reset_real / 4))
    zones = [_Lattice.of(expected * (1 - poll.window), expected * (1 + poll.window), expected,
                         poll, shortest)] if expected else []  # fmt: skip
    zones += [
        _Lattice.of(low * (1 - poll.window), high * (1 + poll.window), (low + high) / 2, poll,
                    shortest)
        for low, high in hints
        if high
    ]  # fmt: skip
    least = max(poll.floor, shortest - max(0.0, rtt))  # from this answer to the next sending
    inside = [zone for zone in zones if zone.low <= elapsed <= zone.high]
    if inside:
        finest = min(inside, key=lambda zone: zone.gap)
        delay = finest.point_at_or_after(elapsed + least) - elapsed
    else:
        delay = poll.coarse * max([elapsed, expected, *(high for _, high in hints)])
        delay = min(longest, max(least, delay))
        upcoming = [zone.first - elapsed for zone in zones if zone.first > elapsed]
        if upcoming and min(upcoming) - delay < shortest:
            # land on the next zone's first point: a step short of it by less than the floor
            # would leave the next one no choice but to overshoot it
            delay = min(upcoming)
    return min(longest, max(least, delay))


def _floor(model: LockoutModel, poll: PollSettings) -> float:
    """The least real seconds between two polls' sendings."""
    return max(poll.floor, model.real(poll.min_interval))


#: A poll sent late by up to this share of the floor does not push the next one a whole gap
#: on: the floor then counts from when it was due (scheduler wake-ups are a few ms late).
LATE_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class _Lattice:
    """A fine-polling zone: ``[low, high]`` (at least a gap either side of ``centre``), and its
    poll times ``centre + (k + 1/2) · gap``."""

    low: float
    high: float
    centre: float
    gap: float

    @classmethod
    def of(
        cls, low: float, high: float, centre: float, poll: PollSettings, shortest: float
    ) -> _Lattice:
        gap = max(shortest, poll.fine * high)
        return cls(min(low, centre - gap / 2), max(high, centre + gap / 2), centre, gap)

    def point_at_or_after(self, t: float) -> float:
        """The first poll time of the lattice at or after ``t`` (within rounding: a poll
        sent on a lattice point asks for the next one a gap later, not two)."""
        steps = (t - self.centre) / self.gap - 0.5
        return self.centre + (math.ceil(steps - 1e-9) + 0.5) * self.gap

    @property
    def first(self) -> float:
        """The zone's first poll time (the approach aims there)."""
        return self.point_at_or_after(self.low)


class ActionKind(StrEnum):
    """Send an attempt, or stop probing this user."""

    SEND = "send"
    DONE = "done"


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """The next step: send ``credential`` at ``at`` (probe clock) in ``phase``, or stop."""

    kind: ActionKind
    at: float = 0.0
    credential: Credential = Credential.WRONG
    phase: Phase = Phase.SCHEDULE
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanSettings:
    """What one user's probe does: how many failures, which resets, how it polls, its bounds.

    ``schedule_failures`` 0 means the model's failures to the cap plus ``extra_at_cap``.
    """

    schedule_failures: int = 0
    extra_at_cap: int = 1
    idle_reset: bool = False
    success_reset: bool = True
    idle_margin: float = 0.1
    max_attempts: int = 5000
    poll: PollSettings = PollSettings()

    def failures(self, model: LockoutModel) -> int:
        """Counted failures the schedule phase drives."""
        if self.schedule_failures > 0:
            return self.schedule_failures
        return model.failures_to_cap() + self.extra_at_cap


class UserPlan:
    """The probe strategy for one user (see the module docstring)."""

    def __init__(
        self,
        model: LockoutModel,
        settings: PlanSettings,
        *,
        knows_password: bool,
        start: float = 0.0,
    ) -> None:
        self.model, self.settings = model, settings
        self.knows_password = knows_password
        self.phases = _phases(settings, knows_password)
        self.phase = self.phases[0]
        self.count = 0  # counted failures since the last reset, as the model counts them
        self.phase_failures = 0
        self.lock_from = start  # answered_at of the last counted failure
        self.refused = 0  # polls refused since then
        self.last_refused = 0.0  # sent_at of the last of them
        self.strayed: Zone | None = None  # the last lock's bracket, if the model was outside it
        self.closing = False  # watching the last lock of the phase
        self.last: Attempt | None = None
        self.attempts = 0
        self.throttled = 0
        self.done_reason = ""
        self.unexplained = False
        self._start = start
        self._due: float | None = None  # when the last action's attempt was due

    # -- inputs -----------------------------------------------------------------------------
    def record(self, attempt: Attempt) -> None:
        """Take the outcome of the attempt the last action asked for."""
        self.last = attempt
        self.attempts += 1
        self.throttled = self.throttled + 1 if attempt.outcome is Outcome.THROTTLED else 0
        if attempt.outcome is Outcome.LOCKED:
            self.refused += 1
            self.last_refused = attempt.sent_at
        if attempt.outcome is Outcome.COUNTED:
            self._counted(attempt)
        elif attempt.outcome is Outcome.SUCCESS:
            self._succeeded(attempt)
        elif attempt.outcome is Outcome.ERROR:
            self.stop(f"stopped on an unexpected answer: {attempt.message}", unexplained=True)
        if attempt.outcome is Outcome.COUNTED and attempt.credential is Credential.CORRECT:
            self.stop("the correct password was refused as incorrect", unexplained=True)
        if self.attempts >= self.settings.max_attempts and not self.done_reason:
            self.stop(f"attempt budget of {self.settings.max_attempts} spent")

    def _lifted(self, attempt: Attempt) -> None:
        """A lock is over: if it was seen and the model's duration is outside its bracket,
        keep the bracket, to poll finely there (and there times the factor) next time."""
        expected = self.model.expected(self.count) if self.count else 0.0
        bracket = (self.last_refused - self.lock_from, attempt.sent_at - self.lock_from)
        seen = self.refused > 0
        self.strayed = bracket if seen and not bracket[0] <= expected <= bracket[1] else None
        self.refused = 0
        self.lock_from = attempt.answered_at

    def _counted(self, attempt: Attempt) -> None:
        self._lifted(attempt)
        self.count += 1
        self.phase_failures += 1
        if self.closing:  # the phase's last lock lifted; this failure belongs to what follows
            self._advance()
            return
        if self.phase_failures >= self._target():
            self.closing = True

    def _succeeded(self, attempt: Attempt) -> None:
        self._lifted(attempt)
        self.count = 0
        if self.phase is Phase.BASELINE or self.closing:
            self._advance()

    def _advance(self) -> None:
        index = self.phases.index(self.phase) + 1
        self.closing = False
        self.phase_failures = 0
        if index >= len(self.phases):
            self.stop("finished")
            return
        self.phase = self.phases[index]
        if self.phase is Phase.IDLE_RESET:
            self.count = 0  # the model's count after the idle wait

    def stop(self, reason: str, *, unexplained: bool = False) -> None:
        """Stop this user's probe (the first reason given is kept); ``unexplained``: by an
        answer the model cannot explain, so what is left of the plan is not known to match."""
        if not self.done_reason:
            self.done_reason = reason
            self.unexplained = unexplained

    def _target(self) -> int:
        if self.phase is Phase.SCHEDULE:
            return self.settings.failures(self.model)
        return self.model.threshold

    # -- outputs ----------------------------------------------------------------------------
    def next_action(self) -> Action:
        """What to do next, given everything recorded so far."""
        if self.done_reason:
            return Action(kind=ActionKind.DONE, reason=self.done_reason)
        now = self.last.answered_at if self.last is not None else self._start
        at = now + self._delay(now)
        self._due = at
        return Action(kind=ActionKind.SEND, at=at, credential=self._credential(), phase=self.phase)

    def _credential(self) -> Credential:
        if self.phase is Phase.BASELINE:
            return Credential.CORRECT
        if not self.closing:
            return Credential.WRONG
        following = self._following()
        if following is Phase.SUCCESS_RESET:
            return Credential.CORRECT
        if following is None and self.knows_password:
            return Credential.CORRECT
        return Credential.WRONG

    def _following(self) -> Phase | None:
        index = self.phases.index(self.phase) + 1
        return self.phases[index] if index < len(self.phases) else None

    def _delay(self, now: float) -> float:
        poll = self.settings.poll
        if self.last is None:
            return 0.0
        if self.last.outcome is Outcome.THROTTLED:
            return poll_delay(0.0, 0.0, self.model, poll) * float(2 ** min(self.throttled, 10))
        if self._idle_wait_due():
            idle = self.model.idle_reset_real * (1 + self.settings.idle_margin)
            return idle + poll_delay(0.0, 0.0, self.model, poll)
        expected = self.model.expected(self.count) if self.count else 0.0
        if self.phase is Phase.BASELINE:
            expected = 0.0
        hints: tuple[Zone, ...] = ()
        if self.strayed is not None:
            low, high = self.strayed
            hints = (self.strayed, (low * self.model.factor, high * self.model.factor))
        return poll_delay(
            now - self.lock_from, expected, self.model, poll, hints, now - self._sent()
        )

    def _sent(self) -> float:
        """When the last attempt counts as sent, for the floor between polls: when it was due,
        if it went out less than :data:`LATE_SHARE` of the floor after that."""
        assert self.last is not None
        sent = self.last.sent_at
        if self._due is None:
            return sent
        return max(self._due, sent - LATE_SHARE * _floor(self.model, self.settings.poll))

    def _idle_wait_due(self) -> bool:
        """The first attempt of the idle phase waits out the idle reset."""
        return self.phase is Phase.IDLE_RESET and self.phase_failures == 0 and self._fresh_phase()

    def _fresh_phase(self) -> bool:
        last = self.last
        return last is not None and last.phase is not Phase.IDLE_RESET


def _phases(settings: PlanSettings, knows_password: bool) -> tuple[Phase, ...]:
    phases = [Phase.BASELINE] if knows_password else []
    phases.append(Phase.SCHEDULE)
    if settings.idle_reset:
        phases.append(Phase.IDLE_RESET)
    if settings.success_reset and knows_password:
        phases.append(Phase.SUCCESS_RESET)
    return tuple(phases)
