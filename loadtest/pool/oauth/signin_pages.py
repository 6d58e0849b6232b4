"""``/oauth2/authorize``, the sign-in page ``/login`` and ``/logout``.

The password POST is one UserAuthentication request (quotas page, footnote 2) and counts toward
the lockout exactly as the API's password answers do, through the same :mod:`..signin`
bookkeeping; the pages that may follow it (new password, TOTP or SMS code, TOTP enrolment) are
:mod:`.after_password`'s. A valid managed-login session cookie (1 hour) skips the form.
Managed login issues no device keys and does not let a remembered device skip MFA (device
tracking is an API-flow feature: see docs/managed-login.md).
"""

from __future__ import annotations

from aiohttp import web

from loadtest.protocol.errors import CognitoError, Messages, NotAuthorized
from loadtest.protocol.names import Endpoint

from ..auth import password_ok
from ..records import AppClient, User
from ..signin import check_lock, count_failure, ensure_can_sign_in
from .after_password import mfa_setup_submit, mfa_submit, new_password_submit, next_page
from .common import SESSION_COOKIE, Domain, OAuthEnv, error_page
from .grants import AuthorizeRequest
from .page_kit import admit_step, checked, finish, page_url, posted_form, show

__all__ = [
    "authorize",
    "login_form",
    "login_submit",
    "logout",
    "mfa_setup_submit",
    "mfa_submit",
    "new_password_submit",
]


async def authorize(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    """To the callback at once with a live session cookie, else to the sign-in page."""
    domain, client, req = checked(env, request)
    found = domain.signed_in(env, request)
    if found is not None:
        return finish(env, domain, client, req, *found)
    return web.Response(status=302, headers={"Location": page_url(domain, "login", req)})


async def login_form(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    domain, _client, req = checked(env, request)
    return _login_page(domain, req, request, error="", username="")


def _login_page(
    domain: Domain, req: AuthorizeRequest, request: web.Request, *, error: str, username: str
) -> web.Response:
    return show(domain, request, "login", "login", req, error=error, username=username)


async def login_submit(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    domain, client, req = checked(env, request)
    form = await posted_form(request)
    username, password = form.get("username", "")[:128], form.get("password", "")[:256]
    admit_step(env, Endpoint.LOGIN, domain, username)
    try:
        user = _verify_password(env, domain, client, username, password)
        return next_page(env, domain, client, req, request, user)
    except CognitoError as error:
        return _login_page(domain, req, request, error=error.message, username=username)


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
        _domain, _client, req = checked(env, request)
        response = web.Response(status=302, headers={"Location": page_url(domain, "login", req)})
    else:
        return error_page("Required String parameter 'logout_uri' is not present")
    response.del_cookie(SESSION_COOKIE, path=domain.path)
    return response
