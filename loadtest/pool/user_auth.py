"""Choice-based sign-in: ``AuthFlow: USER_AUTH`` and the answers to its challenges.

cognito-facts §12. The client must allow ``ALLOW_USER_AUTH``; the pool's
``Policies.SignInPolicy.AllowedFirstAuthFactors`` (``PASSWORD`` by default, and always) says
which first factors exist; each user is offered only those that apply to them:

=============  ==============================================================================
PASSWORD_SRP,  always (PASSWORD covers both); the password factors are followed by
PASSWORD       NEW_PASSWORD_REQUIRED, a remembered device and MFA exactly as the password flows
EMAIL_OTP      the pool allows it, the tier is not LITE, the user has an ``email``, has no MFA
               configured, the pool's MFA is not ON, and the password is not temporary
SMS_OTP        the same, with ``phone_number``
WEB_AUTHN      the same, with a registered passkey (:mod:`.webauthn`); also under MFA when
               the passkey satisfies MFA (FactorConfiguration MULTI_FACTOR_WITH_USER_VERIFICATION
               and the user's WebAuthnMfaSettings on), and then it must verify the user
=============  ==============================================================================

With an eligible ``PREFERRED_CHALLENGE`` the flow goes straight to that factor; otherwise it
answers ``SELECT_CHALLENGE`` with ``AvailableChallenges`` (PASSWORD_SRP first, as measured).
SELECT_CHALLENGE is answered with ``ANSWER`` or, as the Guide also documents, with the factor
as ``ChallengeName``. OTP codes (8 digits) go through the message sink (:mod:`.messages`);
the code lives as long as the Session and is kept in it only as a keyed digest. A wrong code
is ``CodeMismatchException`` and keeps the Session; OTP failures are not counted toward the
password lockout (6 wrong codes measured without lockout, §4); password failures are, as in
the password flows. OTP and passkey sign-ins get no MFA step (§12.5). An unknown name under
PreventUserExistenceErrors gets a simulated user (:mod:`.user_auth_simulated`).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from loadtest.protocol.errors import (
    CodeMismatch,
    InvalidParameter,
    Messages,
    NotAuthorized,
    UserNotFound,
)
from loadtest.protocol.names import AuthFlow, Challenge

from . import aliases, codes, webauthn
from .auth import known_device, password_ok, srp_start
from .context import PoolContext
from .messages import Medium, Purpose, challenge_parameters
from .records import AppClient, MfaMode, Pool, User, UserStatus
from .signin import (
    SignIn,
    check_lock,
    complete,
    count_failure,
    ensure_can_sign_in,
    new_session,
    next_step,
)

__all__ = [
    "OTP_STAGES",
    "SELECT_STAGE",
    "WEB_AUTHN_STAGE",
    "answer_otp",
    "answer_webauthn",
    "available_challenges",
    "start_factor",
    "user_auth",
]

Result = dict[str, Any]

#: The Session stage of a SELECT_CHALLENGE, and of each first-factor code challenge.
SELECT_STAGE = "USER_AUTH:SELECT_CHALLENGE"
WEB_AUTHN_STAGE = "USER_AUTH:WEB_AUTHN"
OTP_STAGES = {Challenge.EMAIL_OTP: "USER_AUTH:EMAIL_OTP", Challenge.SMS_OTP: "USER_AUTH:SMS_OTP"}

_OTP = {
    Challenge.EMAIL_OTP: (Medium.EMAIL, Purpose.EMAIL_OTP, "EMAIL_OTP"),
    Challenge.SMS_OTP: (Medium.SMS, Purpose.SMS_OTP, "SMS_OTP"),
}
#: First-factor OTPs are 8 digits, fixed (cognito-facts §12.6).
OTP_DIGITS = 8


def available_challenges(ctx: PoolContext, pool: Pool, user: User) -> list[str]:
    """The first factors this user may pick, in the order Cognito lists them (§12.3)."""
    offered = [str(Challenge.PASSWORD_SRP), str(Challenge.PASSWORD)]
    if _passwordless_allowed(pool, user):
        offered += _otp_factors(pool, user)
    elif not _passkey_as_mfa(pool, user):
        return offered
    if "WEB_AUTHN" in pool.first_factors and webauthn.has_passkeys(ctx, pool, user):
        offered.append(str(Challenge.WEB_AUTHN))
    return offered


def _otp_factors(pool: Pool, user: User) -> list[str]:
    """EMAIL_OTP and SMS_OTP, where the pool allows them and the user has the address."""
    offered = []
    for factor, (medium, _purpose, allowed) in _OTP.items():
        if allowed in pool.first_factors and user.attributes.get(medium.attribute):
            offered.append(str(factor))
    return offered


def _passkey_as_mfa(pool: Pool, user: User) -> bool:
    """A passkey that satisfies MFA is offered where MFA hides the passwordless factors."""
    if pool.tier == "LITE" or user.status is UserStatus.FORCE_CHANGE_PASSWORD:
        return False
    return webauthn.passkey_mfa(pool, user)


def _passwordless_allowed(pool: Pool, user: User) -> bool:
    """The §12.1 table: no passwordless factor under required MFA or with MFA configured."""
    if pool.tier == "LITE" or pool.mfa is MfaMode.ON:
        return False
    if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
        return False
    return not (pool.mfa is MfaMode.OPTIONAL and user.mfa.configured)


def user_auth(
    ctx: PoolContext, pool: Pool, client: AppClient, auth: Mapping[str, str], *, admin: bool
) -> Result:
    """InitiateAuth USER_AUTH: the preferred factor's first step, or SELECT_CHALLENGE."""
    if not client.allows(AuthFlow.USER_AUTH):
        raise InvalidParameter(Messages.USER_AUTH_NOT_ENABLED)
    username = auth.get("USERNAME")
    if not username:
        raise InvalidParameter(Messages.missing("USERNAME"))
    user = ctx.find_user(pool, username)
    if user is None:
        ctx.check_secret_hash(client, username, auth.get("SECRET_HASH"))
        if client.prevent_user_existence_errors:
            # Imported here: the simulation reuses this module's stages.
            from .user_auth_simulated import start

            return start(ctx, pool, client, auth, admin=admin)
        raise UserNotFound(Messages.USER_NOT_FOUND)
    ensure_can_sign_in(user)
    device = known_device(ctx, user, auth.get("DEVICE_KEY"))
    sign_in = SignIn(pool=pool, client=client, user=user, admin=admin, device=device)
    available = available_challenges(ctx, pool, user)
    preferred = auth.get("PREFERRED_CHALLENGE")
    if preferred in available:
        return start_factor(ctx, sign_in, preferred, auth)
    ctx.check_secret_hash(client, username, auth.get("SECRET_HASH"))
    return {
        "ChallengeName": str(Challenge.SELECT_CHALLENGE),
        "ChallengeParameters": {},
        "Session": new_session(ctx, sign_in, SELECT_STAGE),
        "AvailableChallenges": available,
    }


def start_factor(
    ctx: PoolContext, sign_in: SignIn, factor: str, given: Mapping[str, str]
) -> Result:
    """The first step of one chosen factor (from PREFERRED_CHALLENGE or SELECT_CHALLENGE)."""
    if factor not in available_challenges(ctx, sign_in.pool, sign_in.user):
        raise InvalidParameter(f"Invalid ANSWER: {factor[:32]} is not an available challenge")
    if factor == Challenge.PASSWORD:
        return _password(ctx, sign_in, given)
    if factor == Challenge.PASSWORD_SRP:
        return _password_srp(ctx, sign_in, given)
    if factor == Challenge.WEB_AUTHN:
        return _webauthn_challenge(ctx, sign_in, given)
    return _send_otp(ctx, sign_in, Challenge(factor), given)


def _password(ctx: PoolContext, sign_in: SignIn, given: Mapping[str, str]) -> Result:
    """PASSWORD: verified here, counted toward the lockout, then the usual next step (MFA...)."""
    user, client = sign_in.user, sign_in.client
    password = given.get("PASSWORD")
    if not password:
        raise InvalidParameter(Messages.missing("PASSWORD"))
    check_lock(ctx, user)
    try:
        ctx.check_secret_hash(client, user.username, given.get("SECRET_HASH"))
    except NotAuthorized as wrong_secret:
        raise count_failure(ctx, user, wrong_secret) from None
    if not password_ok(ctx, sign_in.pool, user, password):
        raise count_failure(ctx, user, NotAuthorized(Messages.INCORRECT_PASSWORD))
    return next_step(ctx, sign_in)


def _password_srp(ctx: PoolContext, sign_in: SignIn, given: Mapping[str, str]) -> Result:
    """PASSWORD_SRP: PASSWORD_VERIFIER with the §1 maths; answered by the usual handler.

    The Guide's example carries a Session here (§12.4); one is returned, and the
    PASSWORD_VERIFIER handler accepts the answer with or without it.
    """
    auth = {**given, "USERNAME": sign_in.user.username}
    if sign_in.device is not None:
        auth.setdefault("DEVICE_KEY", sign_in.device.key)
    answer = srp_start(ctx, sign_in.pool, sign_in.client, auth, admin=sign_in.admin)
    answer["Session"] = new_session(ctx, sign_in, str(Challenge.PASSWORD_VERIFIER))
    return answer


def _webauthn_challenge(ctx: PoolContext, sign_in: SignIn, given: Mapping[str, str]) -> Result:
    """WEB_AUTHN: CREDENTIAL_REQUEST_OPTIONS as a JSON string; the challenge rides in the
    sealed Session, so it is good for one sign-in only (§13.3)."""
    user, client = sign_in.user, sign_in.client
    ctx.check_secret_hash(client, user.username, given.get("SECRET_HASH"))
    timeout_ms = int(client.session_seconds * 1000)
    challenge, options = webauthn.request_options(ctx, sign_in.pool, user, timeout_ms)
    return {
        "ChallengeName": str(Challenge.WEB_AUTHN),
        "ChallengeParameters": {"CREDENTIAL_REQUEST_OPTIONS": options},
        "Session": new_session(ctx, sign_in, WEB_AUTHN_STAGE, challenge=challenge),
    }


def answer_webauthn(
    ctx: PoolContext,
    sign_in: SignIn,
    extra: Mapping[str, str],
    credential: str,
    *,
    on_success: Callable[[], None],
) -> Result:
    """Verify the passkey's assertion; tokens, with no MFA step (§12.5)."""
    webauthn.verify_assertion(ctx, sign_in.pool, sign_in.user, extra["challenge"], credential)
    return complete(ctx, sign_in, on_success=on_success)


def _code_digest(ctx: PoolContext, nonce: str, code: str) -> str:
    return hmac.new(ctx.simulation_key, f"otp\0{nonce}\0{code}".encode(), "sha256").hexdigest()


def _send_otp(
    ctx: PoolContext, sign_in: SignIn, factor: Challenge, given: Mapping[str, str]
) -> Result:
    """EMAIL_OTP / SMS_OTP: send an 8-digit code through the sink, answer the code challenge."""
    user = sign_in.user
    ctx.check_secret_hash(sign_in.client, user.username, given.get("SECRET_HASH"))
    medium, purpose, _allowed = _OTP[factor]
    message = codes.send(ctx, user, medium, purpose, digits=OTP_DIGITS)
    nonce = secrets.token_hex(8)
    session = new_session(
        ctx, sign_in, OTP_STAGES[factor], nonce=nonce, code=_code_digest(ctx, nonce, message.code)
    )
    return {
        "ChallengeName": str(factor),
        "ChallengeParameters": challenge_parameters(message),
        "Session": session,
        "AvailableChallenges": [str(factor)],
    }


def answer_otp(
    ctx: PoolContext,
    sign_in: SignIn,
    extra: Mapping[str, str],
    factor: Challenge,
    code: str,
    *,
    on_success: Callable[[], None],
) -> Result:
    """Check a first-factor code; tokens on a match (and the attribute is now verified)."""
    expected = extra.get("code", "")
    if not hmac.compare_digest(_code_digest(ctx, extra.get("nonce", ""), code), expected):
        raise CodeMismatch(Messages.OTP_MISMATCH)
    medium = _OTP[factor][0]
    user = _mark_verified(ctx, sign_in, f"{medium.attribute}_verified")
    return complete(ctx, replace(sign_in, user=user), on_success=on_success)


def _mark_verified(ctx: PoolContext, sign_in: SignIn, attribute: str) -> User:
    """A correct OTP verifies the address it went to and confirms the user (§12.6); a verified
    address is a sign-in alias at once, taken from an older holder as VerifyUserAttribute
    takes it."""
    user = sign_in.user
    if user.attributes.get(attribute) == "true":
        return user
    attributes = {**user.attributes, attribute: "true"}
    return aliases.write(ctx, sign_in.pool, user, attributes, take=True)
