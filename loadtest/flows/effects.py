"""What a flow asks its driver to do, and the failures a flow can end with.

A flow is a generator: it yields an effect, the driver performs it and resumes the generator
with the effect's result (``response = yield Call(...)``), or throws the effect's exception into
it. The flow returns its result through ``StopIteration``. Nothing here touches a socket, a
clock or a random source.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias, TypeVar

from loadtest.protocol.names import Endpoint, Operation

__all__ = [
    "Call",
    "Compute",
    "ComputeKind",
    "Effect",
    "Fetch",
    "Flow",
    "FlowError",
    "MissingCredential",
    "Page",
    "UnexpectedResponse",
    "UnsupportedChallenge",
    "call",
    "compute",
    "not_an_api_call",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One Cognito API call: a JSON body POSTed with ``X-Amz-Target`` = the operation.

    ``label`` names the call in reports, e.g. ``RespondToAuthChallenge:PASSWORD_VERIFIER``. The
    driver resumes the flow with the decoded JSON object, or throws the typed Cognito or
    transport error into it.
    """

    operation: Operation
    body: Mapping[str, Any] = field(repr=False)
    label: str


class ComputeKind(StrEnum):
    """What a Compute effect's time is, for the reports.

    ``maths``: the client's own work (SRP, device secrets), the generator's share of a login.
    ``out_of_band``: a wait for something delivered outside the API, such as a code Cognito
    sends by SMS or e-mail (the code source reads the local pool's sink, or the user's inbox
    or SMS store): neither client maths nor server time.
    """

    MATHS = "maths"
    OUT_OF_BAND = "out_of_band"


@dataclass(frozen=True, slots=True, kw_only=True)
class Compute:
    """Client-side work (big-number maths) the driver may run off its event loop.

    The driver calls ``fn(*args)``, resumes the flow with the return value (or throws its
    exception), and reports the time as client compute, never as server latency. ``ready``,
    when given, is a cheap way to the same value (e.g. a precomputed ephemeral from a stock)
    that the driver tries first on its own thread: a value other than ``None`` is used as it
    is, and no hand-off to the math threads is paid for it. ``kind`` says how its time is
    reported (:class:`ComputeKind`).
    """

    fn: Callable[..., Any] = field(repr=False)
    args: tuple[Any, ...] = field(default=(), repr=False)
    label: str
    ready: Callable[[], Any] | None = field(default=None, repr=False)
    kind: ComputeKind = ComputeKind.MATHS


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetch:
    """One HTTP request to a user-pool domain endpoint (managed login, OAuth: :mod:`.hosted`):
    ``method <base>/<endpoint>?<query>``, the base known only to whoever performs it."""

    method: str
    endpoint: Endpoint
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    label: str
    #: the quota detail of the call (the grant type of the token endpoint), as a CallKey's
    detail: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """The answer: status, redirect target, cookies set (name -> value), body as text, and
    the domain limit a 429 names (the local pool's ``X-Loadtest-Domain-Limit`` header)."""

    status: int
    location: str | None = None
    cookies: Mapping[str, str] = field(default_factory=dict, repr=False)
    body: str = field(default="", repr=False)
    domain_limit: str | None = None


Effect: TypeAlias = Call | Compute | Fetch
#: A flow yields effects, is sent their results, and returns ``T``.
Flow: TypeAlias = Generator[Effect, Any, T]


def not_an_api_call(effect: Fetch) -> FlowError:
    """What an API driver raises for a :class:`Fetch` (``hosted.run_http`` performs those)."""
    return FlowError(f"{effect.label}: an HTTP endpoint call, not an API operation")


def call(operation: Operation, body: Mapping[str, Any], label: str) -> Flow[dict[str, Any]]:
    """Yield one :class:`Call` and return its JSON answer (for ``yield from``)."""
    response: dict[str, Any] = yield Call(operation=operation, body=body, label=label)
    return response


def compute(
    label: str,
    fn: Callable[..., T],
    *args: Any,
    ready: Callable[[], T | None] | None = None,
    kind: ComputeKind = ComputeKind.MATHS,
) -> Flow[T]:
    """Yield one :class:`Compute` and return its value (for ``yield from``)."""
    value: T = yield Compute(fn=fn, args=args, label=label, ready=ready, kind=kind)
    return value


class FlowError(Exception):
    """A login could not go on for a reason on the client's side of the protocol.

    Cognito's own refusals are :class:`loadtest.protocol.errors.CognitoError`; transport
    failures are :class:`loadtest.protocol.errors.TransportError`; both pass through flows.
    """


class UnsupportedChallenge(FlowError):
    """Cognito asked for a challenge this flow does not answer (e.g. SMS_MFA)."""

    def __init__(self, challenge: str, reason: str = "not supported by this flow") -> None:
        super().__init__(f"{challenge}: {reason}")
        self.challenge = challenge


class MissingCredential(FlowError):
    """The identity lacks what a challenge needs (a TOTP secret, a new password, ...)."""

    def __init__(self, what: str, username: str) -> None:
        super().__init__(f"identity {username!r} has no {what}")
        self.what = what
        self.username = username


class UnexpectedResponse(FlowError):
    """An answer without a field the protocol promises (Cognito or the pool misbehaved)."""

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(f"{label}: {reason}")
        self.label = label
