"""Whom an operation is about: the AccessToken's caller (checked once for all the operations
it authorises), or an administrator's UserPoolId and Username."""

from __future__ import annotations

from dataclasses import dataclass

from loadtest.protocol.errors import Messages, NotAuthorized

from .context import PoolContext
from .params import Params
from .records import Pool, User
from .revocation import lineage_revoked
from .tokens import AccessClaims, uuid_time

__all__ = ["Caller", "admin_user", "caller"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """The verified token, its pool and its user."""

    claims: AccessClaims
    pool: Pool
    user: User


def caller(ctx: PoolContext, p: Params) -> Caller:
    """Verify AccessToken (signature, expiry, sign-out, user still there and enabled)."""
    token = p.text("AccessToken", max_len=8192)
    claims = ctx.tokens.check_access(token, ctx.now())
    pool = ctx.store.pools.get(claims.pool_id)
    user = None if pool is None else ctx.store.users.by_sub(pool.id, claims.sub)
    if pool is None or user is None:
        raise NotAuthorized(Messages.ACCESS_TOKEN_INVALID)
    if lineage_revoked(ctx, claims.origin_jti) or uuid_time(claims.origin_jti) < user.revoked_at:
        raise NotAuthorized(Messages.ACCESS_TOKEN_REVOKED)
    if not user.enabled:
        raise NotAuthorized(Messages.USER_DISABLED)
    return Caller(claims=claims, pool=pool, user=user)


def admin_user(ctx: PoolContext, p: Params) -> tuple[Pool, User]:
    """An Admin* operation's pool (UserPoolId) and user (Username, alias or sub):
    ``ResourceNotFoundException`` or ``User does not exist.`` otherwise."""
    pool = ctx.pool(p.pool_id())
    return pool, ctx.user(pool, p.username())
