"""What the sync, gevent and asyncio drivers share: requests, answers, retries, signing."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from loadtest.flows.effects import Call, Compute
from loadtest.protocol.errors import CognitoError, TooManyRequests, TransportError
from loadtest.protocol.names import PUBLIC_OPERATIONS
from loadtest.protocol.wire import decode_response, encode_body, request_headers

from .events import ComputeEvent, Event, Reporter, call_event
from .transport import RawResponse

__all__ = [
    "CALL_ERRORS",
    "NO_RETRY",
    "RetryPolicy",
    "Signer",
    "build_request",
    "compute_event",
    "decode",
    "ignore",
    "retry_delay",
    "settle",
    "take_ready",
]

#: Exceptions a call can end with that are passed to the flow (everything else is a bug).
CALL_ERRORS = (CognitoError, TransportError)

#: Signs a non-public (Admin*) request: (url, headers, body) -> headers with Authorization.
Signer = Callable[[str, Mapping[str, str], bytes], Mapping[str, str]]


def ignore(event: Event) -> None:
    """A reporter that drops events."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Retries of throttled calls: off by default (``attempts=1``) so throttling is seen.

    When on, only ``TooManyRequestsException`` is retried, after a delay drawn as the AWS SDKs
    draw it, "full jitter": uniform in [0, min(``base_delay`` · 2^(attempt-1), ``max_delay``))
    (botocore's standard retry mode, with its 20 s cap; the SDK for JavaScript does the same).
    Clients throttled together then come back spread out; fixed doublings would send every
    throttled user's retry in the same instant, a retry storm that measures more throttling
    than real clients cause. Every attempt is reported as its own event.
    """

    attempts: int = 1
    base_delay: float = 0.1
    max_delay: float = 20.0
    #: The jitter's source, uniform in [0, 1) (``random.random``; a test may fix it).
    jitter: Callable[[], float] = random.random

    def retry_after(self, error: BaseException, attempt: int) -> float | None:
        """Seconds to wait before another attempt, or ``None`` to give up."""
        if attempt >= self.attempts or not isinstance(error, TooManyRequests):
            return None
        return float(self.jitter() * min(self.base_delay * 2 ** (attempt - 1), self.max_delay))


NO_RETRY = RetryPolicy()


def build_request(call: Call, url: str, signer: Signer | None) -> tuple[Mapping[str, str], bytes]:
    """Headers and body of a call; Admin* calls are signed when a signer is given."""
    body = encode_body(call.body)
    headers: Mapping[str, str] = request_headers(call.operation)
    if signer is not None and call.operation not in PUBLIC_OPERATIONS:
        headers = signer(url, headers, body)
    return headers, body


def decode(raw: RawResponse) -> dict[str, Any]:
    """The JSON answer, or raise the typed Cognito or transport error it describes."""
    return decode_response(raw.status, raw.headers, raw.body)


def settle(call: Call, attempt: int, start: float, raw: RawResponse, report: Reporter) -> Any:
    """Decode an answer that arrived and report the attempt as a success (or raise)."""
    elapsed = (time.perf_counter() - start) * 1000
    value = decode(raw)
    report(call_event(call.label, call.operation, elapsed, len(raw.body), None, attempt))
    return value


def retry_delay(
    call: Call,
    attempt: int,
    start: float,
    error: Exception,
    retry: RetryPolicy,
    report: Reporter,
) -> float:
    """Report a failed attempt; return the wait before the next, or re-raise ``error``."""
    elapsed = (time.perf_counter() - start) * 1000
    report(call_event(call.label, call.operation, elapsed, 0, error, attempt))
    delay = retry.retry_after(error, attempt)
    if delay is None:
        raise error
    return delay


def compute_event(
    effect: Compute, start: float, error: BaseException | None, stocked: bool | None = None
) -> ComputeEvent:
    """The event of one Compute effect that started at ``start`` (perf_counter seconds);
    ``stocked``: whether its ``ready`` stock served it (``None`` if it has none)."""
    elapsed = (time.perf_counter() - start) * 1000
    return ComputeEvent(
        name=effect.label, compute_ms=elapsed, exception=error, stocked=stocked, kind=effect.kind
    )


def take_ready(effect: Compute) -> tuple[Any, bool | None]:
    """The effect's value from its stock, if it has one and the stock is not empty, and
    whether the stock served it (``None``: no stock)."""
    if effect.ready is None:
        return None, None
    value = effect.ready()
    return value, value is not None
