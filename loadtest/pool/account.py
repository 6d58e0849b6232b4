"""The signed-in user's own view: GetUser, GlobalSignOut, AdminUserGlobalSignOut, RevokeToken.

Signing out records the time; tokens whose original sign-in is older are refused from then on
(access tokens at every AccessToken operation, refresh tokens at REFRESH_TOKEN_AUTH).

RevokeToken (cognito-facts §14.4) revokes one refresh token and the access tokens minted from
it, by their shared ``origin_jti``. It needs the client that got the token (its secret too, if
it has one) and EnableTokenRevocation on (``UnsupportedOperationException`` otherwise); a JWT is
``UnsupportedTokenTypeException``; a refresh token already revoked, expired or unreadable is
answered ``{}`` as ``/oauth2/revoke`` answers 200 (idempotent). What a revocation reaches under
refresh-token rotation is :mod:`.revocation`'s.
"""

from __future__ import annotations

import hmac
import math
from typing import Any

from loadtest.protocol.errors import (
    Messages,
    Unauthorized,
    UnsupportedOperation,
    UnsupportedTokenType,
)

from .access import admin_user, caller
from .admin import mfa_settings, user_attributes
from .context import PoolContext
from .params import Params
from .records import AppClient, User
from .revocation import revoke
from .sessions import SealError, open_refresh

__all__ = ["admin_user_global_sign_out", "get_user", "global_sign_out", "revoke_token"]


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
    _, user = admin_user(ctx, p)
    return _sign_out(ctx, user)


def _check_client_secret(client: AppClient, given: str | None) -> None:
    if client.secret is None:
        return
    if given is None or not hmac.compare_digest(given.encode(), client.secret.encode()):
        raise Unauthorized(Messages.secret_mismatch(client.id))


async def revoke_token(ctx: PoolContext, p: Params) -> dict[str, Any]:
    token = p.text("Token", max_len=4096)
    client = ctx.client(p.client_id())
    _check_client_secret(client, p.optional_text("ClientSecret", max_len=128))
    if not client.token_revocation:
        raise UnsupportedOperation(Messages.REVOCATION_DISABLED)
    if token.count(".") == 2:
        raise UnsupportedTokenType(Messages.NOT_A_REFRESH_TOKEN)
    try:
        payload = open_refresh(ctx.sealer, token)
    except SealError:
        return {}
    if payload.get("client_id") != client.id:  # the error here is a guess (facts §14.4)
        raise Unauthorized("The token was not issued to this client.")
    revoke(ctx, payload)
    return {}
