"""Managed login (the classic hosted UI) and the OAuth 2.0 endpoints of a user-pool domain.

``add_routes`` mounts them on a worker's aiohttp application: a domain ``<prefix>`` at
``/domain/<prefix>/`` (``oauth2/authorize``, ``login``, ``mfa``, ``mfa_setup``,
``forceChangePassword``, ``oauth2/token``,
``oauth2/userInfo``, ``oauth2/revoke``, ``logout``) and the discovery document at
``/<poolId>/.well-known/openid-configuration``. Every request to a domain first passes its bulk
limits (per source IP, per app client, per domain: :meth:`..quotas.Quotas.admit_domain`); a
throttled one gets 429, a page or ``{"error": "too_many_requests"}`` as its route answers, with
the limit named in the ``X-Loadtest-Domain-Limit`` header (the local pool's own), so a report
can tell it from a quota category's throttle.
docs/managed-login.md gives the sources.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from loadtest.protocol.quotas import DOMAIN_LIMIT_HEADER, DomainThrottled

from ..context import PoolContext
from ..quotas import Quotas
from . import endpoints, signin_pages
from .common import OAuthEnv, Stop, error_page, json_answer
from .grants import client_from_basic
from .page_kit import THROTTLED

__all__ = ["add_routes"]

Route = Callable[[OAuthEnv, web.Request], Awaitable[web.StreamResponse]]


def _bind(route: Route, env: OAuthEnv) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            return await route(env, request)
        except Stop as stop:
            return stop.response

    return handler


def _limited(route: Route, *, json: bool) -> Route:
    """``route`` behind the domain's bulk limits (429 as a page, or as OAuth JSON)."""

    async def handler(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
        domain = request.match_info["domain"]
        try:
            env.quotas.admit_domain(domain, request.remote or "", await _client_id(request))
        except DomainThrottled as throttled:
            if json:
                answer = json_answer({"error": "too_many_requests"}, 429)
            else:
                answer = error_page(THROTTLED, 429)
            answer.headers[DOMAIN_LIMIT_HEADER] = throttled.limit.value
            return answer
        return await route(env, request)

    return handler


async def _client_id(request: web.Request) -> str | None:
    """The app client a domain request names: query, HTTP Basic, or form (cached by aiohttp)."""
    if "client_id" in request.query:
        return request.query["client_id"]
    basic = client_from_basic(request.headers.get("Authorization", ""))
    if basic:
        return basic[0]
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        value = (await request.post()).get("client_id")
        return value if isinstance(value, str) else None
    return None


def add_routes(app: web.Application, ctx: PoolContext, quotas: Quotas) -> None:
    """Mount the domain routes and the discovery document (before any catch-all route)."""
    env = OAuthEnv(ctx=ctx, quotas=quotas)
    prefix = "/domain/{domain}"
    pages: list[tuple[str, str, Route]] = [
        ("GET", "/oauth2/authorize", signin_pages.authorize),
        ("GET", "/login", signin_pages.login_form),
        ("POST", "/login", signin_pages.login_submit),
        ("POST", "/mfa", signin_pages.mfa_submit),
        ("POST", "/mfa_setup", signin_pages.mfa_setup_submit),
        ("POST", "/forceChangePassword", signin_pages.new_password_submit),
        ("GET", "/logout", signin_pages.logout),
    ]
    answers_json: list[tuple[str, str, Route]] = [
        ("POST", "/oauth2/token", endpoints.token),
        ("GET", "/oauth2/userInfo", endpoints.user_info),
        ("POST", "/oauth2/userInfo", endpoints.user_info),
        ("POST", "/oauth2/revoke", endpoints.revoke),
    ]
    for routes, json in ((pages, False), (answers_json, True)):
        for method, path, route in routes:
            app.router.add_route(method, prefix + path, _bind(_limited(route, json=json), env))
    discovery = _bind(endpoints.discovery, env)
    app.router.add_get("/{pool_id}/.well-known/openid-configuration", discovery)
