"""``cognito-loadtest pool serve --bootstrap DIR``: a local pool on which every ready scenario runs.

The local pool's server imports no client code, so the bootstrap is orchestrated here, outside
``loadtest.pool``, and reached from the top-level CLI when ``--bootstrap`` is given. In order:

1. start ``pool serve`` as a child process through the launcher (state ``DIR/pool.sqlite3``
   unless ``--state`` says otherwise, its log beside it), serving the example custom-auth
   triggers (``loadtest.scenarios.triggers.captcha``) unless ``--trigger`` names others;
2. reuse the user pool and app client that ``DIR/locust.conf`` names if the pool still has them,
   else create them; either way, settle their settings (:data:`POOL_SETTINGS`,
   :data:`MFA_SETTINGS`): TOTP, SMS and e-mail MFA optional, devices remembered, every
   USER_AUTH first factor, a WebAuthn relying party, e-mail through SES and auto-verified, and
   an app client allowing every flow; plus a second app client with refresh-token rotation
   (``refresh_rotation``);
3. provision ``--users`` synthetic users of each kind in :func:`groups` (TOTP and a device; no
   MFA with a passkey, an e-mail and a phone; SMS MFA; e-mail MFA), each kind resumable in its
   own file ``DIR/users/<run>.jsonl``, and join them in ``DIR/identities.jsonl`` (0600), which
   every user class leases from by the catalogue's rule; a restart makes only the users a file
   lacks;
4. reuse the domain and OAuth clients ``DIR/locust.conf`` names if the pool still has them,
   else create a domain, a resource server, a code-grant client and a client-credentials client
   (:func:`loadtest.provision.oauth.provision_oauth`), for the managed-login and
   client-credentials scenarios;
5. write ``DIR/locust.conf`` (endpoint, ids, identities, the domain settings, a ready
   scenario's installed path), so ``cognito-loadtest run NAME --config DIR/locust.conf``
   and ``locust --config DIR/locust.conf -f <scenario.py>`` work for every ready scenario, and
   the other commands take it too (``lockout-probe --config DIR/locust.conf``);

then print the server's usual readiness line and wait on the child, forwarding SIGINT and
SIGTERM to it. A failed step stops with one line (see :mod:`loadtest.steps`) and stops the child.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import secrets
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from .flows.identity import learned_path
from .locust.cli import scenario_path
from .pool import cli as pool_cli
from .steps import StepFailed, last_line, step
from .target import conf
from .target.launch import (
    ALL_FLOWS,
    LocalApp,
    LocalPool,
    PoolStartError,
    local_admin_client,
    local_pool,
)
from .target.options import DOMAIN
from .target.safety import OverLimit, check_bounds, guard_target
from .target.scenarios import SCENARIOS

if TYPE_CHECKING:
    from .provision.plan import Plan

__all__ = [
    "CAPTCHA_TRIGGERS",
    "CONF_FILE",
    "DEFAULT_SCENARIO",
    "IDENTITIES_FILE",
    "MFA_SETTINGS",
    "POOL_SETTINGS",
    "ROTATION_CLIENT",
    "STATE_FILE",
    "USERS_FOLDER",
    "Group",
    "groups",
    "read_conf",
    "run",
    "write_conf",
]

CONF_FILE = "locust.conf"
IDENTITIES_FILE = "identities.jsonl"
STATE_FILE = "pool.sqlite3"
#: Where each kind of user's resumable identities file lives (``DIR/users/<run>.jsonl``).
USERS_FOLDER = "users"
#: The locustfile a bare ``locust --config DIR/locust.conf`` runs: sign-ins with TOTP MFA.
DEFAULT_SCENARIO = "srp_totp"
_APP_NAME = "cognito-loadtest"
#: The name of the app client with refresh-token rotation (found again by name on a restart).
ROTATION_CLIENT = "cognito-loadtest-rotation"
_COMMAND = "cognito-loadtest pool serve --bootstrap"
_CAPTCHA = "loadtest.scenarios.triggers.captcha"
#: The ``pool serve`` options that run the example custom-auth challenge (custom_auth.py).
CAPTCHA_TRIGGERS = tuple(
    part
    for name in ("define_auth_challenge", "create_auth_challenge", "verify_auth_challenge_response")
    for part in ("--trigger", f"{name}={_CAPTCHA}:{name}")
)
#: The user pool's settings (UpdateUserPool resets what it is not given, so all of them):
#: sign-up codes by e-mail, devices always remembered, every USER_AUTH first factor.
POOL_SETTINGS: Mapping[str, Any] = {
    "AutoVerifiedAttributes": ["email"],
    # e-mail through Amazon SES (a placeholder identity: the local pool sends nothing), which
    # e-mail MFA requires; the codes go to the pool's message sink
    "EmailConfiguration": {
        "EmailSendingAccount": "DEVELOPER",
        "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/no-reply@example.com",
    },
    "DeviceConfiguration": {
        "ChallengeRequiredOnNewDevice": True,
        "DeviceOnlyRememberedOnUserPrompt": False,
    },
    "Policies": {
        "SignInPolicy": {
            "AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]
        }
    },
}
#: MFA optional with TOTP and SMS; the relying party the software authenticator's passkeys
#: are registered for.
MFA_SETTINGS: Mapping[str, Any] = {
    "MfaConfiguration": "OPTIONAL",
    "SoftwareTokenMfaConfiguration": {"Enabled": True},
    "SmsMfaConfiguration": {"SmsAuthenticationMessage": "Your code is {####}"},
    "EmailMfaConfiguration": {"Message": "Your code is {####}"},
    "WebAuthnConfiguration": {"RelyingPartyId": "localhost"},
}
#: Every flow the scenarios use, USER_AUTH included.
_FLOWS = [*ALL_FLOWS, "ALLOW_USER_AUTH"]
_ROTATION = {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """One kind of test user: its run id (user names ``lt-<run>-NNNNN``, file
    ``users/<run>.jsonl``), what each user holds, for people."""

    run: str
    plan: Plan
    summary: str


def groups() -> tuple[Group, ...]:
    """The kinds of user that together fit every ready scenario's user classes (the catalogue
    decides which class leases which; see ``tests/e2e/test_every_scenario.py``)."""
    from .flows.catalogue import Need
    from .provision.plan import Plan

    return (
        Group(
            run="boot",  # the bootstrap's first (and once only) kind: its names stay
            plan=Plan(),
            summary="TOTP and a remembered device",
        ),
        Group(
            run="boot-ua",
            plan=Plan.for_needs({Need.PASSKEY, Need.EMAIL, Need.PHONE}),
            summary="no MFA; a passkey, a verified e-mail (example.com), a fictional phone",
        ),
        Group(
            run="boot-sms",
            plan=Plan.for_needs({Need.SMS_MFA}),
            summary="SMS MFA on a fictional phone",
        ),
        Group(
            run="boot-email",
            plan=Plan.for_needs({Need.EMAIL_MFA}),
            summary="e-mail MFA on an example.com address",
        ),
    )


def run(args: argparse.Namespace) -> int:
    """The bootstrap, then the server until it stops; its exit code."""
    try:
        check_bounds("provision", {"users": args.users * len(groups())}, allow=False)
    except OverLimit as exc:
        print(f"{_COMMAND}: {exc}", file=sys.stderr)
        return 2
    folder = _private_folder(args.bootstrap)
    state = folder / STATE_FILE if args.state == pool_cli.DEFAULT_STATE else args.state
    at = partial(step, _COMMAND, errors=folder / "errors.log", out=sys.stderr)
    with _terminate_cleanly(), ExitStack() as stack:
        with at("1. Local pool", log=state.with_suffix(".log")):
            pool = _start(stack, state, _child_options(args))
            _say_triggers(args)
        with at(f"2. User pool and app clients at {pool.url}"):
            app = _app(pool.url, folder)
            rotation = _settle(app)
        with at(f"3. Test users: {args.users} of each kind"):
            _provision_all(app, args.users, folder)
        with at("4. Domain and OAuth clients"):
            domain = _domain(app, folder)
        with at("5. Locust settings"):
            written = write_conf(folder, app, domain, rotation_client=rotation)
            _say_how_to_run(written, rotation, args.time_scale)
        print(f"listening {pool.url}", flush=True)
        return _wait_forwarding_signals(pool.process)


def _say_triggers(args: argparse.Namespace) -> None:
    if args.trigger:
        print("   custom-auth triggers: yours (--trigger)", file=sys.stderr)
    else:
        print(f"   custom-auth triggers: the example captcha ({_CAPTCHA}), which "
              "custom_auth answers; --trigger serves yours instead", file=sys.stderr)  # fmt: skip


def _say_how_to_run(path: Path, rotation: str, time_scale: float) -> None:
    """How to run any ready scenario on this pool (every one runs here), and the commands
    that take the same file."""
    lines = (
        f"   {path}: every ready scenario runs on this pool:",
        f"     cognito-loadtest run NAME -u 5 -t 30s --config {path}",
        f"     NAME: {', '.join(SCENARIOS)}",
        f"     refresh_rotation follows rotation with the app client {rotation}: add "
        f"--client-id {rotation}",
        "   the other commands take it too, e.g. the lockout schedule of 3 users:",
        f"     cognito-loadtest lockout-probe --count 3 {_probe_extent(time_scale)}--config {path}",
    )
    print("\n".join(lines), file=sys.stderr)


def _probe_extent(time_scale: float) -> str:
    """The probe's options for this pool: the whole schedule on a time-scaled pool; at full
    time its first locks only (to the 900 s cap the schedule takes about an hour)."""
    if time_scale < 1:
        return f"--time-scale {time_scale:g} "
    return "--failures 8 "  # the locks after failures 5 to 8: 1, 2, 4 and 8 s


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
    port always (the launcher asks for port 0 otherwise), the bootstrap's own options never;
    the example custom-auth triggers unless ``--trigger`` names some."""
    table = argparse.ArgumentParser(add_help=False)
    pool_cli.add_serve_options(table)
    argv = ["--port", str(args.port)]
    for action in table._actions:
        value = getattr(args, action.dest, action.default)
        own = action.dest in ("port", "state")
        if action.option_strings and not own and value != action.default:
            argv += _as_argv(action.option_strings[-1], value)
    if not getattr(args, "trigger", None):
        argv += CAPTCHA_TRIGGERS
    return argv


def _as_argv(option: str, value: Any) -> list[str]:
    if value is True:
        return [option]
    if isinstance(value, list):
        return [part for item in value for part in (option, str(item))]
    return [option, str(value)]


def _app(url: str, folder: Path) -> LocalApp:
    """The pool and client ``locust.conf`` names when the pool still has them, else new ones
    (and the old identities files go: their users belonged to a pool this state lacks)."""
    known = read_conf(folder / CONF_FILE)
    pool_id, client_id = known.get("cognito-pool-id"), known.get("cognito-client-id")
    if pool_id and client_id and _has_client(url, pool_id, client_id):
        print(f"   reusing user pool {pool_id}, app client {client_id}", file=sys.stderr)
        return LocalApp(url=url, pool_id=pool_id, client_id=client_id)
    joined = folder / IDENTITIES_FILE
    for stale in (joined, learned_path(joined), *sorted((folder / USERS_FOLDER).glob("*.jsonl"))):
        if stale.exists():
            stale.unlink()
            print(f"   removed {stale}: its users were on a pool this state lacks", file=sys.stderr)
    idp = local_admin_client(url, attempts=5)
    pool_id = idp.create_user_pool(PoolName=_APP_NAME, **POOL_SETTINGS)["UserPool"]["Id"]
    client_id = _new_client(idp, pool_id, _APP_NAME)
    print(f"   created user pool {pool_id}, app client {client_id}", file=sys.stderr)
    return LocalApp(url=url, pool_id=pool_id, client_id=client_id)


def _new_client(idp: Any, pool_id: str, name: str, **extra: Any) -> str:
    answer = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName=name, ExplicitAuthFlows=_FLOWS, **extra
    )
    client_id: str = answer["UserPoolClient"]["ClientId"]
    return client_id


def _settle(app: LocalApp) -> str:
    """Give the pool and its client the settings every ready scenario needs (again on a
    restart, so a pool made by an earlier bootstrap gets them too); the rotation client's id."""
    idp = local_admin_client(app.url, attempts=5)
    idp.update_user_pool(UserPoolId=app.pool_id, **POOL_SETTINGS)
    idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, **MFA_SETTINGS)
    idp.update_user_pool_client(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        ClientName=_APP_NAME,
        ExplicitAuthFlows=_FLOWS,
    )
    listed = idp.list_user_pool_clients(UserPoolId=app.pool_id, MaxResults=60)["UserPoolClients"]
    found = [c["ClientId"] for c in listed if c["ClientName"] == ROTATION_CLIENT]
    if found:
        return str(found[0])
    rotation = _new_client(idp, app.pool_id, ROTATION_CLIENT, RefreshTokenRotation=_ROTATION)
    print(f"   created app client {rotation} with refresh-token rotation", file=sys.stderr)
    return rotation


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
        # at this start's address: a restart on another --port keeps the domain, not the port
        prefix = values["cognito-domain-url"].rstrip("/").rsplit("/", 1)[-1]
        values["cognito-domain-url"] = f"{app.url.rstrip('/')}/domain/{prefix}"
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


def _provision_all(app: LocalApp, count: int, folder: Path) -> None:
    """Each kind of user in its own resumable file, then all of them in the identities file
    the runs lease from."""
    guard_target(endpoint_url=app.url, region=None, pool_id=app.pool_id, confirm_pool_id=None)
    users = folder / USERS_FOLDER
    users.mkdir(mode=0o700, exist_ok=True)
    _adopt_old_file(folder)
    files = []
    for group in groups():
        files.append(users / f"{group.run}.jsonl")
        _provision(app, count, group, files[-1])
    joined = _join(files, folder / IDENTITIES_FILE)
    print(f"   {joined} (mode 0600): {count * len(files)} users of every kind", file=sys.stderr)


def _adopt_old_file(folder: Path) -> None:
    """An earlier bootstrap kept its (TOTP) users in the identities file itself: move them to
    their kind's file, so they are resumed rather than made again."""
    old, first = folder / IDENTITIES_FILE, folder / USERS_FOLDER / f"{groups()[0].run}.jsonl"
    if old.exists() and not first.exists():
        old.rename(first)


def _provision(app: LocalApp, count: int, group: Group, ids_path: Path) -> None:
    """The provisioning job of one kind, resumed from its file; paced inside the pool's quotas."""
    from .provision import ProgressPrinter, ProvisionSettings, provision
    from .target.config import TargetConfig

    target = TargetConfig.from_settings(app.settings())
    settings = ProvisionSettings(
        target=target, users=count, identities=ids_path, run=group.run, plan=group.plan
    )
    # live progress on a terminal; in a log, only the line below per kind
    printer = ProgressPrinter() if sys.stderr.isatty() else ProgressPrinter(io.StringIO())
    report = asyncio.run(provision(settings, printer=printer))  # loopback: dummy credentials
    if not report.complete:
        raise StepFailed(f"provisioning {group.run} did not complete: {report.failed} users failed")
    kept = f"{report.resumed} kept, {report.created} new"
    print(f"   {kept}: {group.summary}", file=sys.stderr)


def _join(files: list[Path], path: Path) -> Path:
    """The lines of ``files``, in one new file at ``path`` (0600, replaced atomically)."""
    part = path.with_suffix(".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as handle:
        for source in files:
            handle.write(source.read_text("utf-8"))
    part.replace(path)
    return path


def read_conf(path: Path) -> dict[str, str]:
    """The settings of a locust.conf, as Locust reads them (empty when there is none)."""
    return conf.read_conf(path) if path.is_file() else {}


def write_conf(
    folder: Path,
    app: LocalApp,
    domain: Mapping[str, str] | None = None,
    *,
    rotation_client: str | None = None,
) -> Path:
    """``folder/locust.conf`` for ``app`` and its domain settings (0600, for it holds the
    client-credentials secret; absolute paths, so any folder can use it)."""
    path = folder / CONF_FILE
    rotation = [f"#   refresh_rotation under rotation: --client-id {rotation_client}"]
    lines = [
        f"# Written by '{_COMMAND} {folder}' at each start; edits are overwritten.",
        "# Every ready scenario runs with it:",
        f"#   cognito-loadtest run NAME -u 5 -t 30s --config {path}",
        f"#   cognito-loadtest lockout-probe --count 3 --config {path}",
        f"#   locust --config {path} -f {scenario_path('managed_login')} --headless -u 5 -t 10s",
        *(rotation if rotation_client else []),
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
