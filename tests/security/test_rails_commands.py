"""Every load command states its target and refuses an unconfirmed pool that is not local,
values above the hard maxima, and non-synthetic users, before it sends anything.

The remote endpoint used here (a TEST-NET address, RFC 5737) is never contacted: every refusal
comes before the first connection, which is what these tests show (no file is written, no
Locust process starts a user).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loadtest.cli import main
from loadtest.locust.cli import SCENARIO_DIR, locust_command
from loadtest.target.launch import free_port
from loadtest.target.options import CONFIRM_ENV

REMOTE = "http://192.0.2.10:9229/"  # TEST-NET-1: documentation only, never routed
POOL = "us-east-1_Prod0001"
TARGET = ["--pool-id", POOL, "--endpoint-url", REMOTE]


@pytest.fixture(autouse=True)
def _no_cognito_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("COGNITO_"):
            monkeypatch.delenv(name)


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command in-process; it must exit 2; returns its standard error."""
    assert main(list(argv)) == 2
    return capsys.readouterr().err


def identities(path: Path, *names: str) -> Path:
    path.write_text("".join(json.dumps({"username": n, "password": "x"}) + "\n" for n in names))
    return path


def test_run_states_the_target_and_needs_the_pool_id_confirmed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    remote = ["--cognito-pool-id", POOL, "--cognito-endpoint-url", REMOTE]
    err = refused(capsys, "run", "srp", *remote)
    assert f"target: endpoint {REMOTE} (NOT the local pool), region us-east-1, pool {POOL}" in err
    assert f"--confirm-pool-id {POOL}" in err
    err = refused(capsys, "run", "srp", *remote, "--confirm-pool-id", "us-east-1_Prod0002")
    assert "is not the target pool" in err


def test_run_above_a_maximum_needs_the_explicit_flag(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, "run", "srp", "-u", "5000", "-t", "2h")
    assert "--users 5000 is above the maximum 1000" in err
    assert "--run-time 7200 is above the maximum 3600" in err
    # allowed above the maximum, it still needs the remote pool confirmed
    err = refused(capsys, "run", "srp", "-u", "5000", "--allow-above-max",
                  "--cognito-pool-id", POOL, "--cognito-endpoint-url", "aws")  # fmt: skip
    assert "https://cognito-idp.us-east-1.amazonaws.com/" in err
    assert "--confirm-pool-id" in err


def test_sizes_passed_straight_to_locust_are_bounded_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = refused(capsys, "run", "srp", "--locust", "--only-summary", "-u", "2000", "-t", "9h")
    assert "--users 2000 is above the maximum 1000" in err
    assert "--run-time 32400 is above the maximum 3600" in err


def test_run_hands_the_confirmation_to_the_locust_child() -> None:
    from loadtest.cli import build_parser

    args = build_parser().parse_args(["run", "srp", "--confirm-pool-id", POOL])
    _, env = locust_command(args, {})
    assert env[CONFIRM_ENV] == POOL


def test_provision_and_teardown_refuse_an_unconfirmed_remote_pool(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ids = tmp_path / "ids.jsonl"
    err = refused(capsys, "provision", "-n", "3", "--identities", str(ids), "--client-id", "c1",
                  *TARGET)  # fmt: skip
    assert "NOT the local pool" in err
    assert f"--confirm-pool-id {POOL}" in err
    assert not ids.exists()
    err = refused(capsys, "teardown", "--prefix", "lt-x-", *TARGET, "--confirm-pool-id", "typo")
    assert "is not the target pool" in err


def test_provision_above_its_maxima_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ids = tmp_path / "ids.jsonl"
    err = refused(capsys, "provision", "-n", "20000", "--concurrency", "500",
                  "--identities", str(ids), "--pool-id", POOL, "--client-id", "c1")  # fmt: skip
    assert "--users 20000 is above the maximum 10000" in err
    assert "--concurrency 500 is above the maximum 64" in err
    assert not ids.exists()


def test_teardown_never_deletes_a_user_without_the_synthetic_prefix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ids = identities(tmp_path / "ids.jsonl", "lt-run-00001", "alice")
    err = refused(capsys, "teardown", "--identities", str(ids), "--pool-id", POOL)
    assert "(the local pool)" in err
    assert "'alice'" in err
    assert "refusing to delete any" in err
    err = refused(capsys, "teardown", "--prefix", "al", "--pool-id", POOL)
    assert "not synthetic" in err


def test_lockout_probe_refuses_real_users_remote_pools_and_too_many_users(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    local = ["--pool-id", POOL, "--client-id", "c1", "--reports", str(tmp_path / "r")]
    err = refused(capsys, "lockout-probe", *local, "--user", "alice")
    assert "--force-non-synthetic" in err or "--force-unsafe-username" in err
    assert "alice" in err
    err = refused(capsys, "lockout-probe", *local, "--user", "lt-a", "--endpoint-url", REMOTE)
    assert f"--confirm-pool-id {POOL}" in err
    many = identities(tmp_path / "ids.jsonl", *(f"lt-run-{i:05d}" for i in range(1, 31)))
    err = refused(capsys, "lockout-probe", *local, "--identities", str(many))
    assert "--count/--user 30 is above the maximum 20" in err
    assert not (tmp_path / "r").exists()


def test_a_probe_or_a_ramp_of_an_endpoint_that_does_not_answer_stops_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Nothing listens there: the lockout probe spent its whole time budget on refused
    connections and called the user inconclusive, and ``capacity`` printed the findings of a
    ramp whose Locust process had refused to start. Each now stops with one line, before
    anything is written."""
    port = free_port()
    down = ["--endpoint-url", f"http://127.0.0.1:{port}/", "--pool-id", POOL, "--client-id", "c1"]
    err = refused(capsys, "lockout-probe", *down, "--user", "lt-a", "--reports", str(tmp_path))
    assert err.splitlines()[-1] == (
        f"cognito-loadtest lockout-probe: endpoint http://127.0.0.1:{port}/ is unreachable: "
        "[Errno 111] Connection refused"
    )
    ids = identities(tmp_path / "ids.jsonl", "lt-a-00001")
    err = refused(
        capsys, "capacity", *down, "--cognito-identities", str(ids), "--reports", str(tmp_path)
    )
    assert err.splitlines()[-1].endswith(
        f"127.0.0.1:{port}/ is unreachable: [Errno 111] Connection refused"
    )
    assert not any(tmp_path.glob("*-*"))  # no probe folder, no ramp folder


def test_demo_above_its_maxima_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, "demo", "--users", "1000", "--run-time", "1h")
    assert "--users 1000 is above the maximum 100" in err
    assert "--run-time 3600 is above the maximum 600" in err


@pytest.mark.e2e
def test_a_locust_run_started_by_hand_needs_the_confirmation_too(tmp_path: Path) -> None:
    ids = identities(tmp_path / "ids.jsonl", "lt-run-00001")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    command = [
        sys.executable, "-m", "locust", "-f", str(SCENARIO_DIR / "srp.py"), "--headless",
        "-u", "1", "-t", "5s", "--cognito-pool-id", POOL, "--cognito-client-id", "c1",
        "--cognito-endpoint-url", REMOTE, "--cognito-identities", str(ids),
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"target: endpoint {REMOTE} (NOT the local pool)" in done.stderr
    assert f"--confirm-pool-id {POOL}" in done.stderr
    assert "Ramping to" not in done.stderr  # no user was started
    wrong = subprocess.run(
        [*command, "--cognito-confirm-pool-id", "us-east-1_Prod0002"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert wrong.returncode == 2
    assert "is not the target pool" in wrong.stderr
