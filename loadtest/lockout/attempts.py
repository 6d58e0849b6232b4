"""One sign-in attempt over the asyncio driver, timed and classified for the lockout.

Three ways to fail a sign-in (:class:`Method`):

- ``srp``: the full USER_SRP_AUTH exchange with a wrong password (InitiateAuth, the client's
  maths, RespondToAuthChallenge PASSWORD_VERIFIER refused);
- ``password``: InitiateAuth USER_PASSWORD_AUTH with a wrong password (:func:`password_attempt`);
- ``mfa``: the correct password, then a wrong SOFTWARE_TOKEN_MFA code (needs a synthetic
  identity: its password is sent).

The time window recorded is that of the attempt's last call, the one whose answer decided the
outcome, taken by :class:`TimedTransport` around the socket, so the driver's decoding and the
client's maths stay outside it.

A user with TOTP signs in with a code, and Cognito takes each code once (``ExpiredCodeException``
"Your software token has already been used once."; ±1 step of skew). The probe's correct
sign-ins (the baseline, the success that lifts a phase's last lock, the success reset) come
seconds apart on a time-scaled pool, so the attempter keeps one :class:`Identity` per user, and
with it the last step sent (from the identities file to begin with). When every code it may send
is spent, or another client spent one, the sign-in is resumed with the next free step: after
waiting for it, with a new InitiateAuth, since the session waits on no one. The lock had lifted
at the first password verifier already, so that call's window is the one recorded.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from loadtest.drivers import AsyncDriver, AsyncTransport, RawResponse
from loadtest.flows import AppClient, FlowContext, Identity, LoginOptions, srp_login
from loadtest.flows.effects import Flow, call
from loadtest.flows.totp import TotpStepSpent
from loadtest.protocol.errors import (
    CodeMismatch,
    CognitoError,
    ExpiredCode,
    Messages,
    NotAuthorized,
    TooManyRequests,
    TransportError,
)
from loadtest.protocol.names import AuthFlow, Operation

from .records import Attempt, Credential, Outcome, Phase

__all__ = [
    "Attempter",
    "Method",
    "ProbeUser",
    "TimedTransport",
    "classify",
    "password_attempt",
    "wrong_password",
]

Clock = Callable[[], float]
_NO_DEVICE = LoginOptions(use_device=False)
#: The longest an SRP attempt starts ahead of its deciding call (challenges last seconds).
_MAX_LEAD = 0.5
#: Sign-ins of one attempt at most. Another client (an earlier probe, a Locust run) may have
#: spent this step's code and the next one's, which it may send early: two refused codes, a
#: wait for a free step, then the sign-in that counts.
_TOTP_TRIES = 4


class Method(StrEnum):
    """How the probe fails a sign-in."""

    SRP = "srp"
    PASSWORD = "password"
    MFA = "mfa"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeUser:
    """A user to probe. ``password`` only for synthetic identities (from an identities file);
    ``wrong`` is the wrong password this probe sends, never equal to the right one."""

    username: str
    password: str | None = field(default=None, repr=False)
    totp_secret: str | None = field(default=None, repr=False)
    wrong: str = field(default_factory=lambda: wrong_password(), repr=False)
    #: The last TOTP step the identities file says was sent (its code is spent).
    last_totp_step: int | None = None

    def __post_init__(self) -> None:
        if self.password is not None and self.wrong == self.password:
            raise ValueError("the wrong password must differ from the right one")


def wrong_password() -> str:
    """A random password no user has (it satisfies the default policy, so it is checked)."""
    return "Wrong-" + base64.urlsafe_b64encode(os.urandom(12)).decode() + "7!"


def password_attempt(username: str, password: str, client: AppClient) -> Flow[dict[str, Any]]:
    """InitiateAuth with USER_PASSWORD_AUTH; the answer (tokens or the next challenge)."""
    body = {
        "AuthFlow": AuthFlow.USER_PASSWORD_AUTH,
        "ClientId": client.client_id,
        "AuthParameters": {
            "USERNAME": username,
            "PASSWORD": password,
            **client.secret_hash(username),
        },
    }
    label = f"{Operation.INITIATE_AUTH}:{AuthFlow.USER_PASSWORD_AUTH}"
    return (yield from call(Operation.INITIATE_AUTH, body, label))


def classify(error: BaseException | None) -> tuple[Outcome, str]:
    """The lockout outcome of an attempt that ended with ``error`` (``None``: success)."""
    if error is None:
        return Outcome.SUCCESS, ""
    if isinstance(error, NotAuthorized) and error.message == Messages.ATTEMPTS_EXCEEDED:
        return Outcome.LOCKED, error.message
    if isinstance(error, NotAuthorized) and error.message == Messages.INCORRECT_PASSWORD:
        return Outcome.COUNTED, error.message
    if isinstance(error, CodeMismatch):
        return Outcome.COUNTED, error.message
    if isinstance(error, TooManyRequests):
        return Outcome.THROTTLED, error.message
    if isinstance(error, TransportError):
        return Outcome.LOST, type(error).__name__
    if isinstance(error, CognitoError):
        return Outcome.ERROR, f"{error.error_type}: {error.message}"
    return Outcome.ERROR, type(error).__name__


class TimedTransport:
    """Wraps a shared transport and keeps the window of the last POST on the probe's clock.

    ``hold`` (an operation and a probe time) holds that operation's next request until then,
    so an SRP attempt can do InitiateAuth and its maths ahead and send the deciding
    RespondToAuthChallenge on time; ``reached`` is when the held request was ready.
    """

    def __init__(self, inner: AsyncTransport, clock: Clock) -> None:
        self.url = inner.url
        self._inner, self.clock = inner, clock
        self.window: tuple[float, float] | None = None
        self.hold: tuple[str, float] | None = None
        self.reached: float | None = None

    async def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse:
        if self.hold is not None and headers.get("X-Amz-Target", "").endswith(self.hold[0]):
            until = self.hold[1]
            self.hold, self.reached = None, self.clock()
            await asyncio.sleep(max(0.0, until - self.reached))
        sent = self.clock()
        try:
            return await self._inner.post(headers, body)
        finally:
            self.window = (sent, self.clock())

    async def close(self) -> None:
        """The shared transport is closed by its owner."""


class Attempter:
    """Performs the attempts of one user with one method."""

    def __init__(
        self,
        user: ProbeUser,
        method: Method,
        *,
        transport: TimedTransport,
        driver: AsyncDriver,
        context: FlowContext,
    ) -> None:
        if method is Method.MFA and user.password is None:
            raise ValueError("wrong MFA codes need the user's password (a synthetic identity)")
        self.user, self.method = user, method
        self.transport, self.driver, self.context = transport, driver, context
        self.prepare = 0.0  # seconds an SRP attempt took to reach its deciding call, last time
        #: The user's sign-ins with the correct password, and the TOTP steps they sent.
        self.identity = Identity(
            username=user.username,
            password=user.password or "",
            totp_secret=user.totp_secret,
            last_totp_step=user.last_totp_step,
        )

    @property
    def lead(self) -> float:
        """How long before its time an attempt should start: SRP does InitiateAuth and its
        maths ahead (bounded well inside the challenge's validity); the others need none."""
        return min(2 * self.prepare, _MAX_LEAD) if self.method is Method.SRP else 0.0

    async def attempt(
        self, seq: int, credential: Credential, phase: Phase, *, at: float | None = None
    ) -> Attempt:
        """Send one sign-in attempt (its deciding call not before ``at``), record when it was
        decided and how."""
        started = self.transport.clock()
        self.transport.window, self.transport.reached = None, None
        if at is not None and self.method is Method.SRP:
            self.transport.hold = (Operation.RESPOND_TO_AUTH_CHALLENGE, at)
        error, decided = await self._sign_in(credential)
        self.transport.hold = None
        if self.transport.reached is not None:
            self.prepare = self.transport.reached - started
        outcome, message = classify(error)
        now = self.transport.clock()
        sent, answered = decided or self.transport.window or (now, now)  # refused before any call
        return Attempt(
            user=self.user.username,
            seq=seq,
            phase=phase,
            credential=credential,
            sent_at=sent,
            answered_at=answered,
            outcome=outcome,
            message=message,
        )

    async def _sign_in(
        self, credential: Credential
    ) -> tuple[BaseException | None, tuple[float, float] | None]:
        """Run the attempt's sign-in; the error it ended with (``None``: signed in) and, if
        it was resumed for a TOTP code, the window of the call that got that far."""
        decided: tuple[float, float] | None = None
        error: BaseException | None = None
        for _ in range(_TOTP_TRIES):
            try:
                await self.driver.run(self._flow(credential))
                return None, decided
            except TotpStepSpent as exc:  # before a code was sent: the password was taken
                decided = decided or self.transport.window
                wait = (exc.retry_at - self.context.clock()).total_seconds()
                await asyncio.sleep(max(0.0, wait))
                error = exc
            except ExpiredCode as exc:
                if exc.message != Messages.TOTP_REPLAYED or credential is not Credential.CORRECT:
                    return exc, decided
                decided = decided or self.transport.window  # spent by another client
                error = exc
            except Exception as exc:
                return exc, decided
        return error, decided

    def _flow(self, credential: Credential) -> Flow[Any]:
        user = self.user
        secret = self._secret(credential)
        if self.method is Method.PASSWORD:
            return password_attempt(user.username, secret, self.context.client)
        if credential is Credential.CORRECT:
            return srp_login(self.identity, self.context, _NO_DEVICE)
        totp = user.totp_secret
        if self.method is Method.MFA:
            totp = _decoy_totp_secret()  # its codes are not the user's: a wrong MFA code
        identity = Identity(username=user.username, password=secret, totp_secret=totp)
        return srp_login(identity, self.context, _NO_DEVICE)

    def _secret(self, credential: Credential) -> str:
        if self.method is Method.MFA or credential is Credential.CORRECT:
            if self.user.password is None:
                raise ValueError(f"no password known for {self.user.username!r}")
            return self.user.password
        return self.user.wrong


def _decoy_totp_secret() -> str:
    return base64.b32encode(os.urandom(20)).decode()
