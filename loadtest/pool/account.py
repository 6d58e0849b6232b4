"""The signed-in user's own view: GetUser, GlobalSignOut, AdminUserGlobalSignOut.

Signing out records the time; tokens whose original sign-in is older are refused from then on
(access tokens at every AccessToken operation, refresh tokens at REFRESH_TOKEN_AUTH).
"""

from __future__ import annotations

import math
from typing import Any

from .access import caller
from .admin import mfa_settings, user_attributes
from .context import PoolContext
from .params import Params
from .records import User

__all__ = ["admin_user_global_sign_out", "get_user", "global_sign_out"]


async def get_user(ctx: PoolContext, p: Params) -> dict[str, Any]:
    who = caller(ctx, p)
    return {
        "Username": who.user.username,
        "UserAttributes": user_attributes(who.user),
        **mfa_settings(who.user, who.pool),
    }


def _sign_out(ctx: PoolContext, user: User) -> dict[str, Any]:
    ctx.store.users.update(user, revoked_at=math.floor(ctx.now() * 1000) / 1000)
    return {}


async def global_sign_out(ctx: PoolContext, p: Params) -> dict[str, Any]:
    return _sign_out(ctx, caller(ctx, p).user)


async def admin_user_global_sign_out(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    return _sign_out(ctx, ctx.user(pool, p.username()))
