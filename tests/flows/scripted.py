"""Scripted Cognito replies for flow tests, with real SRP maths on the server side.

:func:`run` drives a flow synchronously: Compute effects run for real, each Call is checked
against the next :class:`Step` of a script and answered by it (a dict, an exception, or a
function of the request body). :class:`SrpServer` and :class:`DeviceServer` answer the SRP
challenges with ``srp_fast``'s server side, so the proofs the flows compute are verified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyotp

import srp_fast
from loadtest.flows import AppClient, Call, Compute, Flow, FlowContext
from loadtest.protocol import errors

NOW = datetime(2026, 3, 5, 9, 4, 11, tzinfo=UTC)
POOL_ID = "us-east-1_AbCdEfGhI"
CLIENT_ID = "1example23456789"
Reply = Mapping[str, Any] | BaseException | Callable[[Mapping[str, Any]], Mapping[str, Any]]


def context(*, secret: str | None = None, now: datetime = NOW, **kwargs: Any) -> FlowContext:
    """A flow context with a fixed clock and real ephemerals."""
    client = AppClient(pool_id=POOL_ID, client_id=CLIENT_ID, client_secret=secret)
    return FlowContext(
        client=client, clock=lambda: now, ephemerals=srp_fast.new_ephemeral, **kwargs
    )


@dataclass
class Step:
    """One expected call (by label) and its reply."""

    label: str
    reply: Reply


@dataclass
class Transcript:
    """What a scripted run saw: every Call in order, and the labels of Compute effects."""

    calls: list[Call] = field(default_factory=list)
    computes: list[str] = field(default_factory=list)

    def body(self, label: str, index: int = 0) -> Mapping[str, Any]:
        return [c.body for c in self.calls if c.label == label][index]

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.calls]


def run(flow: Flow[Any], steps: Iterable[Step], transcript: Transcript | None = None) -> Any:
    """Drive ``flow`` through ``steps``; every step must be used, in order."""
    pending = list(steps)
    seen = transcript if transcript is not None else Transcript()
    value: Any = None
    error: BaseException | None = None
    for _ in range(100):
        try:
            effect = flow.throw(error) if error is not None else flow.send(value)
        except StopIteration as stop:
            assert not pending, f"unused steps: {[s.label for s in pending]}"
            return stop.value
        value, error = _perform(effect, pending, seen)
    raise AssertionError("flow did not finish within 100 effects")


def _perform(
    effect: Any, pending: list[Step], seen: Transcript
) -> tuple[Any, BaseException | None]:
    if isinstance(effect, Compute):
        seen.computes.append(effect.label)
        try:
            return effect.fn(*effect.args), None
        except Exception as exc:
            return None, exc
    assert isinstance(effect, Call)
    seen.calls.append(effect)
    assert pending, f"unexpected call {effect.label}"
    step = pending.pop(0)
    assert effect.label == step.label, f"expected {step.label}, got {effect.label}"
    return _answer(step.reply, effect.body)


def _answer(reply: Reply, body: Mapping[str, Any]) -> tuple[Any, BaseException | None]:
    if isinstance(reply, BaseException):
        return None, reply
    if callable(reply):
        try:
            return dict(reply(body)), None
        except errors.CognitoError as exc:
            return None, exc
    return dict(reply), None


def tokens(**extra: Any) -> dict[str, Any]:
    """A successful AuthenticationResult answer."""
    result = {
        "AccessToken": "access.token.x",
        "IdToken": "id.token.x",
        "RefreshToken": "refresh-token",
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
        **extra,
    }
    return {"AuthenticationResult": result}


def challenge(name: str, session: str | None = None, **params: str) -> dict[str, Any]:
    """A challenge answer."""
    answer: dict[str, Any] = {"ChallengeName": name, "ChallengeParameters": params}
    if session:
        answer["Session"] = session
    return answer


class SrpServer:
    """The server side of one SRP exchange, for a user or a device, with real maths."""

    def __init__(self, *, prefix: str, identity: str, verifier: srp_fast.Verifier) -> None:
        self.prefix, self.identity, self.verifier = prefix, identity, verifier
        self.secret_block = srp_fast.b64encode(b"opaque-secret-block")
        self._challenge: srp_fast.ServerChallenge | None = None
        self._big_a: Any = None

    @classmethod
    def for_user(cls, user_id: str, password: str) -> SrpServer:
        prefix = srp_fast.pool_name(POOL_ID)
        return cls(
            prefix=prefix,
            identity=user_id,
            verifier=srp_fast.make_verifier(prefix, user_id, password),
        )

    def parameters(self, srp_a: str) -> dict[str, str]:
        """SALT, SRP_B and SECRET_BLOCK for a client's SRP_A."""
        self._big_a = srp_fast.parse_srp_a(srp_a)
        self._challenge = srp_fast.server_challenge(self.verifier.verifier)
        return {
            "SALT": self.verifier.salt_hex,
            "SRP_B": self._challenge.srp_b_hex,
            "SECRET_BLOCK": self.secret_block,
        }

    def verify(self, answers: Mapping[str, Any]) -> None:
        """Check PASSWORD_CLAIM_SIGNATURE; NotAuthorized on a wrong proof, as Cognito."""
        assert self._challenge is not None
        key = srp_fast.server_session_key(self._big_a, self._challenge, self.verifier.verifier)
        assert answers["PASSWORD_CLAIM_SECRET_BLOCK"] == self.secret_block
        try:
            srp_fast.verify_claim(
                key,
                prefix=self.prefix,
                identity=self.identity,
                secret_block=srp_fast.b64decode_strict(self.secret_block, field="SB"),
                timestamp=answers["TIMESTAMP"],
                signature_b64=answers["PASSWORD_CLAIM_SIGNATURE"],
            )
        except srp_fast.InvalidProof:
            raise errors.NotAuthorized(errors.Messages.INCORRECT_PASSWORD) from None

    # Replies usable as Step.reply ------------------------------------------------------
    def password_verifier(
        self, username: str | None = None
    ) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """Reply to InitiateAuth(USER_SRP_AUTH) with a PASSWORD_VERIFIER challenge."""

        def reply(body: Mapping[str, Any]) -> dict[str, Any]:
            params = self.parameters(body["AuthParameters"]["SRP_A"])
            params |= {"USERNAME": username or self.identity, "USER_ID_FOR_SRP": self.identity}
            return challenge("PASSWORD_VERIFIER", **params)

        return reply

    def then(self, answer: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
        """Reply to the proof: verify it, then answer ``answer``."""

        def reply(body: Mapping[str, Any]) -> Mapping[str, Any]:
            self.verify(body["ChallengeResponses"])
            return answer

        return reply


def device_server(config: Mapping[str, str], *, group: str, key: str) -> SrpServer:
    """The device SRP server for a verifier config sent in ConfirmDevice."""
    verifier = srp_fast.verifier_from_config(config["Salt"], config["PasswordVerifier"])
    return SrpServer(prefix=group, identity=key, verifier=verifier)


def totp_ok(secret: str, now: datetime = NOW) -> Callable[[str], bool]:
    """A checker of a TOTP code, with Cognito's one step of skew."""
    return lambda code: pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1)
