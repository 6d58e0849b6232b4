"""Interrupted runs resume with nothing lost or duplicated; teardown deletes only synthetic users.

The interrupted runs are real subprocesses, sent SIGINT or SIGKILL once their identities file
holds some users (a bounded wait on the file, not a sleep).
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadtest.flows import Note, load_identities
from loadtest.provision.cli import main
from tests.conftest import App, PoolServer, StartPool, _env

from .helpers import lines, login_all, provision, target_args, usernames

pytestmark = pytest.mark.e2e

USERS = 40
WAIT_S = 60.0


def _start(
    server: PoolServer, app: App, path: Path, *, stderr: Path | None = None
) -> subprocess.Popen[str]:
    """The provision command as its own process, paced at Cognito's default quotas."""
    command = [
        sys.executable, "-m", "loadtest.provision.cli", "provision",
        "-n", str(USERS), "--identities", str(path), *target_args(server, app),
    ]  # fmt: skip
    with stderr.open("w") if stderr else contextlib.nullcontext(subprocess.PIPE) as err:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, env=_env())


def _await_lines(path: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and path.read_text().count("\n") >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never held {count} lines (exit {process.poll()})")


def _await_text(path: Path, text: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and process.poll() is None:
        if text in path.read_text():
            return
        time.sleep(0.01)
    raise AssertionError(f"{path} never said {text!r} (exit {process.poll()})")


def _assert_complete(server: PoolServer, app: App, path: Path, prefix: str) -> None:
    """Exactly USERS users, in the file and on the pool, none twice, every one logs in."""
    names = [entry["username"] for entry in lines(path)]
    assert len(names) == len(set(names)) == USERS
    assert sorted(usernames(server, app, prefix)) == sorted(names)
    results = login_all(server, app, load_identities(path))
    assert all(Note.DEVICE_AUTH in r.notes for r in results)


def test_sigint_finishes_in_flight_users_and_a_rerun_completes(
    pool_server: StartPool, tmp_path: Path
) -> None:
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL", device_tracking=True)
    path = tmp_path / "int.jsonl"
    process = _start(server, app, path)
    _await_lines(path, 8, process)

    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=WAIT_S)

    assert process.returncode == 130, err
    assert "interrupted" in out
    written = [entry["username"] for entry in lines(path)]
    assert len(written) < USERS
    assert sorted(usernames(server, app, "lt-int-")) == sorted(written)  # nothing half-made
    assert provision(server, app, path, USERS, "--no-rate-limits") == 0
    _assert_complete(server, app, path, "lt-int-")


def test_a_second_sigint_abandons_in_flight_users_and_leaves_the_file_whole(
    pool_server: StartPool, tmp_path: Path
) -> None:
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL", device_tracking=True)
    path, log = tmp_path / "twice.jsonl", tmp_path / "twice.err"
    process = _start(server, app, path, stderr=log)
    _await_lines(path, 4, process)

    process.send_signal(signal.SIGINT)
    _await_text(log, "interrupted: finishing", process)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=WAIT_S)

    assert process.returncode == 130
    assert "interrupted" in out
    assert len(lines(path)) < USERS  # every line whole JSON
    assert provision(server, app, path, USERS, "--no-rate-limits") == 0
    _assert_complete(server, app, path, "lt-twice-")


def test_sigkill_then_resume_recreates_half_made_users(
    pool_server: StartPool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL", device_tracking=True)
    path = tmp_path / "kill.jsonl"
    process = _start(server, app, path)
    _await_lines(path, 8, process)

    process.kill()
    process.communicate(timeout=WAIT_S)
    # A user that never reached the file but exists on the pool, with a password nobody knows,
    # and a last line cut short as a kill in the middle of a write would leave it.
    done = {entry["username"] for entry in lines(path)}
    on_pool = set(usernames(server, app, "lt-kill-"))
    owed = next(f"lt-kill-{i:05d}" for i in range(1, USERS + 1) if f"lt-kill-{i:05d}" not in done)
    if owed not in on_pool:
        server.add_user(app, owed, "Unknown-passw0rd!")
    with path.open("a") as handle:
        handle.write(json.dumps({"username": owed, "password": "x"})[:20])

    assert provision(server, app, path, USERS, "--no-rate-limits") == 0

    output = capsys.readouterr()
    assert "cut an incomplete last line" in output.err
    recreated = int(output.out.split(" half-made recreated")[0].rsplit(" ", 1)[1])
    assert recreated >= 1
    _assert_complete(server, app, path, "lt-kill-")


def test_teardown_removes_exactly_the_synthetic_users(
    pool_server: StartPool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL", device_tracking=True)
    quick = ("--no-totp", "--no-device", "--no-rate-limits")
    pages, small = tmp_path / "pages.jsonl", tmp_path / "small.jsonl"
    assert provision(server, app, pages, 70, *quick) == 0  # more than one ListUsers page
    assert provision(server, app, small, 5, *quick) == 0
    server.add_user(app, "alice")
    server.add_user(app, "lt-other-00001")
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text(small.read_text() + '{"username": "alice", "password": "Passw0rd!"}\n')
    teardown = ["teardown", *target_args(server, app)[:2], "--endpoint-url", server.url]

    assert main([*teardown, "--prefix", "alice"]) == 2
    assert main([*teardown, "--prefix", "lt"]) == 2
    assert main([*teardown, "--identities", str(foreign)]) == 2
    assert main([*teardown, "--prefix", "lt-pages-", "--dry-run"]) == 0
    assert len(usernames(server, app)) == 77  # nothing deleted by a refused command or dry run

    assert main([*teardown, "--prefix", "lt-pages-", "--no-rate-limits"]) == 0
    assert main([*teardown, "--identities", str(small)]) == 0

    assert sorted(usernames(server, app)) == ["alice", "lt-other-00001"]
    err = capsys.readouterr().err
    assert "'alice' does not start with 'lt-'" in err
    assert "without the synthetic prefix" in err
    assert "would delete 70 synthetic users" in err
    assert "lt-pages-00001, lt-pages-00002, lt-pages-00003, ... lt-pages-00070" in err
    assert main([*teardown, "--identities", str(small)]) == 0  # already gone is fine
    assert "5 already gone" in capsys.readouterr().out

    forced = [*teardown, "--force-non-synthetic"]
    assert main([*forced, "--prefix", "alice"]) == 2  # never a forced prefix
    assert "never every user with a prefix" in capsys.readouterr().err
    assert main([*forced, "--identities", str(foreign)]) == 0
    assert "deleting 6 listed users" in capsys.readouterr().err
    assert usernames(server, app) == ["lt-other-00001"]
