"""``cognito-loadtest demo``: the main job, end to end, on this machine.

It runs what the toolkit can do today, in order, and says what each step showed:

1. the SRP benchmark: srp_fast's client maths against pycognito and the raw floor;
2. the local pool, started as its own process with its state in the run's folder;
3. test users created through the pool's admin API, two in three with an enrolled TOTP
   authenticator, written to an identities file (mode 0600);
4. a short, bounded, headless Locust run of the weighted mix of every login flow;
5. a summary of what the run measured, per request name, from Locust's own CSV.

What can be shared goes to ``reports/<run-id>/`` (the last line printed is that folder); what
holds secrets (the pool's state, the identities file) goes to ``.cognito-loadtest/<run-id>/``,
readable by its owner only. The lockout probe and the structured report join as their commands
land.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import srp_fast

from .flows import AppClient, FlowContext, Identity, dump_identities, enroll_totp, srp_login
from .pool.launch import LocalPool, local_pool
from .protocol.errors import TooManyRequests

__all__ = ["register"]

#: Dummy credentials for the local pool's admin calls (it accepts any SigV4 signature), so a
#: user's real AWS credentials are never used against it.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDLOCALPOOL", "AWS_SECRET_ACCESS_KEY": "local-pool"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="run the main job on this machine (make demo)")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="output folder")
    parser.add_argument(
        "--private",
        type=Path,
        default=Path(".cognito-loadtest"),
        help="folder for pool state and identities (they hold secrets; created mode 0700)",
    )
    parser.add_argument("--identities", type=int, default=60, help="test users to create")
    parser.add_argument("-u", "--users", type=int, default=10, help="Locust virtual users")
    parser.add_argument("-t", "--run-time", default="30s", help="length of the load run")
    parser.add_argument("--skip-bench", action="store_true", help="skip the SRP benchmark")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    run_id = datetime.now(UTC).strftime("demo-%Y%m%d-%H%M%S")
    run_dir = args.reports / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    private = args.private / run_id
    private.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not args.skip_bench:
        _bench(args.reports)
    print(f"\n== 2. Local pool (state in {private})")
    with local_pool(private / "pool.sqlite") as pool:
        print(f"   listening at {pool.url}")
        print(f"\n== 3. Test users: {args.identities}, two in three with TOTP")
        app = _create_app(pool)
        identities = _create_users(pool, app, args.identities)
        ids_path = private / "identities.jsonl"
        _write_private(ids_path, identities)
        print(f"   identities written to {ids_path} (mode 0600)")
        print(f"\n== 4. Load: the mix scenario, {args.users} users for {args.run_time}")
        code = _load(pool, app, ids_path, run_dir, users=args.users, run_time=args.run_time)
    print("\n== 5. What the run measured (Locust's statistics)")
    _summarise(run_dir / "locust_stats.csv")
    print(f"\ndemo finished (locust exit code {code}); everything is in:\n{run_dir}")
    return code


def _bench(reports: Path) -> None:
    from .bench import srp

    print("== 1. SRP maths: srp_fast against pycognito (reports/bench/srp.json)")
    figures = srp.run(out=reports / "bench" / "srp.json", rounds=5, per_round=10)
    print(
        f"   one login's critical path: {figures['critical_path_ms']:.2f} ms, "
        f"{figures['pycognito_over_critical_path']:.1f}x less than pycognito's client maths"
    )


@dataclass(frozen=True, slots=True)
class _App:
    pool_id: str
    client_id: str


def _admin(pool: LocalPool) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "cognito-idp",
        endpoint_url=pool.url,
        region_name="us-east-1",
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 5, "mode": "standard"}),
    )


def _create_app(pool: LocalPool) -> _App:
    """A pool with optional TOTP MFA and remembered devices, and an app client for every flow."""
    idp = _admin(pool)
    pool_id = idp.create_user_pool(
        PoolName="demo",
        DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
    )["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="OPTIONAL",
    )
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="demo",
        ExplicitAuthFlows=[
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
    )["UserPoolClient"]["ClientId"]
    return _App(pool_id=pool_id, client_id=client_id)


class _Pacer:
    """At most ``rate`` events per second, so provisioning stays inside the pool's quotas."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()

    def wait(self) -> None:
        self._next = max(self._next + self._interval, time.monotonic())
        time.sleep(max(0.0, self._next - time.monotonic()))


def _create_users(pool: LocalPool, app: _App, count: int) -> list[Identity]:
    """Synthetic users (``lt-demo-NNNNN``), TOTP enrolled for two in three.

    A minimal sequential stand-in until ``cognito-loadtest provision`` exists. Enrollment
    answers with the previous step's code (the pool accepts one step of skew), so the current
    step stays free for the load run.
    """
    from .drivers import SyncDriver, Urllib3Transport

    idp = _admin(pool)
    driver = SyncDriver(Urllib3Transport(pool.url))
    ctx = FlowContext(
        client=AppClient(pool_id=app.pool_id, client_id=app.client_id),
        clock=lambda: datetime.now(UTC) - timedelta(seconds=30),
        ephemerals=srp_fast.new_ephemeral,
    )
    pacer = _Pacer(7.0)  # 3 UserResourceUpdate calls per enrollment, quota 25/s
    identities = []
    for index in range(count):
        identity = Identity(username=f"lt-demo-{index:05d}", password=_password())
        pacer.wait()
        idp.admin_create_user(
            UserPoolId=app.pool_id, Username=identity.username, MessageAction="SUPPRESS"
        )
        idp.admin_set_user_password(
            UserPoolId=app.pool_id,
            Username=identity.username,
            Password=identity.password,
            Permanent=True,
        )
        if index % 3:
            _with_backoff(lambda i=identity: _enroll(driver, i, ctx))
        identities.append(identity)
    return identities


def _enroll(driver: Any, identity: Identity, ctx: FlowContext) -> None:
    login = driver.run(srp_login(identity, ctx))
    driver.run(enroll_totp(identity, ctx, login.tokens.access_token))


def _with_backoff(action: Any, attempts: int = 5) -> None:
    for attempt in range(attempts):
        try:
            action()
            return
        except TooManyRequests:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * 2**attempt)


def _password() -> str:
    return "Lt-" + srp_fast.b64encode(os.urandom(12)).replace("/", "_") + "7!"


def _write_private(path: Path, identities: list[Identity]) -> None:
    """Write the identities file readable by its owner only (it holds passwords and seeds)."""
    path.touch(mode=0o600)
    path.chmod(0o600)
    dump_identities(identities, path)


def _load(
    pool: LocalPool, app: _App, ids_path: Path, run_dir: Path, *, users: int, run_time: str
) -> int:
    command = [
        sys.executable, "-m", "loadtest.cli", "run", "mix",
        "-u", str(users), "-r", str(max(1, users // 2)), "-t", run_time,
        "--csv", str(run_dir / "locust"),
        "--cognito-pool-id", app.pool_id, "--cognito-client-id", app.client_id,
        "--cognito-endpoint-url", pool.url, "--cognito-identities", str(ids_path),
        "--locust", "--html", str(run_dir / "locust.html"), "--only-summary",
    ]  # fmt: skip
    env = {**os.environ, **LOCAL_CREDENTIALS}
    with (run_dir / "locust.log").open("w") as log:
        return subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT).returncode


def _summarise(stats_csv: Path) -> None:
    if not stats_csv.is_file():
        print(f"   no statistics at {stats_csv}: see locust.log beside it")
        return
    with stats_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    print(f"   {'type':<8} {'name':<46} {'count':>6} {'fail':>5} {'p50':>6} {'p99':>6}  ms")
    for row in rows:
        print(
            f"   {row['Type']:<8} {row['Name']:<46} {row['Request Count']:>6} "
            f"{row['Failure Count']:>5} {row['50%']:>6} {row['99%']:>6}"
        )
