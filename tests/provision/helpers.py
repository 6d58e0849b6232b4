"""Shared steps of the provisioning tests: run the command, read the pool, log users in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import srp_fast
from loadtest.drivers import SyncDriver, Urllib3Transport
from loadtest.flows import AppClient, FlowContext, Identity, LoginResult, srp_login
from loadtest.provision.cli import main
from tests.conftest import App, PoolServer


def target_args(server: PoolServer, app: App) -> list[str]:
    """The target options for a pool server and app."""
    return [
        "--pool-id", app.pool_id, "--client-id", app.client_id, "--endpoint-url", server.url,
    ]  # fmt: skip


def provision(server: PoolServer, app: App, path: Path, users: int, *extra: str) -> int:
    """Run ``provision`` in this process; returns its exit code."""
    argv = ["provision", "-n", str(users), "--identities", str(path), *target_args(server, app)]
    return main([*argv, *extra])


def usernames(server: PoolServer, app: App, prefix: str = "") -> list[str]:
    """Every user name on the pool starting with ``prefix`` (all ListUsers pages)."""
    idp = server.client()
    names: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = idp.list_users(UserPoolId=app.pool_id, Limit=60, **token)
        names += [u["Username"] for u in page["Users"] if u["Username"].startswith(prefix)]
        if "PaginationToken" not in page:
            return names
        token = {"PaginationToken": page["PaginationToken"]}


def lines(path: Path) -> list[dict[str, Any]]:
    """The identities file's objects, one per line."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def secrets_of(path: Path) -> set[str]:
    """Every secret value the identities file holds."""
    keys = ("password", "totp_secret", "device_password")
    return {entry[key] for entry in lines(path) for key in keys if key in entry}


def login_all(server: PoolServer, app: App, identities: list[Identity]) -> list[LoginResult]:
    """One USER_SRP_AUTH login per identity, with its device if it has one."""
    driver = SyncDriver(Urllib3Transport(server.url))
    ctx = FlowContext(
        client=AppClient(
            pool_id=app.pool_id, client_id=app.client_id, client_secret=app.client_secret
        ),
        clock=lambda: datetime.now(UTC),
        ephemerals=srp_fast.new_ephemeral,
    )
    try:
        return [driver.run(srp_login(identity, ctx)) for identity in identities]
    finally:
        driver.transport.close()
