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


def poll_delay(elapsed: float, expected: float, model: LockoutModel, poll: PollSettings) -> float:
    """Real seconds to wait before the next poll, ``elapsed`` seconds into a lock of
    ``expected`` real seconds (0: none expected)."""
    shortest = max(poll.floor, model.real(poll.min_interval))
    longest = max(shortest, min(model.real(poll.max_interval), model.idle_reset_real / 4))
    near = expected > 0 and abs(elapsed - expected) <= poll.window * expected
    delay = (poll.fine if near else poll.coarse) * max(expected, elapsed)
    fine_from = expected * (1 - poll.window)
    if not near and elapsed < fine_from:
        delay = min(delay, fine_from - elapsed)
    return min(longest, max(shortest, delay))


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
        self.closing = False  # watching the last lock of the phase
        self.last: Attempt | None = None
        self.attempts = 0
        self.throttled = 0
        self.done_reason = ""
        self._start = start

    # -- inputs -----------------------------------------------------------------------------
    def record(self, attempt: Attempt) -> None:
        """Take the outcome of the attempt the last action asked for."""
        self.last = attempt
        self.attempts += 1
        self.throttled = self.throttled + 1 if attempt.outcome is Outcome.THROTTLED else 0
        if attempt.outcome is Outcome.COUNTED:
            self._counted(attempt)
        elif attempt.outcome is Outcome.SUCCESS:
            self._succeeded(attempt)
        elif attempt.outcome is Outcome.ERROR:
            self.stop(f"stopped on an unexpected answer: {attempt.message}")
        if attempt.outcome is Outcome.COUNTED and attempt.credential is Credential.CORRECT:
            self.stop("the correct password was refused as incorrect")
        if self.attempts >= self.settings.max_attempts and not self.done_reason:
            self.stop(f"attempt budget of {self.settings.max_attempts} spent")

    def _counted(self, attempt: Attempt) -> None:
        self.count += 1
        self.phase_failures += 1
        self.lock_from = attempt.answered_at
        if self.closing:  # the phase's last lock lifted; this failure belongs to what follows
            self._advance()
            return
        if self.phase_failures >= self._target():
            self.closing = True

    def _succeeded(self, attempt: Attempt) -> None:
        self.count = 0
        self.lock_from = attempt.answered_at
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

    def stop(self, reason: str) -> None:
        """Stop this user's probe (the first reason given is kept)."""
        if not self.done_reason:
            self.done_reason = reason

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
        return Action(
            kind=ActionKind.SEND,
            at=now + self._delay(now),
            credential=self._credential(),
            phase=self.phase,
        )

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
        return poll_delay(now - self.lock_from, expected, self.model, poll)

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
