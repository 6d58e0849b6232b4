"""What the probe records: one :class:`Attempt` per sign-in attempt, as plain data.

Times are seconds on the probe's monotonic clock since the run started; ``sent_at`` and
``answered_at`` bracket the call that decided the outcome (for SRP, RespondToAuthChallenge), so
the pool's decision happened somewhere inside that window. Which password was sent is recorded
as :class:`Credential` (``wrong`` or ``correct``), never the password itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Attempt", "Credential", "Outcome", "Phase"]


class Outcome(StrEnum):
    """How one attempt ended, as far as the lockout is concerned."""

    COUNTED = "counted"  # "Incorrect username or password." (or a wrong MFA code): counted
    LOCKED = "locked"  # "Password attempts exceeded": refused, not counted
    SUCCESS = "success"  # the correct password was accepted: resets the count
    THROTTLED = "throttled"  # TooManyRequests: refused before the lockout logic
    LOST = "lost"  # no answer (connection failed, timed out): may or may not have counted
    ERROR = "error"  # any other refusal; the probe stops probing the user


class Credential(StrEnum):
    """What the attempt presented: a wrong secret, or the identity's correct one."""

    WRONG = "wrong"
    CORRECT = "correct"


class Phase(StrEnum):
    """The part of a user's probe an attempt belongs to."""

    BASELINE = "baseline"  # a correct sign-in first, so the count starts at 0
    SCHEDULE = "schedule"  # counted failures up to the cap, each lock measured
    IDLE_RESET = "idle_reset"  # after the idle wait: the count should start again at 0
    SUCCESS_RESET = "success_reset"  # after a success: the count should start again at 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One sign-in attempt of one user: when it was sent and answered, and how it ended."""

    user: str
    seq: int
    phase: Phase
    credential: Credential
    sent_at: float
    answered_at: float
    outcome: Outcome
    message: str = ""

    def __post_init__(self) -> None:
        if self.answered_at < self.sent_at:
            raise ValueError("an attempt cannot be answered before it was sent")

    def to_json(self) -> dict[str, Any]:
        """The ``attempt`` event of the events file."""
        return {
            "event": "attempt",
            "user": self.user,
            "seq": self.seq,
            "phase": self.phase.value,
            "credential": self.credential.value,
            "sent_at": round(self.sent_at, 6),
            "answered_at": round(self.answered_at, 6),
            "outcome": self.outcome.value,
            "message": self.message,
        }
