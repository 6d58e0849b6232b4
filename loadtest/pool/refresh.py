"""GetTokensFromRefreshToken and refresh-token rotation (cognito-facts §14).

Without rotation the operation answers new ID and access tokens, as REFRESH_TOKEN_AUTH does.
With the app client's ``RefreshTokenRotation.Feature = ENABLED`` every exchange also answers a
new refresh token, which keeps the original's expiry and lineage (``origin_jti``); the token
given in may be exchanged again only within ``RetryGracePeriodSeconds`` of its first exchange
(a replay inside the window forks the lineage, as measured), after which the answer is
``RefreshTokenReuseException: Refresh token reuse detected``. After a fork only the newest
child refreshes; the older child gets the same exception (measured). Newer tokens keep
working: there is no family revocation (§14.2, measured). The token endpoint's refresh grant
rotates through :func:`rotated` too; what RevokeToken reaches is :mod:`.revocation`'s.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from loadtest.protocol.errors import InvalidParameter, Messages, NotAuthorized, RefreshTokenReuse

from .auth import refresh_owner, refreshed
from .context import PoolContext
from .params import Params
from .records import AppClient
from .tokens import Minted

__all__ = ["get_tokens_from_refresh_token", "rotated"]


async def get_tokens_from_refresh_token(ctx: PoolContext, p: Params) -> dict[str, Any]:
    """GetTokensFromRefreshToken: new tokens, and a new refresh token under rotation."""
    client = ctx.client(p.client_id())
    pool = ctx.pool(client.pool_id)
    token = p.text("RefreshToken", max_len=4096)
    _check_client_secret(client, p.optional_text("ClientSecret", max_len=256))
    payload, user = refresh_owner(ctx, pool, client, token)
    rotate = client.rotation[0]
    now = ctx.now()
    minted = rotated(ctx, client, payload) if rotate else refreshed(payload, keep_expiry=True)
    result = ctx.tokens.authentication_result(
        user, client, minted, now, refresh=rotate, groups=ctx.group_claims(user)
    )
    return {"AuthenticationResult": result}


def rotated(ctx: PoolContext, client: AppClient, payload: Mapping[str, Any]) -> Minted:
    """Spend a refresh token under rotation and describe its child (the new refresh token).

    ``RefreshTokenReuseException`` for an older sibling after a fork, or for a token first
    exchanged longer ago than the grace period. Shared by GetTokensFromRefreshToken and the
    token endpoint's ``refresh_token`` grant (which maps the refusal to ``invalid_grant``).
    """
    jti, expires = str(payload.get("jti", "")), float(payload["exp"])
    _check_newest_child(ctx, payload)
    _spend(ctx, jti, expires, client.rotation[1], ctx.now())
    child = ctx.store.refresh_uses.add_child(jti, expires)
    minted = refreshed(payload, keep_expiry=True)
    # An OAuth lineage keeps its scopes whichever of the two rotates it.
    scope = payload.get("scope")
    return replace(minted, parent_jti=jti, generation=child, scope=scope and str(scope))


def _check_client_secret(client: AppClient, given: str | None) -> None:
    """The raw ClientSecret (not a SECRET_HASH) when the client has one (§14.1)."""
    if client.secret is None:
        return
    if given is None:
        raise NotAuthorized(Messages.secret_not_received(client.id))
    if not hmac.compare_digest(given.encode(), client.secret.encode()):
        raise NotAuthorized(Messages.secret_mismatch(client.id))


def _check_newest_child(ctx: PoolContext, payload: Any) -> None:
    """After a fork, a child older than its parent's newest is refused (§14.2, measured)."""
    parent = payload.get("parent_jti")
    if parent and ctx.store.refresh_uses.children(str(parent)) > int(payload["generation"]):
        raise RefreshTokenReuse(Messages.REFRESH_TOKEN_REUSE)


def _spend(ctx: PoolContext, jti: str, expires: float, grace: int, now: float) -> None:
    """Note this exchange; refuse it if the token was first exchanged before the grace window."""
    if not jti:
        # A token minted before rotation was on has no id to remember: refused, to be safe.
        raise InvalidParameter(Messages.REFRESH_TOKEN_INVALID)
    first = ctx.store.refresh_uses.first_use(jti, now, expires)
    if first is None:
        return
    if grace == 0 or now - first > ctx.scale.seconds(float(grace)):
        raise RefreshTokenReuse(Messages.REFRESH_TOKEN_REUSE)
