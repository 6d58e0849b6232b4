"""TOTP enrolment and MFA preferences: AssociateSoftwareToken, VerifySoftwareToken,
SetUserMFAPreference, AdminSetUserMFAPreference (SMS, TOTP and e-mail: at most one preferred).

Enrolment works with an AccessToken, or inside sign-in through the MFA_SETUP challenge's
Session chain: MFA_SETUP -> Associate (new Session) -> Verify (new Session) -> RespondToAuth
Challenge(MFA_SETUP) (cognito-facts §6).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loadtest.protocol.errors import (
    EnableSoftwareTokenMFA,
    ExpiredCode,
    InvalidParameter,
    Messages,
    NotAuthorized,
    SoftwareTokenMFANotFound,
)
from loadtest.protocol.names import Challenge

from . import totp
from .access import admin_user, caller
from .context import PoolContext
from .params import Params
from .records import MfaState, Pool, User
from .sessions import MAX_SESSION_CHARS, ChallengeSession, SealError
from .signin import SignIn, consume, new_session, open_session, resume
from .webauthn import passkey_mfa_preference

__all__ = [
    "admin_set_user_mfa_preference",
    "associate_software_token",
    "set_user_mfa_preference",
    "verify_software_token",
]

_ASSOCIATED = "MFA_SETUP:associated"
_VERIFIED = "MFA_SETUP:verified"


def _require_pool_totp(pool: Pool) -> None:
    if not pool.totp_enabled:
        raise SoftwareTokenMFANotFound(Messages.TOTP_NOT_ENABLED_BY_POOL)


def _one_of_token_or_session(p: Params) -> tuple[str | None, str | None]:
    token = p.optional_text("AccessToken", max_len=8192)
    session = p.optional_text("Session", max_len=MAX_SESSION_CHARS, min_len=20)
    if (token is None) == (session is None):
        raise InvalidParameter("Exactly one of AccessToken or Session is required.")
    return token, session


async def associate_software_token(ctx: PoolContext, p: Params) -> dict[str, Any]:
    token, session_text = _one_of_token_or_session(p)
    secret = totp.new_secret()
    if token is not None:
        who = caller(ctx, p)
        _require_pool_totp(who.pool)
        _set_mfa(ctx, who.user, totp_pending=secret)
        return {"SecretCode": secret}
    sign_in, session = _setup_session(ctx, session_text, Challenge.MFA_SETUP)
    _require_pool_totp(sign_in.pool)
    consume(ctx, session, sign_in.client)
    _set_mfa(ctx, sign_in.user, totp_pending=secret)
    return {"SecretCode": secret, "Session": new_session(ctx, sign_in, _ASSOCIATED)}


def _setup_session(
    ctx: PoolContext, text: str | None, stage: str
) -> tuple[SignIn, ChallengeSession]:
    """The sign-in behind an MFA_SETUP-chain Session (any client of the pool may present it)."""
    try:
        peek = ChallengeSession.open(ctx.sealer, text)
    except SealError as exc:
        raise NotAuthorized(Messages.SESSION_INVALID) from exc
    client = ctx.client(peek.client_id)
    session = open_session(ctx, text, client, (stage,))
    pool = ctx.pool(session.pool_id)
    user = ctx.store.users.by_sub(pool.id, session.sub)
    if user is None:
        raise NotAuthorized(Messages.SESSION_INVALID)
    sign_in = resume(ctx, session, pool, client, user)
    return sign_in, session


def _set_mfa(ctx: PoolContext, user: User, **changes: Any) -> User:
    return ctx.store.users.update(user, mfa=replace(user.mfa, **changes), modified=ctx.now())


async def verify_software_token(ctx: PoolContext, p: Params) -> dict[str, Any]:
    token, session_text = _one_of_token_or_session(p)
    code = p.text("UserCode", max_len=6, min_len=6)
    friendly = p.optional_text("FriendlyDeviceName", max_len=131072)
    if token is not None:
        user = caller(ctx, p).user
        _verify(ctx, user, code, friendly)
        return {"Status": "SUCCESS"}
    sign_in, session = _setup_session(ctx, session_text, _ASSOCIATED)
    _verify(ctx, sign_in.user, code, friendly)
    consume(ctx, session, sign_in.client)
    return {"Status": "SUCCESS", "Session": new_session(ctx, sign_in, _VERIFIED)}


def _verify(ctx: PoolContext, user: User, code: str, friendly: str | None) -> None:
    pending = user.mfa.totp_pending
    if pending is None:
        raise SoftwareTokenMFANotFound(Messages.TOTP_NOT_FOUND_FOR_USER)
    step = totp.matching_step(pending, code, ctx.now())
    if step is None:
        raise EnableSoftwareTokenMFA(Messages.VERIFY_TOTP_MISMATCH)
    if not ctx.store.totp_steps.accept(user, step):
        raise ExpiredCode(Messages.TOTP_REPLAYED)
    _set_mfa(ctx, user, totp_secret=pending, totp_pending=None, friendly_name=friendly)


#: The preference members of (Admin)SetUserMFAPreference: the MfaState prefix each sets, and
#: what the user must hold to turn it on (the message Cognito gives otherwise).
_SETTINGS = (
    ("SoftwareTokenMfaSettings", "totp", Messages.NO_TOTP_DELIVERY),
    ("SMSMfaSettings", "sms", "User does not have delivery config set to turn on SMS_MFA"),
    # guess: the same form for e-mail (EMAIL_OTP is the factor's name in the model)
    ("EmailMfaSettings", "email", "User does not have delivery config set to turn on EMAIL_OTP"),
)


def _preferences(ctx: PoolContext, p: Params, user: User) -> dict[str, Any]:
    state = user.mfa
    for member, kind, missing in _SETTINGS:
        settings = p.mapping(member)
        if not settings:
            continue
        enabled = bool(settings.get("Enabled"))
        if enabled and not _can_deliver(user, kind):
            raise InvalidParameter(missing)
        state = _apply(state, kind, enabled, bool(settings.get("PreferredMfa")))
    passkey_settings = p.mapping("WebAuthnMfaSettings")
    if passkey_settings:
        state = passkey_mfa_preference(state, bool(passkey_settings.get("Enabled")))
    ctx.store.users.update(user, mfa=state, modified=ctx.now())
    return {}


def _can_deliver(user: User, kind: str) -> bool:
    if kind == "totp":
        return user.mfa.totp_secret is not None
    return bool(user.attributes.get("phone_number" if kind == "sms" else "email"))


def _apply(state: MfaState, kind: str, enabled: bool, preferred: bool) -> MfaState:
    """Turn one factor on or off; preferring it un-prefers the others (one preferred at most)."""
    changes: dict[str, Any] = {
        f"{kind}_enabled": enabled,
        f"{kind}_preferred": enabled and preferred,
    }
    if enabled and preferred:
        changes.update({f"{other}_preferred": False for other in _KINDS if other != kind})
    return replace(state, **changes)


_KINDS = tuple(kind for _, kind, _ in _SETTINGS)


async def set_user_mfa_preference(ctx: PoolContext, p: Params) -> dict[str, Any]:
    return _preferences(ctx, p, caller(ctx, p).user)


async def admin_set_user_mfa_preference(ctx: PoolContext, p: Params) -> dict[str, Any]:
    _, user = admin_user(ctx, p)
    return _preferences(ctx, p, user)
