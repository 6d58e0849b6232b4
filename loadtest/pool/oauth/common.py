"""What the managed-login pages and the OAuth endpoints share: the domain, cookies, answers.

A domain ``<prefix>`` is served at ``/domain/<prefix>/`` on the pool's own address (loopback has
no wildcard DNS for ``<prefix>.auth.<region>.amazoncognito.com``); its cookies are scoped to that
path, so two domains on one pool never share a sign-in.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from loadtest.protocol.wire import encode_body

from ..context import PoolContext
from ..quotas import Quotas
from ..records import AppClient, Pool, User
from ..sessions import SealError
from ..store import DomainRecord
from .pages import render

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "Domain",
    "OAuthEnv",
    "Stop",
    "error_page",
    "html",
    "json_answer",
    "new_csrf",
    "redirect",
]

#: The classic hosted UI's CSRF cookie, equal to the form's ``_csrf`` field (facts §17.3).
CSRF_COOKIE = "XSRF-TOKEN"
#: The managed-login session cookie (the name is a guess; its lifetime, 1 hour, is documented).
SESSION_COOKIE = "cognito"
SESSION_SECONDS = 3600
_SESSION_AAD = b"managed-login-session"


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthEnv:
    """A worker's context and quota buckets, for the domain routes."""

    ctx: PoolContext
    quotas: Quotas


@dataclass(frozen=True, slots=True, kw_only=True)
class Domain:
    """The domain a request came to, its pool, and where it is served."""

    record: DomainRecord
    pool: Pool
    base: str  # absolute URL of the domain's root, without a trailing slash
    path: str  # the path prefix, for cookies

    @classmethod
    def of(cls, env: OAuthEnv, request: web.Request) -> Domain:
        name = request.match_info["domain"]
        record = env.ctx.store.domains.get(name)
        pool = None if record is None else env.ctx.store.pools.get(record.pool_id)
        if record is None or pool is None:
            raise Stop(error_page("The domain does not exist.", 404))
        path = f"/domain/{name}"
        return cls(record=record, pool=pool, base=f"{request.scheme}://{request.host}{path}",
                   path=path)  # fmt: skip

    def client(self, env: OAuthEnv, client_id: str | None) -> AppClient | None:
        """The pool's app client of that id, if any."""
        client = env.ctx.store.clients.get(client_id or "")
        return client if client is not None and client.pool_id == self.pool.id else None

    def signed_in(self, env: OAuthEnv, request: web.Request) -> tuple[User, int] | None:
        """The user of a valid managed-login session cookie and their sign-in time, if any."""
        text = request.cookies.get(SESSION_COOKIE)
        if not text:
            return None
        try:
            payload = env.ctx.sealer.open_urlsafe(text, _SESSION_AAD)
        except SealError:
            return None
        if payload.get("pool_id") != self.pool.id or payload.get("expires", 0) < env.ctx.now():
            return None
        user = env.ctx.store.users.by_sub(self.pool.id, str(payload.get("sub")))
        auth_time = int(payload.get("auth_time", 0))
        if user is None or not user.enabled or user.revoked_at > auth_time:
            return None
        return user, auth_time

    def session_cookie(self, env: OAuthEnv, user: User, auth_time: int) -> str:
        payload = {
            "pool_id": self.pool.id,
            "sub": user.sub,
            "auth_time": auth_time,
            "expires": env.ctx.now() + SESSION_SECONDS,
        }
        return env.ctx.sealer.seal_urlsafe(payload, _SESSION_AAD)

    def set_cookie(self, response: web.StreamResponse, name: str, value: str, age: int) -> None:
        response.set_cookie(name, value, path=self.path, max_age=age, httponly=True, samesite="Lax")


class Stop(Exception):
    """Answer with ``response`` now (an error page, or a redirect with an OAuth error)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def redirect(url: str, query: Mapping[str, str | None], *, fragment: bool = False) -> web.Response:
    """A 302 to ``url`` with the parameters in its query (or fragment, for implicit grants)."""
    params = urlencode({k: v for k, v in query.items() if v is not None})
    separator = "#" if fragment else ("&" if "?" in url else "?")
    return web.Response(status=302, headers={"Location": f"{url}{separator}{params}"})


def error_page(message: str, status: int = 400) -> web.Response:
    return html(render("error", message=message), status)


def html(body: str, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


def json_answer(payload: Mapping[str, Any], status: int = 200) -> web.Response:
    """JSON as the token endpoint answers (``application/json;charset=UTF-8``)."""
    return web.Response(
        status=status,
        body=encode_body(payload),
        headers={"Content-Type": "application/json;charset=UTF-8", "Cache-Control": "no-store"},
    )
