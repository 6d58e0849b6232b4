"""End to end: plain ``locust --headless`` with our locustfiles and no ``--run-time`` stops by
itself, as every load loop of this toolkit must. Locust alone would run it until interrupted
("No run time limit set, use CTRL+C to interrupt"); our init hook sets the longest run that
``cognito-loadtest run`` allows without ``--allow-above-max`` and says so once."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadtest.locust.cli import scenario_path

from .locust_runs import provision, target_env

pytestmark = pytest.mark.e2e

BOUND = "no --run-time given: this headless run stops by itself after 3600 s"
LOCUSTS_OWN = "Run time limit set to 3600 seconds"  # Locust's line: it will stop the run


def test_a_headless_run_without_a_run_time_stops_by_itself(
    pool_server: Callable[..., Any], tmp_path: Path
) -> None:
    pool = pool_server("--no-quotas")
    app = pool.provision()
    ids = tmp_path / "ids.jsonl"
    provision(pool, app, 2, ids, totp=False)
    command = [
        sys.executable, "-m", "locust", "-f", str(scenario_path("srp")), "--headless",
        "-u", "1", "-r", "1", "--only-summary",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    env |= target_env(pool, app, ids) | {"COGNITO_REPORT_DIR": str(tmp_path / "report")}
    process = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not any(LOCUSTS_OWN in line for line in lines):
            if select.select([process.stdout], [], [], 1.0)[0]:
                line = process.stdout.readline()
                if not line:  # it ended
                    break
                lines.append(line)
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    output = "".join(lines) + rest
    assert sum(BOUND in line for line in output.splitlines()) == 1, output[-3000:]
    assert LOCUSTS_OWN in output, output[-3000:]
    assert "No run time limit set" not in output
