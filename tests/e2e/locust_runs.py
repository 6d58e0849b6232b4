"""Helpers for end-to-end Locust runs: provision identities, run locust headless, read stats.

Every run writes its report (``COGNITO_REPORT_DIR``), since whole logins are counted there and
not in Locust's request table, whose rows are Cognito API calls only.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import srp_fast
from loadtest.drivers import SyncDriver, Urllib3Transport
from loadtest.flows import (
    AppClient,
    FlowContext,
    Identity,
    dump_identities,
    enroll_totp,
    srp_login,
)
from loadtest.locust.cli import scenario_path
from loadtest.report import read_events
from loadtest.target.launch import free_port

PASSWORD = "Passw0rd!"


def provision(
    server: Any,
    app: Any,
    count: int,
    path: Path,
    *,
    totp: bool,
    prefix: str = "user",
    email: bool = False,
) -> list[Identity]:
    """Create users on the pool and write the identities file; enroll TOTP if asked; give each
    a verified e-mail address if asked (recovery codes go there).

    Enrollment sends the previous step's code (the pool accepts one step of skew), so the
    current step stays free for the load run and nobody has to wait for the next one.
    """
    identities = []
    for index in range(count):
        verified = {"email": f"{prefix}{index}@example.com", "email_verified": "true"}
        server.add_user(app, f"{prefix}{index}", PASSWORD, attributes=verified if email else None)
        address = verified["email"] if email else None  # Need.EMAIL: the identity records it
        identities.append(Identity(username=f"{prefix}{index}", password=PASSWORD, email=address))
    if totp:
        ctx = FlowContext(
            client=AppClient(
                pool_id=app.pool_id, client_id=app.client_id, client_secret=app.client_secret
            ),
            clock=lambda: datetime.now(UTC),
            ephemerals=srp_fast.new_ephemeral,
        )
        earlier = replace(ctx, clock=lambda: datetime.now(UTC) - timedelta(seconds=30))
        driver = SyncDriver(Urllib3Transport(server.url))
        for identity in identities:
            login = driver.run(srp_login(identity, ctx))
            driver.run(enroll_totp(identity, earlier, login.tokens.access_token))
    dump_identities(identities, path)
    return identities


@dataclass(frozen=True, slots=True)
class Stat:
    """One row of Locust's stats CSV."""

    requests: int
    failures: int


@dataclass(frozen=True, slots=True)
class LocustRun:
    """A finished headless run: exit code, output, Locust's stats by (type, name), and the
    run's report folder (``summary.json``, ``events.jsonl``).

    ``stats`` is Locust's CSV, which its writer rewrites once a second while the run goes
    and only closes at the end, so its last second may be missing; ``final`` is Locust's
    ``--json-file``, written at exit after every user stopped: its exact last counts."""

    returncode: int
    output: str
    stats: dict[tuple[str, str], Stat]
    report_dir: Path
    final: dict[tuple[str, str], Stat]
    #: How many users the run had (a bound on the logins its stop can cut short).
    users: int = 0

    def count(self, kind: str, name: str) -> int:
        stat = self.stats.get((kind, name))
        return stat.requests if stat else 0

    def final_count(self, kind: str, name: str) -> int:
        """Locust's last count of ``(kind, name)`` (its ``--json-file``)."""
        stat = self.final.get((kind, name))
        return stat.requests if stat else 0

    @property
    def failures(self) -> dict[tuple[str, str], int]:
        return {k: v.failures for k, v in self.stats.items() if v.failures and k[1] != "Aggregated"}

    @property
    def aggregated(self) -> int:
        """Locust's Aggregated request count."""
        return self.count("", "Aggregated")

    @property
    def api_calls(self) -> int:
        """The sum of Locust's rows, each a Cognito API call label."""
        return sum(s.requests for (kind, _), s in self.stats.items() if kind == "cognito")

    @property
    def summary(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((self.report_dir / "summary.json").read_text())
        return loaded

    def logins(self, flow: str, outcome: str | None = None) -> int:
        """Logins of a flow in the report (of one outcome, or all)."""
        row = self.summary["flows"].get(flow)
        if row is None:
            return 0
        return int(row["count"] if outcome is None else row["outcomes"].get(outcome, 0))

    def login_events(self, *, stopped: bool = False) -> list[dict[str, Any]]:
        """The canonical login events, in the order written: the finished ones, or with
        ``stopped`` also those the run's end cut short.

        Locust's stop kills a user that is waiting, but the kill lands at the user's next
        switch, so a user whose wait ended in that instant starts a login and is cut in it
        (seen in a clean-clone run: ``stopped`` after 4.6 ms, its ephemeral taken and no
        call sent). Any login may end that way, whatever a test asserts about the finished
        ones; each such login is checked here: at most one per user, no failed call (a
        failure would have ended it first), error type ``LoginStopped``.
        """
        events = read_events(self.report_dir / "events.jsonl")
        logins = [e for e in events if e["event"] == "login"]
        cut = [e for e in logins if e["outcome"] == "stopped"]
        for login in cut:
            assert login["error_type"] == "LoginStopped", login
            assert all(s["outcome"] == "ok" for s in login["steps"] if "label" in s), login
        if self.users:
            assert len(cut) <= self.users, (len(cut), self.users)
        return logins if stopped else [e for e in logins if e["outcome"] != "stopped"]


def target_env(server: Any, app: Any, identities: Path) -> dict[str, str]:
    """COGNITO_* settings for a pool server and app."""
    env = {
        "COGNITO_POOL_ID": app.pool_id,
        "COGNITO_CLIENT_ID": app.client_id,
        "COGNITO_ENDPOINT_URL": server.url,
        "COGNITO_IDENTITIES": str(identities),
    }
    if app.client_secret:
        env["COGNITO_CLIENT_SECRET"] = app.client_secret
    return env


def master_port_args(extra: tuple[str, ...]) -> tuple[str, ...]:
    """A free master port for a run with ``--processes`` that names none.

    Locust's master binds 5557 by default, so two such runs at once (tests on parallel
    workers, or another checkout's) would collide; a port of our own keeps them apart.
    """
    if "--processes" not in extra or "--master-bind-port" in extra:
        return ()
    port = str(free_port())
    return ("--master-bind-port", port, "--master-port", port)


def run_locust(
    scenario: str,
    settings: dict[str, str],
    workdir: Path,
    *,
    users: int,
    seconds: int,
    extra: tuple[str, ...] = (),
) -> LocustRun:
    """``locust -f scenarios/<scenario>.py --headless`` bounded in users and seconds."""
    prefix = workdir / f"{Path(scenario).stem}-stats"
    # the settings may name their own report folder; else one per scenario
    report_dir = Path(settings.get("COGNITO_REPORT_DIR", workdir / f"{Path(scenario).stem}-report"))
    command = [
        sys.executable, "-m", "locust", "-f", str(scenario_path(scenario)),
        "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
        "--stop-timeout", "5", "--csv", str(prefix), "--json-file", str(prefix), "--only-summary",
        *extra,
        *master_port_args(extra),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    env |= {"COGNITO_REPORT_DIR": str(report_dir)}
    done = subprocess.run(
        command,
        env=env | settings,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=seconds + 90,
        check=False,
    )
    output = done.stdout + done.stderr
    stats = _stats(prefix.with_name(prefix.name + "_stats.csv"))
    final = _final(prefix.with_name(prefix.name + ".json"))
    return LocustRun(done.returncode, output, stats, report_dir, final, users)


def _stats(path: Path) -> dict[tuple[str, str], Stat]:
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        return {
            (row["Type"], row["Name"]): Stat(int(row["Request Count"]), int(row["Failure Count"]))
            for row in csv.DictReader(handle)
        }


def _final(path: Path) -> dict[tuple[str, str], Stat]:
    """Locust's ``--json-file``: one entry per (type, name) that counted anything."""
    if not path.exists():
        return {}
    entries = json.loads(path.read_text())
    return {(e["method"], e["name"]): Stat(e["num_requests"], e["num_failures"]) for e in entries}
