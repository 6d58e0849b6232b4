"""Every ready scenario runs, as it is, on one pool made by ``pool serve --bootstrap``.

One bootstrap pool (a real child process on loopback) serves every run. Each scenario runs
through ``cognito-loadtest run NAME --locust --config DIR/locust.conf``, the command a
newcomer types, with a share of the bootstrap's identities holding one user of each kind
(``--cognito-identities``), so the runs can go four at a time without sharing a TOTP step, a
passkey counter or a password; every share holds every kind, so each class must find its own
by the catalogue's rule. Each run must end with exit code 0, at least one successful login
and no failure at all. The pool runs without quotas: the scenarios' own throttling is not
what is tested here (``client_credentials`` hammers the token endpoint by design).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from loadtest.bootstrap import ROTATION_CLIENT, groups, read_conf
from loadtest.target.launch import local_admin_client
from loadtest.target.scenarios import SCENARIOS

from .locust_runs import Stat, _stats

pytestmark = pytest.mark.e2e

#: One user of each kind per scenario, and one for each test of unfit identities.
USERS = len(SCENARIOS) + 2
SECONDS = 6
PARALLEL = 4


@dataclass(frozen=True, slots=True)
class Pool:
    """The running bootstrap: its folder, its locust.conf and its rotation client."""

    folder: Path
    conf: Path
    rotation_client: str


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    folder = tmp_path_factory.mktemp("every") / "mypool"
    command = [
        sys.executable, "-m", "loadtest.cli", "pool", "serve", "--port", "0", "--no-quotas",
        "--bootstrap", str(folder), "--users", str(USERS),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        line = process.stdout.readline()  # the readiness line ends the bootstrap's output
        assert line.startswith("listening http://127.0.0.1:"), process.communicate(timeout=30)
        conf = folder / "locust.conf"
        settings = read_conf(conf)
        idp = local_admin_client(line.split()[1])
        clients = idp.list_user_pool_clients(UserPoolId=settings["cognito-pool-id"])
        rotation = [
            c["ClientId"] for c in clients["UserPoolClients"] if c["ClientName"] == ROTATION_CLIENT
        ]
        yield Pool(folder=folder, conf=conf, rotation_client=rotation[0])
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert all(name in err for name in SCENARIOS), err  # it lists every scenario


def shares(pool: Pool) -> dict[str, Path]:
    """A file per scenario with one user of each kind (the n-th of each kind's file)."""
    kinds = [(pool.folder / "users" / f"{g.run}.jsonl").read_text().splitlines() for g in groups()]
    made = {}
    for index, scenario in enumerate(SCENARIOS):
        share = pool.folder / f"share-{scenario}.jsonl"
        fd = os.open(share, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as handle:
            handle.writelines(lines[index] + "\n" for lines in kinds)
        made[scenario] = share
    return made


@dataclass(frozen=True, slots=True)
class Ran:
    """One scenario's run: exit code, output tail, Locust's rows and the report's logins."""

    returncode: int
    output: str
    stats: dict[tuple[str, str], Stat]
    logins: dict[str, dict[str, int]]

    @property
    def ok(self) -> int:
        return sum(outcomes.get("ok", 0) for outcomes in self.logins.values())

    @property
    def failed(self) -> dict[str, int]:
        rows = {f"{k[0]} {k[1]}": s.failures for k, s in self.stats.items() if s.failures}
        logins = {f"{flow} {o}": n for flow, c in self.logins.items() for o, n in c.items()}
        return rows | {k: n for k, n in logins.items() if not k.endswith(" ok") and n}


def run(pool: Pool, scenario: str, identities: Path) -> Ran:
    """``cognito-loadtest run SCENARIO --locust --config DIR/locust.conf``, bounded."""
    work = pool.folder.parent / f"{scenario}-{identities.stem}"
    work.mkdir()
    client = ("--client-id", pool.rotation_client) if scenario == "refresh_rotation" else ()
    command = [
        sys.executable, "-m", "loadtest.cli", "run", scenario, "-u", "3", "-r", "3",
        "-t", f"{SECONDS}s", "--csv", str(work / "run"), *client, "--locust",
        "--config", str(pool.conf), "--cognito-identities", str(identities),
        "--stop-timeout", "5", "--only-summary",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    env["COGNITO_REPORT_DIR"] = str(work / "report")
    done = subprocess.run(
        command, env=env, cwd=work, capture_output=True, text=True, timeout=120, check=False
    )
    summary = work / "report" / "summary.json"
    flows = json.loads(summary.read_text())["flows"] if summary.exists() else {}
    logins = {name: dict(row["outcomes"]) for name, row in flows.items()}
    output = done.stdout + done.stderr
    return Ran(done.returncode, output, _stats(work / "run_stats.csv"), logins)


def test_every_ready_scenario_signs_in_on_one_bootstrap_pool(pool: Pool) -> None:
    files = shares(pool)
    with ThreadPoolExecutor(max_workers=PARALLEL) as runs:
        futures = {s: runs.submit(run, pool, s, files[s]) for s in SCENARIOS}
        ran = {scenario: future.result() for scenario, future in futures.items()}
    problems = {
        scenario: (r.returncode, r.ok, r.failed, r.output[-3000:])
        for scenario, r in ran.items()
        if r.returncode != 0 or r.ok < 1 or r.failed
    }
    assert not problems, "\n\n".join(f"{s}: {p}" for s, p in problems.items())


def kind_line(pool: Pool, run: str, index: int) -> dict[str, Any]:
    """The ``index``-th user of one kind, as its identities-file object."""
    lines = (pool.folder / "users" / f"{run}.jsonl").read_text().splitlines()
    loaded: dict[str, Any] = json.loads(lines[index])
    return loaded


def identities_file(pool: Pool, name: str, *users: dict[str, Any]) -> Path:
    path = pool.folder / f"{name}.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(u) + "\n" for u in users)
    return path


def test_identities_that_fit_no_class_stop_the_run_with_one_line(pool: Pool) -> None:
    totp_only = identities_file(pool, "totp-only", kind_line(pool, "boot", -1))
    ran = run(pool, "passkey", totp_only)
    assert ran.returncode != 0
    assert "Traceback" not in ran.output
    assert "no identity to lease" not in ran.output
    [line] = [line for line in ran.output.splitlines() if "fits no identity" in line]
    assert "UserAuthPasskeyUser (user_auth_passkey) fits no identity in" in line
    assert "it needs a passkey" in line
    assert "cognito-loadtest provision -n 10" in line
    assert "--passkeys" in line
    assert ran.stats == {}  # it stopped before any request


def test_a_class_no_identity_fits_is_named_once_and_the_others_run(pool: Pool) -> None:
    no_passkey = kind_line(pool, "boot-ua", -2)
    del no_passkey["passkey"]
    path = identities_file(pool, "no-passkey", no_passkey)
    ran = run(pool, "user_auth", path)
    warned = [line for line in ran.output.splitlines() if "fits no identity" in line]
    assert len(warned) == 1, ran.output
    assert "UserAuthPasskeyUser" in warned[0]
    assert "no identity to lease" not in ran.output
    assert ran.returncode == 0, ran.output
    assert ran.ok >= 1
    assert "login:user_auth_passkey" not in ran.logins
