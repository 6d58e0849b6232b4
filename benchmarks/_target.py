"""The generator benchmark's target: an app on the local pool and its test users.

Users are created through the pool's admin API (boto3, retries off); TOTP is enrolled with the
login flows, answering with the previous 30 s step's code (the pool accepts one step of skew),
so the current step stays free for the load runs that follow.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import srp_fast
from loadtest.drivers import SyncDriver, Urllib3Transport
from loadtest.flows import AppClient, FlowContext, Identity, dump_identities, enroll_totp, srp_login
from loadtest.protocol.errors import CodeMismatch, EnableSoftwareTokenMFA
from loadtest.target import launch
from loadtest.target.launch import local_admin_client

__all__ = ["App", "admin_client", "create_app", "create_users", "write_identities"]


@dataclass(frozen=True, slots=True, kw_only=True)
class App:
    """A user pool (TOTP optional) and its app client (no secret), on an endpoint."""

    url: str
    pool_id: str
    client_id: str

    @property
    def app_client(self) -> AppClient:
        return AppClient(pool_id=self.pool_id, client_id=self.client_id)


def admin_client(url: str) -> Any:
    """boto3 cognito-idp for the local pool, dummy credentials, retries off."""
    return local_admin_client(url)


def create_app(url: str) -> App:
    """A pool with optional TOTP MFA and an app client allowing SRP."""
    app = launch.create_app(
        url,
        name="bench-generator",
        device_tracking=False,
        flows=("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
    )
    return App(url=url, pool_id=app.pool_id, client_id=app.client_id)


def create_users(app: App, prefix: str, count: int, *, totp: bool) -> list[Identity]:
    """``count`` users named ``<prefix>NNNNN``, created (and enrolled) from 4 threads."""
    password = "Lt-" + secrets.token_urlsafe(12) + "9!"
    names = [f"{prefix}{index:05d}" for index in range(count)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda name: _create(app, name, password, totp=totp), names))


def _create(app: App, username: str, password: str, *, totp: bool) -> Identity:
    idp = admin_client(app.url)
    idp.admin_create_user(UserPoolId=app.pool_id, Username=username, MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=app.pool_id, Username=username, Password=password, Permanent=True
    )
    identity = Identity(username=username, password=password)
    if totp:
        _enroll(app, identity)
    return identity


def _enroll(app: App, identity: Identity) -> None:
    """Enroll TOTP; once more if a 30 s step boundary fell between the code and its check."""
    try:
        _enroll_once(app, identity)
    except (EnableSoftwareTokenMFA, CodeMismatch):
        _enroll_once(app, identity)


def _enroll_once(app: App, identity: Identity) -> None:
    ctx = FlowContext(
        client=app.app_client,
        clock=lambda: datetime.now(UTC),
        ephemerals=srp_fast.new_ephemeral,
    )
    earlier = replace(ctx, clock=lambda: datetime.now(UTC) - timedelta(seconds=30))
    driver = SyncDriver(Urllib3Transport(app.url))
    login = driver.run(srp_login(identity, ctx))
    driver.run(enroll_totp(identity, earlier, login.tokens.access_token))


def write_identities(identities: list[Identity], path: Path) -> Path:
    """Write an identities file readable by its owner only (it holds passwords and seeds)."""
    path.touch(mode=0o600)
    dump_identities(identities, path)
    return path
