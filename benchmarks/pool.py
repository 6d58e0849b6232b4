"""Verified SRP logins per second the local pool sustains, beside moto's server, in one run.

Each server runs as its own process; the client load (:mod:`benchmarks.srp_load`) runs in
another, so the two share this machine's cores as a real local run would. The server's CPU time
per login is read from the OS (``/proc``, the server's whole process tree), not estimated.

moto does not verify the SRP proof (it accepts any signature), so its figure is the cost of an
emulator that skips the check; the local pool's figure includes verifying every proof.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from loadtest.target.launch import create_app, local_admin_client, local_pool

from ._procs import child_env, free_port, process_tree_cpu_s, running
from ._timing import finish
from .figures import Figure, Table, at_least, at_most, ratio

__all__ = ["TABLES", "measure", "run"]

USERS = 32
THREADS = 4
WARMUP_S = 2.0
DURATION_S = 10.0
LOGS = Path("reports/bench/logs")


def setup(endpoint: str, password: str) -> tuple[str, str, list[str]]:
    """A user pool, an SRP-enabled app client and USERS users with a permanent password."""
    app = create_app(endpoint, name="bench", mfa="OFF", device_tracking=False)
    pool_id, client_id = app.pool_id, app.client_id
    admin = local_admin_client(endpoint)  # moto accepts any signature too
    users = [f"lt-bench-{i:05d}" for i in range(USERS)]
    for user in users:
        admin.admin_create_user(UserPoolId=pool_id, Username=user, MessageAction="SUPPRESS")
        admin.admin_set_user_password(
            UserPoolId=pool_id, Username=user, Password=password, Permanent=True
        )
    return pool_id, client_id, users


def _load(
    endpoint: str,
    pool_id: str,
    client_id: str,
    users: list[str],
    password: str,
    *,
    duration: float,
    opaque: bool,
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.srp_load",
        "--endpoint",
        endpoint,
        "--pool-id",
        pool_id,
        "--client-id",
        client_id,
        "--users",
        ",".join(users),
        "--threads",
        str(THREADS),
        "--duration",
        str(duration),
        "--max-logins",
        "100000",
    ]
    if opaque:
        cmd.append("--opaque-secret-block")
    env = child_env() | {"SRP_LOAD_PASSWORD": password}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=300)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_server(
    name: str, server: AbstractContextManager[tuple[str, int]], *, opaque: bool
) -> dict[str, Any]:
    """Start a server, provision users, warm up, then a timed load with CPU read around it."""
    password = "Lt-" + secrets.token_urlsafe(12) + "9!"
    with server as (endpoint, pid):
        pool_id, client_id, users = setup(endpoint, password)
        _load(endpoint, pool_id, client_id, users, password, duration=WARMUP_S, opaque=opaque)
        cpu0 = process_tree_cpu_s(pid)
        result = _load(
            endpoint, pool_id, client_id, users, password, duration=DURATION_S, opaque=opaque
        )
        server_cpu = process_tree_cpu_s(pid) - cpu0
    logins = max(result["logins"], 1)
    print(f"   {name}: {result['logins']} logins, outcomes {result['outcomes']}")
    return {
        "logins": result["logins"],
        "outcomes": result["outcomes"],
        "logins_per_s": result["logins"] / result["elapsed_s"],
        "server_cpu_ms_per_login": server_cpu * 1000 / logins,
        "client_cpu_ms_per_login": result["client_cpu_s"] * 1000 / logins,
    }


@contextmanager
def _local_pool(state: Path) -> Iterator[tuple[str, int]]:
    with local_pool(state, ["--no-quotas"]) as pool:
        yield pool.url, pool.process.pid


@contextmanager
def _moto(executable: str, logs: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    cmd = [executable, "-H", "127.0.0.1", "-p", str(port)]
    with running(cmd, port, logs / "moto.log") as proc:
        yield f"http://127.0.0.1:{port}", proc.pid


def measure() -> dict[str, Any]:
    """The local pool and moto's server side by side (moto only if installed)."""
    with tempfile.TemporaryDirectory(prefix="bench-pool-") as tmp:
        pool = measure_server("local pool", _local_pool(Path(tmp) / "state.sqlite"), opaque=False)
    figures: dict[str, Any] = {f"pool_{k}": v for k, v in pool.items()}
    moto_server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if moto_server:
        moto = measure_server("moto", _moto(moto_server, LOGS), opaque=True)
        figures.update({f"moto_{k}": v for k, v in moto.items()})
    else:
        print("   moto_server is not installed (pip install 'moto[server]'): no comparison")
    return figures


def run(*, out: Path) -> dict[str, Any]:
    """Measure, print and check the figures, write ``out``; returns what was written."""
    return finish(TABLES, measure(), out)


TABLES = (
    Table(
        title="Pool: full SRP logins, load from a separate process",
        figures=(
            Figure(key="pool_logins_per_s", label="local pool, verified logins", unit="/s",
                   target=at_least(100), note="client and pool sharing 2 cores"),
            Figure(key="pool_server_cpu_ms_per_login", label="local pool CPU per login",
                   unit="ms", target=at_most(6), note="from /proc"),
            Figure(key="pool_client_cpu_ms_per_login", label="client CPU per login", unit="ms",
                   note="load process"),
            Figure(key="moto_logins_per_s", label="moto, unverified logins", unit="/s",
                   note="accepts any proof"),
            Figure(key="moto_server_cpu_ms_per_login", label="moto CPU per login", unit="ms",
                   note="from /proc"),
            Figure(key="moto_over_pool_cpu", label="moto / local pool, CPU per login", unit="x",
                   derive=ratio("moto_server_cpu_ms_per_login", "pool_server_cpu_ms_per_login")),
        ),
    ),
)  # fmt: skip
