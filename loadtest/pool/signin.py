"""The sign-in state machine after the first factor: which challenge comes next, or tokens.

One place owns the order of steps (cognito-facts §6-§8):

==============================================  ===========================================
after the password (SRP or plain) is verified   NEW_PASSWORD_REQUIRED if the password is
                                                temporary; else the steps below
remembered device presented, MFA would apply    DEVICE_SRP_AUTH (MFA skipped once it passes)
two or three of TOTP, SMS, e-mail active,       SELECT_MFA_TYPE (else the preferred one)
none preferred
TOTP active                                     SOFTWARE_TOKEN_MFA
SMS active (phone number, SMS MFA on)           SMS_MFA (code to the message sink)
e-mail active (email, e-mail MFA on)            EMAIL_OTP (code to the message sink)
pool MFA ON, nothing enrolled                   MFA_SETUP
otherwise                                       tokens (+ NewDeviceMetadata with tracking on)
==============================================  ===========================================

Also here: the lockout bookkeeping around every verification (check, count, reset) and the
single-use rule for sessions, so that challenge handlers only verify their own answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from loadtest.protocol.errors import (
    CodeMismatch,
    CognitoError,
    ExpiredCode,
    InvalidParameter,
    Messages,
    NotAuthorized,
    PasswordResetRequired,
    UserNotConfirmed,
)
from loadtest.protocol.names import Challenge

from . import codes, lockout, totp
from .context import PoolContext
from .messages import Medium, Purpose, challenge_parameters
from .records import AppClient, Device, MfaMode, MfaState, Pool, User, UserStatus
from .sessions import ChallengeSession, SealError
from .store import PendingCode
from .tokens import Minted, time_uuid

__all__ = [
    "MFA_CODE",
    "SignIn",
    "accept_totp",
    "active_factors",
    "check_lock",
    "code_digest",
    "code_matches",
    "complete",
    "count_failure",
    "email_challenge",
    "ensure_can_sign_in",
    "mfa_code_current",
    "mfa_code_passed",
    "next_step",
    "open_session",
    "pend_mfa_code",
    "resume",
    "sms_challenge",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SignIn:
    """One sign-in in progress: who, through which client, with which device, admin or not."""

    pool: Pool
    client: AppClient
    user: User
    admin: bool = False
    device: Device | None = None
    #: A CUSTOM_AUTH sign-in: after its MFA step DefineAuthChallenge decides what follows.
    custom: bool = False


def ensure_can_sign_in(user: User) -> None:
    """Disabled and unconfirmed users are refused before any password check."""
    if not user.enabled:
        raise NotAuthorized(Messages.USER_DISABLED)
    if user.status is UserStatus.UNCONFIRMED:
        raise UserNotConfirmed(Messages.USER_NOT_CONFIRMED)
    if user.status is UserStatus.RESET_REQUIRED:
        raise PasswordResetRequired(Messages.PASSWORD_RESET_REQUIRED)


def _state(user: User) -> lockout.LockoutState:
    return lockout.LockoutState(
        failures=user.failures, locked_until=user.locked_until, last_attempt=user.last_attempt
    )


def check_lock(ctx: PoolContext, user: User) -> None:
    """Raise ``Password attempts exceeded`` while the user is locked (the attempt is noted)."""
    now = ctx.now()
    try:
        lockout.check(ctx.lockout, _state(user), now)
    except NotAuthorized:
        ctx.store.lockouts.update(user, lambda s: (_note_attempt(s, now), None))
        raise


def _note_attempt(state: lockout.LockoutState, now: float) -> lockout.LockoutState:
    return lockout.LockoutState(
        failures=state.failures, locked_until=state.locked_until, last_attempt=now
    )


def count_failure(ctx: PoolContext, user: User, error: CognitoError) -> CognitoError:
    """Count a failed attempt and return the error to raise (the lockout one if now locked).

    Counted atomically against the stored state, so parallel failures in several workers are
    all seen; a failure that arrives during a lock is not counted.
    """
    now = ctx.now()

    def decide(state: lockout.LockoutState) -> tuple[lockout.LockoutState, CognitoError]:
        try:
            current = lockout.check(ctx.lockout, state, now)
        except NotAuthorized as locked:
            return _note_attempt(state, now), locked
        return lockout.on_failure(ctx.lockout, current, now), error

    result: CognitoError = ctx.store.lockouts.update(user, decide)
    return result


def _reset_lockout(ctx: PoolContext, user: User) -> None:
    if user.failures or user.locked_until:
        ctx.store.lockouts.update(user, lambda s: (lockout.LockoutState(), None))


# -- sessions ---------------------------------------------------------------------------------
def new_session(ctx: PoolContext, sign_in: SignIn, stage: str, **extra: str) -> str:
    """A sealed Session string for the next step of this sign-in."""
    session = ChallengeSession(
        id=uuid.uuid4().hex,
        stage=stage,
        pool_id=sign_in.pool.id,
        client_id=sign_in.client.id,
        username=sign_in.user.username,
        sub=sign_in.user.sub,
        issued=ctx.now(),
        device_key=sign_in.device.key if sign_in.device else "",
        admin=sign_in.admin,
        extra={**extra, **({_CUSTOM: "1"} if sign_in.custom else {})},
    )
    return session.seal(ctx.sealer)


#: The Session extra that marks a CUSTOM_AUTH sign-in.
_CUSTOM = "custom"


def open_session(
    ctx: PoolContext, text: str | None, client: AppClient, stages: tuple[str, ...]
) -> ChallengeSession:
    """Open a Session and check it: sealed here, for this client and step, fresh, unused."""
    if text is None:
        raise _missing("Session")
    try:
        session = ChallengeSession.open(ctx.sealer, text)
    except SealError as exc:
        raise NotAuthorized(Messages.SESSION_INVALID) from exc
    if session.client_id != client.id or session.stage not in stages:
        raise NotAuthorized(Messages.SESSION_INVALID)
    if ctx.now() - session.issued > ctx.session_seconds(client):
        raise NotAuthorized(Messages.SESSION_EXPIRED)
    if ctx.store.used_sessions.is_used(session.id):
        raise NotAuthorized(Messages.SESSION_USED)
    return session


def resume(
    ctx: PoolContext, session: ChallengeSession, pool: Pool, client: AppClient, user: User
) -> SignIn:
    """The sign-in a Session continues, with the remembered device it was issued for, if any."""
    key = session.device_key
    device = ctx.store.devices.get(pool.id, user.sub, key) if key else None
    custom = session.extra.get(_CUSTOM) == "1"
    return SignIn(
        pool=pool, client=client, user=user, admin=session.admin, device=device, custom=custom
    )


def consume(ctx: PoolContext, session: ChallengeSession, client: AppClient) -> None:
    """Mark a session used by a successful step; a second use is refused."""
    expires = session.issued + ctx.session_seconds(client) + 1.0
    if not ctx.store.used_sessions.use(session.id, expires):
        raise NotAuthorized(Messages.SESSION_USED)


def _missing(name: str) -> CognitoError:
    return InvalidParameter(Messages.missing(name))


# -- the next step ------------------------------------------------------------------------------
def _challenge(
    ctx: PoolContext, sign_in: SignIn, name: Challenge, params: dict[str, str]
) -> dict[str, Any]:
    return {
        "ChallengeName": str(name),
        "ChallengeParameters": params,
        "Session": new_session(ctx, sign_in, str(name)),
    }


def next_step(ctx: PoolContext, sign_in: SignIn, *, password_done: bool = True) -> dict[str, Any]:
    """The answer after a verified password (or a completed NEW_PASSWORD_REQUIRED)."""
    user, pool = sign_in.user, sign_in.pool
    if password_done and user.status is UserStatus.FORCE_CHANGE_PASSWORD:
        days = pool.password_policy.temporary_days
        if ctx.now() - user.password_set > days * 86400:
            raise NotAuthorized(Messages.TEMPORARY_PASSWORD_EXPIRED)
        return _challenge(ctx, sign_in, Challenge.NEW_PASSWORD_REQUIRED, _new_password(user))
    device = sign_in.device
    if user.mfa_required(pool) and device is not None and device.remembered:
        answer = _challenge(ctx, sign_in, Challenge.DEVICE_SRP_AUTH, {})
        # Clients that answer DEVICE_SRP_AUTH without the Session (pycognito, the AWS Java
        # sample) are matched to this sign-in by client, user and device: its Session is kept.
        expires = ctx.now() + ctx.session_seconds(sign_in.client)
        ctx.store.device_challenges.put(
            sign_in.client.id, user.sub, device.key, answer["Session"], expires
        )
        return answer
    return mfa_step(ctx, sign_in)


def mfa_step(ctx: PoolContext, sign_in: SignIn) -> dict[str, Any]:
    """The MFA part of :func:`next_step`: challenge for a second factor, or tokens.

    One factor: its challenge. Several (of SMS, TOTP, e-mail): the preferred one, or
    SELECT_MFA_TYPE with ``MFAS_CAN_CHOOSE`` as a JSON string when none is preferred
    (cognito-facts §15; EMAIL_OTP listed last is a guess at the order).
    """
    user, pool = sign_in.user, sign_in.pool
    factors = active_factors(sign_in)
    if len(factors) > 1:
        preferred = _preferred(user.mfa)
        if preferred in factors:
            return _FACTOR_CHALLENGES[preferred](ctx, sign_in)
        choose = json.dumps(list(factors), separators=(",", ":"))
        return _challenge(ctx, sign_in, Challenge.SELECT_MFA_TYPE, {"MFAS_CAN_CHOOSE": choose})
    if factors:
        return _FACTOR_CHALLENGES[factors[0]](ctx, sign_in)
    if pool.mfa is MfaMode.ON:
        setup = json.dumps(["SOFTWARE_TOKEN_MFA"])
        return _challenge(ctx, sign_in, Challenge.MFA_SETUP, {"MFAS_CAN_SETUP": setup})
    return complete(ctx, sign_in)


def active_factors(sign_in: SignIn) -> tuple[Challenge, ...]:
    """The second factors sign-in must ask this user for, in MFAS_CAN_CHOOSE's order."""
    user, pool = sign_in.user, sign_in.pool
    active = (
        (Challenge.SMS_MFA, user.sms_active(pool)),
        (Challenge.SOFTWARE_TOKEN_MFA, user.totp_active(pool)),
        (Challenge.EMAIL_OTP, user.email_active(pool)),
    )
    return tuple(factor for factor, on in active if on)


def _preferred(mfa: MfaState) -> Challenge | None:
    if mfa.sms_preferred:
        return Challenge.SMS_MFA
    if mfa.totp_preferred:
        return Challenge.SOFTWARE_TOKEN_MFA
    return Challenge.EMAIL_OTP if mfa.email_preferred else None


def sms_challenge(ctx: PoolContext, sign_in: SignIn) -> dict[str, Any]:
    """SMS_MFA: a code to the user's phone (the message sink)."""
    return _code_challenge(ctx, sign_in, Challenge.SMS_MFA, Medium.SMS, Purpose.SMS_MFA)


def email_challenge(ctx: PoolContext, sign_in: SignIn) -> dict[str, Any]:
    """EMAIL_OTP as a second factor: a code to the user's e-mail address (the message sink)."""
    return _code_challenge(ctx, sign_in, Challenge.EMAIL_OTP, Medium.EMAIL, Purpose.EMAIL_OTP)


#: The pending-code purpose of MFA codes: one per user, whatever the medium.
MFA_CODE = "MFA"


def _code_challenge(
    ctx: PoolContext, sign_in: SignIn, name: Challenge, medium: Medium, purpose: Purpose
) -> dict[str, Any]:
    """Send an MFA code; its digest and a nonce go sealed into the Session.

    The code lives as long as the Session (AuthSessionValidity, cognito-facts §15). The nonce
    is also kept as the user's one pending MFA code (``store.codes``), so a newer sign-in's
    code supersedes it: the older Session's code stops matching (§15: a code one sign-in
    behind fails, aws-sdk-java #2018; that the older *Session* fails too is a guess).
    """
    user = sign_in.user
    message = codes.send(ctx, user, medium, purpose)
    nonce = pend_mfa_code(ctx, user, sign_in.client)
    params = {**challenge_parameters(message), "USER_ID_FOR_SRP": user.username}
    session = new_session(ctx, sign_in, name, code=code_digest(message.code), nonce=nonce)
    return {"ChallengeName": str(name), "ChallengeParameters": params, "Session": session}


def pend_mfa_code(ctx: PoolContext, user: User, client: AppClient) -> str:
    """Make a fresh nonce the user's one pending MFA code, for as long as a Session lives, and
    return it: whoever sent the code (a challenge, a managed-login page) seals it beside the
    code's digest, so a newer sign-in's code supersedes this one."""
    nonce = uuid.uuid4().hex
    expires = ctx.now() + ctx.session_seconds(client)
    ctx.store.codes.put(
        PendingCode(
            pool_id=user.pool_id, sub=user.sub, purpose=MFA_CODE, attribute="",
            code=nonce, expires=expires, wrong=0,
        )
    )  # fmt: skip
    return nonce


def mfa_code_current(
    ctx: PoolContext, pool_id: str, sub: str, *, digest: str, nonce: str, code: str
) -> bool:
    """Whether ``code`` is the one whose ``digest`` was sealed (constant time) and that code,
    known by its ``nonce``, is still the user's newest MFA code."""
    if not (digest and hmac.compare_digest(digest, code_digest(code.strip()))):
        return False
    pending = ctx.store.codes.get(pool_id, sub, MFA_CODE)
    return pending is not None and hmac.compare_digest(pending.code, nonce)


def accept_totp(ctx: PoolContext, user: User, code: str) -> None:
    """SOFTWARE_TOKEN_MFA's code check (lock checked by the caller): a wrong code counts toward
    the lockout, a time step already used is refused (cognito-facts §3.1)."""
    secret = user.mfa.totp_secret
    matched = None if secret is None else totp.matching_step(secret, code, ctx.now())
    if matched is None:
        raise count_failure(ctx, user, CodeMismatch(Messages.TOTP_MISMATCH))
    if not ctx.store.totp_steps.accept(user, matched):
        raise ExpiredCode(Messages.TOTP_REPLAYED)


def code_digest(code: str) -> str:
    """What a Session keeps of a sent code (sealed anyway; a digest is all it needs)."""
    return hashlib.sha256(code.encode()).hexdigest()


def code_matches(ctx: PoolContext, session: ChallengeSession, code: str) -> bool:
    """Whether ``code`` is the one sent with this Session and still the user's newest."""
    extra = session.extra
    return mfa_code_current(
        ctx, session.pool_id, session.sub,
        digest=extra.get("code", ""), nonce=extra.get("nonce", ""), code=code,
    )  # fmt: skip


def mfa_code_passed(ctx: PoolContext, sign_in: SignIn, medium: Medium) -> SignIn:
    """A right SMS or e-mail MFA code: the code is used up, and the address it went to is now
    verified (the Developer Guide: "When a user completes their first MFA, Amazon Cognito
    marks their email address or phone number as verified")."""
    user = sign_in.user
    pending = ctx.store.codes.get(user.pool_id, user.sub, MFA_CODE)
    if pending is not None:
        ctx.store.codes.drop(pending)
    flag = f"{medium.attribute}_verified"
    if user.attributes.get(flag) == "true":
        return sign_in
    attributes = {**user.attributes, flag: "true"}
    updated = ctx.store.users.update(user, attributes=attributes, modified=ctx.now())
    return replace(sign_in, user=updated)


def totp_challenge(ctx: PoolContext, sign_in: SignIn) -> dict[str, Any]:
    params = {"USER_ID_FOR_SRP": sign_in.user.username}
    if sign_in.user.mfa.friendly_name:
        params["FRIENDLY_DEVICE_NAME"] = sign_in.user.mfa.friendly_name
    return _challenge(ctx, sign_in, Challenge.SOFTWARE_TOKEN_MFA, params)


#: Each second factor's challenge.
_FACTOR_CHALLENGES: dict[Challenge, Callable[[PoolContext, SignIn], dict[str, Any]]] = {
    Challenge.SMS_MFA: sms_challenge,
    Challenge.SOFTWARE_TOKEN_MFA: totp_challenge,
    Challenge.EMAIL_OTP: email_challenge,
}


def _new_password(user: User) -> dict[str, str]:
    attributes = {k: v for k, v in user.attributes.items() if k != "sub"}
    return {
        "USER_ID_FOR_SRP": user.username,
        "requiredAttributes": "[]",
        "userAttributes": json.dumps(attributes),
    }


def complete(
    ctx: PoolContext, sign_in: SignIn, *, on_success: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Tokens: the sign-in succeeded (the lockout count resets)."""
    now = ctx.now()
    _reset_lockout(ctx, sign_in.user)
    if on_success is not None:
        on_success()
    device_key = sign_in.device.key if sign_in.device else None
    new_device: dict[str, str] | None = None
    if device_key is None and sign_in.pool.device_tracking:
        device_key = f"{ctx.region}_{uuid.uuid4()}"
        new_device = {"DeviceKey": device_key, "DeviceGroupKey": sign_in.user.device_group}
    minted = Minted(auth_time=int(now), origin_jti=time_uuid(now), device_key=device_key)
    user = sign_in.user
    groups = ctx.group_claims(user)
    result = ctx.tokens.authentication_result(user, sign_in.client, minted, now, groups=groups)
    if new_device is not None:
        result["NewDeviceMetadata"] = new_device
    return {"ChallengeParameters": {}, "AuthenticationResult": result}
