"""``cognito-loadtest pool serve --bootstrap DIR``: a local pool ready for load in one command.

The local pool's server imports no client code, so the bootstrap is orchestrated here, outside
``loadtest.pool``, and reached from the top-level CLI when ``--bootstrap`` is given. In order:

1. start ``pool serve`` as a child process through the launcher (state ``DIR/pool.sqlite3``
   unless ``--state`` says otherwise, its log beside it);
2. reuse the user pool and app client that ``DIR/locust.conf`` names if the pool still has them,
   else create them (TOTP MFA optional, devices remembered, every flow the scenarios use);
3. provision ``--users`` synthetic users with TOTP and a remembered device into
   ``DIR/identities.jsonl`` (0600); the provisioning job resumes, so a restart makes only the
   users the file lacks;
4. reuse the domain and OAuth clients ``DIR/locust.conf`` names if the pool still has them,
   else create a domain, a resource server, a code-grant client and a client-credentials client
   (:func:`loadtest.provision.oauth.provision_oauth`), for the managed-login and
   client-credentials scenarios;
5. write ``DIR/locust.conf`` (endpoint, ids, identities, the domain settings, a ready
   scenario's installed path), so ``locust --config DIR/locust.conf -f <managed_login.py>``
   works too;

then print the server's usual readiness line and wait on the child, forwarding SIGINT and
SIGTERM to it. A failed step stops with one line (see :mod:`loadtest.steps`) and stops the child.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from .locust.cli import scenario_path
from .pool import cli as pool_cli
from .steps import StepFailed, last_line, step
from .target.launch import (
    LocalApp,
    LocalPool,
    PoolStartError,
    create_app,
    local_admin_client,
    local_pool,
)
from .target.options import DOMAIN
from .target.safety import OverLimit, check_bounds, guard_target

__all__ = [
    "CONF_FILE",
    "DEFAULT_SCENARIO",
    "IDENTITIES_FILE",
    "STATE_FILE",
    "read_conf",
    "run",
    "write_conf",
]

CONF_FILE = "locust.conf"
IDENTITIES_FILE = "identities.jsonl"
STATE_FILE = "pool.sqlite3"
#: The locustfile a bare ``locust --config DIR/locust.conf`` runs: sign-ins with TOTP MFA.
DEFAULT_SCENARIO = "srp_totp"
#: Users are named ``lt-boot-00001``...: one fixed run id, so a restart resumes the same names.
_RUN_ID = "boot"
_APP_NAME = "cognito-loadtest"
_COMMAND = "cognito-loadtest pool serve --bootstrap"


def run(args: argparse.Namespace) -> int:
    """The bootstrap, then the server until it stops; its exit code."""
    try:
        check_bounds("provision", {"users": args.users}, allow=False)
    except OverLimit as exc:
        print(f"{_COMMAND}: {exc}", file=sys.stderr)
        return 2
    folder = _private_folder(args.bootstrap)
    state = folder / STATE_FILE if args.state == pool_cli.DEFAULT_STATE else args.state
    at = partial(step, _COMMAND, errors=folder / "errors.log", out=sys.stderr)
    with _terminate_cleanly(), ExitStack() as stack:
        with at("1. Local pool", log=state.with_suffix(".log")):
            pool = _start(stack, state, _child_options(args))
        with at(f"2. User pool and app client at {pool.url}"):
            app = _app(pool.url, folder)
        with at(f"3. Test users: {args.users}, with TOTP and a remembered device"):
            _provision(app, args.users, folder / IDENTITIES_FILE)
        with at("4. Domain and OAuth clients"):
            domain = _domain(app, folder)
        with at("5. Locust settings"):
            conf = write_conf(folder, app, domain)
            print(f"   {conf}: locust --config {conf} --headless -u 5 -r 5 -t 10s", file=sys.stderr)
        print(f"listening {pool.url}", flush=True)
        return _wait_forwarding_signals(pool.process)


def _start(stack: ExitStack, state: Path, options: list[str]) -> LocalPool:
    """The pool as a child process, stopped when ``stack`` closes; a failed start says why in
    the child's own words."""
    try:
        return stack.enter_context(local_pool(state, options))
    except PoolStartError as exc:
        raise StepFailed(last_line(state.with_suffix(".log")) or str(exc)) from None


def _private_folder(folder: Path) -> Path:
    """``folder``, created or tightened to 0700: it holds the pool's secrets."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(folder.stat().st_mode) & 0o077:
        folder.chmod(0o700)
        print(f"made {folder} private (mode 0700): it holds the pool's secrets", file=sys.stderr)
    return folder.resolve()


def _child_options(args: argparse.Namespace) -> list[str]:
    """The server options given to this command, as a child ``pool serve`` takes them.

    Read from the server's own option table, so an option added there is passed on too; the
    port always (the launcher asks for port 0 otherwise), the bootstrap's own options never."""
    table = argparse.ArgumentParser(add_help=False)
    pool_cli.add_serve_options(table)
    argv = ["--port", str(args.port)]
    for action in table._actions:
        value = getattr(args, action.dest, action.default)
        own = action.dest in ("port", "state")
        if action.option_strings and not own and value != action.default:
            argv += _as_argv(action.option_strings[-1], value)
    return argv


def _as_argv(option: str, value: Any) -> list[str]:
    if value is True:
        return [option]
    if isinstance(value, list):
        return [part for item in value for part in (option, str(item))]
    return [option, str(value)]


def _app(url: str, folder: Path) -> LocalApp:
    """The pool and client ``locust.conf`` names when the pool still has them, else new ones
    (and the old identities file goes: its users belonged to a pool this state lacks)."""
    known = read_conf(folder / CONF_FILE)
    pool_id, client_id = known.get("cognito-pool-id"), known.get("cognito-client-id")
    if pool_id and client_id and _has_client(url, pool_id, client_id):
        print(f"   reusing user pool {pool_id}, app client {client_id}", file=sys.stderr)
        return LocalApp(url=url, pool_id=pool_id, client_id=client_id)
    stale = folder / IDENTITIES_FILE
    if stale.exists():
        stale.unlink()
        print(f"   removed {stale}: its users were on a pool this state lacks", file=sys.stderr)
    app = create_app(url, name=_APP_NAME)
    print(f"   created user pool {app.pool_id}, app client {app.client_id}", file=sys.stderr)
    return app


def _has_client(url: str, pool_id: str, client_id: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        local_admin_client(url).describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        raise
    return True


def _domain(app: LocalApp, folder: Path) -> dict[str, str]:
    """The domain settings ``locust.conf`` names when the pool still has its clients, else a
    new domain, resource server and OAuth clients: the conf keys of the domain options."""
    from .provision.oauth import provision_oauth

    known = read_conf(folder / CONF_FILE)
    keys = [
        f"cognito-{o.setting.replace('_', '-')}" for o in DOMAIN if o.setting != "oauth_identities"
    ]
    values = {key: known.get(key, "") for key in keys}
    clients = (values["cognito-oauth-client-id"], values["cognito-m2m-client-id"])
    same_pool = all(values.values()) and known.get("cognito-pool-id") == app.pool_id
    if same_pool and all(_has_client(app.url, app.pool_id, c) for c in clients):
        print(f"   reusing domain {values['cognito-domain-url']}", file=sys.stderr)
        return values
    prefix = f"lt-{secrets.token_hex(4)}"
    setup = provision_oauth(
        local_admin_client(app.url), app.pool_id, domain=prefix, resource_server=prefix
    )
    print(f"   created domain {prefix}, its resource server and OAuth clients", file=sys.stderr)
    return {
        "cognito-domain-url": f"{app.url.rstrip('/')}/domain/{setup.domain}",
        "cognito-oauth-client-id": setup.code_client_id,
        "cognito-m2m-client-id": setup.m2m_client_id,
        "cognito-m2m-client-secret": setup.m2m_client_secret,
    }


def _provision(app: LocalApp, count: int, ids_path: Path) -> None:
    """The provisioning job, resumed from the identities file; paced inside the pool's quotas."""
    from .provision import ProvisionSettings, provision
    from .target.config import TargetConfig

    guard_target(endpoint_url=app.url, region=None, pool_id=app.pool_id, confirm_pool_id=None)
    target = TargetConfig.from_settings(app.settings())
    settings = ProvisionSettings(target=target, users=count, identities=ids_path, run=_RUN_ID)
    report = asyncio.run(provision(settings))  # loopback: signed with dummy credentials
    if not report.complete:
        raise StepFailed(f"provisioning did not complete: {report.failed} users failed")
    kept = f"{report.resumed} kept, {report.created} new"
    print(f"   {ids_path} (mode 0600): {kept}", file=sys.stderr)


def read_conf(path: Path) -> dict[str, str]:
    """The ``key = value`` lines of a locust.conf (empty when there is none)."""
    if not path.is_file():
        return {}
    pairs = (line.partition("=") for line in path.read_text("utf-8").splitlines())
    return {k.strip(): v.strip() for k, sep, v in pairs if sep and not k.startswith("#")}


def write_conf(folder: Path, app: LocalApp, domain: Mapping[str, str] | None = None) -> Path:
    """``folder/locust.conf`` for ``app`` and its domain settings (0600, for it holds the
    client-credentials secret; absolute paths, so any folder can use it)."""
    path = folder / CONF_FILE
    lines = [
        f"# Written by '{_COMMAND} {folder}' at each start; edits are overwritten.",
        f"#   locust --config {path} --headless -u 5 -r 5 -t 10s",
        f"#   cognito-loadtest run srp_totp --locust --config {path}",
        f"#   locust --config {path} -f {scenario_path('managed_login')} --headless -u 5 -t 10s",
        f"locustfile = {scenario_path(DEFAULT_SCENARIO)}",
        f"cognito-endpoint-url = {app.url}",
        f"cognito-pool-id = {app.pool_id}",
        f"cognito-client-id = {app.client_id}",
        f"cognito-identities = {folder / IDENTITIES_FILE}",
        *(f"{key} = {value}" for key, value in (domain or {}).items()),
    ]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


@contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """SIGTERM during the bootstrap unwinds (stopping the child) instead of orphaning it."""

    def leave(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait_forwarding_signals(process: subprocess.Popen[str]) -> int:
    """Wait for the server, passing SIGINT and SIGTERM on to it; its exit code."""

    def forward(signum: int, _frame: FrameType | None) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
