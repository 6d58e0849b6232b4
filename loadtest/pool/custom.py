"""CUSTOM_AUTH: sign-in decided by the three custom-authentication triggers (cognito-facts §16).

Each round, DefineAuthChallenge sees the rounds so far (its ``session`` list) and answers with
tokens, a failure or the next challenge. A CUSTOM_CHALLENGE is made by CreateAuthChallenge
(its public parameters go to the client, with USERNAME added as Cognito's captures show; its
private ones stay here) and the client's ANSWER is judged by VerifyAuthChallengeResponse. Every
round issues a new Session, and the old one is spent whether the answer was right or not.

With ``CHALLENGE_NAME=SRP_A`` in AuthParameters the first round is SRP: Define sees
``[SRP_A ✓]`` and should answer PASSWORD_VERIFIER, which the client answers exactly as in
USER_SRP_AUTH (:mod:`.challenges`); Define then sees ``[SRP_A ✓, PASSWORD_VERIFIER ✓]`` (§1.7).

Failures: ``failAuthentication`` is ``NotAuthorizedException`` ``Incorrect username or
password.``; wrong custom answers do not count toward the lockout (the lockout "doesn't apply
to custom challenges unless they also perform password-based authentication", §4), while a
wrong password in the SRP round does.

MFA after the SRP round: a user with MFA gets their MFA challenge right after the password
(before Define is asked again). After an SMS or e-mail code Define decides again, with that
round in its ``session``; after TOTP (or MFA_SETUP) the sign-in ends with tokens, as measured
in amplify-js #3876. Not modelled (see docs/challenges.md): NEW_PASSWORD_REQUIRED after the
SRP round, and triggers run for unknown users under PreventUserExistenceErrors. Which
handlers run is the pool's LambdaConfig (:mod:`.triggers`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from loadtest.protocol.errors import (
    InvalidLambdaResponse,
    InvalidParameter,
    Messages,
    NotAuthorized,
    UserNotFound,
)
from loadtest.protocol.names import Challenge

from .context import PoolContext
from .records import AppClient, Pool, User
from .signin import SignIn, complete, ensure_can_sign_in, mfa_step, new_session
from .triggers import TriggerName

__all__ = [
    "DEFINE_AFTER",
    "MAX_ROUNDS",
    "after_mfa",
    "after_password",
    "answer",
    "start",
    "verifier_session_round",
]

Result = dict[str, Any]

#: Rounds one sign-in may take before it fails (Cognito documents no limit; a guess that
#: keeps a looping DefineAuthChallenge from running forever).
MAX_ROUNDS = 16
NOT_CONFIGURED = "Custom auth lambda trigger is not configured for the user pool."
_TRIGGERS = (
    TriggerName.DEFINE_AUTH_CHALLENGE,
    TriggerName.CREATE_AUTH_CHALLENGE,
    TriggerName.VERIFY_AUTH_CHALLENGE_RESPONSE,
)


def _round(name: str, result: bool, metadata: str | None = None) -> dict[str, Any]:
    return {"challengeName": name, "challengeResult": result, "challengeMetadata": metadata}


def verifier_session_round() -> list[dict[str, Any]]:
    """The rounds after a verified password in custom auth: SRP_A and PASSWORD_VERIFIER."""
    return [_round("SRP_A", True), _round("PASSWORD_VERIFIER", True)]


def _event(ctx: PoolContext, sign_in: SignIn, name: TriggerName, request: Result) -> Result:
    user = sign_in.user
    attributes = {**user.attributes, "cognito:user_status": str(user.status)}
    return {
        "version": "1",
        "triggerSource": name.trigger_source,
        "region": ctx.region,
        "userPoolId": sign_in.pool.id,
        "userName": user.username,
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": sign_in.client.id,
        },
        "request": {"userAttributes": attributes, **request, "userNotFound": False},
        "response": {},
    }


async def _invoke(ctx: PoolContext, sign_in: SignIn, name: TriggerName, request: Result) -> Result:
    """Run one trigger as the pool's LambdaConfig (or the server's defaults) says."""
    event = _event(ctx, sign_in, name, request)
    return await ctx.triggers.invoke(name, event, sign_in.pool.lambda_config)


def _with_metadata(request: Result, metadata: Mapping[str, str] | None) -> Result:
    """clientMetadata goes only to triggers run from RespondToAuthChallenge (§16.2)."""
    return request if metadata is None else {**request, "clientMetadata": dict(metadata)}


# -- InitiateAuth ---------------------------------------------------------------------------------
async def start(
    ctx: PoolContext, pool: Pool, client: AppClient, auth: Mapping[str, str], *, admin: bool
) -> Result:
    """InitiateAuth / AdminInitiateAuth with AuthFlow CUSTOM_AUTH."""
    username = auth.get("USERNAME")
    if not username:
        raise InvalidParameter(Messages.missing("USERNAME"))
    if not all(ctx.triggers.has(name, pool.lambda_config) for name in _TRIGGERS):
        raise InvalidParameter(NOT_CONFIGURED)
    ctx.check_secret_hash(client, username, auth.get("SECRET_HASH"))
    user = _user(ctx, pool, client, username)
    sign_in = SignIn(pool=pool, client=client, user=user, admin=admin)
    if auth.get("CHALLENGE_NAME") == "SRP_A":
        return await _srp_first(ctx, sign_in, auth)
    return await _decide(ctx, sign_in, [], None)


def _user(ctx: PoolContext, pool: Pool, client: AppClient, username: str) -> User:
    user = ctx.find_user(pool, username)
    if user is None:
        if client.prevent_user_existence_errors:
            raise NotAuthorized(Messages.INCORRECT_PASSWORD)
        raise UserNotFound(Messages.USER_NOT_FOUND)
    ensure_can_sign_in(user)
    return user


async def _srp_first(ctx: PoolContext, sign_in: SignIn, auth: Mapping[str, str]) -> Result:
    from .auth import srp_challenge  # the SRP start lives with USER_SRP_AUTH

    srp_a = auth.get("SRP_A")
    if not srp_a:
        raise InvalidParameter(Messages.missing("SRP_A"))
    history = [_round("SRP_A", True)]
    decision = await _define(ctx, sign_in, history, None)
    if decision.get("challengeName") != Challenge.PASSWORD_VERIFIER or _ends(decision):
        return await _act(ctx, sign_in, history, None, decision)
    answer = srp_challenge(ctx, sign_in, srp_a, kind="custom")
    answer["Session"] = new_session(ctx, sign_in, Challenge.PASSWORD_VERIFIER)
    return answer


# -- the rounds -----------------------------------------------------------------------------------
async def after_password(ctx: PoolContext, sign_in: SignIn) -> Result:
    """PASSWORD_VERIFIER passed inside CUSTOM_AUTH: the user's MFA first if they have any
    (cognito-facts §16.1: "after Amazon Cognito verifies the password, your user is then
    challenged to set up or sign in with MFA"; measured in amplify-js #3876), else ask
    DefineAuthChallenge what follows."""
    custom = replace(sign_in, custom=True)
    if sign_in.user.mfa_required(sign_in.pool):
        return mfa_step(ctx, custom)
    return await _decide(ctx, custom, verifier_session_round(), None)


#: MFA challenges after which DefineAuthChallenge decides again (its ``session`` gains the
#: round); after the others (TOTP, MFA_SETUP) the sign-in ends with tokens.
DEFINE_AFTER = frozenset({Challenge.SMS_MFA, Challenge.EMAIL_OTP})


async def after_mfa(ctx: PoolContext, sign_in: SignIn, name: Challenge) -> Result:
    """A message code (SMS_MFA, EMAIL_OTP) passed inside CUSTOM_AUTH: Define sees
    ``[SRP_A ✓, PASSWORD_VERIFIER ✓, <name> ✓]`` (SMS_MFA is among the documented
    ``session`` challenge names; amplify-js #4888 saw CUSTOM_CHALLENGE follow SMS_MFA;
    EMAIL_OTP treated alike is a guess)."""
    return await _decide(ctx, sign_in, [*verifier_session_round(), _round(str(name), True)], None)


async def answer(
    ctx: PoolContext,
    sign_in: SignIn,
    state_key: str,
    given: str,
    metadata: Mapping[str, str],
) -> Result:
    """RespondToAuthChallenge CUSTOM_CHALLENGE: Verify, record the round, Define again."""
    state = ctx.store.custom_auth.get(state_key)
    if state is None:
        raise NotAuthorized(Messages.SESSION_INVALID)
    request = {"privateChallengeParameters": state["private"], "challengeAnswer": given}
    verdict = await _invoke(
        ctx, sign_in, TriggerName.VERIFY_AUTH_CHALLENGE_RESPONSE, _with_metadata(request, metadata)
    )
    correct = verdict.get("answerCorrect")
    if not isinstance(correct, bool):
        raise InvalidLambdaResponse(Messages.LAMBDA_OUTPUT_INVALID)
    history = [*state["history"], _round(state["name"], correct, state["metadata"])]
    return await _decide(ctx, sign_in, history, metadata)


async def _define(
    ctx: PoolContext, sign_in: SignIn, history: list[Result], metadata: Mapping[str, str] | None
) -> Result:
    request = _with_metadata({"session": history}, metadata)
    return await _invoke(ctx, sign_in, TriggerName.DEFINE_AUTH_CHALLENGE, request)


def _ends(decision: Mapping[str, Any]) -> bool:
    return bool(decision.get("issueTokens")) or bool(decision.get("failAuthentication"))


async def _decide(
    ctx: PoolContext, sign_in: SignIn, history: list[Result], metadata: Mapping[str, str] | None
) -> Result:
    if len(history) >= MAX_ROUNDS:
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    decision = await _define(ctx, sign_in, history, metadata)
    return await _act(ctx, sign_in, history, metadata, decision)


async def _act(
    ctx: PoolContext,
    sign_in: SignIn,
    history: list[Result],
    metadata: Mapping[str, str] | None,
    decision: Mapping[str, Any],
) -> Result:
    """Carry out DefineAuthChallenge's answer: fail, tokens, or a custom challenge."""
    if decision.get("failAuthentication"):
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    if decision.get("issueTokens"):
        return complete(ctx, sign_in)
    if decision.get("challengeName") != Challenge.CUSTOM_CHALLENGE:
        raise InvalidLambdaResponse(Messages.LAMBDA_OUTPUT_INVALID)
    return await _create(ctx, sign_in, history, metadata)


async def _create(
    ctx: PoolContext, sign_in: SignIn, history: list[Result], metadata: Mapping[str, str] | None
) -> Result:
    request = _with_metadata({"challengeName": "CUSTOM_CHALLENGE", "session": history}, metadata)
    made = await _invoke(ctx, sign_in, TriggerName.CREATE_AUTH_CHALLENGE, request)
    public = _string_map(made.get("publicChallengeParameters"))
    private = _string_map(made.get("privateChallengeParameters"))
    challenge_metadata = made.get("challengeMetadata")
    if challenge_metadata is not None and not isinstance(challenge_metadata, str):
        raise InvalidLambdaResponse(Messages.LAMBDA_OUTPUT_INVALID)
    key = uuid.uuid4().hex
    expires = ctx.now() + ctx.session_seconds(sign_in.client) + 1.0
    state = {
        "history": history,
        "private": private,
        "metadata": challenge_metadata,
        "name": "CUSTOM_CHALLENGE",
    }
    ctx.store.custom_auth.put(key, state, expires)
    params = {"USERNAME": sign_in.user.username, **public}
    return {
        "ChallengeName": "CUSTOM_CHALLENGE",
        "ChallengeParameters": params,
        "Session": new_session(ctx, sign_in, Challenge.CUSTOM_CHALLENGE, state=key),
    }


def _string_map(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidLambdaResponse(Messages.LAMBDA_OUTPUT_INVALID)
    return dict(value)
