"""Sign-in flows: USER_SRP_AUTH, ADMIN_USER_PASSWORD_AUTH (or its legacy name ADMIN_NO_SRP_AUTH)
and CUSTOM_AUTH (with or without SRP first), and every challenge after them.

This module owns the sign-in state machine. A login starts with InitiateAuth (or
AdminInitiateAuth) and then answers whatever Cognito asks, through one table,
:data:`_HANDLERS`, from challenge name to the generator that answers it:

=========================  ====================================================================
PASSWORD_VERIFIER          SRP proof (USERNAME = USER_ID_FOR_SRP; DEVICE_KEY if a device is used)
SOFTWARE_TOKEN_MFA         a TOTP code, never one already sent
SELECT_MFA_TYPE            ANSWER = ``mfa_choice`` if offered, else TOTP with a seed, else SMS,
                           else e-mail
SMS_MFA                    the code from the context's code source (:mod:`.codes`)
EMAIL_OTP                  e-mail MFA after a password: the code, as for SMS_MFA
CUSTOM_CHALLENGE           ANSWER from the context's custom answerer, given the public params
MFA_SETUP                  AssociateSoftwareToken + VerifySoftwareToken by Session, then answer
NEW_PASSWORD_REQUIRED      NEW_PASSWORD (and required attributes) from :class:`LoginOptions`
DEVICE_SRP_AUTH            SRP_A for the remembered device
DEVICE_PASSWORD_VERIFIER   the device's SRP proof
=========================  ====================================================================

Anything else raises :class:`UnsupportedChallenge`. After the tokens, a login that got
``NewDeviceMetadata`` may register the device (ConfirmDevice, UpdateDeviceStatus). A login with
a remembered device that Cognito no longer knows (``ResourceNotFoundException``
``Device does not exist.``) forgets it and starts over without it, once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from types import MappingProxyType
from typing import Any

import srp_fast
from loadtest.protocol.errors import ResourceNotFound
from loadtest.protocol.names import AuthFlow, Challenge, Operation

from .codes import CodeRequest, read_code
from .context import CustomAnswerer, FlowContext
from .effects import (
    Flow,
    FlowError,
    MissingCredential,
    UnexpectedResponse,
    UnsupportedChallenge,
    call,
    compute,
)
from .identity import DeviceCredentials, Identity
from .results import LoginResult, Note, Tokens, Trail, tokens_from
from .totp import take_code

__all__ = [
    "ClientSecret",
    "CustomAnswerer",
    "LoginOptions",
    "admin_login",
    "custom_login",
    "is_missing_device",
    "srp_login",
]

Json = dict[str, Any]


class ClientSecret(StrEnum):
    """How a client draws its SRP secret ``a``, for user and device SRP alike.

    Cognito sees only A = g^a, never a's size. The exponent on a login's critical path is
    a + u·x with 256-bit u and x, so ``RFC3526`` (256 bits, RFC 3526 §8's size for the
    3072-bit group) makes it ~512 bits, half the cost of ``REFERENCE`` (128 random bytes, as
    Amplify and pycognito draw it), which stays available to mimic those clients exactly.
    The secret comes from the context's ephemeral stock, so the size is chosen where the
    stock is built: ``EphemeralPool(bits=ClientSecret(...).bits)``.
    """

    RFC3526 = "rfc3526"
    REFERENCE = "reference"

    @property
    def bits(self) -> int:
        """The secret's size in bits."""
        if self is ClientSecret.REFERENCE:
            return srp_fast.REFERENCE_CLIENT_BITS
        return srp_fast.CLIENT_BITS


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginOptions:
    """How a login behaves beyond the protocol.

    ``use_device`` sends the identity's remembered device; ``remember_device`` registers the
    device Cognito offers after the tokens; ``new_password`` answers NEW_PASSWORD_REQUIRED,
    with ``user_attributes`` for its required attributes; ``max_challenges`` bounds the loop.
    """

    use_device: bool = True
    remember_device: bool = False
    new_password: str | None = field(default=None, repr=False)
    user_attributes: Mapping[str, str] = field(default_factory=dict)
    max_challenges: int = 8
    #: SELECT_MFA_TYPE's answer when offered (SMS_MFA, SOFTWARE_TOKEN_MFA or EMAIL_OTP); None:
    #: TOTP if the identity has a seed, else SMS_MFA, else EMAIL_OTP.
    mfa_choice: str | None = None
    #: AdminInitiateAuth's password flow: ADMIN_USER_PASSWORD_AUTH or ADMIN_NO_SRP_AUTH.
    admin_flow: AuthFlow = AuthFlow.ADMIN_USER_PASSWORD_AUTH
    #: CUSTOM_AUTH: verify the password by SRP first (CHALLENGE_NAME=SRP_A).
    custom_srp: bool = True


DEFAULT_OPTIONS = LoginOptions()


def srp_login(
    identity: Identity, ctx: FlowContext, options: LoginOptions = DEFAULT_OPTIONS
) -> Flow[LoginResult]:
    """A full USER_SRP_AUTH login, with the remembered device if there is one."""
    trail = Trail()
    device = identity.device if options.use_device else None
    if device is not None:
        try:
            return (yield from _srp_attempt(identity, ctx, options, trail, device))
        except ResourceNotFound as exc:
            if not is_missing_device(exc):
                raise
            identity.forget_device()
            trail.note(Note.DEVICE_FORGOTTEN)
    return (yield from _srp_attempt(identity, ctx, options, trail, None))


def is_missing_device(exc: ResourceNotFound) -> bool:
    """Whether Cognito refused a device it does not know (Amplify matches the same text)."""
    return "device" in exc.message.lower()


def admin_login(
    identity: Identity, ctx: FlowContext, options: LoginOptions = DEFAULT_OPTIONS
) -> Flow[LoginResult]:
    """AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH (or ADMIN_NO_SRP_AUTH, per options),
    then AdminRespondToAuthChallenge."""
    client = ctx.client
    login = _Login(identity, ctx, options, Trail(), admin=True, device=None)
    parameters = {
        "USERNAME": identity.username,
        "PASSWORD": identity.password,
        **client.secret_hash(identity.username),
    }
    body = {
        "UserPoolId": client.pool_id,
        "ClientId": client.client_id,
        "AuthFlow": options.admin_flow,
        "AuthParameters": parameters,
    }
    label = f"{Operation.ADMIN_INITIATE_AUTH}:{options.admin_flow}"
    response = yield from login.call(Operation.ADMIN_INITIATE_AUTH, body, label)
    return (yield from login.finish(response))


def custom_login(
    identity: Identity, ctx: FlowContext, options: LoginOptions = DEFAULT_OPTIONS
) -> Flow[LoginResult]:
    """InitiateAuth CUSTOM_AUTH, SRP first unless ``options.custom_srp`` is off; each
    CUSTOM_CHALLENGE is answered by ``ctx.custom_answers`` (one request each, named
    ``RespondToAuthChallenge:CUSTOM_CHALLENGE``)."""
    login = _Login(identity, ctx, options, Trail(), admin=False, device=None)
    parameters = {"USERNAME": identity.username, **ctx.client.secret_hash(identity.username)}
    if options.custom_srp:
        login.ephemeral = yield from compute("ephemeral", ctx.ephemerals, ready=ctx.ready_ephemeral)
        parameters.update({"CHALLENGE_NAME": "SRP_A", "SRP_A": login.ephemeral.public_hex})
    body = {
        "AuthFlow": AuthFlow.CUSTOM_AUTH,
        "ClientId": ctx.client.client_id,
        "AuthParameters": parameters,
    }
    label = f"{Operation.INITIATE_AUTH}:{AuthFlow.CUSTOM_AUTH}"
    response = yield from login.call(Operation.INITIATE_AUTH, body, label)
    return (yield from login.finish(response))


def _srp_attempt(
    identity: Identity,
    ctx: FlowContext,
    options: LoginOptions,
    trail: Trail,
    device: DeviceCredentials | None,
) -> Flow[LoginResult]:
    login = _Login(identity, ctx, options, trail, admin=False, device=device)
    login.ephemeral = yield from compute("ephemeral", ctx.ephemerals, ready=ctx.ready_ephemeral)
    parameters = {
        "USERNAME": identity.username,
        "SRP_A": login.ephemeral.public_hex,
        **ctx.client.secret_hash(identity.username),
    }
    if device is not None:
        parameters["DEVICE_KEY"] = device.device_key
    body = {
        "AuthFlow": AuthFlow.USER_SRP_AUTH,
        "ClientId": ctx.client.client_id,
        "AuthParameters": parameters,
    }
    label = f"{Operation.INITIATE_AUTH}:{AuthFlow.USER_SRP_AUTH}"
    response = yield from login.call(Operation.INITIATE_AUTH, body, label)
    return (yield from login.finish(response))


class _Login:
    """The state of one sign-in attempt between its calls."""

    def __init__(
        self,
        identity: Identity,
        ctx: FlowContext,
        options: LoginOptions,
        trail: Trail,
        *,
        admin: bool,
        device: DeviceCredentials | None,
    ) -> None:
        self.identity, self.ctx, self.options, self.trail = identity, ctx, options, trail
        self.admin = admin
        self.device = device
        #: USERNAME sent (and hashed) in challenge answers: USER_ID_FOR_SRP once known.
        self.username = identity.username
        self.ephemeral: srp_fast.Ephemeral | None = None
        self.device_ephemeral: srp_fast.Ephemeral | None = None

    def call(self, operation: Operation, body: Json, label: str) -> Flow[Json]:
        """One API call, recorded in the trail."""
        self.trail.calls.append(label)
        return (yield from call(operation, body, label))

    def finish(self, response: Json) -> Flow[LoginResult]:
        """Answer challenges until tokens, then register a new device if asked to."""
        tokens = yield from self.answer_challenges(response)
        device_key = self.device.device_key if self.device else None
        if tokens.new_device is not None:
            device_key = tokens.new_device.device_key
            if self.options.remember_device:
                yield from self.confirm_device(tokens)
        return LoginResult(
            tokens=tokens,
            username=self.username,
            device_key=device_key,
            challenges=tuple(self.trail.challenges),
            calls=tuple(self.trail.calls),
            notes=frozenset(self.trail.notes),
        )

    def answer_challenges(self, response: Json) -> Flow[Tokens]:
        """The challenge loop: dispatch each challenge through :data:`_HANDLERS`."""
        for _ in range(self.options.max_challenges):
            if "AuthenticationResult" in response:
                return tokens_from(response["AuthenticationResult"], self.trail.calls[-1])
            name = response.get("ChallengeName")
            handler = _HANDLERS.get(str(name))
            if handler is None:
                raise _no_handler(name, self.trail.calls[-1])
            params = _parameters(response)
            self.username = params.get("USER_ID_FOR_SRP") or self.username
            self.trail.challenges.append(str(name))
            response = yield from handler(self, params, response.get("Session"))
        raise FlowError(f"more than {self.options.max_challenges} challenges in one login")

    def respond(self, challenge: Challenge, answers: Json, session: str | None) -> Flow[Json]:
        """RespondToAuthChallenge (or its admin twin) with USERNAME and SECRET_HASH added."""
        client = self.ctx.client
        responses = {"USERNAME": self.username, **answers, **client.secret_hash(self.username)}
        body: Json = {
            "ChallengeName": challenge,
            "ClientId": client.client_id,
            "ChallengeResponses": responses,
        }
        if session:
            body["Session"] = session
        operation = Operation.RESPOND_TO_AUTH_CHALLENGE
        if self.admin:
            operation = Operation.ADMIN_RESPOND_TO_AUTH_CHALLENGE
            body["UserPoolId"] = client.pool_id
        return (yield from self.call(operation, body, f"{operation}:{challenge}"))

    def totp_code(self, secret: str) -> str:
        """A fresh TOTP code for ``secret``, recorded on the identity."""
        self.trail.note(Note.TOTP_SENT)
        now = self.ctx.clock()
        return take_code(self.identity, secret, now, next_step=self.ctx.totp_next_step)

    def confirm_device(self, tokens: Tokens) -> Flow[None]:
        """ConfirmDevice with a fresh verifier; UpdateDeviceStatus if the pool asks the user."""
        assert tokens.new_device is not None
        key, group = tokens.new_device.device_key, tokens.new_device.device_group_key
        maker = partial(srp_fast.new_device_secret, group, key, rand=self.ctx.rand)
        secret = yield from compute("new_device_secret", maker)
        body: Json = {
            "AccessToken": tokens.access_token,
            "DeviceKey": key,
            "DeviceName": self.ctx.device_name,
            "DeviceSecretVerifierConfig": secret.verifier_config(),
        }
        answer = yield from self.call(Operation.CONFIRM_DEVICE, body, Operation.CONFIRM_DEVICE)
        self.trail.note(Note.DEVICE_CONFIRMED)
        if answer.get("UserConfirmationNecessary"):
            yield from self._remember(tokens.access_token, key)
        self.identity.remember_device(
            DeviceCredentials(
                device_key=key, device_group_key=group, device_password=secret.device_password
            )
        )

    def _remember(self, access_token: str, device_key: str) -> Flow[None]:
        body = {
            "AccessToken": access_token,
            "DeviceKey": device_key,
            "DeviceRememberedStatus": "remembered",
        }
        op = Operation.UPDATE_DEVICE_STATUS
        yield from self.call(op, body, op)
        self.trail.note(Note.DEVICE_REMEMBERED)


def _parameters(response: Json) -> dict[str, str]:
    params = response.get("ChallengeParameters") or {}
    return {str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else {}


def _no_handler(name: object, label: str) -> FlowError:
    if not name:
        return UnexpectedResponse(label, "neither AuthenticationResult nor ChallengeName")
    return UnsupportedChallenge(str(name))


def _required(params: dict[str, str], key: str, challenge: Challenge) -> str:
    value = params.get(key)
    if not value:
        raise UnexpectedResponse(str(challenge), f"ChallengeParameters without {key}")
    return value


def _json_list(params: dict[str, str], key: str, challenge: Challenge) -> list[str]:
    try:
        value = json.loads(params.get(key, "[]"))
    except ValueError as exc:
        raise UnexpectedResponse(str(challenge), f"{key} is not JSON") from exc
    if not isinstance(value, list):
        raise UnexpectedResponse(str(challenge), f"{key} is not a JSON list")
    return [str(item) for item in value]


def _claim(
    login: _Login,
    ephemeral: srp_fast.Ephemeral | None,
    params: dict[str, str],
    challenge: Challenge,
    *,
    prefix: str,
    identity: str,
    password: str,
) -> Flow[srp_fast.PasswordClaim]:
    """Compute the SRP proof for a (device) password verifier challenge, off the loop."""
    if ephemeral is None:
        raise UnexpectedResponse(str(challenge), "challenge before an SRP_A was sent")
    claim = partial(
        srp_fast.password_claim,
        ephemeral,
        prefix=prefix,
        identity=identity,
        password=password,
        salt_hex=_required(params, "SALT", challenge),
        srp_b_hex=_required(params, "SRP_B", challenge),
        secret_block_b64=_required(params, "SECRET_BLOCK", challenge),
        now=login.ctx.clock(),
        verifiers=login.ctx.verifiers,
    )
    return (yield from compute(str(challenge), claim))


def _claim_answers(claim: srp_fast.PasswordClaim) -> Json:
    return {
        "PASSWORD_CLAIM_SECRET_BLOCK": claim.secret_block,
        "PASSWORD_CLAIM_SIGNATURE": claim.signature,
        "TIMESTAMP": claim.timestamp,
    }


def _password_verifier(login: _Login, params: dict[str, str], session: str | None) -> Flow[Json]:
    challenge = Challenge.PASSWORD_VERIFIER
    login.username = _required(params, "USER_ID_FOR_SRP", challenge)
    claim = yield from _claim(
        login,
        login.ephemeral,
        params,
        challenge,
        prefix=login.ctx.client.pool_name,
        identity=login.username,
        password=login.identity.password,
    )
    login.identity.learn_srp(salt=params["SALT"], user_id=login.username)
    answers = _claim_answers(claim)
    if login.device is not None:
        answers["DEVICE_KEY"] = login.device.device_key
    return (yield from login.respond(challenge, answers, session))


def _software_token_mfa(login: _Login, params: dict[str, str], session: str | None) -> Flow[Json]:
    secret = login.identity.totp_secret
    if not secret:
        raise MissingCredential("TOTP secret", login.identity.username)
    answers = {"SOFTWARE_TOKEN_MFA_CODE": login.totp_code(secret)}
    return (yield from login.respond(Challenge.SOFTWARE_TOKEN_MFA, answers, session))


def _select_mfa_type(login: _Login, params: dict[str, str], session: str | None) -> Flow[Json]:
    challenge = Challenge.SELECT_MFA_TYPE
    choices = _json_list(params, "MFAS_CAN_CHOOSE", challenge)
    choice = _mfa_choice(login, choices)
    return (yield from login.respond(challenge, {"ANSWER": choice}, session))


def _mfa_choice(login: _Login, choices: list[str]) -> str:
    """The options' choice if offered; else TOTP for an identity with a seed; else SMS, then
    e-mail, when there is a code source."""
    wanted = login.options.mfa_choice
    if wanted is not None and wanted in choices:
        return wanted
    totp = Challenge.SOFTWARE_TOKEN_MFA.value
    if totp in choices and login.identity.totp_secret:
        return totp
    for by_message in (Challenge.SMS_MFA.value, Challenge.EMAIL_OTP.value):
        if by_message in choices and login.ctx.codes is not None:
            return by_message
    if totp in choices:
        raise MissingCredential("TOTP secret", login.identity.username)
    raise UnsupportedChallenge(Challenge.SELECT_MFA_TYPE, f"only {choices} offered")


#: The second factors whose code arrives by message: the medium Cognito reports by default
#: and the ChallengeResponses key of the code.
_MESSAGE_CODES = {
    Challenge.SMS_MFA: ("SMS", "SMS_MFA_CODE"),
    Challenge.EMAIL_OTP: ("EMAIL", "EMAIL_OTP_CODE"),
}


def _message_code(
    challenge: Challenge, login: _Login, params: dict[str, str], session: str | None
) -> Flow[Json]:
    """SMS_MFA or EMAIL_OTP after a password: the code from the context's code source."""
    if login.ctx.codes is None:
        raise UnsupportedChallenge(challenge, "no code source in the flow context")
    medium, answer_key = _MESSAGE_CODES[challenge]
    request = CodeRequest(
        pool_id=login.ctx.client.pool_id,
        username=login.username,
        medium=params.get("CODE_DELIVERY_DELIVERY_MEDIUM", medium),
        destination=params.get("CODE_DELIVERY_DESTINATION", ""),
        purpose=challenge.value,
    )
    code = yield from read_code(login.ctx.codes, request)
    login.trail.note(Note.CODE_READ)
    return (yield from login.respond(challenge, {answer_key: code}, session))


def _custom_challenge(login: _Login, params: dict[str, str], session: str | None) -> Flow[Json]:
    challenge = Challenge.CUSTOM_CHALLENGE
    answerer = login.ctx.custom_answers
    if answerer is None:
        raise UnsupportedChallenge(challenge, "no custom answerer in the flow context")
    login.username = params.get("USERNAME") or login.username
    public = MappingProxyType(dict(params))
    answer = yield from compute(f"answer:{challenge}", answerer, public)
    return (yield from login.respond(challenge, {"ANSWER": str(answer)}, session))


def _mfa_setup(login: _Login, params: dict[str, str], session: str | None) -> Flow[Json]:
    challenge = Challenge.MFA_SETUP
    if Challenge.SOFTWARE_TOKEN_MFA not in _json_list(params, "MFAS_CAN_SETUP", challenge):
        raise UnsupportedChallenge(challenge, "SOFTWARE_TOKEN_MFA cannot be set up")
    op = Operation.ASSOCIATE_SOFTWARE_TOKEN
    associated = yield from login.call(op, {"Session": session}, f"{op}:{challenge}")
    secret = _answer_field(associated, "SecretCode", op)
    body = {
        "Session": associated.get("Session"),
        "UserCode": login.totp_code(secret),
        "FriendlyDeviceName": login.ctx.totp_device_name,
    }
    op = Operation.VERIFY_SOFTWARE_TOKEN
    verified = yield from login.call(op, body, f"{op}:{challenge}")
    _check_verified(verified)
    login.identity.totp_secret = secret
    login.trail.note(Note.MFA_ENROLLED)
    return (yield from login.respond(challenge, {}, verified.get("Session")))


def _answer_field(answer: Json, key: str, label: str) -> str:
    value = answer.get(key)
    if not isinstance(value, str) or not value:
        raise UnexpectedResponse(label, f"answer without {key}")
    return value


def _check_verified(answer: Json) -> None:
    if answer.get("Status") != "SUCCESS":
        status = answer.get("Status")
        raise UnexpectedResponse(Operation.VERIFY_SOFTWARE_TOKEN, f"Status {status!r}")


def _new_password(login: _Login, params: dict[str, str], session: str | None) -> Flow[Json]:
    challenge = Challenge.NEW_PASSWORD_REQUIRED
    new_password = login.options.new_password
    if not new_password:
        raise MissingCredential("new password", login.identity.username)
    answers: Json = {"NEW_PASSWORD": new_password}
    for name in _json_list(params, "requiredAttributes", challenge):
        bare = name.removeprefix("userAttributes.")
        if bare not in login.options.user_attributes:
            raise MissingCredential(f"attribute {bare}", login.identity.username)
        answers[f"userAttributes.{bare}"] = login.options.user_attributes[bare]
    response = yield from login.respond(challenge, answers, session)
    login.identity.password = new_password
    login.trail.note(Note.PASSWORD_CHANGED)
    return response


def _device_srp_auth(login: _Login, params: dict[str, str], session: str | None) -> Flow[Json]:
    if login.device is None:
        raise UnexpectedResponse(Challenge.DEVICE_SRP_AUTH, "asked for a device none was sent")
    ctx = login.ctx
    login.device_ephemeral = yield from compute(
        "ephemeral", ctx.ephemerals, ready=ctx.ready_ephemeral
    )
    answers = {"DEVICE_KEY": login.device.device_key, "SRP_A": login.device_ephemeral.public_hex}
    return (yield from login.respond(Challenge.DEVICE_SRP_AUTH, answers, session))


def _device_password_verifier(
    login: _Login, params: dict[str, str], session: str | None
) -> Flow[Json]:
    challenge = Challenge.DEVICE_PASSWORD_VERIFIER
    device = login.device
    if device is None:
        raise UnexpectedResponse(challenge, "asked for a device none was sent")
    claim = yield from _claim(
        login,
        login.device_ephemeral,
        params,
        challenge,
        prefix=device.device_group_key,
        identity=device.device_key,
        password=device.device_password,
    )
    answers = {**_claim_answers(claim), "DEVICE_KEY": device.device_key}
    login.trail.note(Note.DEVICE_AUTH)
    return (yield from login.respond(challenge, answers, session))


_Handler = Callable[[_Login, dict[str, str], "str | None"], Flow[Json]]

#: The sign-in state machine's transitions: challenge name -> how to answer it.
_HANDLERS: MappingProxyType[str, _Handler] = MappingProxyType(
    {
        Challenge.PASSWORD_VERIFIER: _password_verifier,
        Challenge.SOFTWARE_TOKEN_MFA: _software_token_mfa,
        Challenge.SELECT_MFA_TYPE: _select_mfa_type,
        Challenge.SMS_MFA: partial(_message_code, Challenge.SMS_MFA),
        Challenge.EMAIL_OTP: partial(_message_code, Challenge.EMAIL_OTP),
        Challenge.CUSTOM_CHALLENGE: _custom_challenge,
        Challenge.MFA_SETUP: _mfa_setup,
        Challenge.NEW_PASSWORD_REQUIRED: _new_password,
        Challenge.DEVICE_SRP_AUTH: _device_srp_auth,
        Challenge.DEVICE_PASSWORD_VERIFIER: _device_password_verifier,
    }
)
