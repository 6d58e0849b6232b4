"""Managed login (the classic hosted UI) and the OAuth 2.0 endpoints of a user-pool domain.

``add_routes`` mounts them on a worker's aiohttp application: a domain ``<prefix>`` at
``/domain/<prefix>/`` (``oauth2/authorize``, ``login``, ``mfa``, ``mfa_setup``,
``forceChangePassword``, ``oauth2/token``,
``oauth2/userInfo``, ``oauth2/revoke``, ``logout``) and the discovery document at
``/<poolId>/.well-known/openid-configuration``. docs/managed-login.md gives the sources.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from ..context import PoolContext
from ..quotas import Quotas
from . import endpoints, signin_pages
from .common import OAuthEnv, Stop

__all__ = ["add_routes"]

Route = Callable[[OAuthEnv, web.Request], Awaitable[web.StreamResponse]]


def _bind(route: Route, env: OAuthEnv) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            return await route(env, request)
        except Stop as stop:
            return stop.response

    return handler


def add_routes(app: web.Application, ctx: PoolContext, quotas: Quotas) -> None:
    """Mount the domain routes and the discovery document (before any catch-all route)."""
    env = OAuthEnv(ctx=ctx, quotas=quotas)
    prefix = "/domain/{domain}"
    routes: list[tuple[str, str, Route]] = [
        ("GET", "/oauth2/authorize", signin_pages.authorize),
        ("GET", "/login", signin_pages.login_form),
        ("POST", "/login", signin_pages.login_submit),
        ("POST", "/mfa", signin_pages.mfa_submit),
        ("POST", "/mfa_setup", signin_pages.mfa_setup_submit),
        ("POST", "/forceChangePassword", signin_pages.new_password_submit),
        ("GET", "/logout", signin_pages.logout),
        ("POST", "/oauth2/token", endpoints.token),
        ("GET", "/oauth2/userInfo", endpoints.user_info),
        ("POST", "/oauth2/userInfo", endpoints.user_info),
        ("POST", "/oauth2/revoke", endpoints.revoke),
    ]
    for method, path, route in routes:
        app.router.add_route(method, prefix + path, _bind(route, env))
    discovery = _bind(endpoints.discovery, env)
    app.router.add_get("/{pool_id}/.well-known/openid-configuration", discovery)
