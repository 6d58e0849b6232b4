"""What drivers report: one event per API call and one per piece of client maths.

Server latency and client compute time are separate events, so a report can never count the
client's exponentiation into Cognito's response time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from loadtest.flows.effects import ComputeKind
from loadtest.flows.outcomes import Outcome, classify

__all__ = ["CallEvent", "ComputeEvent", "Event", "Reporter", "call_event"]


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
    """Client-side time of one Compute effect: maths (e.g. ``PASSWORD_VERIFIER``), or an
    out-of-band wait (``code:SIGN_UP``: a code's delivery), as its ``kind`` says."""

    name: str
    compute_ms: float
    exception: BaseException | None = None
    #: For an effect with a stock (``Compute.ready``): whether the stock served it (``False``
    #: is a stock miss: the login waited for the maths). ``None``: the effect has no stock.
    stocked: bool | None = None
    kind: ComputeKind = ComputeKind.MATHS


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
