"""InitiateAuth and AdminInitiateAuth: USER_SRP_AUTH, USER_PASSWORD_AUTH,
ADMIN_USER_PASSWORD_AUTH (and its legacy name ADMIN_NO_SRP_AUTH), REFRESH_TOKEN_AUTH,
USER_AUTH (in :mod:`.user_auth`) and CUSTOM_AUTH (:mod:`.custom`).

USER_SRP_AUTH answers PASSWORD_VERIFIER with SALT, SRP_B, SECRET_BLOCK, USERNAME and
USER_ID_FOR_SRP and no Session (cognito-facts §2); the exchange's state is sealed in the
SECRET_BLOCK. Unknown users under PreventUserExistenceErrors=ENABLED get a simulated challenge
with a salt and user id derived deterministically from the pool and the name.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from typing import Any

import srp_fast
from loadtest.protocol.errors import (
    InvalidParameter,
    Messages,
    NotAuthorized,
    UserNotFound,
)
from loadtest.protocol.names import AuthFlow

from . import custom
from .context import PoolContext
from .params import Params
from .records import AppClient, Device, Pool, User
from .revocation import refresh_revoked
from .sessions import SecretBlock
from .signin import SignIn, check_lock, count_failure, ensure_can_sign_in, next_step
from .srp import password_record
from .tokens import Minted, uuid_time

__all__ = [
    "initiate_auth",
    "known_device",
    "password_ok",
    "refresh_owner",
    "refreshed",
    "secret_block",
    "srp_challenge",
    "srp_start",
]

_PUBLIC_FLOWS = frozenset(
    {
        AuthFlow.USER_SRP_AUTH,
        AuthFlow.USER_PASSWORD_AUTH,
        AuthFlow.REFRESH_TOKEN_AUTH,
        AuthFlow.USER_AUTH,
        AuthFlow.CUSTOM_AUTH,
    }
)
_ADMIN_FLOWS = frozenset(
    {
        AuthFlow.USER_SRP_AUTH,
        AuthFlow.ADMIN_USER_PASSWORD_AUTH,
        AuthFlow.ADMIN_NO_SRP_AUTH,
        AuthFlow.REFRESH_TOKEN_AUTH,
        AuthFlow.USER_AUTH,
        AuthFlow.CUSTOM_AUTH,
    }
)


async def initiate_auth(ctx: PoolContext, p: Params, *, admin: bool) -> dict[str, Any]:
    """InitiateAuth (``admin=False``) or AdminInitiateAuth (``admin=True``)."""
    pool_id = p.pool_id() if admin else None
    client = ctx.client(p.client_id(), pool_id)
    pool = ctx.pool(client.pool_id)
    flow = _flow(p.text("AuthFlow", max_len=64), admin=admin)
    auth = p.string_map("AuthParameters")
    if flow is AuthFlow.REFRESH_TOKEN:
        flow = AuthFlow.REFRESH_TOKEN_AUTH
    if flow is AuthFlow.ADMIN_NO_SRP_AUTH:
        # The legacy name of ADMIN_USER_PASSWORD_AUTH, behaving alike (cognito-facts §15).
        flow = AuthFlow.ADMIN_USER_PASSWORD_AUTH
    _require_enabled(client, flow)
    if flow is AuthFlow.USER_SRP_AUTH:
        return srp_start(ctx, pool, client, auth, admin=admin)
    if flow is AuthFlow.REFRESH_TOKEN_AUTH:
        return _refresh(ctx, pool, client, auth)
    if flow is AuthFlow.USER_AUTH:
        # Imported here: user_auth builds on this module's password and SRP steps.
        from .user_auth import user_auth

        return user_auth(ctx, pool, client, auth, admin=admin)
    if flow is AuthFlow.CUSTOM_AUTH:
        return await custom.start(ctx, pool, client, auth, admin=admin)
    return await _password(ctx, pool, client, auth, admin=admin)


def _flow(text: str, *, admin: bool) -> AuthFlow:
    try:
        flow = AuthFlow(text)
    except ValueError as exc:
        raise InvalidParameter(Messages.AUTH_METHOD_NOT_SUPPORTED) from exc
    allowed = _ADMIN_FLOWS if admin else _PUBLIC_FLOWS
    if flow not in allowed and flow is not AuthFlow.REFRESH_TOKEN:
        raise InvalidParameter(Messages.AUTH_METHOD_NOT_SUPPORTED)
    return flow


def _require_enabled(client: AppClient, flow: AuthFlow) -> None:
    if client.allows(flow):
        return
    if flow is AuthFlow.USER_SRP_AUTH:
        raise InvalidParameter(Messages.SRP_NOT_ENABLED)
    if flow is AuthFlow.USER_PASSWORD_AUTH:
        raise InvalidParameter(Messages.USER_PASSWORD_NOT_ENABLED)
    if flow is AuthFlow.REFRESH_TOKEN_AUTH:
        raise InvalidParameter(Messages.REFRESH_NOT_ENABLED)
    if flow is AuthFlow.USER_AUTH:
        raise InvalidParameter(Messages.USER_AUTH_NOT_ENABLED)
    raise InvalidParameter(Messages.AUTH_FLOW_NOT_ENABLED)


def _required(auth: dict[str, str], name: str) -> str:
    value = auth.get(name)
    if not value:
        raise InvalidParameter(Messages.missing(name))
    return value


# -- USER_SRP_AUTH ------------------------------------------------------------------------------
def _parse_a(text: str) -> Any:
    """A from SRP_A; malformed or oversized hex is the validation error AWS answers."""
    try:
        return srp_fast.parse_srp_a(text)
    except srp_fast.MalformedInput as exc:
        constraint = (
            "Member must satisfy regular expression pattern: ^[0-9a-fA-F]+$"
            if "pattern" in exc.reason
            else f"Member must have length less than or equal to {srp_fast.server.MAX_SRP_A_DIGITS}"
        )
        raise InvalidParameter(
            Messages.validation([(f"'{text[:64]}'", "sRPA", constraint)])
        ) from exc
    except srp_fast.IllegalParameter as exc:
        raise InvalidParameter("Illegal parameter. A mod N cannot be 0.") from exc


def srp_start(
    ctx: PoolContext, pool: Pool, client: AppClient, auth: dict[str, str], *, admin: bool
) -> dict[str, Any]:
    username = _required(auth, "USERNAME")
    big_a = _parse_a(_required(auth, "SRP_A"))
    ctx.check_secret_hash(client, username, auth.get("SECRET_HASH"))
    user = ctx.find_user(pool, username)
    if user is None:
        if not client.prevent_user_existence_errors:
            raise UserNotFound(Messages.USER_NOT_FOUND)
        return _simulated(ctx, pool, client, username, big_a, admin=admin)
    ensure_can_sign_in(user)
    sign_in = SignIn(pool=pool, client=client, user=user, admin=admin)
    return _srp_challenge(ctx, sign_in, big_a, kind="user", device_key=auth.get("DEVICE_KEY", ""))


def srp_challenge(ctx: PoolContext, sign_in: SignIn, srp_a: str, *, kind: str) -> dict[str, Any]:
    """PASSWORD_VERIFIER for SRP_A, its SECRET_BLOCK of ``kind`` ("custom": inside CUSTOM_AUTH)."""
    return _srp_challenge(ctx, sign_in, _parse_a(srp_a), kind=kind)


def _srp_challenge(
    ctx: PoolContext, sign_in: SignIn, big_a: Any, *, kind: str, device_key: str = ""
) -> dict[str, Any]:
    user = sign_in.user
    if user.verifier is None or user.salt is None:
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    challenge = ctx.srp.challenge(user.verifier)
    block = secret_block(
        ctx, sign_in.pool, sign_in.client, kind, user.username, user.sub, challenge, big_a,
        admin=sign_in.admin, device_key=device_key,
    )  # fmt: skip
    return _verifier_challenge(
        user.username, srp_fast.to_hex(user.salt), challenge.srp_b_hex, block.seal(ctx.sealer)
    )


def secret_block(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    kind: str,
    username: str,
    sub: str,
    challenge: srp_fast.ServerChallenge,
    big_a: Any,
    *,
    admin: bool,
    device_key: str = "",
    keep_secret: bool = True,
) -> SecretBlock:
    """The state of one SRP exchange, to seal into its SECRET_BLOCK.

    ``keep_secret`` False (a simulated challenge, which can never verify) keeps no b.
    """
    return SecretBlock(
        kind=kind,
        pool_id=pool.id,
        client_id=client.id,
        username=username,
        sub=sub,
        issued=ctx.now(),
        secret_b=srp_fast.to_hex(challenge.secret) if keep_secret else "0",
        public_b=challenge.srp_b_hex,
        public_a=srp_fast.to_hex(big_a),
        device_key=device_key,
        admin=admin,
    )


def _verifier_challenge(username: str, salt_hex: str, srp_b: str, block: str) -> dict[str, Any]:
    return {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": salt_hex,
            "SECRET_BLOCK": block,
            "SRP_B": srp_b,
            "USERNAME": username,
            "USER_ID_FOR_SRP": username,
        },
    }


def _simulated(
    ctx: PoolContext, pool: Pool, client: AppClient, username: str, big_a: Any, *, admin: bool
) -> dict[str, Any]:
    """The RFC 5054 simulated challenge: same salt and UUID for the same pool and name."""
    seed = hmac.digest(
        ctx.simulation_key, f"{pool.id}\0{pool.user_key(username)}".encode(), "sha256"
    )
    fake_id = str(uuid.UUID(bytes=seed[:16]))
    salt = int.from_bytes(seed[16:32], "big")
    challenge = ctx.srp.challenge(int.from_bytes(hashlib.sha256(seed).digest(), "big"))
    block = secret_block(
        ctx, pool, client, "simulated", fake_id, fake_id, challenge, big_a,
        admin=admin, keep_secret=False,
    )  # fmt: skip
    return _verifier_challenge(
        fake_id, srp_fast.to_hex(salt), challenge.srp_b_hex, block.seal(ctx.sealer)
    )


# -- USER_PASSWORD_AUTH / ADMIN_USER_PASSWORD_AUTH ----------------------------------------------
async def _password(
    ctx: PoolContext, pool: Pool, client: AppClient, auth: dict[str, str], *, admin: bool
) -> dict[str, Any]:
    username = _required(auth, "USERNAME")
    password = _required(auth, "PASSWORD")
    user = ctx.find_user(pool, username)
    if user is None:
        ctx.check_secret_hash(client, username, auth.get("SECRET_HASH"))
        if client.prevent_user_existence_errors:
            raise NotAuthorized(Messages.INCORRECT_PASSWORD)
        raise UserNotFound(Messages.USER_NOT_FOUND)
    ensure_can_sign_in(user)
    check_lock(ctx, user)
    try:
        ctx.check_secret_hash(client, username, auth.get("SECRET_HASH"))
    except NotAuthorized as wrong_secret:
        raise count_failure(ctx, user, wrong_secret) from None
    if not password_ok(ctx, pool, user, password):
        raise count_failure(ctx, user, NotAuthorized(Messages.INCORRECT_PASSWORD))
    device = known_device(ctx, user, auth.get("DEVICE_KEY"))
    sign_in = SignIn(pool=pool, client=client, user=user, admin=admin, device=device)
    return next_step(ctx, sign_in)


def password_ok(ctx: PoolContext, pool: Pool, user: User, password: str) -> bool:
    """Compare x (hashes only); users stored before x was kept are checked through v."""
    prefix = srp_fast.pool_name(pool.id)
    if user.salt is None:
        return False
    if user.x is not None:
        return ctx.srp.password_matches(prefix, user.username, password, user.salt, user.x)
    record = password_record(prefix, user.username, password, user.salt)
    return user.verifier is not None and record.verifier == user.verifier


def known_device(ctx: PoolContext, user: User, key: str | None) -> Device | None:
    """The user's device named by DEVICE_KEY; ``Device does not exist.`` if unknown."""
    return ctx.device(user, key) if key else None


# -- REFRESH_TOKEN_AUTH -------------------------------------------------------------------------
def _refresh(
    ctx: PoolContext, pool: Pool, client: AppClient, auth: dict[str, str]
) -> dict[str, Any]:
    if client.rotation[0]:
        # "REFRESH_TOKEN_AUTH isn't available in app clients with refresh token rotation
        # enabled" (cognito-facts §14.2); the exact error is unconfirmed: a guess.
        raise InvalidParameter(Messages.REFRESH_NOT_ENABLED)
    now = ctx.now()
    payload, user = refresh_owner(ctx, pool, client, _required(auth, "REFRESH_TOKEN"))
    _refresh_secret_hash(ctx, client, user, auth.get("SECRET_HASH"))
    groups = ctx.group_claims(user)
    minted = refreshed(payload)
    result = ctx.tokens.authentication_result(
        user, client, minted, now, refresh=False, groups=groups
    )
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


def refresh_owner(
    ctx: PoolContext, pool: Pool, client: AppClient, token: str
) -> tuple[Mapping[str, Any], User]:
    """A refresh token's payload and user, after every check but the client's secret."""
    payload = ctx.tokens.open_refresh(token, ctx.now())
    if payload["client_id"] != client.id or payload["pool_id"] != pool.id:
        raise NotAuthorized(Messages.REFRESH_TOKEN_INVALID)
    user = ctx.store.users.by_sub(pool.id, str(payload["sub"]))
    if user is None:
        raise NotAuthorized(Messages.REFRESH_TOKEN_INVALID)
    if not user.enabled:
        raise NotAuthorized(Messages.USER_DISABLED)
    if refresh_revoked(ctx, payload) or uuid_time(str(payload["origin_jti"])) < user.revoked_at:
        raise NotAuthorized(Messages.REFRESH_TOKEN_REVOKED)
    return payload, user


def refreshed(payload: Mapping[str, Any], *, keep_expiry: bool = False) -> Minted:
    """What new tokens from this refresh token carry: the sign-in's lineage and device."""
    return Minted(
        auth_time=int(payload["auth_time"]),
        origin_jti=str(payload["origin_jti"]),
        device_key=str(payload["device_key"]) or None,
        refresh_expires=float(payload["exp"]) if keep_expiry else None,
    )


def _refresh_secret_hash(
    ctx: PoolContext, client: AppClient, user: User, given: str | None
) -> None:
    """SECRET_HASH on refresh: computed with the username or the sub, either is accepted."""
    try:
        ctx.check_secret_hash(client, user.username, given)
    except NotAuthorized:
        ctx.check_secret_hash(client, user.sub, given)
