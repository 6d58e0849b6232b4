"""A pool with managed login: a domain, a resource server, a code client, an M2M client, and a
user with a verified TOTP authenticator, on the session's local pool."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pyotp
import pytest

from loadtest.provision.oauth import OAuthSetup, provision_oauth
from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import enroll_totp, tokens

_NAMES = itertools.count(1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hosted:
    """Everything a managed-login test needs."""

    server: PoolServer
    setup: OAuthSetup
    username: str
    totp: pyotp.TOTP

    @property
    def base(self) -> str:
        return f"{self.server.url}/domain/{self.setup.domain}"

    def code(self) -> str:
        """A TOTP code for the pool's clock, one step past the last one used."""
        self.server.advance_clock(30)
        return self.totp.at(self.server.now())


def hosted_pool(server: PoolServer, *, totp: bool = True) -> Hosted:
    """Provision a pool with managed login and one user (TOTP enrolled when ``totp``)."""
    n = next(_NAMES)
    app = server.provision(mfa="OPTIONAL")
    idp = server.client()
    setup = provision_oauth(idp, app.pool_id, domain=f"lt-test-{n}")
    username = f"user{n}"
    server.add_user(app, username, attributes={"email": f"user{n}@example.com"})
    seed = pyotp.TOTP(pyotp.random_base32())
    if totp:
        seed = enroll_totp(server, idp, tokens(idp, app, username)["AccessToken"])
    return Hosted(server=server, setup=setup, username=username, totp=seed)


@pytest.fixture
def hosted(local_pool: PoolServer) -> Hosted:
    return hosted_pool(local_pool)


def api_app(hosted: Hosted) -> App:
    return App(pool_id=hosted.setup.pool_id, client_id=hosted.setup.code_client_id)


__all__ = ["PASSWORD", "Hosted", "api_app", "hosted_pool"]
