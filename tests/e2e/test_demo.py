"""The main job (``make demo``), short and bounded: pool, users, a Locust run, a lockout probe."""

from __future__ import annotations

import csv
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.e2e
def test_demo_runs_end_to_end_and_keeps_secrets_out_of_the_report(tmp_path: Path) -> None:
    reports, private = tmp_path / "reports", tmp_path / "private"
    result = subprocess.run(
        [
            sys.executable, "-m", "loadtest.cli", "demo", "--skip-bench",
            "--reports", str(reports), "--private", str(private),
            "--identities", "9", "--users", "3", "--run-time", "6s",
            "--probe-users", "1", "--probe-failures", "8",
        ],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = reports.iterdir()
    assert result.stdout.strip().endswith(str(run_dir / "report.html"))
    run_summary = json.loads((run_dir / "summary.json").read_text())
    assert run_summary["lockout_probe"]["verdict"] == "match"
    # the ending states the load step's verdict, as its page's banner does
    ending = result.stdout.strip().splitlines()[-2]
    assert ending.startswith("demo finished (exit code 0); latencies ")
    assert ending.endswith("; the report:")
    trusted = run_summary["validity"]["trustworthy"]
    assert ("latencies trustworthy (" in ending) is trusted, ending
    # -u 3 of the mix: Locust's weighted dispatch starts the three heaviest classes, one each
    assert {"login:srp_totp", "login:device", "login:srp"} <= set(run_summary["flows"])

    with (run_dir / "locust_stats.csv").open() as handle:
        rows = {(r["Type"], r["Name"]): r for r in csv.DictReader(handle)}
    verifier = rows[("cognito", "RespondToAuthChallenge:PASSWORD_VERIFIER")]
    assert int(verifier["Request Count"]) > 0
    assert all(int(r["Failure Count"]) == 0 for r in rows.values())

    summary = json.loads((run_dir / "lockout-summary.json").read_text())
    assert summary["verdict"] == "match"
    assert (run_dir / "lockout-events.jsonl").stat().st_size > 0

    (private_run,) = private.iterdir()
    ids_file = private_run / "identities.jsonl"
    assert stat.S_IMODE(ids_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(private_run.stat().st_mode) == 0o700
    identities = [json.loads(line) for line in ids_file.read_text().splitlines()]
    assert len(identities) == 9
    assert all(i.get("totp_secret") and i.get("device_key") for i in identities)
    secret_keys = ("password", "totp_secret", "device_password")
    secrets = {i[key] for i in identities for key in secret_keys if i.get(key)}
    for path in run_dir.rglob("*"):
        text = path.read_text(errors="replace")
        assert not [s for s in secrets if s in text], f"a secret leaked into {path}"


@pytest.mark.e2e
def test_a_failing_step_stops_the_demo_with_one_line_and_runs_nothing_after(
    tmp_path: Path,
) -> None:
    reports, private = tmp_path / "reports", tmp_path / "private"
    broken = tmp_path / "broken.py"
    broken.write_text("raise ImportError('this scenario cannot load')\n")
    result = subprocess.run(
        [
            sys.executable, "-m", "loadtest.cli", "demo", "--skip-bench",
            "--reports", str(reports), "--private", str(private),
            "--identities", "3", "--users", "2", "--run-time", "4s",
            "--scenario", str(broken), "--probe-users", "1",
        ],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    (run_dir,) = reports.iterdir()
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("cognito-loadtest demo: step '4. Load: ")
    assert "failed: locust exited with code 1, without locust_stats.csv" in last
    assert last.endswith(f"(read {run_dir / 'locust.log'})")
    assert "cannot load" in (run_dir / "locust.log").read_text()
    # no later step ran on the missing output
    assert "== 5." not in result.stdout
    assert "== 6." not in result.stdout
    assert not (run_dir / "lockout-summary.json").exists()
    assert not (run_dir / "report.html").exists()
