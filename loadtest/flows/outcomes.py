"""How a call or a login ended, as one of a few outcomes counted apart in reports.

Throttling and lockouts are not ordinary failures: a load test exists to see them, so they are
outcomes of their own rather than hidden behind retries or lumped in with errors. So are the
service's own faults (``server_error``: a 5xx, ``InternalErrorException`` or
``ServiceUnavailableException``, or one without an error type, which the wire decoder makes an
``InternalError``), apart from answers that reject the request (``rejected``) and from calls
that got no answer at all (``transport``: refused, dropped, timed out).

A login the end of a run cut short (``stopped``) is none of these: the run's stop, not the
pool or the flow, ended it. Its record holds a :class:`LoginStopped` (never raised by a flow),
so the calls it made are counted while its truncated time and its missing result are not
judged as a login's.
"""

from __future__ import annotations

from enum import StrEnum

from loadtest.protocol.errors import (
    CognitoError,
    Messages,
    NotAuthorized,
    TooManyRequests,
    TransportError,
)

__all__ = ["LoginStopped", "Outcome", "classify"]


class Outcome(StrEnum):
    """The outcome of one call or one login."""

    OK = "ok"
    THROTTLED = "throttled"
    LOCKED_OUT = "locked_out"
    REJECTED = "rejected"
    SERVER_ERROR = "server_error"
    TRANSPORT = "transport"
    CLIENT = "client"
    #: Cut short by the end of the run (a login only: its calls each have their own outcome).
    STOPPED = "stopped"


class LoginStopped(Exception):
    """The error of a login cut short from outside the flow by the end of a run (Locust
    killing its user): not a failure. ``by`` names what cut it (``GreenletExit``, ...)."""

    def __init__(self, by: str) -> None:
        super().__init__(f"cut short by the end of the run ({by})")
        self.by = by


def classify(error: BaseException | None) -> Outcome:
    """Map an exception (or ``None`` for success) to its :class:`Outcome`."""
    if error is None:
        return Outcome.OK
    if isinstance(error, TooManyRequests):
        return Outcome.THROTTLED
    if isinstance(error, NotAuthorized) and error.message == Messages.ATTEMPTS_EXCEEDED:
        return Outcome.LOCKED_OUT
    if isinstance(error, CognitoError) and error.status >= 500:
        return Outcome.SERVER_ERROR
    if isinstance(error, CognitoError):
        return Outcome.REJECTED
    if isinstance(error, TransportError):
        return Outcome.TRANSPORT
    if isinstance(error, LoginStopped):
        return Outcome.STOPPED
    return Outcome.CLIENT  # FlowError, srp_fast.SrpError, or a bug
