"""``pool serve --bootstrap DIR``: a pool ready for plain ``locust --config``, reused on restart.

Everything real: the pool as a child process on a free loopback port, provisioned over HTTP,
then Locust started with nothing but the written config file, from an empty folder.
"""

from __future__ import annotations

import csv
import json
import re
import selectors
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from loadtest.bootstrap import CAPTCHA_TRIGGERS, _child_options, groups, read_conf
from loadtest.cli import build_parser
from loadtest.target.launch import local_admin_client
from loadtest.target.scenarios import scenario_path

BIN = Path(sys.executable).parent
_READY = 120.0
#: Users of each kind: more TOTP users than the first run's logins can use in one step.
USERS = 12


@contextmanager
def _bootstrapped(
    folder: Path, users: int, *extra: str, said: list[str] | None = None
) -> Iterator[str]:
    """``pool serve --port 0 --bootstrap folder``, until the block ends; its URL (and what it
    printed on stderr, appended to ``said``)."""
    command = [
        sys.executable, "-m", "loadtest.cli", "pool", "serve", "--port", "0",
        "--bootstrap", str(folder), "--users", str(users), *extra,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield _ready_url(process)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert "Traceback" not in err
        if said is not None:
            said.append(err)


def _ready_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(_READY), "no readiness line"
        line = process.stdout.readline()
    assert line.startswith("listening http://127.0.0.1:"), process.communicate(timeout=30)
    return line.split()[1]


def _rows(conf: Path, cwd: Path, *extra: str) -> tuple[dict[tuple[str, str], dict[str, str]], str]:
    """Plain Locust with the written config (and ``extra``); its stats rows and its log.

    The counts are Locust's last ones, from its ``--json-file`` (written at exit): its CSV is
    rewritten once a second, so a short run's last second could be missing from it."""
    command = [
        str(BIN / "locust"), "--config", str(conf), "--headless", "-u", "5", "-r", "5",
        "-t", "10s", "--csv", "run", "--json-file", "run", "--only-summary", *extra,
    ]  # fmt: skip
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    with (cwd / "run_stats.csv").open() as handle:
        rows = {(r["Type"], r["Name"]): r for r in csv.DictReader(handle)}
    for entry in json.loads((cwd / "run.json").read_text()):
        row = rows.setdefault((entry["method"], entry["name"]), {})
        row["Request Count"] = str(entry["num_requests"])
        row["Failure Count"] = str(entry["num_failures"])
    return rows, result.stderr


def _locust(
    conf: Path, cwd: Path, *extra: str
) -> tuple[dict[tuple[str, str], dict[str, str]], int]:
    """Plain Locust with the written config only; its stats rows and the logins it counted."""
    rows, stderr = _rows(conf, cwd, *extra)
    result = subprocess.CompletedProcess([], 0, "", stderr)
    counted = re.search(r"logins: ok=(\d+)(.*)", result.stderr)
    assert counted is not None, result.stderr[-3000:]
    assert "failed" not in counted.group(2)
    return rows, int(counted.group(1))


@pytest.mark.e2e
def test_bootstrap_then_plain_locust_and_a_restart_reuses_the_pool(tmp_path: Path) -> None:
    folder, empty = tmp_path / "pool", tmp_path / "empty"
    empty.mkdir()
    with _bootstrapped(folder, USERS) as url:
        conf = read_conf(folder / "locust.conf")
        assert conf["cognito-endpoint-url"] == url
        assert Path(conf["locustfile"]).name == "srp_totp.py"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / "identities.jsonl").stat().st_mode) == 0o600
        # a few logins, so some TOTP users keep this 30 s step's code for managed login: the
        # next run knows which codes this one used (identities.jsonl.learned)
        rows, logins = _locust(folder / "locust.conf", empty, "-u", "2", "-t", "4s")
        hosted = (("managed_login", "POST /mfa", "ManagedLoginUser"),)
        for scenario, step, user in hosted:  # the domain is in the conf: plain locust -f FILE
            extra = ("-f", str(scenario_path(scenario)), "-t", "8s", user)
            stats, log = _rows(folder / "locust.conf", empty, *extra)
            counted = int(stats.get(("cognito", step), {}).get("Request Count", 0))
            assert counted > 0, (scenario, sorted(stats), log[-2000:])
            assert all(int(r["Failure Count"]) == 0 for r in stats.values()), scenario
    assert logins > 0
    assert int(rows[("cognito", "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA")]["Request Count"]) > 0
    assert all(int(r["Failure Count"]) == 0 for r in rows.values())
    first = read_conf(folder / "locust.conf")
    usernames = _usernames(folder / "identities.jsonl")
    assert len(usernames) == USERS * len(groups())  # every kind of user, joined in one file
    for group in groups():
        assert _usernames(folder / "users" / f"{group.run}.jsonl") == [
            u for u in usernames if u.startswith(f"lt-{group.run}-0")
        ]

    said: list[str] = []
    with _bootstrapped(folder, USERS, said=said) as url:
        again = read_conf(folder / "locust.conf")
        idp = local_admin_client(url)
        listed = idp.list_users(UserPoolId=again["cognito-pool-id"], Limit=60)["Users"]
        # the other commands take the same file: a short lockout probe of its first user (a
        # TOTP user whose codes the runs above spent: the probe takes fresh ones)
        probe = subprocess.run(
            [str(BIN / "cognito-loadtest"), "lockout-probe", "--count", "1", "--failures", "5",
             "--no-success-reset", "--config", str(folder / "locust.conf")],
            cwd=empty, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert probe.returncode == 0, probe.stdout[-2000:] + probe.stderr[-2000:]
    assert "-> match (finished)" in probe.stdout
    assert f"lockout-probe --count 3 --failures 8 --config {folder}/locust.conf" in said[0]
    assert (again["cognito-pool-id"], again["cognito-client-id"]) == (
        first["cognito-pool-id"],
        first["cognito-client-id"],
    )
    domain_keys = ("cognito-oauth-client-id", "cognito-m2m-client-id")
    assert [again[k] for k in domain_keys] == [first[k] for k in domain_keys]
    prefix = first["cognito-domain-url"].rsplit("/", 1)[-1]  # the same domain, at the new port
    assert again["cognito-domain-url"] == f"{url.rstrip('/')}/domain/{prefix}"
    assert _usernames(folder / "identities.jsonl") == usernames
    assert sorted(u["Username"] for u in listed) == sorted(usernames)


def _usernames(path: Path) -> list[str]:
    return [json.loads(line)["username"] for line in path.read_text().splitlines()]


@pytest.mark.e2e
def test_a_pool_that_answers_nothing_stops_the_bootstrap_with_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "pool"
    command = [
        sys.executable, "-m", "loadtest.cli", "pool", "serve", "--port", "0",
        "--bootstrap", str(folder), "--fault", "drop@1",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert result.stdout == ""  # never announced ready
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("cognito-loadtest pool serve --bootstrap: step '2. User pool and app")
    assert f"(read {folder.resolve() / 'errors.log'})" in last
    assert not (folder / "locust.conf").exists()
    assert not (folder / "identities.jsonl").exists()


def test_the_child_server_gets_every_server_option_given_and_no_bootstrap_option() -> None:
    args = build_parser().parse_args(
        ["pool", "serve", "--bootstrap", "d", "--users", "3", "--state", "s.db",
         "--time-scale", "0.5", "--fault", "drop@0.1", "--fault", "latency:5ms",
         "--no-quotas", "--workers", "2"]
    )  # fmt: skip
    assert _child_options(args) == [
        "--port", "9229", "--workers", "2", "--time-scale", "0.5", "--no-quotas",
        "--fault", "drop@0.1", "--fault", "latency:5ms", *CAPTCHA_TRIGGERS,
    ]  # fmt: skip


def test_the_child_server_runs_the_example_triggers_unless_given_its_own() -> None:
    mine = "define_auth_challenge=my.triggers:define"
    args = build_parser().parse_args(["pool", "serve", "--bootstrap", "d", "--trigger", mine])
    assert _child_options(args) == ["--port", "9229", "--trigger", mine]
    plain = _child_options(build_parser().parse_args(["pool", "serve", "--bootstrap", "d"]))
    assert plain[2:] == list(CAPTCHA_TRIGGERS)
    assert all(spec.split("=")[1].startswith("loadtest.scenarios.triggers.captcha:")
               for spec in CAPTCHA_TRIGGERS[1::2])  # fmt: skip


@pytest.mark.e2e
def test_a_busy_port_stops_the_bootstrap_with_the_servers_own_reason(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        command = [
            sys.executable, "-m", "loadtest.cli", "pool", "serve", "--port", str(port),
            "--bootstrap", str(tmp_path / "pool"),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("cognito-loadtest pool serve --bootstrap: step '1. Local pool' failed:")
    assert f"127.0.0.1:{port} is in use (another pool serve?): --port N serves on another" in last
    assert last.endswith(f"(read {tmp_path.resolve() / 'pool' / 'pool.log'})")
