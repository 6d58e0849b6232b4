"""TOTP enrollment by access token, the administrator's MFA reset, and the lost-phone case.

Enrollment through the MFA_SETUP challenge (Sessions S1 -> S2 -> S3) is part of the sign-in
state machine in :mod:`loadtest.flows.login`; here is enrollment of a signed-in user:
AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference, all by access token.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loadtest.protocol.names import Operation

from .context import FlowContext
from .effects import Flow, UnexpectedResponse, call
from .identity import Identity
from .login import DEFAULT_OPTIONS, LoginOptions, srp_login
from .results import LoginResult, Note
from .totp import take_code

__all__ = ["enroll_totp", "lost_phone", "reset_mfa"]


#: The calls of :func:`enroll_totp`, in order.
ENROLL_CALLS: tuple[str, ...] = (
    Operation.ASSOCIATE_SOFTWARE_TOKEN,
    Operation.VERIFY_SOFTWARE_TOKEN,
    Operation.SET_USER_MFA_PREFERENCE,
)


def enroll_totp(identity: Identity, ctx: FlowContext, access_token: str) -> Flow[str]:
    """Enroll a new authenticator for a signed-in user; returns (and keeps) its secret."""
    op = Operation.ASSOCIATE_SOFTWARE_TOKEN
    associated = yield from call(op, {"AccessToken": access_token}, op)
    secret = associated.get("SecretCode")
    if not isinstance(secret, str) or not secret:
        raise UnexpectedResponse(op, "answer without SecretCode")
    code = take_code(identity, secret, ctx.clock(), next_step=ctx.totp_next_step)
    body = {
        "AccessToken": access_token,
        "UserCode": code,
        "FriendlyDeviceName": ctx.totp_device_name,
    }
    op = Operation.VERIFY_SOFTWARE_TOKEN
    verified = yield from call(op, body, op)
    if verified.get("Status") != "SUCCESS":
        raise UnexpectedResponse(op, f"Status {verified.get('Status')!r}")
    identity.totp_secret = secret
    yield from call(
        Operation.SET_USER_MFA_PREFERENCE,
        {"AccessToken": access_token, "SoftwareTokenMfaSettings": _totp_settings(enabled=True)},
        Operation.SET_USER_MFA_PREFERENCE,
    )
    return secret


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
