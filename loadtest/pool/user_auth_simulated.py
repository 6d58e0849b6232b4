"""USER_AUTH for a name that is no user, answered as for one that is (PreventUserExistenceErrors).

With ``PreventUserExistenceErrors: ENABLED`` "Amazon Cognito responds to choice-based
authentication requests by randomly selecting from the challenge types the user pool allows.
Your user pool might return a passkey, one-time password, or password challenge" (Developer
Guide, *Managing user existence error responses*); measured, an unknown user preferring
EMAIL_OTP got an ``EMAIL_OTP`` challenge with a dummy Session (cognito-facts §12.3).

So an unknown name gets a *simulated user*: PASSWORD_SRP and PASSWORD, plus each passwordless
factor the pool allows drawn from a keyed hash of the pool and the name (a guess at
"randomly": a draw that is stable per name, so that asking twice cannot tell a simulated user
from a real one, as the SRP simulation keeps its salt, :mod:`.auth`). Every step then looks
like a real user's and fails as a real one would with the wrong secret:

=====================  =============================================================
SELECT_CHALLENGE       AvailableChallenges of the simulated user and a Session
PASSWORD               ``NotAuthorizedException: Incorrect username or password.``
PASSWORD_SRP           a simulated PASSWORD_VERIFIER (its proof never verifies)
EMAIL_OTP / SMS_OTP    the code challenge with a masked made-up destination, no message
                       sent; every code is ``CodeMismatchException``, the Session kept
WEB_AUTHN              CREDENTIAL_REQUEST_OPTIONS listing a made-up credential id; any
                       assertion is ``Incorrect username or password.`` (as a real
                       user's failed one, a guess)
=====================  =============================================================

With ``LEGACY`` the answer stays ``UserNotFoundException``. The same page also says
choice-based authentication "isn't affected by" the setting; whether that means USER_AUTH
hides unknown users even under LEGACY is unconfirmed, so the long-standing LEGACY answer is
kept (docs/user-auth.md).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webauthn.helpers.structs import PublicKeyCredentialDescriptor

from loadtest.protocol.errors import CodeMismatch, InvalidParameter, Messages, NotAuthorized
from loadtest.protocol.names import Challenge

from . import webauthn
from .auth import srp_start
from .context import PoolContext
from .records import AppClient, MfaMode, Pool
from .sessions import ChallengeSession
from .signin import consume, open_session
from .user_auth import OTP_STAGES, SELECT_STAGE, WEB_AUTHN_STAGE

__all__ = ["SimulatedUser", "answer", "opened", "simulated_user", "start"]

Result = dict[str, Any]

#: A Session of a simulated user carries this in its sealed ``extra``.
_MARK = "simulated"
#: The passwordless factors, each drawn with one bit of the user's seed.
_DRAWN = (Challenge.EMAIL_OTP, Challenge.SMS_OTP, Challenge.WEB_AUTHN)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedUser:
    """What an unknown name pretends to be in one pool: the same on every request."""

    username: str
    sub: str
    seed: bytes
    available: tuple[str, ...]


def simulated_user(ctx: PoolContext, pool: Pool, username: str) -> SimulatedUser:
    """The stable simulated user behind ``username`` in ``pool``."""
    seed = hmac.digest(
        ctx.simulation_key, f"user_auth\0{pool.id}\0{pool.user_key(username)}".encode(), "sha256"
    )
    offered = [str(Challenge.PASSWORD_SRP), str(Challenge.PASSWORD)]
    if pool.tier != "LITE" and pool.mfa is not MfaMode.ON:
        offered += [
            str(f) for bit, f in enumerate(_DRAWN) if f in pool.first_factors and seed[0] >> bit & 1
        ]
    return SimulatedUser(
        username=username,
        sub=str(uuid.UUID(bytes=seed[16:32], version=4)),
        seed=seed,
        available=tuple(offered),
    )


def start(
    ctx: PoolContext, pool: Pool, client: AppClient, auth: Mapping[str, str], *, admin: bool
) -> Result:
    """InitiateAuth USER_AUTH for an unknown name: the preferred factor or SELECT_CHALLENGE."""
    user = simulated_user(ctx, pool, auth["USERNAME"])
    preferred = auth.get("PREFERRED_CHALLENGE")
    if preferred in user.available:
        return _factor(ctx, pool, client, user, preferred, auth, admin=admin)
    return {
        "ChallengeName": str(Challenge.SELECT_CHALLENGE),
        "ChallengeParameters": {},
        "Session": _session(ctx, client, user, SELECT_STAGE, admin=admin),
        "AvailableChallenges": list(user.available),
    }


def opened(
    ctx: PoolContext, text: str | None, client: AppClient, stages: tuple[str, ...]
) -> tuple[ChallengeSession, bool]:
    """Open a USER_AUTH Session (every check of :func:`.signin.open_session`) and say whether
    it is a simulated user's."""
    session = open_session(ctx, text, client, stages)
    return session, session.extra.get(_MARK) == "1"


def answer(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    session: ChallengeSession,
    challenge: str,
    responses: Mapping[str, str],
) -> Result:
    """RespondToAuthChallenge on a simulated user's Session: as a real user's, never tokens."""
    if pool.user_key(responses["USERNAME"]) != pool.user_key(session.username):
        raise NotAuthorized(Messages.SESSION_INVALID)
    ctx.check_secret_hash(client, responses["USERNAME"], responses.get("SECRET_HASH"))
    if challenge in (Challenge.EMAIL_OTP, Challenge.SMS_OTP):
        raise CodeMismatch(Messages.OTP_MISMATCH)
    if challenge == Challenge.WEB_AUTHN:
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    factor = responses["ANSWER"] if challenge == Challenge.SELECT_CHALLENGE else challenge
    user = simulated_user(ctx, pool, session.username)
    result = _factor(ctx, pool, client, user, factor, responses, admin=session.admin)
    consume(ctx, session, client)
    return result


def _factor(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    user: SimulatedUser,
    factor: str,
    given: Mapping[str, str],
    *,
    admin: bool,
) -> Result:
    """The first step of a chosen factor, as :func:`.user_auth.start_factor` gives it."""
    if factor not in user.available:
        raise InvalidParameter(f"Invalid ANSWER: {factor[:32]} is not an available challenge")
    if factor == Challenge.PASSWORD:
        if not given.get("PASSWORD"):
            raise InvalidParameter(Messages.missing("PASSWORD"))
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    if factor == Challenge.PASSWORD_SRP:
        # USER_SRP_AUTH's own simulation (same salt and SRP_B maths for the name).
        verifier = srp_start(ctx, pool, client, {**given, "USERNAME": user.username}, admin=admin)
        verifier["Session"] = _session(ctx, client, user, "PASSWORD_VERIFIER", admin=admin)
        return verifier
    if factor == Challenge.WEB_AUTHN:
        return _webauthn(ctx, pool, client, user, admin=admin)
    return _otp(ctx, client, user, Challenge(factor), admin=admin)


def _webauthn(
    ctx: PoolContext, pool: Pool, client: AppClient, user: SimulatedUser, *, admin: bool
) -> Result:
    """A WEB_AUTHN challenge naming one made-up 32-byte credential id, stable per name."""
    made_up = PublicKeyCredentialDescriptor(id=hmac.digest(user.seed, b"credential", "sha256"))
    timeout_ms = int(client.session_seconds * 1000)
    _challenge, options = webauthn.options_for(pool, [made_up], timeout_ms)
    return {
        "ChallengeName": str(Challenge.WEB_AUTHN),
        "ChallengeParameters": {"CREDENTIAL_REQUEST_OPTIONS": options},
        "Session": _session(ctx, client, user, WEB_AUTHN_STAGE, admin=admin),
    }


def _otp(
    ctx: PoolContext, client: AppClient, user: SimulatedUser, factor: Challenge, *, admin: bool
) -> Result:
    """The code challenge with a masked made-up destination; nothing is sent."""
    letters, digits = "abcdefghijklmnopqrstuvwxyz", "0123456789"
    s = user.seed
    if factor == Challenge.EMAIL_OTP:
        medium, shown = "EMAIL", f"{letters[s[1] % 26]}***@{letters[s[2] % 26]}***"
    else:
        medium, shown = "SMS", "+*******" + "".join(digits[b % 10] for b in s[3:7])
    return {
        "ChallengeName": str(factor),
        "ChallengeParameters": {
            "CODE_DELIVERY_DELIVERY_MEDIUM": medium,
            "CODE_DELIVERY_DESTINATION": shown,
        },
        "Session": _session(ctx, client, user, OTP_STAGES[factor], admin=admin),
        "AvailableChallenges": [str(factor)],
    }


def _session(
    ctx: PoolContext, client: AppClient, user: SimulatedUser, stage: str, *, admin: bool
) -> str:
    """A sealed Session like a real user's, marked as a simulated user's."""
    session = ChallengeSession(
        id=uuid.uuid4().hex,
        stage=stage,
        pool_id=client.pool_id,
        client_id=client.id,
        username=user.username,
        sub=user.sub,
        issued=ctx.now(),
        admin=admin,
        extra={_MARK: "1"},
    )
    return session.seal(ctx.sealer)
