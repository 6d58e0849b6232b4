"""Fault injection for resilience scenarios: latency, throttles, 5xx, dropped connections, stalls.

``--fault SPEC`` (repeatable). ``SPEC = KIND[:ARG][@RATE][/OPERATION]``:

==========================  ==================================================================
``latency:50ms``            add 50 ms to every API answer (``ms``, ``s``; ``20-80ms``: uniform)
``latency:200ms@0.1``       ... to 10 % of answers
``throttle@0.05``           answer 5 % of calls with ``TooManyRequestsException``
``5xx@0.01``                answer 1 % with ``InternalErrorException`` (HTTP 500)
``503@0.01``                answer 1 % with ``ServiceUnavailableException`` (HTTP 503)
``drop@0.01``               close 1 % of connections without an answer
``stall:10s+5s``            hold every API answer from 10 s after start for 5 s
``throttle@0.5/InitiateAuth``  limit a fault to one operation
``latency:40s/oauth2/token``  delay one endpoint of a domain (latency only; managed login, OAuth)
==========================  ==================================================================

RATE defaults to 1. Faults apply to the API's operations; a latency fault naming a domain
endpoint (:class:`~loadtest.protocol.names.Endpoint`: ``login``, ``mfa``, ``forceChangePassword``,
``oauth2/token``, ...) delays that endpoint's answers, so a test can hold a managed-login
sign-in between two pages. A stall can also be started at run time with ``POST /_pool/stall``
(``{"seconds": 5}``): answers are held, not refused, until it ends, in every worker.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from loadtest.protocol.names import Endpoint
from loadtest.protocol.units import BadValue, parse_duration

__all__ = ["Fault", "FaultKind", "FaultPlan", "FaultSpecError", "Stall", "parse_fault"]


class FaultSpecError(ValueError):
    """A ``--fault`` value that does not parse."""


class FaultKind(StrEnum):
    """What a fault does."""

    LATENCY = "latency"
    THROTTLE = "throttle"
    ERROR_500 = "5xx"
    ERROR_503 = "503"
    DROP = "drop"
    STALL = "stall"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One parsed fault: kind, probability, optional operation, latency range in seconds."""

    kind: FaultKind
    rate: float = 1.0
    operation: str | None = None
    low: float = 0.0
    high: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Stall:
    """A scheduled pause of all answers: ``start`` seconds after startup, for ``duration``."""

    start: float
    duration: float


_SPEC = re.compile(
    r"(?P<kind>[a-z0-9]+)(?::(?P<arg>[^@/]+))?(?:@(?P<rate>[0-9.]+))?"
    r"(?:/(?P<op>[A-Za-z][A-Za-z0-9_/]*))?"
)
#: The domain endpoints a latency fault may name (an answer there is a page, not an API error).
_ENDPOINTS = frozenset(Endpoint)


def _seconds(text: str) -> float:
    try:
        return parse_duration(text)
    except BadValue as exc:
        raise FaultSpecError(str(exc)) from None


def _latency_range(arg: str | None) -> tuple[float, float]:
    if not arg:
        raise FaultSpecError("latency needs a duration, e.g. latency:50ms")
    unit = "ms" if arg.endswith("ms") else ("s" if arg.endswith("s") else "")
    low, _, high = arg.removesuffix(unit).partition("-")
    lo, hi = _seconds(low + unit), _seconds((high or low) + unit)
    if hi < lo:
        raise FaultSpecError(f"latency range is reversed: {arg!r}")
    return lo, hi


def parse_fault(spec: str) -> Fault | Stall:
    """Parse one ``--fault`` value (see the module docstring for the syntax)."""
    match = _SPEC.fullmatch(spec.strip())
    if match is None:
        raise FaultSpecError(f"not a fault spec: {spec!r}")
    try:
        kind = FaultKind(match["kind"])
    except ValueError as exc:
        kinds = ", ".join(k.value for k in FaultKind)
        raise FaultSpecError(f"unknown fault kind {match['kind']!r} (one of {kinds})") from exc
    if kind is FaultKind.STALL:
        start, plus, duration = (match["arg"] or "").partition("+")
        if not plus:
            raise FaultSpecError("stall needs START+DURATION, e.g. stall:10s+5s")
        return Stall(start=_seconds(start), duration=_seconds(duration))
    if match["op"] in _ENDPOINTS and kind is not FaultKind.LATENCY:
        raise FaultSpecError(f"only latency applies to a domain endpoint: {spec!r}")
    rate = float(match["rate"]) if match["rate"] else 1.0
    if not 0.0 <= rate <= 1.0:
        raise FaultSpecError(f"rate must be between 0 and 1: {spec!r}")
    low, high = _latency_range(match["arg"]) if kind is FaultKind.LATENCY else (0.0, 0.0)
    return Fault(kind=kind, rate=rate, operation=match["op"], low=low, high=high)


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What to do with one request: delay first, then maybe replace the answer."""

    delay: float = 0.0
    outcome: FaultKind | None = None


class FaultPlan:
    """Draws, per request, which configured faults fire (seeded for reproducible runs)."""

    def __init__(self, faults: tuple[Fault, ...], *, seed: int | None = None) -> None:
        self._faults = faults
        self._rng = random.Random(seed)  # noqa: S311 - fault draws, not secrets

    def __bool__(self) -> bool:
        return bool(self._faults)

    def decide(self, operation: str) -> Decision:
        """The delay and the replacing outcome (throttle, error, drop) for this request."""
        delay, outcome = 0.0, None
        for fault in self._fired(lambda f: f.operation in (None, operation)):
            if fault.kind is FaultKind.LATENCY:
                delay += self._rng.uniform(fault.low, fault.high)
            elif outcome is None:
                outcome = fault.kind
        return Decision(delay=delay, outcome=outcome)

    def endpoint_delay(self, endpoint: str) -> float:
        """The latency added to a domain endpoint's answer: only the faults naming it apply
        (:func:`parse_fault` allows latency alone there)."""
        fired = self._fired(lambda f: f.operation == endpoint)
        return sum((self._rng.uniform(f.low, f.high) for f in fired), 0.0)

    def _fired(self, applies: Callable[[Fault], bool]) -> Iterator[Fault]:
        """The faults that apply to a request and whose rate draw fires, in order (the
        caller's own draws follow each, so a seed replays the same run)."""
        for fault in self._faults:
            if applies(fault) and self._rng.random() < fault.rate:
                yield fault
