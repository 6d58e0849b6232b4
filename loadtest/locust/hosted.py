"""Locust users for a user-pool domain: managed login as a browser does it, and machine tokens.

The flows are :mod:`loadtest.flows.hosted`'s (sans-I/O); these users only perform their
:class:`~loadtest.flows.effects.Fetch` effects with Locust's ``FastHttpSession`` (so Locust
times each one as a request named by its step, ``POST /login``) and fire one ``login`` event
per flow run (``login:managed_login``, ``login:client_credentials``). ``ManagedLoginUser``
leases identities (TOTP ones) from the identities file; ``ClientCredentialsUser`` asks for a
token on every task; ``CachedClientCredentialsUser`` keeps its token until a minute before it
expires, as a service should: compare their ``POST /oauth2/token`` rates.

Settings come from the environment (the shared option table does not know domains yet):
``COGNITO_DOMAIN_URL`` (``http://127.0.0.1:PORT/domain/<prefix>``), ``COGNITO_OAUTH_CLIENT_ID``,
``COGNITO_OAUTH_IDENTITIES`` (an identities file), ``COGNITO_M2M_CLIENT_ID`` and
``COGNITO_M2M_CLIENT_SECRET``. Only a loopback domain is accepted.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, constant, task

import srp_fast
from loadtest.flows.context import AppClient, FlowContext
from loadtest.flows.effects import Fetch, FlowError, Page
from loadtest.flows.hosted import (
    HttpFlow,
    TokenCache,
    cached_client_credentials,
    client_credentials,
    managed_login,
    run_http,
)
from loadtest.flows.identities import IdentityPool, NoIdentityAvailable
from loadtest.flows.identity import Identity
from loadtest.protocol.errors import CognitoError

__all__ = [
    "CachedClientCredentialsUser",
    "ClientCredentialsUser",
    "HostedSettings",
    "ManagedLoginUser",
]

T = TypeVar("T")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_FAILURES = (CognitoError, FlowError, NoIdentityAvailable)


class HostedSettings:
    """The domain and clients, read once per process from the environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.domain_url = env.get("COGNITO_DOMAIN_URL", "").rstrip("/")
        host = urlsplit(self.domain_url).hostname
        if host not in _LOOPBACK:
            raise SystemExit(
                f"COGNITO_DOMAIN_URL must be a loopback domain of the local pool, not {host!r}"
            )
        self.client_id = env.get("COGNITO_OAUTH_CLIENT_ID", "")
        self.m2m_id = env.get("COGNITO_M2M_CLIENT_ID", "")
        self.m2m_secret = env.get("COGNITO_M2M_CLIENT_SECRET", "")
        self.identities = env.get("COGNITO_OAUTH_IDENTITIES", "")


def _identities(path: str) -> IdentityPool:
    lines = Path(path).read_text().splitlines() if path else []
    return IdentityPool(Identity.from_json(json.loads(line)) for line in lines if line.strip())


def _context(client_id: str, secret: str | None = None) -> FlowContext:
    return FlowContext(
        client=AppClient(pool_id="local_pool", client_id=client_id, client_secret=secret),
        clock=lambda: datetime.now(UTC),
        ephemerals=srp_fast.new_ephemeral,
    )


def _page(response: Any) -> Page:
    cookies = SimpleCookie()
    for header in response.headers.get_all("set-cookie") or ():
        cookies.load(header)
    return Page(
        status=response.status_code,
        location=response.headers.get("location"),
        cookies={name: morsel.value for name, morsel in cookies.items()},
        body=response.text or "",
    )


class _HostedUser(FastHttpUser):
    """Performs Fetch effects against the domain; fires one event per flow run."""

    abstract = True
    wait_time = constant(0)
    settings: ClassVar[HostedSettings | None] = None

    def on_start(self) -> None:
        if _HostedUser.settings is None:
            _HostedUser.settings = HostedSettings(dict(os.environ))

    @property
    def cfg(self) -> HostedSettings:
        assert _HostedUser.settings is not None
        return _HostedUser.settings

    def _send(self, fetch: Fetch) -> Page:
        url = f"{self.cfg.domain_url}/{fetch.endpoint}"
        if fetch.query:
            url = f"{url}?{urlencode(fetch.query)}"
        with self.client.request(
            fetch.method,
            url,
            name=fetch.label,
            data=None if fetch.form is None else dict(fetch.form),
            headers=dict(fetch.headers),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            page = _page(response)
            if page.status >= 400:
                response.failure(f"HTTP {page.status}")
            return page

    def drive(self, name: str, build: Callable[[], HttpFlow[T]]) -> T | None:
        """Run one flow; one ``login`` event with its whole time and outcome."""
        self.client.cookiejar.clear()  # each run is a fresh browser: no session cookie
        start, error = time.perf_counter(), None
        result: T | None = None
        try:
            result = run_http(build(), self._send)
        except _FAILURES as exc:
            error = exc
        self.environment.events.request.fire(
            request_type="login",
            name=name,
            response_time=(time.perf_counter() - start) * 1e3,
            response_length=0,
            exception=error,
            context={},
        )
        return result


class ManagedLoginUser(_HostedUser):
    """Signs in through managed login: authorize, the form, the TOTP page, the code exchange."""

    pool: ClassVar[IdentityPool | None] = None

    def on_start(self) -> None:
        super().on_start()
        if ManagedLoginUser.pool is None:
            ManagedLoginUser.pool = _identities(self.cfg.identities)
        self.ctx = _context(self.cfg.client_id)

    @task
    def sign_in(self) -> None:
        assert ManagedLoginUser.pool is not None
        try:
            identity = ManagedLoginUser.pool.lease(datetime.now(UTC))
        except NoIdentityAvailable as busy:
            time.sleep(min(busy.retry_in or 1.0, 1.0))  # gevent-patched: yields to others
            return
        try:
            self.drive("login:managed_login", lambda: managed_login(identity, self.ctx))
        finally:
            ManagedLoginUser.pool.release(identity)


class ClientCredentialsUser(_HostedUser):
    """A machine client asking for a new token on every task (the uncached worst case)."""

    def on_start(self) -> None:
        super().on_start()
        self.ctx = _context(self.cfg.m2m_id, self.cfg.m2m_secret)

    @task
    def token(self) -> None:
        self.drive("login:client_credentials", lambda: client_credentials(self.ctx))


class CachedClientCredentialsUser(ClientCredentialsUser):
    """The same client keeping its token until a minute before expiry."""

    def on_start(self) -> None:
        super().on_start()
        self.cache = TokenCache()

    @task
    def token(self) -> None:
        self.drive(
            "login:client_credentials:cached",
            lambda: cached_client_credentials(self.ctx, self.cache),
        )
