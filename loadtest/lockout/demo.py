"""A time-scaled lockout probe of a few synthetic users on a local pool of its own (for demos).

:func:`demo_probe` starts ``cognito-loadtest pool serve --time-scale 0.01`` (its state in the
private folder), creates a pool, an app client and ``users`` synthetic users with random
passwords held only in memory, and probes them all in parallel: the full schedule to the cap
takes about 30 s at 0.01. Events, summary and table as :func:`~.probe.run_probe` gives them.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import IO, Any

from loadtest.flows import AppClient
from loadtest.target.launch import create_app, local_admin_client, local_pool

from .attempts import Method, ProbeUser
from .model import LockoutModel
from .plan import PlanSettings
from .probe import ProbeConfig, probe

__all__ = ["demo_probe"]


def demo_probe(
    run_dir: Path,
    private_dir: Path,
    *,
    users: int = 3,
    time_scale: float = 0.01,
    failures: int = 0,
    method: Method = Method.SRP,
    out: IO[str] | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Probe ``users`` fresh synthetic users on a local pool at ``time_scale``; the summary.

    ``failures`` 0 drives the full schedule to the cap (plus one lock at it); the success reset
    follows. Files go to ``run_dir``; the pool's state (secrets) to ``private_dir``.
    """
    private_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    options = ["--time-scale", str(time_scale), "--no-quotas"]
    with local_pool(private_dir / "lockout-pool.sqlite", options) as pool:
        client, probe_users = _provision(pool.url, users)
        config = ProbeConfig(
            endpoint_url=pool.url,
            client=client,
            users=probe_users,
            model=LockoutModel(time_scale=time_scale),
            plan=PlanSettings(schedule_failures=failures),
            method=method,
        )
        return probe(config, run_dir, out=out, quiet=quiet)


def _provision(url: str, count: int) -> tuple[AppClient, tuple[ProbeUser, ...]]:
    app = create_app(url, name="lockout-demo", mfa="OFF", device_tracking=False)
    pool_id, idp = app.pool_id, local_admin_client(url)
    users = []
    for index in range(count):
        user = ProbeUser(username=f"lt-lockout-{index:03d}", password=_password())
        idp.admin_create_user(UserPoolId=pool_id, Username=user.username, MessageAction="SUPPRESS")
        idp.admin_set_user_password(
            UserPoolId=pool_id, Username=user.username, Password=user.password, Permanent=True
        )
        users.append(user)
    return AppClient(pool_id=app.pool_id, client_id=app.client_id), tuple(users)


def _password() -> str:
    return "Lt-" + base64.urlsafe_b64encode(os.urandom(12)).decode() + "7!"
