"""RespondToAuthChallenge and AdminRespondToAuthChallenge: one handler per challenge.

Each handler verifies its own answer and hands the sign-in to :mod:`.signin` for the next step.
PASSWORD_VERIFIER and DEVICE_PASSWORD_VERIFIER take their state from the SECRET_BLOCK and need
no Session; DEVICE_SRP_AUTH accepts one when sent (cognito-facts §9.4), and without one
continues only the sign-in whose password was verified last for that client, user and device.
The other challenges need their Session, which is single-use once the step succeeds and
survives a wrong code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import gmpy2

import srp_fast
from loadtest.protocol.errors import (
    CodeMismatch,
    ExpiredCode,
    InvalidParameter,
    Messages,
    NotAuthorized,
    ResourceNotFound,
)
from loadtest.protocol.names import Challenge

from . import totp
from .admin import check_password_policy
from .auth import known_device, secret_block
from .context import PoolContext
from .params import Params
from .records import AppClient, Device, Pool, User, UserStatus
from .sessions import ChallengeSession, SealError, SecretBlock
from .signin import (
    SignIn,
    check_lock,
    complete,
    consume,
    count_failure,
    ensure_can_sign_in,
    next_step,
    open_session,
    totp_challenge,
)

__all__ = ["respond_to_auth_challenge"]

Handler = Callable[
    [PoolContext, Pool, AppClient, dict[str, str], str | None, bool], Awaitable[dict[str, Any]]
]

#: PASSWORD_VERIFIER's required responses, in the order Cognito names the first missing one.
_VERIFIER_FIELDS = (
    "USERNAME",
    "TIMESTAMP",
    "PASSWORD_CLAIM_SIGNATURE",
    "PASSWORD_CLAIM_SECRET_BLOCK",
)


async def respond_to_auth_challenge(ctx: PoolContext, p: Params, *, admin: bool) -> dict[str, Any]:
    """RespondToAuthChallenge (``admin=False``) or AdminRespondToAuthChallenge."""
    pool_id = p.pool_id() if admin else None
    client = ctx.client(p.client_id(), pool_id)
    pool = ctx.pool(client.pool_id)
    name = p.text("ChallengeName", max_len=64)
    handler = _HANDLERS.get(name)
    if handler is None:
        raise InvalidParameter(f"Invalid challenge name: {name[:64]}")
    responses = p.string_map("ChallengeResponses")
    if not responses:
        raise InvalidParameter(Messages.MISSING_CHALLENGE_RESPONSES)
    session = p.optional_text("Session", max_len=2048, min_len=20)
    return await handler(ctx, pool, client, responses, session, admin)


def _require(responses: dict[str, str], *names: str) -> None:
    for name in names:
        if not responses.get(name):
            raise InvalidParameter(Messages.missing(name))


def _same_user(ctx: PoolContext, pool: Pool, name: str, sub: str) -> User:
    """The user that USERNAME names, which must be the one the challenge was issued to."""
    user = ctx.find_user(pool, name)
    if user is None or user.sub != sub:
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    return user


def _secret_hash(
    ctx: PoolContext, client: AppClient, user: User, responses: dict[str, str]
) -> None:
    try:
        ctx.check_secret_hash(client, responses["USERNAME"], responses.get("SECRET_HASH"))
    except NotAuthorized as wrong:
        raise count_failure(ctx, user, wrong) from None


# -- SRP proofs -----------------------------------------------------------------------------------
def _open_block(ctx: PoolContext, client: AppClient, raw: str, kind: str) -> SecretBlock:
    try:
        block = SecretBlock.open(
            ctx.sealer, srp_fast.b64decode_strict(raw, field="PASSWORD_CLAIM_SECRET_BLOCK")
        )
    except (SealError, srp_fast.MalformedInput) as exc:
        raise NotAuthorized(Messages.INCORRECT_PASSWORD) from exc
    if block.client_id != client.id or block.kind not in (kind, "simulated"):
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    if ctx.now() - block.issued > ctx.session_seconds(client):
        raise NotAuthorized(Messages.SESSION_EXPIRED)
    return block


def _check_formats(responses: dict[str, str]) -> None:
    """TIMESTAMP and the signature must decode before any proof is checked (§11)."""
    try:
        srp_fast.canonical_timestamp(responses["TIMESTAMP"])
    except srp_fast.MalformedTimestamp as exc:
        raise InvalidParameter(Messages.BAD_TIMESTAMP_FORMAT) from exc
    try:
        srp_fast.b64decode_strict(
            responses["PASSWORD_CLAIM_SIGNATURE"], field="PASSWORD_CLAIM_SIGNATURE", max_chars=64
        )
    except srp_fast.MalformedInput as exc:
        raise InvalidParameter(Messages.BAD_SIGNATURE_FORMAT) from exc


async def _proof_ok(
    ctx: PoolContext,
    block: SecretBlock,
    responses: dict[str, str],
    *,
    prefix: str,
    identity: str,
    verifier: int,
    x: int | None = None,
) -> bool:
    big_a = gmpy2.mpz(block.public_a, 16)
    try:
        key = await ctx.srp.session_key(
            big_a,
            gmpy2.mpz(block.secret_b, 16),
            gmpy2.mpz(block.public_b, 16),
            verifier=verifier,
            x=x,
        )
        srp_fast.verify_claim(
            key,
            prefix=prefix,
            identity=identity,
            secret_block=srp_fast.b64decode_strict(
                responses["PASSWORD_CLAIM_SECRET_BLOCK"], field="SECRET_BLOCK"
            ),
            timestamp=responses["TIMESTAMP"],
            signature_b64=responses["PASSWORD_CLAIM_SIGNATURE"],
        )
    except (srp_fast.InvalidProof, srp_fast.IllegalParameter):
        return False
    return True


async def _password_verifier(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    responses: dict[str, str],
    _session: str | None,
    admin: bool,
) -> dict[str, Any]:
    _require(responses, *_VERIFIER_FIELDS)
    _check_formats(responses)
    block = _open_block(ctx, client, responses["PASSWORD_CLAIM_SECRET_BLOCK"], "user")
    if block.kind == "simulated":
        ctx.check_secret_hash(client, responses["USERNAME"], responses.get("SECRET_HASH"))
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    user = _same_user(ctx, pool, responses["USERNAME"], block.sub)
    ensure_can_sign_in(user)
    check_lock(ctx, user)
    _secret_hash(ctx, client, user, responses)
    assert user.verifier is not None
    ok = await _proof_ok(
        ctx,
        block,
        responses,
        prefix=srp_fast.pool_name(pool.id),
        identity=user.username,
        verifier=user.verifier,
        x=user.x,
    )
    if not ok:
        raise count_failure(ctx, user, NotAuthorized(Messages.INCORRECT_PASSWORD))
    device = known_device(ctx, user, responses.get("DEVICE_KEY") or block.device_key)
    return next_step(ctx, SignIn(pool=pool, client=client, user=user, admin=admin, device=device))


# -- devices ----------------------------------------------------------------------------------
def _device(ctx: PoolContext, user: User, key: str) -> Device:
    device = ctx.store.devices.get(user.pool_id, user.sub, key)
    if device is None:
        raise ResourceNotFound(Messages.DEVICE_NOT_FOUND)
    return device


async def _device_srp_auth(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    responses: dict[str, str],
    session_text: str | None,
    admin: bool,
) -> dict[str, Any]:
    _require(responses, "USERNAME", "DEVICE_KEY", "SRP_A")
    user = ctx.user(pool, responses["USERNAME"])
    ensure_can_sign_in(user)
    ctx.check_secret_hash(client, responses["USERNAME"], responses.get("SECRET_HASH"))
    device = _device(ctx, user, responses["DEVICE_KEY"])
    if session_text is None:
        # Without a Session, only a sign-in whose password was just verified may continue
        # with this device: the DEVICE_SRP_AUTH Session it was issued (docs/security-pool.md).
        # Anything else would make the device secret alone a full sign-in.
        session_text = ctx.store.device_challenges.get(client.id, user.sub, device.key)
        if session_text is None:
            raise InvalidParameter(Messages.missing("Session"))
    session = open_session(ctx, session_text, client, (Challenge.DEVICE_SRP_AUTH,))
    if session.sub != user.sub or session.device_key not in ("", device.key):
        raise NotAuthorized(Messages.SESSION_INVALID)
    big_a = _parse_a(responses["SRP_A"])
    challenge = ctx.srp.challenge(device.verifier)
    consume(ctx, session, client)
    block = secret_block(
        ctx, pool, client, "device", user.username, user.sub, challenge, big_a,
        admin=admin, device_key=device.key,
    )  # fmt: skip
    params = {
        "SALT": srp_fast.to_hex(device.salt),
        "SRP_B": challenge.srp_b_hex,
        "SECRET_BLOCK": block.seal(ctx.sealer),
        "USERNAME": user.username,
        "DEVICE_KEY": device.key,
    }
    return {"ChallengeName": "DEVICE_PASSWORD_VERIFIER", "ChallengeParameters": params}


def _parse_a(text: str) -> Any:
    try:
        return srp_fast.parse_srp_a(text)
    except (srp_fast.MalformedInput, srp_fast.IllegalParameter) as exc:
        raise InvalidParameter(str(exc)) from exc


async def _device_password_verifier(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    responses: dict[str, str],
    _session: str | None,
    admin: bool,
) -> dict[str, Any]:
    _require(responses, *_VERIFIER_FIELDS, "DEVICE_KEY")
    _check_formats(responses)
    block = _open_block(ctx, client, responses["PASSWORD_CLAIM_SECRET_BLOCK"], "device")
    user = _same_user(ctx, pool, responses["USERNAME"], block.sub)
    ensure_can_sign_in(user)
    if responses["DEVICE_KEY"] != block.device_key:
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    device = _device(ctx, user, block.device_key)
    check_lock(ctx, user)
    _secret_hash(ctx, client, user, responses)
    ok = await _proof_ok(
        ctx,
        block,
        responses,
        prefix=device.group_key,
        identity=device.key,
        verifier=device.verifier,
    )
    if not ok:
        raise count_failure(ctx, user, NotAuthorized(Messages.INCORRECT_PASSWORD))
    sign_in = SignIn(pool=pool, client=client, user=user, admin=admin, device=device)
    return complete(ctx, sign_in, on_success=lambda: ctx.store.devices.touch(device.key, ctx.now()))


# -- session-based challenges -------------------------------------------------------------------
def _session_sign_in(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    session: ChallengeSession,
    responses: dict[str, str],
) -> SignIn:
    _require(responses, "USERNAME")
    user = ctx.find_user(pool, responses["USERNAME"])
    if user is None or user.sub != session.sub:
        raise NotAuthorized(Messages.SESSION_INVALID)
    ensure_can_sign_in(user)
    device = (
        ctx.store.devices.get(pool.id, user.sub, session.device_key) if session.device_key else None
    )
    return SignIn(pool=pool, client=client, user=user, admin=session.admin, device=device)


async def _software_token_mfa(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    responses: dict[str, str],
    session_text: str | None,
    _admin: bool,
) -> dict[str, Any]:
    session = open_session(ctx, session_text, client, (Challenge.SOFTWARE_TOKEN_MFA,))
    sign_in = _session_sign_in(ctx, pool, client, session, responses)
    _require(responses, "SOFTWARE_TOKEN_MFA_CODE")
    user = sign_in.user
    check_lock(ctx, user)
    _secret_hash(ctx, client, user, responses)
    secret = user.mfa.totp_secret
    step = (
        None
        if secret is None
        else totp.matching_step(secret, responses["SOFTWARE_TOKEN_MFA_CODE"], ctx.now())
    )
    if step is None:
        raise count_failure(ctx, user, CodeMismatch(Messages.TOTP_MISMATCH))
    if not ctx.store.totp_steps.accept(user, step):
        raise ExpiredCode(Messages.TOTP_REPLAYED)
    consume(ctx, session, client)
    return complete(ctx, sign_in)


async def _select_mfa_type(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    responses: dict[str, str],
    session_text: str | None,
    _admin: bool,
) -> dict[str, Any]:
    session = open_session(ctx, session_text, client, (Challenge.SELECT_MFA_TYPE,))
    sign_in = _session_sign_in(ctx, pool, client, session, responses)
    _require(responses, "ANSWER")
    if responses["ANSWER"] != Challenge.SOFTWARE_TOKEN_MFA:
        raise InvalidParameter(f"{responses['ANSWER'][:32]} is not supported by the local pool")
    _secret_hash(ctx, client, sign_in.user, responses)
    consume(ctx, session, client)
    return totp_challenge(ctx, sign_in)


async def _mfa_setup(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    responses: dict[str, str],
    session_text: str | None,
    _admin: bool,
) -> dict[str, Any]:
    session = open_session(ctx, session_text, client, ("MFA_SETUP:verified",))
    sign_in = _session_sign_in(ctx, pool, client, session, responses)
    _secret_hash(ctx, client, sign_in.user, responses)
    consume(ctx, session, client)
    mfa = replace(sign_in.user.mfa, totp_enabled=True, totp_preferred=True, sms_preferred=False)
    user = ctx.store.users.update(sign_in.user, mfa=mfa, modified=ctx.now())
    return complete(ctx, replace(sign_in, user=user))


async def _new_password_required(
    ctx: PoolContext,
    pool: Pool,
    client: AppClient,
    responses: dict[str, str],
    session_text: str | None,
    _admin: bool,
) -> dict[str, Any]:
    session = open_session(ctx, session_text, client, (Challenge.NEW_PASSWORD_REQUIRED,))
    sign_in = _session_sign_in(ctx, pool, client, session, responses)
    _require(responses, "NEW_PASSWORD")
    password = responses["NEW_PASSWORD"]
    check_password_policy(pool, password)
    _secret_hash(ctx, client, sign_in.user, responses)
    prefix = srp_fast.pool_name(pool.id)
    record = await ctx.srp.new_password(prefix, sign_in.user.username, password)
    consume(ctx, session, client)
    user = ctx.store.users.update(
        sign_in.user,
        salt=record.salt,
        verifier=record.verifier,
        x=record.x,
        password_set=ctx.now(),
        status=UserStatus.CONFIRMED,
        modified=ctx.now(),
    )
    return next_step(ctx, replace(sign_in, user=user), password_done=False)


_HANDLERS: dict[str, Handler] = {
    Challenge.PASSWORD_VERIFIER: _password_verifier,
    Challenge.DEVICE_SRP_AUTH: _device_srp_auth,
    Challenge.DEVICE_PASSWORD_VERIFIER: _device_password_verifier,
    Challenge.SOFTWARE_TOKEN_MFA: _software_token_mfa,
    Challenge.SELECT_MFA_TYPE: _select_mfa_type,
    Challenge.MFA_SETUP: _mfa_setup,
    Challenge.NEW_PASSWORD_REQUIRED: _new_password_required,
}
