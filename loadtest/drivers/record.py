"""A login record: everything one run of a flow produced, gathered once.

A driver reports its events (each call, each piece of client maths) as they happen; running a
flow through :func:`record` collects them with the flow's result or typed failure and its
whole time. Server time, client compute time, the outcome and stock misses are derived from
the record, in one place, by whoever reads it (the Locust adapter, the report), instead of by a
chain of reporters each summing its own share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from loadtest.flows.effects import ComputeKind
from loadtest.flows.outcomes import LoginStopped, Outcome, classify

from .events import CallEvent, ComputeEvent, Event, Reporter

__all__ = ["LoginRecord", "record"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginRecord(Generic[T]):
    """One run of a flow: its name, result or error, whole time and every event in order."""

    flow: str
    result: T | None
    error: BaseException | None
    total_ms: float
    events: tuple[Event, ...]

    @property
    def outcome(self) -> Outcome:
        """How the whole login ended."""
        return classify(self.error)

    @property
    def calls(self) -> tuple[CallEvent, ...]:
        """The API calls, in order (each retry attempt its own)."""
        return tuple(e for e in self.events if isinstance(e, CallEvent))

    @property
    def computes(self) -> tuple[ComputeEvent, ...]:
        """The pieces of client maths, in order (not the out-of-band waits)."""
        return self._computes(ComputeKind.MATHS)

    @property
    def waits(self) -> tuple[ComputeEvent, ...]:
        """The out-of-band waits (a code's delivery by SMS or e-mail), in order."""
        return self._computes(ComputeKind.OUT_OF_BAND)

    def _computes(self, kind: ComputeKind) -> tuple[ComputeEvent, ...]:
        return tuple(e for e in self.events if isinstance(e, ComputeEvent) and e.kind is kind)

    @property
    def server_ms(self) -> float:
        """Time spent waiting for answers (sum of the calls)."""
        return sum(e.response_time_ms for e in self.events if type(e) is CallEvent)

    @property
    def compute_ms(self) -> float:
        """Time spent on client maths, kept apart from server time."""
        return self._ms(ComputeKind.MATHS)

    @property
    def out_of_band_ms(self) -> float:
        """Time spent waiting for what comes outside the API (codes), apart from both."""
        return self._ms(ComputeKind.OUT_OF_BAND)

    def _ms(self, kind: ComputeKind) -> float:
        """The time of one kind of Compute effect, in one pass over the events."""
        return sum(e.compute_ms for e in self.events if type(e) is ComputeEvent and e.kind is kind)

    @property
    def stock_misses(self) -> int:
        """Stocked values (ephemerals) the login had to wait for: the stock was empty."""
        return sum(
            1
            for e in self.events
            if type(e) is ComputeEvent and e.kind is ComputeKind.MATHS and e.stocked is False
        )


def record(
    flow: str,
    run: Callable[[Reporter], T],
    errors: tuple[type[BaseException], ...],
    *,
    clock: Callable[[], float] = time.perf_counter,
    on_event: Callable[[Event], None] | None = None,
    stops: tuple[type[BaseException], ...] = (),
    on_stop: Callable[[LoginRecord[T]], object] | None = None,
) -> LoginRecord[T]:
    """Run ``run(reporter)`` (a driver's ``run`` of one flow) and gather its record; a failure
    in ``errors`` becomes the record's error, anything else propagates (a bug).

    ``on_event`` also sees each event the moment it happens, so a consumer that counts calls
    (Locust's request table) counts each when it completes, not when its login ends.

    ``stops`` are what the end of a run raises into a login from outside (Locust's
    ``GreenletExit``): such a login is cut short, not failed. Its record (outcome ``stopped``:
    a :class:`LoginStopped`, the events it completed, its time up to the cut) goes to
    ``on_stop``, and the exception is raised again so that the stop proceeds. That way the
    calls it completed, which ``on_event`` already handed on, are in its consumers' totals
    too."""
    events: list[Event] = []
    start = clock()
    result: T | None = None
    error: BaseException | None = None
    try:
        result = run(events.append if on_event is None else _Tee(events, on_event))
    except errors as exc:
        error = exc
    except stops as exc:
        if on_stop is not None:
            on_stop(_cut(flow, exc, (clock() - start) * 1000, events))
        raise
    total_ms = (clock() - start) * 1000
    return LoginRecord(
        flow=flow, result=result, error=error, total_ms=total_ms, events=tuple(events)
    )


def _cut(flow: str, stop: BaseException, total_ms: float, events: list[Event]) -> LoginRecord[Any]:
    """The record of a login a stop cut short: what it completed, and its time to the cut."""
    error = LoginStopped(type(stop).__name__)
    return LoginRecord(flow=flow, result=None, error=error, total_ms=total_ms, events=tuple(events))


class _Tee:
    """A reporter that keeps each event and hands it on: a slotted object rather than a
    closure made per login."""

    __slots__ = ("_events", "_on_event")

    def __init__(self, events: list[Event], on_event: Callable[[Event], None]) -> None:
        self._events, self._on_event = events, on_event

    def __call__(self, event: Event) -> None:
        self._events.append(event)
        self._on_event(event)
