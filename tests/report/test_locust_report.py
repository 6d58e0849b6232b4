"""End to end: real Locust runs against the local pool write the report.

A short run's events.jsonl and summary.json hold none of the identities' secrets and the
summary validates; a two-process run's master merges what its workers shipped into the same
figures the events give; a SIGKILLed run's events regenerate a valid summary.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from loadtest.flows import load_identities
from loadtest.locust.cli import scenario_path
from loadtest.report import read_events, schema, summary_from_events
from tests.e2e.locust_runs import provision, run_locust, target_env

pytestmark = pytest.mark.e2e


@pytest.fixture
def target(pool_server: Callable[..., Any], tmp_path: Path) -> Callable[..., dict[str, str]]:
    """A dedicated pool (real clock, quotas off) and an identities file; returns settings."""
    pool = pool_server("--no-quotas")

    def setup(count: int, **app_options: Any) -> dict[str, str]:
        app = pool.provision(secret=True, mfa="OPTIONAL", **app_options)
        identities = tmp_path / "identities.jsonl"
        provision(pool, app, count, identities, totp=True)
        return target_env(pool, app, identities) | {"COGNITO_REPORT_DIR": str(tmp_path / "run")}

    return setup


def secrets_of(settings: dict[str, str]) -> set[str]:
    """Every password, TOTP seed, device password and the client secret of a run."""
    found = {settings["COGNITO_CLIENT_SECRET"]}
    for identity in load_identities(settings["COGNITO_IDENTITIES"]):
        found |= {identity.password, identity.totp_secret or identity.password}
        if identity.device is not None:
            found.add(identity.device.device_password)
    return found


def test_a_run_writes_a_valid_report_with_no_secret_in_it(
    target: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    settings = target(12, device_tracking=True)
    run = run_locust("mix", settings, tmp_path, users=6, seconds=5)
    assert run.returncode == 0, run.output[-3000:]
    run_dir = tmp_path / "run"
    summary = json.loads((run_dir / "summary.json").read_text())
    jsonschema.validate(summary, schema())
    assert summary["flows"]["login:srp_totp"]["count"] > 0
    assert summary["validity"]["loop_lag_ms"]["count"] > 0
    assert summary["run"]["target"]["pool_id"] == settings["COGNITO_POOL_ID"]
    pool = summary["run"]["pool"]["settings"]  # the local pool's, from GET /_pool/settings
    assert pool["lockout"]["threshold"] == 5
    assert pool["quotas"]["enabled"] is False  # the target fixture's --no-quotas
    assert pool["pool"]["mfa"] == "OPTIONAL"
    assert pool["pool"]["device_tracking"] is True
    assert pool["client"]["confidential"] is True
    logins = [e for e in read_events(run_dir / "events.jsonl") if e["event"] == "login"]
    cut = [e for e in logins if e["outcome"] == "stopped"]  # the stop's kill: counted apart
    assert sum(row["count"] for row in summary["flows"].values()) == len(logins) - len(cut)
    assert summary["stopped"]["logins"] == len(cut)
    written = "".join(path.read_text() for path in [*run_dir.iterdir(), *tmp_path.glob("*.csv")])
    for secret in secrets_of(settings):
        assert secret not in written

    # a second run into the same folder would mix its events into the first's: refused
    before = {path.name: path.read_bytes() for path in run_dir.iterdir()}
    again = run_locust("mix", settings, tmp_path, users=2, seconds=2)
    assert again.returncode == 2, again.output[-3000:]
    [line] = [line for line in again.output.splitlines() if "already holds" in line]
    assert f"cognito: the report folder {run_dir} already holds a run's events" in line
    assert "Traceback" not in again.output
    assert {path.name: path.read_bytes() for path in run_dir.iterdir()} == before


@pytest.mark.serial  # failed twice beside 3 other workers (SLO verdict missing), never alone
def test_two_processes_merge_at_the_master_which_checks_the_slos(
    target: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    settings = target(8)
    slos = ("--cognito-slo", "login:srp_totp p99<60s", "--cognito-slo", "failure_rate>=50%")
    extra = ("--processes", "2", *slos)
    run = run_locust("srp_totp", settings, tmp_path, users=4, seconds=5, extra=extra)
    assert run.returncode == 1, run.output[-3000:]  # the SLO that cannot hold sets it
    assert "PASS login:srp_totp p99<60s" in run.output
    assert "FAIL failure_rate>=50%" in run.output
    run_dir = tmp_path / "run"
    live = json.loads((run_dir / "summary.json").read_text())
    jsonschema.validate(live, schema())
    from_events = summary_from_events(run_dir)
    processes = {p["process"] for p in live["validity"]["processes"]}
    assert processes == {"worker-0", "worker-1"}, run.output[-3000:]
    assert from_events["run"]["unfinished"] == []  # the master and each worker ended
    for section in ("flows", "requests", "server_time", "client_compute"):
        for name, row in from_events[section].items():
            for key in ("count", "p50", "p90", "p99", "p99_9", "max"):
                assert live[section][name][key] == row[key], (section, name, key)


def test_a_killed_run_regenerates_a_valid_summary(
    target: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    settings = target(6)
    run_dir = tmp_path / "run"
    command = [
        sys.executable, "-m", "locust", "-f", str(scenario_path("srp_totp")), "--headless",
        "-u", "3", "-r", "3", "-t", "60s", "--only-summary",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    log = (tmp_path / "locust.log").open("wb")
    process = subprocess.Popen(command, env=env | settings, cwd=tmp_path, stdout=log, stderr=log)
    try:
        _wait_for_logins(run_dir / "events.jsonl", process, 3)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        log.close()
    assert not (run_dir / "summary.json").exists()
    summary = summary_from_events(run_dir)
    jsonschema.validate(summary, schema())
    assert summary["source"] == "events.jsonl"
    pool = summary["run"]["pool"]["settings"]  # through the events' redaction, intact
    assert pool["client"]["confidential"] is True
    assert pool["pool"]["authenticator_app_mfa"] is True
    assert summary["flows"]["login:srp_totp"]["count"] >= 3
    assert summary["run"]["unfinished"] == ["local"]  # said by ``report`` and the page


def _wait_for_logins(path: Path, process: subprocess.Popen[bytes], count: int) -> None:
    """Follow the events file until ``count`` logins are in it (bounded by the run itself)."""
    seen = 0
    while seen < count and process.poll() is None:
        if not path.exists():
            select.select([], [], [], 0.05)
            continue
        with path.open() as handle:
            seen = sum('"event":"login"' in line for line in handle)
        select.select([], [], [], 0.05)
    assert seen >= count, (tmp_log(path), seen)


def tmp_log(path: Path) -> str:
    log = path.parent.parent / "locust.log"
    return log.read_text()[-3000:] if log.exists() else ""
