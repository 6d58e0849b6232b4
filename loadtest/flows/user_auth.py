"""Choice-based sign-in (``AuthFlow: USER_AUTH``) with each first factor, sans-I/O.

One flow, :func:`user_auth_login`, for the five factors (cognito-facts §12):

===========  ==================================================================================
PASSWORD     ``PREFERRED_CHALLENGE=PASSWORD`` with PASSWORD: tokens or MFA in one call
PASSWORD_SRP ``PREFERRED_CHALLENGE=PASSWORD_SRP`` with SRP_A, then PASSWORD_VERIFIER (§1 maths)
EMAIL_OTP    the code Cognito sends, from the context's code source, as EMAIL_OTP_CODE
SMS_OTP      the same, as SMS_OTP_CODE
WEB_AUTHN    the identity's passkey answers CREDENTIAL_REQUEST_OPTIONS (a software authenticator)
===========  ==================================================================================

With ``select=True`` the flow sends no preference and answers ``SELECT_CHALLENGE`` with
``ANSWER=<factor>`` instead, as Amplify's ``confirmSignIn`` does (§12.7). The factor's own
challenges are answered here; whatever follows (PASSWORD_VERIFIER, MFA, a new password) goes
through the sign-in state machine of :mod:`.login`, so request names are per challenge
(``RespondToAuthChallenge:EMAIL_OTP``) as for every flow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from loadtest.protocol.names import AuthFlow, Challenge, Operation

from .authenticator import SoftwareAuthenticator
from .codes import CodeRequest, read_code
from .context import FlowContext
from .effects import Flow, MissingCredential, UnexpectedResponse, call, compute
from .identity import Identity
from .login import DEFAULT_OPTIONS, LoginOptions, _Login
from .results import LoginResult, Trail

__all__ = ["FACTORS", "register_passkey", "user_auth_login"]

Json = dict[str, Any]

#: The first factors a USER_AUTH login can use.
FACTORS = (
    Challenge.PASSWORD,
    Challenge.PASSWORD_SRP,
    Challenge.EMAIL_OTP,
    Challenge.SMS_OTP,
    Challenge.WEB_AUTHN,
)
_MEDIUM = {Challenge.EMAIL_OTP: "EMAIL", Challenge.SMS_OTP: "SMS"}
#: A passkey's signature counter never falls below tenths of a second since this instant, so
#: it keeps rising across runs that each start from the identities file's (stale) count, as a
#: real authenticator's does: the pool refuses a counter that does not rise (a cloned key).
#: 32 bits of tenths last until 2038.
_COUNTER_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def _counter_floor(now: datetime) -> int:
    return int((now - _COUNTER_EPOCH).total_seconds() * 10)


def user_auth_login(
    identity: Identity,
    ctx: FlowContext,
    factor: Challenge,
    options: LoginOptions = DEFAULT_OPTIONS,
    *,
    select: bool = False,
) -> Flow[LoginResult]:
    """A USER_AUTH sign-in with ``factor``, preferred up front or chosen at SELECT_CHALLENGE."""
    if factor not in FACTORS:
        raise ValueError(f"{factor} is not a first factor")
    device = identity.device if options.use_device else None
    login = _Login(identity, ctx, options, Trail(), admin=False, device=device)
    parameters: Json = {"USERNAME": identity.username, **ctx.client.secret_hash(identity.username)}
    if device is not None:
        parameters["DEVICE_KEY"] = device.device_key
    if not select:
        parameters["PREFERRED_CHALLENGE"] = str(factor)
        parameters.update((yield from _factor_fields(login, factor)))
    body = {"AuthFlow": AuthFlow.USER_AUTH, "ClientId": ctx.client.client_id}
    label = f"{Operation.INITIATE_AUTH}:{AuthFlow.USER_AUTH}"
    response = yield from login.call(
        Operation.INITIATE_AUTH, {**body, "AuthParameters": parameters}, label
    )
    response = yield from _first_factor(login, factor, response)
    return (yield from login.finish(response))


def _factor_fields(login: _Login, factor: Challenge) -> Flow[Json]:
    """What the chosen factor sends with its choice: PASSWORD, or SRP_A."""
    if factor == Challenge.PASSWORD:
        return {"PASSWORD": login.identity.password}
    if factor == Challenge.PASSWORD_SRP:
        ctx = login.ctx
        login.ephemeral = yield from compute("ephemeral", ctx.ephemerals, ready=ctx.ready_ephemeral)
        return {"SRP_A": login.ephemeral.public_hex}
    return {}


def _first_factor(login: _Login, factor: Challenge, response: Json) -> Flow[Json]:
    """Answer SELECT_CHALLENGE and the factor's own challenge; hand back what follows."""
    for _ in range(3):
        name = response.get("ChallengeName")
        handler = _FIRST_FACTOR.get(str(name))
        if handler is None:
            return response
        login.trail.challenges.append(str(name))
        response = yield from handler(login, factor, response)
    raise UnexpectedResponse(f"{Operation.INITIATE_AUTH}:{AuthFlow.USER_AUTH}", "challenge loop")


def _select(login: _Login, factor: Challenge, response: Json) -> Flow[Json]:
    offered = response.get("AvailableChallenges") or []
    if str(factor) not in offered:
        raise UnexpectedResponse(
            f"{Operation.INITIATE_AUTH}:{AuthFlow.USER_AUTH}",
            f"{factor} is not among AvailableChallenges {offered}",
        )
    answers = {"ANSWER": str(factor), **(yield from _factor_fields(login, factor))}
    return (yield from login.respond(Challenge.SELECT_CHALLENGE, answers, response.get("Session")))


def _otp(login: _Login, factor: Challenge, response: Json) -> Flow[Json]:
    name = Challenge(str(response["ChallengeName"]))
    params = response.get("ChallengeParameters") or {}
    request = CodeRequest(
        pool_id=login.ctx.client.pool_id,
        username=login.username,
        medium=str(params.get("CODE_DELIVERY_DELIVERY_MEDIUM") or _MEDIUM[name]),
        destination=str(params.get("CODE_DELIVERY_DESTINATION", "")),
        purpose=str(name),
    )
    code = yield from read_code(login.ctx.codes, request)
    answers = {f"{name}_CODE": code}
    return (yield from login.respond(name, answers, response.get("Session")))


def _web_authn(login: _Login, factor: Challenge, response: Json) -> Flow[Json]:
    passkey = login.identity.passkey
    if passkey is None:
        raise MissingCredential("a passkey", login.identity.username)
    params = response.get("ChallengeParameters") or {}
    options = str(params.get("CREDENTIAL_REQUEST_OPTIONS", "{}"))
    count = max(login.identity.passkey_count, _counter_floor(login.ctx.clock()))
    device = SoftwareAuthenticator(origin=_origin(passkey.rp_id), sign_count=count)
    credential = yield from compute("passkey_assertion", device.assertion, passkey, options)
    login.identity.passkey_count = device.sign_count
    answers = {"CREDENTIAL": json.dumps(credential, separators=(",", ":"))}
    return (yield from login.respond(Challenge.WEB_AUTHN, answers, response.get("Session")))


def _origin(rp_id: str) -> str:
    """The origin a browser on the relying party's own site would send."""
    return "http://localhost" if rp_id == "localhost" else f"https://{rp_id}"


_Handler = Callable[[_Login, Challenge, Json], Flow[Json]]
_FIRST_FACTOR: Mapping[str, _Handler] = {
    Challenge.SELECT_CHALLENGE: _select,
    Challenge.EMAIL_OTP: _otp,
    Challenge.SMS_OTP: _otp,
    Challenge.WEB_AUTHN: _web_authn,
}


def register_passkey(identity: Identity, ctx: FlowContext, access_token: str) -> Flow[None]:
    """StartWebAuthnRegistration, a software authenticator's answer, CompleteWebAuthnRegistration;
    the new passkey is kept on the identity (provisioning runs this after one sign-in)."""
    start = Operation.START_WEB_AUTHN_REGISTRATION
    answer = yield from call(start, {"AccessToken": access_token}, start)
    options = answer.get("CredentialCreationOptions")
    if not isinstance(options, dict):
        raise UnexpectedResponse(start, "no CredentialCreationOptions")
    device = SoftwareAuthenticator(origin=_origin(str(options["rp"]["id"])))
    credential, passkey = yield from compute("passkey_registration", device.register, options)
    done = Operation.COMPLETE_WEB_AUTHN_REGISTRATION
    yield from call(done, {"AccessToken": access_token, "Credential": credential}, done)
    identity.passkey, identity.passkey_count = passkey, device.sign_count
