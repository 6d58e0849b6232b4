"""Shared fixtures: the local pool server as a real subprocess on a free loopback port,
started by the product's own launcher (:func:`loadtest.target.launch.start_pool`).

- ``local_pool`` (session scope): one server for the whole run, started with ``--test-clock``
  and ``--no-quotas``, so tests can create pools freely and move the pool's clock instead of
  sleeping. Each test provisions its own pool, client and users, so tests do not interfere;
  but tests move its clock forward (by days, sometimes), so compute TOTP codes and expiries
  from ``local_pool.now()``, never from the local wall clock.
- ``pool_server`` (function scope): a factory for dedicated servers with their own options
  (quotas, lockout parameters, faults, workers); each is stopped after the test.

A :class:`PoolServer` gives the endpoint URL and helpers::

    def test_something(local_pool):
        idp = local_pool.client()                      # boto3 cognito-idp, retries off
        app = local_pool.provision(mfa="OPTIONAL", device_tracking=True)
        local_pool.add_user(app, "alice", "Passw0rd!")
        local_pool.advance_clock(31)                   # next TOTP step, no sleeping
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from loadtest.target.launch import (
    ALL_FLOWS,
    LOCAL_CREDENTIALS,
    SES_EMAIL,
    LocalPool,
    start_pool,
)

#: Every test client sees throttles and errors as they are: no SDK retries.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
PASSWORD = "Passw0rd!"
#: The example custom-auth triggers (scenarios/triggers/captcha.py), on the session pool.
CAPTCHA_TRIGGERS = tuple(
    arg
    for name in ("define_auth_challenge", "create_auth_challenge", "verify_auth_challenge_response")
    for arg in ("--trigger", f"{name}=scenarios.triggers.captcha:{name}")
)


@dataclass(frozen=True, slots=True, kw_only=True)
class App:
    """A provisioned pool and app client."""

    pool_id: str
    client_id: str
    client_secret: str | None = None


@dataclass(slots=True, kw_only=True)
class PoolServer:
    """A running ``cognito-loadtest pool serve`` subprocess."""

    state: Path
    args: tuple[str, ...]
    pool: LocalPool | None = field(default=None, repr=False)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> PoolServer:
        """Start the server and wait until it reports the port it listens on; a kill -9 of
        pytest takes it down too."""
        self.pool = start_pool(self.state, self.args, env=_env(), die_with_parent=True)
        return self

    @property
    def url(self) -> str:
        assert self.pool is not None, "the pool server is not started"
        return self.pool.url

    @property
    def process(self) -> subprocess.Popen[str] | None:
        return None if self.pool is None else self.pool.process

    @property
    def log(self) -> Path | None:
        return None if self.pool is None else self.pool.log

    def stop(self) -> None:
        """SIGTERM and wait; SIGKILL if it does not exit in time."""
        if self.pool is not None:
            self.pool.stop()

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        assert self.pool is not None
        self.pool.kill()

    # -- clients --------------------------------------------------------------------------
    def client(self, **config: Any) -> Any:
        """A boto3 cognito-idp client for this server (dummy credentials, retries off)."""
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.url,
            region_name="us-east-1",
            config=NO_RETRIES.merge(Config(**config)) if config else NO_RETRIES,
            **LOCAL_CREDENTIALS,
        )

    def provision(
        self,
        *,
        mfa: str = "OFF",
        device_tracking: bool = False,
        remember_on_prompt: bool = False,
        secret: bool = False,
        prevent_user_existence: bool = False,
        session_minutes: int = 3,
        pool_name: str = "test-pool",
        auto_verified: tuple[str, ...] = (),
        ses: bool = False,
    ) -> App:
        """Create a pool (TOTP enabled) and an app client allowing every flow the pool serves;
        with ``ses`` the pool sends e-mail through Amazon SES, as e-mail MFA requires."""
        idp = self.client()
        kwargs: dict[str, Any] = {"PoolName": pool_name}
        if ses:
            kwargs["EmailConfiguration"] = SES_EMAIL
        if auto_verified:
            kwargs["AutoVerifiedAttributes"] = list(auto_verified)
        if device_tracking:
            kwargs["DeviceConfiguration"] = {
                "ChallengeRequiredOnNewDevice": True,
                "DeviceOnlyRememberedOnUserPrompt": remember_on_prompt,
            }
        pool_id = idp.create_user_pool(**kwargs)["UserPool"]["Id"]
        idp.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=mfa,
        )
        return self.add_client(
            pool_id,
            secret=secret,
            prevent_user_existence=prevent_user_existence,
            session_minutes=session_minutes,
        )

    def add_client(
        self,
        pool_id: str,
        *,
        name: str = "test-client",
        secret: bool = False,
        prevent_user_existence: bool = False,
        session_minutes: int = 3,
    ) -> App:
        """An app client of ``pool_id`` allowing every flow the pool serves."""
        client = self.client().create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=name,
            GenerateSecret=secret,
            ExplicitAuthFlows=list(ALL_FLOWS),
            AuthSessionValidity=session_minutes,
            PreventUserExistenceErrors="ENABLED" if prevent_user_existence else "LEGACY",
        )["UserPoolClient"]
        return App(
            pool_id=pool_id, client_id=client["ClientId"], client_secret=client.get("ClientSecret")
        )

    def add_user(
        self,
        app: App,
        username: str,
        password: str = PASSWORD,
        *,
        permanent: bool = True,
        attributes: dict[str, str] | None = None,
    ) -> None:
        """AdminCreateUser (no message) and AdminSetUserPassword."""
        idp = self.client()
        idp.admin_create_user(
            UserPoolId=app.pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": k, "Value": v} for k, v in (attributes or {}).items()],
        )
        idp.admin_set_user_password(
            UserPoolId=app.pool_id, Username=username, Password=password, Permanent=permanent
        )

    # -- control endpoints ----------------------------------------------------------------
    def now(self) -> float:
        """The pool's clock (wall time plus the test offset)."""
        return float(self._call("GET", "/_pool/clock")["now"])

    def advance_clock(self, seconds: float) -> float:
        """Move the pool's clock forward (needs ``--test-clock``); returns the new time."""
        return float(self._call("POST", "/_pool/clock", {"advance": seconds})["now"])

    def stall(self, seconds: float) -> None:
        """Hold every answer for ``seconds``."""
        self._call("POST", "/_pool/stall", {"seconds": seconds})

    def get_json(self, path: str) -> Any:
        return self._call("GET", path)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="session")
def local_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PoolServer]:
    """One pool server for the session: test clock on, quotas off, the captcha triggers."""
    state = tmp_path_factory.mktemp("local-pool") / "pool.sqlite3"
    server = PoolServer(
        state=state, args=("--test-clock", "--no-quotas", *CAPTCHA_TRIGGERS)
    ).start()
    yield server
    server.stop()


StartPool = Callable[..., PoolServer]


@pytest.fixture
def pool_server(tmp_path: Path) -> Iterator[StartPool]:
    """Start dedicated pool servers: ``pool_server("--workers", "2", state=path)``."""
    started: list[PoolServer] = []

    def start(*args: str, state: Path | None = None) -> PoolServer:
        path = state or tmp_path / f"pool-{len(started)}.sqlite3"
        server = PoolServer(state=path, args=tuple(args)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


#: Modules whose tests take a minute or more each (the CI log's slowest durations). They are
#: collected first, so that the parallel pass hands them out in its first batch instead of
#: leaving one to run alone at the end while the other workers sit idle.
SLOW_FIRST = (
    "tests/e2e/test_every_scenario.py",
    "tests/security/test_secrets_scan.py",
    "tests/install/test_wheel.py",
    "tests/e2e/test_managed_login_locust.py",
    "tests/install/test_bootstrap.py",
    "tests/pool/test_malformed.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow modules' tests first (in :data:`SLOW_FIRST` order), the rest as collected."""
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}

    def key(item: pytest.Item) -> int:
        return rank.get(item.nodeid.split("::", 1)[0], len(SLOW_FIRST))

    items.sort(key=key)  # stable: the others keep their order
