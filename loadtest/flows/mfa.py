"""TOTP enrollment by access token, the administrator's MFA reset, and the lost-phone case.

Enrollment through the MFA_SETUP challenge (Sessions S1 -> S2 -> S3) is part of the sign-in
state machine in :mod:`loadtest.flows.login`; here is enrollment of a signed-in user:
AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference, all by access token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from loadtest.protocol.errors import CodeMismatch, EnableSoftwareTokenMFA
from loadtest.protocol.names import Operation

from .context import FlowContext
from .effects import Flow, UnexpectedResponse, call
from .identity import Identity
from .login import DEFAULT_OPTIONS, LoginOptions, srp_login
from .results import LoginResult, Note
from .totp import STEP_SECONDS, take_code

_STEP = timedelta(seconds=STEP_SECONDS)

__all__ = ["enroll_totp", "lost_phone", "reset_mfa"]


#: The calls of :func:`enroll_totp`, in order.
ENROLL_CALLS: tuple[str, ...] = (
    Operation.ASSOCIATE_SOFTWARE_TOKEN,
    Operation.VERIFY_SOFTWARE_TOKEN,
    Operation.SET_USER_MFA_PREFERENCE,
)


def enroll_totp(
    identity: Identity, ctx: FlowContext, access_token: str, *, previous_step: bool = False
) -> Flow[str]:
    """Enroll a new authenticator for a signed-in user; returns (and keeps) its secret.

    With ``previous_step`` the verifying code is the previous 30 s step's (Cognito accepts one
    step of skew), so the current step stays free for the user's first sign-in. A refused code
    is sent again, once, as the previous step's code of that moment (the next step after the
    one refused): the current step's code if the clock is behind the pool's, the new previous
    step's if the code crossed a step boundary on its way (a request queued behind a quota's
    pacing does), where the current step's would spend the step a run signs in with."""
    op = Operation.ASSOCIATE_SOFTWARE_TOKEN
    associated = yield from call(op, {"AccessToken": access_token}, op)
    secret = associated.get("SecretCode")
    if not isinstance(secret, str) or not secret:
        raise UnexpectedResponse(op, "answer without SecretCode")
    clock = partial(_earlier, ctx.clock) if previous_step else ctx.clock
    try:
        yield from _verify(identity, ctx, secret, access_token, clock)
    except (EnableSoftwareTokenMFA, CodeMismatch):
        if not previous_step:
            raise
        yield from _verify(identity, ctx, secret, access_token, clock)
    identity.totp_secret = secret
    yield from call(
        Operation.SET_USER_MFA_PREFERENCE,
        {"AccessToken": access_token, "SoftwareTokenMfaSettings": _totp_settings(enabled=True)},
        Operation.SET_USER_MFA_PREFERENCE,
    )
    return secret


def _earlier(clock: Callable[[], datetime]) -> datetime:
    """A step before ``clock``'s now."""
    return clock() - _STEP


def _verify(
    identity: Identity,
    ctx: FlowContext,
    secret: str,
    access_token: str,
    clock: Callable[[], datetime],
) -> Flow[None]:
    """VerifySoftwareToken with the code of ``clock``'s step (or the next, if that one is
    spent); the code is recorded as used on the identity."""
    code = take_code(identity, secret, clock(), next_step=ctx.totp_next_step)
    body = {
        "AccessToken": access_token,
        "UserCode": code,
        "FriendlyDeviceName": ctx.totp_device_name,
    }
    op = Operation.VERIFY_SOFTWARE_TOKEN
    verified = yield from call(op, body, op)
    if verified.get("Status") != "SUCCESS":
        raise UnexpectedResponse(op, f"Status {verified.get('Status')!r}")


def _totp_settings(*, enabled: bool) -> dict[str, Any]:
    return {"Enabled": enabled, "PreferredMfa": enabled}


def reset_mfa(identity: Identity, ctx: FlowContext) -> Flow[None]:
    """The administrator turns the user's TOTP MFA off (AdminSetUserMFAPreference)."""
    body = {
        "UserPoolId": ctx.client.pool_id,
        "Username": identity.username,
        "SoftwareTokenMfaSettings": _totp_settings(enabled=False),
    }
    op = Operation.ADMIN_SET_USER_MFA_PREFERENCE
    yield from call(op, body, op)
    identity.totp_secret = None


def lost_phone(
    identity: Identity, ctx: FlowContext, options: LoginOptions = DEFAULT_OPTIONS
) -> Flow[LoginResult]:
    """Admin resets MFA; the user signs in, enrolls a new authenticator, signs in with it.

    Turning TOTP off leaves the user without a second factor only in a pool whose MFA is
    OPTIONAL: the first sign-in then needs no code and the user enrolls the new authenticator by
    access token. In a pool with MFA ON the verified token stays required (the local pool asks
    for SOFTWARE_TOKEN_MFA, as a required-MFA pool does) and this flow fails with
    MissingCredential, since the lost code is gone: run it against an OPTIONAL-MFA app client.
    A new phone is a new device: no remembered device is used.
    """
    options = replace(options, use_device=False, remember_device=False)
    yield from reset_mfa(identity, ctx)
    first = yield from srp_login(identity, ctx, options)
    enrolled: tuple[str, ...] = ()
    if identity.totp_secret is None:
        yield from enroll_totp(identity, ctx, first.tokens.access_token)
        enrolled = ENROLL_CALLS
    second = yield from srp_login(identity, ctx, options)
    return replace(
        second,
        notes=second.notes | first.notes | {Note.MFA_RESET, Note.MFA_ENROLLED},
        calls=(Operation.ADMIN_SET_USER_MFA_PREFERENCE, *first.calls, *enrolled, *second.calls),
        challenges=first.challenges + second.challenges,
    )
