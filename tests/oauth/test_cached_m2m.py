"""Issue 18: a machine client that caches its token asks for one per token lifetime, also
against a pool enforcing ClientAuthentication (5 cached users once made ~10,000 requests in
3 s there, mostly throttled: Locust gave the cached user its parent's uncached task too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loadtest.provision.oauth import provision_oauth
from tests.conftest import StartPool
from tests.e2e.locust_runs import run_locust

pytestmark = pytest.mark.e2e

TOKEN = "POST /oauth2/token:client_credentials"


def test_the_cached_user_runs_its_own_task_only() -> None:
    """Locust adds a base class's tasks to a subclass's: the cached user must not inherit the
    uncached one's. (In a child process: importing Locust monkey-patches the one it runs in.)"""
    code = (
        "from loadtest.locust.hosted import CachedClientCredentialsUser as C, "
        "ClientCredentialsUser as U\n"
        "for cls in (C, U): print(cls.__name__, *[t.__qualname__ for t in cls.tasks])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "CachedClientCredentialsUser CachedClientCredentialsUser.token",
        "ClientCredentialsUser ClientCredentialsUser.token",
    ]


def test_a_cached_user_makes_one_token_request_per_token_lifetime(
    pool_server: StartPool, tmp_path: Path
) -> None:
    state = tmp_path / "m2m.sqlite3"
    setup_pool = pool_server("--no-quotas", state=state)
    app = setup_pool.provision()
    setup = provision_oauth(setup_pool.client(), app.pool_id, domain="lt-cached")
    setup_pool.stop()
    server = pool_server(state=state)  # the default quotas: ClientAuthentication 150/s
    locustfile = tmp_path / "cached.py"
    locustfile.write_text(
        "from loadtest.locust.hosted import CachedClientCredentialsUser\n"
        "__all__ = ['CachedClientCredentialsUser']\n"
    )
    env = {
        "COGNITO_DOMAIN_URL": f"{server.url}/domain/{setup.domain}",
        "COGNITO_M2M_CLIENT_ID": setup.m2m_client_id,
        "COGNITO_M2M_CLIENT_SECRET": setup.m2m_client_secret,
    }
    users = 5
    run = run_locust(str(locustfile), env, tmp_path, users=users, seconds=3,
                     extra=("--host", server.url))  # fmt: skip
    assert run.failures == {}, run.output[-3000:]
    assert run.final_count("cognito", TOKEN) == users, run.output[-3000:]  # one token each
    assert run.logins("login:client_credentials") == 0  # no uncached run at all
    cached = run.login_events()
    assert cached
    assert {e["flow"] for e in cached} == {"login:client_credentials:cached"}
    assert sum(e["calls"] for e in cached) == users
