"""``/oauth2/authorize``, the sign-in page ``/login``, its TOTP step ``/mfa``, and ``/logout``.

Each POST of a sign-in step (password, MFA code) is one UserAuthentication request (quotas page,
footnote 2) and counts toward the lockout exactly as the API's password and TOTP answers do,
through the same :mod:`..signin` bookkeeping. A valid managed-login session cookie (1 hour)
skips the form. Managed login issues no device keys and does not let a remembered device skip
MFA (device tracking is an API-flow feature: see docs/managed-login.md).
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from loadtest.protocol.errors import (
    CodeMismatch,
    CognitoError,
    ExpiredCode,
    Messages,
    NotAuthorized,
    TooManyRequests,
)
from loadtest.protocol.names import Endpoint

from .. import lockout, totp
from ..auth import password_ok
from ..records import AppClient, MfaMode, User, UserStatus
from ..sessions import SealError
from ..signin import check_lock, count_failure, ensure_can_sign_in
from ..tokens import Minted, time_uuid
from .common import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Domain,
    OAuthEnv,
    Stop,
    error_page,
    html,
    new_csrf,
    redirect,
)
from .grants import AuthorizeRequest, CodeGrant, OAuthError, authorize_request, redirect_target
from .pages import render

__all__ = ["authorize", "login_form", "login_submit", "logout", "mfa_submit"]

_MFA_AAD = b"managed-login-mfa"
_THROTTLED = "Rate exceeded"


def _checked(env: OAuthEnv, request: web.Request) -> tuple[Domain, AppClient, AuthorizeRequest]:
    """The domain, client and request of an authorize/login call, or an error to answer."""
    domain = Domain.of(env, request)
    client = domain.client(env, request.query.get("client_id"))
    try:
        uri = redirect_target(client, request.query)
    except OAuthError as error:
        raise Stop(error_page(error.description)) from None
    assert client is not None  # redirect_target refuses a missing client
    try:
        return domain, client, authorize_request(client, request.query)
    except OAuthError as error:
        state = request.query.get("state")
        raise Stop(redirect(uri, {"error": error.error, "state": state})) from None


async def authorize(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    """To the callback at once with a live session cookie, else to the sign-in page."""
    domain, client, req = _checked(env, request)
    found = domain.signed_in(env, request)
    if found is not None:
        return _finish(env, domain, client, req, *found)
    return web.Response(status=302, headers={"Location": _page_url(domain, "login", req)})


def _page_url(domain: Domain, page: str, req: AuthorizeRequest) -> str:
    return f"{domain.base}/{page}?{urlencode(req.query())}"


async def login_form(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    domain, _client, req = _checked(env, request)
    return _login_page(domain, req, request, error="", username="")


def _login_page(
    domain: Domain, req: AuthorizeRequest, request: web.Request, *, error: str, username: str
) -> web.Response:
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf()
    action = _page_url(domain, "login", req)
    response = html(render("login", action=action, csrf=csrf, error=error, username=username))
    domain.set_cookie(response, CSRF_COOKIE, csrf, SESSION_SECONDS)
    return response


async def _form(request: web.Request) -> dict[str, str]:
    """The posted form, after the CSRF check: its ``_csrf`` must equal the cookie."""
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = form.get("_csrf", "")
    if not cookie or not hmac.compare_digest(cookie.encode(), given.encode()):
        raise Stop(error_page("Invalid CSRF token.", 403))
    return form


def _admit(env: OAuthEnv, step: Endpoint, domain: Domain, name: str) -> None:
    """One UserAuthentication request per sign-in step (and the 10/s per-user limit)."""
    try:
        env.quotas.admit(step, None, f"{domain.pool.id}/{name.lower()}")
    except TooManyRequests:
        raise Stop(error_page(_THROTTLED, 429)) from None


async def login_submit(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    domain, client, req = _checked(env, request)
    form = await _form(request)
    username, password = form.get("username", "")[:128], form.get("password", "")[:256]
    _admit(env, Endpoint.LOGIN, domain, username)
    try:
        user = _verify_password(env, domain, client, username, password)
    except CognitoError as error:
        return _login_page(domain, req, request, error=error.message, username=username)
    if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
        return error_page("Changing a temporary password is not modelled by the local pool.")
    if user.totp_active(domain.pool):
        return _mfa_page(env, domain, req, request, user, error="")
    if domain.pool.mfa is MfaMode.ON:
        return error_page("MFA enrolment in managed login is not modelled by the local pool.")
    return _signed_in(env, domain, client, req, user)


def _verify_password(
    env: OAuthEnv, domain: Domain, client: AppClient, username: str, password: str
) -> User:
    """The user, or the API's error for a failed sign-in (lockout counted as the API does)."""
    ctx, pool = env.ctx, domain.pool
    user = ctx.find_user(pool, username) if username else None
    if user is None:
        if client.prevent_user_existence_errors:
            raise NotAuthorized(Messages.INCORRECT_PASSWORD)
        raise NotAuthorized(Messages.USER_NOT_FOUND)
    ensure_can_sign_in(user)
    check_lock(ctx, user)
    if not password_ok(ctx, pool, user, password):
        raise count_failure(ctx, user, NotAuthorized(Messages.INCORRECT_PASSWORD))
    return user


def _mfa_page(
    env: OAuthEnv,
    domain: Domain,
    req: AuthorizeRequest,
    request: web.Request,
    user: User,
    *,
    error: str,
    session: str | None = None,
) -> web.Response:
    if session is None:
        payload = {"id": uuid.uuid4().hex, "sub": user.sub, "issued": env.ctx.now()}
        session = env.ctx.sealer.seal_urlsafe(payload, _MFA_AAD)
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf()
    action = _page_url(domain, "mfa", req)
    page = render("mfa", action=action, csrf=csrf, error=error, session=session)
    response = html(page)
    domain.set_cookie(response, CSRF_COOKIE, csrf, SESSION_SECONDS)
    return response


async def mfa_submit(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    domain, client, req = _checked(env, request)
    form = await _form(request)
    session, payload = _open_mfa(env, client, form.get("session", ""))
    user = env.ctx.store.users.by_sub(domain.pool.id, str(payload["sub"]))
    if user is None:
        return error_page(Messages.SESSION_INVALID)
    _admit(env, Endpoint.MFA, domain, user.username)
    try:
        _verify_totp(env, user, form.get("totpCode", "")[:16])
    except CognitoError as error:
        return _mfa_page(env, domain, req, request, user, error=error.message, session=session)
    expires = float(payload["issued"]) + env.ctx.session_seconds(client) + 1.0
    if not env.ctx.store.used_sessions.use(str(payload["id"]), expires):
        return error_page(Messages.SESSION_USED)
    return _signed_in(env, domain, client, req, user)


def _open_mfa(env: OAuthEnv, client: AppClient, text: str) -> tuple[str, dict[str, Any]]:
    try:
        payload = env.ctx.sealer.open_urlsafe(text, _MFA_AAD)
    except SealError:
        raise Stop(error_page(Messages.SESSION_INVALID)) from None
    if env.ctx.now() - float(payload["issued"]) > env.ctx.session_seconds(client):
        raise Stop(error_page(Messages.SESSION_EXPIRED))
    if env.ctx.store.used_sessions.is_used(str(payload["id"])):
        raise Stop(error_page(Messages.SESSION_USED))
    return text, payload


def _verify_totp(env: OAuthEnv, user: User, code: str) -> None:
    """As SOFTWARE_TOKEN_MFA: a wrong code counts toward the lockout, a reused one is refused."""
    ctx = env.ctx
    check_lock(ctx, user)
    secret = user.mfa.totp_secret
    matched = None if secret is None else totp.matching_step(secret, code, ctx.now())
    if matched is None:
        raise count_failure(ctx, user, CodeMismatch(Messages.TOTP_MISMATCH))
    if not ctx.store.totp_steps.accept(user, matched):
        raise ExpiredCode(Messages.TOTP_REPLAYED)


def _signed_in(
    env: OAuthEnv, domain: Domain, client: AppClient, req: AuthorizeRequest, user: User
) -> web.Response:
    """The sign-in succeeded: reset the lockout count, start the session, redirect."""
    if user.failures or user.locked_until:
        env.ctx.store.lockouts.update(user, lambda s: (lockout.LockoutState(), None))
    auth_time = int(env.ctx.now())
    response = _finish(env, domain, client, req, user, auth_time)
    cookie = domain.session_cookie(env, user, auth_time)
    domain.set_cookie(response, SESSION_COOKIE, cookie, SESSION_SECONDS)
    return response


def _finish(
    env: OAuthEnv,
    domain: Domain,
    client: AppClient,
    req: AuthorizeRequest,
    user: User,
    auth_time: int,
) -> web.Response:
    """To the callback: a code in the query, or (implicit) tokens in the fragment."""
    now = env.ctx.now()
    if req.response_type == "code":
        grant = CodeGrant.new(
            request=req, pool_id=domain.pool.id, sub=user.sub,
            auth_time=auth_time, origin_jti=time_uuid(now), issued=now,
        )  # fmt: skip
        return redirect(req.redirect_uri, {"code": grant.seal(env.ctx.sealer), "state": req.state})
    minted = Minted(auth_time=auth_time, origin_jti=time_uuid(now), scope=req.scope,
                    nonce=req.nonce)  # fmt: skip
    groups = env.ctx.group_claims(user)
    result = env.ctx.tokens.authentication_result(
        user, client, minted, now, refresh=False, groups=groups
    )
    answer = {
        "access_token": result["AccessToken"],
        "id_token": result["IdToken"] if "openid" in req.scope.split() else None,
        "token_type": "Bearer",
        "expires_in": str(result["ExpiresIn"]),
        "state": req.state,
    }
    return redirect(req.redirect_uri, answer, fragment=True)


async def logout(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    """Clear the session; to ``logout_uri`` (one of LogoutURLs) or back to sign-in."""
    domain = Domain.of(env, request)
    client = domain.client(env, request.query.get("client_id"))
    if client is None:
        return error_page("Invalid client_id.")
    target = request.query.get("logout_uri")
    if target is not None:
        if target not in client.oauth.logout_urls:
            return error_page("Invalid logout_uri.")
        response = web.Response(status=302, headers={"Location": target})
    elif request.query.get("redirect_uri") is not None:
        _domain, _client, req = _checked(env, request)
        response = web.Response(status=302, headers={"Location": _page_url(domain, "login", req)})
    else:
        return error_page("Required String parameter 'logout_uri' is not present")
    response.del_cookie(SESSION_COOKIE, path=domain.path)
    return response
