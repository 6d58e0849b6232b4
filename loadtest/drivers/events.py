"""What drivers report: one event per API call and one per piece of client maths.

Server latency and client compute time are separate events, so a report can never count the
client's exponentiation into Cognito's response time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from loadtest.flows.outcomes import Outcome, classify

__all__ = ["CallEvent", "ComputeEvent", "Event", "Reporter", "Tally", "call_event"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent:
    """One API call: its label (e.g. ``RespondToAuthChallenge:PASSWORD_VERIFIER``), timing
    from the request's first byte sent to the answer's last byte read, and how it ended."""

    name: str
    operation: str
    response_time_ms: float
    response_length: int
    exception: BaseException | None = None
    outcome: Outcome = Outcome.OK
    attempt: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputeEvent:
    """Client-side maths of one Compute effect (e.g. ``PASSWORD_VERIFIER``)."""

    name: str
    compute_ms: float
    exception: BaseException | None = None


Event = CallEvent | ComputeEvent
Reporter = Callable[[Event], None]


def call_event(
    name: str,
    operation: str,
    elapsed_ms: float,
    length: int,
    error: BaseException | None,
    attempt: int = 1,
) -> CallEvent:
    """A :class:`CallEvent` with its outcome classified."""
    return CallEvent(
        name=name,
        operation=operation,
        response_time_ms=elapsed_ms,
        response_length=length,
        exception=error,
        outcome=classify(error),
        attempt=attempt,
    )


@dataclass(slots=True)
class Tally:
    """A reporter that sums one run: server time, compute time, calls and outcomes.

    Chain it in front of another reporter with ``forward``.
    """

    forward: Reporter | None = None
    server_ms: float = 0.0
    compute_ms: float = 0.0
    calls: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)

    def __call__(self, event: Event) -> None:
        if isinstance(event, CallEvent):
            self.server_ms += event.response_time_ms
            self.calls += 1
            self.outcomes[event.outcome] = self.outcomes.get(event.outcome, 0) + 1
        else:
            self.compute_ms += event.compute_ms
        if self.forward is not None:
            self.forward(event)
