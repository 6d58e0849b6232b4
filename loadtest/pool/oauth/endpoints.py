"""``/oauth2/token``, ``/oauth2/userInfo``, ``/oauth2/revoke`` and the discovery document.

Token answers and errors follow cognito-facts §17.4-§17.5: ``{"error": ...}`` JSON with 400
(401 for a failed client authentication at ``/oauth2/revoke``), ``id_token`` only with
``openid``, a refresh token from an authorization code and, when the app client rotates refresh
tokens, from the refresh grant too (the refused old one is ``invalid_grant``). Revocation is the
RevokeToken operation's (:mod:`..revocation`), so a revocation at either holds at both.
Quotas: client credentials under ClientAuthentication, refresh under UserAuthentication, code
redemption on its own allocation at UserAuthentication's rate
(:data:`loadtest.protocol.quotas.CODE_REDEMPTION`); a throttled call gets 429
``{"error": "too_many_requests"}`` (a guess: Cognito's exact answer is not documented).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from aiohttp import web

from loadtest.protocol.errors import NotAuthorized, RefreshTokenReuse, TooManyRequests
from loadtest.protocol.names import Endpoint, GrantType

from .. import revocation
from ..records import AppClient
from ..refresh import rotated
from ..revocation import lineage_revoked, refresh_revoked
from ..tokens import Minted, uuid_time
from .common import Domain, OAuthEnv, json_answer
from .grants import (
    CODE_SECONDS,
    CodeGrant,
    OAuthError,
    client_from_basic,
    granted_scopes,
    pkce_matches,
)

__all__ = ["discovery", "revoke", "token", "user_info"]


def _authenticate(domain: Domain, env: OAuthEnv, request: web.Request,
                  form: Mapping[str, str]) -> AppClient:  # fmt: skip
    """The calling client, by HTTP Basic or ``client_id`` (+ ``client_secret``) in the body."""
    basic = client_from_basic(request.headers.get("Authorization", ""))
    client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
    client = domain.client(env, client_id)
    if client is None or not client.oauth.enabled:
        raise OAuthError("invalid_client")
    if client.secret is None:
        if secret:
            raise OAuthError("invalid_client")
        return client
    if not secret or not hmac.compare_digest(secret.encode(), client.secret.encode()):
        raise OAuthError("invalid_client")
    return client


def _admit(env: OAuthEnv, grant: str) -> None:
    try:
        env.quotas.admit(Endpoint.TOKEN, grant, None)
    except TooManyRequests:
        raise OAuthError("too_many_requests", status=429) from None


async def _form(request: web.Request) -> dict[str, str]:
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}


async def token(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    """The token endpoint: authorization_code, refresh_token, client_credentials."""
    try:
        domain = Domain.of(env, request)
        form = await _form(request)
        grant = form.get("grant_type", "")
        handler = _GRANTS.get(grant)
        if handler is None:
            raise OAuthError("unsupported_grant_type")
        client = _authenticate(domain, env, request, form)
        _admit(env, grant)
        return json_answer(await handler(env, domain, client, form))
    except OAuthError as error:
        body = {"error": error.error}
        if error.description:
            body["error_description"] = error.description
        return json_answer(body, error.status)


async def _code(env: OAuthEnv, domain: Domain, client: AppClient,
                form: Mapping[str, str]) -> dict[str, Any]:  # fmt: skip
    if not client.oauth.allows("code"):
        raise OAuthError("unauthorized_client")
    grant = CodeGrant.open(env.ctx.sealer, form.get("code", ""))
    now = env.ctx.now()
    if grant.client_id != client.id or now - grant.issued > CODE_SECONDS:
        raise OAuthError("invalid_grant")
    if form.get("redirect_uri") != grant.redirect_uri:
        raise OAuthError("unauthorized_client", "invalid_redirect")
    if grant.code_challenge is not None and not pkce_matches(
        grant.code_challenge, form.get("code_verifier", "")
    ):
        raise OAuthError("invalid_grant")
    if not env.ctx.store.used_sessions.use(grant.id, grant.issued + CODE_SECONDS + 1.0):
        raise OAuthError("invalid_grant")  # a code is used once
    user = env.ctx.store.users.by_sub(domain.pool.id, grant.sub)
    if user is None or not user.enabled:
        raise OAuthError("invalid_grant")
    minted = Minted(auth_time=grant.auth_time, origin_jti=grant.origin_jti,
                    scope=grant.scope, nonce=grant.nonce)  # fmt: skip
    groups = env.ctx.group_claims(user)
    result = env.ctx.tokens.authentication_result(user, client, minted, now, groups=groups)
    return _answer(result, grant.scope, refresh=True)


def _answer(result: Mapping[str, Any], scope: str, *, refresh: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {"access_token": result["AccessToken"]}
    if "openid" in scope.split():
        answer["id_token"] = result["IdToken"]
    if refresh:
        answer["refresh_token"] = result["RefreshToken"]
    answer.update({"token_type": "Bearer", "expires_in": result["ExpiresIn"]})
    return answer


async def _refresh(env: OAuthEnv, domain: Domain, client: AppClient,
                   form: Mapping[str, str]) -> dict[str, Any]:  # fmt: skip
    """The refresh grant; under rotation also a new refresh token (facts §14.2, §17.4)."""
    ctx, now = env.ctx, env.ctx.now()
    try:
        payload = ctx.tokens.open_refresh(form.get("refresh_token"), now)
    except NotAuthorized:
        raise OAuthError("invalid_grant") from None
    origin = str(payload["origin_jti"])
    if payload["client_id"] != client.id or payload["pool_id"] != domain.pool.id:
        raise OAuthError("invalid_grant")
    user = ctx.store.users.by_sub(domain.pool.id, str(payload["sub"]))
    if user is None or not user.enabled or uuid_time(origin) < user.revoked_at:
        raise OAuthError("invalid_grant")
    if refresh_revoked(ctx, payload):
        raise OAuthError("invalid_grant")  # "the refresh token is revoked" (facts §17.4)
    scope = str(payload.get("scope", "aws.cognito.signin.user.admin"))
    minted = Minted(auth_time=int(payload["auth_time"]), origin_jti=origin,
                    device_key=str(payload["device_key"]) or None)  # fmt: skip
    rotate = client.rotation[0]
    if rotate:
        try:
            minted = rotated(ctx, client, payload)
        except RefreshTokenReuse:
            raise OAuthError("invalid_grant") from None  # the error is a guess (user-auth.md)
    minted = replace(minted, scope=scope)
    groups = ctx.group_claims(user)
    result = ctx.tokens.authentication_result(
        user, client, minted, now, refresh=rotate, groups=groups
    )
    return _answer(result, scope, refresh=rotate)


async def _client_credentials(env: OAuthEnv, domain: Domain, client: AppClient,
                              form: Mapping[str, str]) -> dict[str, Any]:  # fmt: skip
    if client.secret is None:
        raise OAuthError("invalid_client")
    if not client.oauth.allows("client_credentials"):
        raise OAuthError("unauthorized_client")
    scope = granted_scopes(client, form.get("scope"))
    access = env.ctx.tokens.client_token(domain.pool.id, client, scope, env.ctx.now())
    return {"access_token": access, "expires_in": int(client.access_seconds),
            "token_type": "Bearer"}  # fmt: skip


Grant = Callable[[OAuthEnv, Domain, AppClient, Mapping[str, str]], Awaitable[dict[str, Any]]]
_GRANTS: dict[str, Grant] = {
    GrantType.AUTHORIZATION_CODE: _code,
    GrantType.REFRESH_TOKEN: _refresh,
    GrantType.CLIENT_CREDENTIALS: _client_credentials,
}


def _unauthorized(error: str, description: str, status: int) -> web.Response:
    response = json_answer({"error": error, "error_description": description}, status)
    response.headers["WWW-Authenticate"] = (
        f'Bearer error="{error}", error_description="{description}"'
    )
    return response


async def user_info(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    """The user's attributes for an access token with ``openid`` (dg-2023 userinfo-endpoint)."""
    domain = Domain.of(env, request)
    scheme, _, text = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not text:
        return _unauthorized("invalid_request", "Bad OAuth2 request at UserInfo Endpoint", 400)
    expired = "Access token is expired, disabled, or deleted, or the user has globally signed out."
    now = env.ctx.now()
    try:
        claims = env.ctx.tokens.check_access(text.strip(), now)
    except NotAuthorized:
        return _unauthorized("invalid_token", expired, 401)
    user = env.ctx.store.users.by_sub(domain.pool.id, claims.sub)
    revoked = lineage_revoked(env.ctx, claims.origin_jti)
    if user is None or revoked or uuid_time(claims.origin_jti) < user.revoked_at:
        return _unauthorized("invalid_token", expired, 401)
    if "openid" not in claims.scope.split():
        return _unauthorized("invalid_token", "Access token does not contain openid scope", 401)
    info = {name: value for name, value in user.attributes.items()}
    info.update({"sub": user.sub, "username": user.username})
    return json_answer(info)


async def revoke(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    """Revoke a refresh token and the access tokens of its sign-in; 200 if already invalid."""
    try:
        domain = Domain.of(env, request)
        form = await _form(request)
        try:
            client = _authenticate(domain, env, request, form)
        except OAuthError as error:
            raise OAuthError(error.error, status=401) from None
        text = form.get("token", "")
        if not text or not client.raw.get("EnableTokenRevocation", True):
            raise OAuthError("invalid_request")
        if text.count(".") == 2:
            raise OAuthError("unsupported_token_type")
        _revoke(env, client, text)
        return web.Response(status=200)
    except OAuthError as error:
        return json_answer({"error": error.error}, error.status)


def _revoke(env: OAuthEnv, client: AppClient, text: str) -> None:
    """The same revocation as the RevokeToken operation (:mod:`..revocation`)."""
    try:
        payload = env.ctx.tokens.open_refresh(text, env.ctx.now())
    except NotAuthorized:
        return
    if payload["client_id"] == client.id:
        revocation.revoke(env.ctx, payload)


async def discovery(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    """``/<poolId>/.well-known/openid-configuration``: every URL on this pool (facts §17.5)."""
    pool_id = request.match_info["pool_id"]
    if env.ctx.store.pools.get(pool_id) is None:
        return json_answer({"message": "User pool does not exist."}, 404)
    origin = f"{request.scheme}://{request.host}"
    record = env.ctx.store.domains.of_pool(pool_id)
    base = f"{origin}/domain/{record.domain}" if record else f"{origin}/{pool_id}"
    path = "oauth2/" if record else ""
    return json_answer(
        {
            "authorization_endpoint": f"{base}/{path}authorize",
            "end_session_endpoint": f"{base}/logout",
            "id_token_signing_alg_values_supported": ["RS256"],
            "issuer": env.ctx.tokens.issuer(pool_id),
            "jwks_uri": f"{origin}/{pool_id}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "revocation_endpoint": f"{base}/{path}revoke",
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "token_endpoint": f"{base}/{path}token",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "userinfo_endpoint": f"{base}/{path}userInfo",
        }
    )
