"""What the sync, gevent and asyncio drivers share: requests, answers, retries, signing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from loadtest.flows.effects import Call
from loadtest.protocol.errors import CognitoError, TooManyRequests, TransportError
from loadtest.protocol.names import PUBLIC_OPERATIONS
from loadtest.protocol.wire import decode_response, encode_body, request_headers

from .events import Event
from .transport import RawResponse

__all__ = ["CALL_ERRORS", "RetryPolicy", "Signer", "build_request", "decode", "ignore"]

#: Exceptions a call can end with that are passed to the flow (everything else is a bug).
CALL_ERRORS = (CognitoError, TransportError)

#: Signs a non-public (Admin*) request: (url, headers, body) -> headers with Authorization.
Signer = Callable[[str, Mapping[str, str], bytes], Mapping[str, str]]


def ignore(event: Event) -> None:
    """A reporter that drops events."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Retries of throttled calls: off by default (``attempts=1``) so throttling is seen.

    When on, only ``TooManyRequestsException`` is retried, after ``base_delay`` doubling per
    attempt; every attempt is reported as its own event.
    """

    attempts: int = 1
    base_delay: float = 0.1

    def retry_after(self, error: BaseException, attempt: int) -> float | None:
        """Seconds to wait before another attempt, or ``None`` to give up."""
        if attempt >= self.attempts or not isinstance(error, TooManyRequests):
            return None
        return float(self.base_delay * 2 ** (attempt - 1))


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
