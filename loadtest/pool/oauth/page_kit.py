"""What every managed-login page handler shares: the checked request, the form, the quota
admission of a step, showing a page with its CSRF cookie, and the end of a sign-in.

Kept apart from the handlers so that the sign-in form (:mod:`.signin_pages`) and the steps
after the password (:mod:`.after_password`) can both use it without importing each other.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from loadtest.protocol.errors import TooManyRequests
from loadtest.protocol.names import Endpoint

from .. import lockout
from ..records import AppClient, User
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

__all__ = [
    "THROTTLED",
    "admit_step",
    "checked",
    "finish",
    "page_url",
    "posted_form",
    "show",
    "signed_in",
]

#: The page a throttled step gets (429). Cognito's exact answer is not documented: a guess.
THROTTLED = "Rate exceeded"


def checked(env: OAuthEnv, request: web.Request) -> tuple[Domain, AppClient, AuthorizeRequest]:
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


def page_url(domain: Domain, page: str, req: AuthorizeRequest) -> str:
    """A page of the domain with the authorize parameters carried on."""
    return f"{domain.base}/{page}?{urlencode(req.query())}"


async def posted_form(request: web.Request) -> dict[str, str]:
    """The posted form, after the CSRF check: its ``_csrf`` must equal the cookie."""
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = form.get("_csrf", "")
    if not cookie or not hmac.compare_digest(cookie.encode(), given.encode()):
        raise Stop(error_page("Invalid CSRF token.", 403))
    return form


def admit_step(env: OAuthEnv, step: Endpoint, domain: Domain, name: str) -> None:
    """One UserAuthentication request per sign-in step (and the 10/s per-user limit)."""
    try:
        env.quotas.admit(step, None, f"{domain.pool.id}/{name.lower()}")
    except TooManyRequests:
        raise Stop(error_page(THROTTLED, 429)) from None


def show(
    domain: Domain, request: web.Request, template: str, endpoint: str, req: AuthorizeRequest,
    **values: Any,
) -> web.Response:  # fmt: skip
    """Render ``template`` posting to ``endpoint``, with the CSRF token of the cookie (or new)."""
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf()
    action = page_url(domain, endpoint, req)
    response = html(render(template, action=action, csrf=csrf, **values))
    domain.set_cookie(response, CSRF_COOKIE, csrf, SESSION_SECONDS)
    return response


def signed_in(
    env: OAuthEnv, domain: Domain, client: AppClient, req: AuthorizeRequest, user: User
) -> web.Response:
    """The sign-in succeeded: reset the lockout count, start the session, redirect."""
    if user.failures or user.locked_until:
        env.ctx.store.lockouts.update(user, lambda s: (lockout.LockoutState(), None))
    auth_time = int(env.ctx.now())
    response = finish(env, domain, client, req, user, auth_time)
    cookie = domain.session_cookie(env, user, auth_time)
    domain.set_cookie(response, SESSION_COOKIE, cookie, SESSION_SECONDS)
    return response


def finish(
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
