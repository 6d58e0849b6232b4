"""End to end: what an open-model run reports is what it measured, from the first arrival to
the SIGTERM that ends it (as ``capacity`` ends a ramp at a stop condition).

- Warm before the clock: the first arrivals take stocked ephemerals (the runtime, the
  fixed-base table and a full stock were built before the schedule started).
- A SIGTERM in the middle of the schedule: Locust fires ``quitting`` before it stops the
  users, and writing the summary then held the hub for about a second while the dispatcher
  kept its schedule; the arrivals it then started all at once queued for the maths threads,
  finished after ``events.jsonl`` was closed (printed by structlog's default logger,
  unredacted) and reached ``summary.json`` only, flagging a clean run. Now the load stops
  first: the summary counts exactly the logins ``events.jsonl`` holds, and no login line is
  printed.
- Warm-up arrivals (``--cognito-warmup``) are written, marked, and left out of the figures and
  the validity, which say how many were left out; validity counts the measured logins.
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from loadtest.report import schema
from tests.capacity.test_open_model import OPEN, logins_in, start_locust, wait_for_logins
from tests.e2e.locust_runs import provision, target_env

pytestmark = pytest.mark.e2e

RATE, SLOTS, WARMUP_S = 20, 10, 1.0


@pytest.fixture
def open_run(pool_server: Callable[..., Any], tmp_path: Path) -> Callable[..., Any]:
    """An open-model Locust run (no quotas, plain users) writing its report to ``tmp/run``."""
    pool = pool_server("--no-quotas")
    app = pool.provision(mfa="OPTIONAL")
    identities = tmp_path / "ids.jsonl"
    provision(pool, app, 2 * SLOTS, identities, totp=False)
    settings = target_env(pool, app, identities) | {"COGNITO_REPORT_DIR": str(tmp_path / "run")}

    def start(*args: str) -> Any:
        slots = ("-u", str(SLOTS), "-r", str(SLOTS), "-t", "60s")
        return start_locust(OPEN, settings, tmp_path, *slots, *args)

    return start


def test_a_sigterm_mid_schedule_reports_exactly_what_events_hold(
    open_run: Callable[..., Any], tmp_path: Path
) -> None:
    process = open_run("--cognito-stages", f"{RATE}:30s", "--cognito-warmup", f"{WARMUP_S:g}")
    try:
        wait_for_logins(tmp_path / "run", 4 * RATE, process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) in (0, 1)
    finally:
        process.kill() if process.poll() is None else None
    log = (tmp_path / "open_logins.log").read_text()
    assert "[info     ] login" not in log, "a login was printed after the report closed"

    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    jsonschema.validate(summary, schema())
    events = [e for e in logins_in(tmp_path / "run") if not e.get("view")]
    warm = [e for e in events if e.get("warmup")]
    measured = [e for e in events if not e.get("warmup") and e["outcome"] != "stopped"]
    cut = [e for e in events if not e.get("warmup") and e["outcome"] == "stopped"]
    assert warm, "the first second of arrivals is warm-up"
    assert all(e["due"] - e["t0"] < WARMUP_S for e in warm)
    assert all(e["due"] - e["t0"] >= WARMUP_S for e in measured + cut)
    # the first arrivals of the process took stocked ephemerals: warm before the clock
    first = sorted(events, key=lambda e: e["arrival"])[:SLOTS]
    for event in first:
        ephemeral = [s for s in event["steps"] if s.get("compute") == "ephemeral"]
        assert ephemeral, event
        assert ephemeral[0]["stocked"] is True, event
    # no load ran on after the report closed: Locust's final table (printed after its users
    # stopped) counts exactly the calls events.jsonl has
    table = log.split("Response time percentiles")[0]
    counted = re.findall(r"^\s+Aggregated\s+(\d+)\s", table, re.MULTILINE)
    assert [int(n) for n in counted] == [sum("label" in s for e in events for s in e["steps"])]
    # the summary presents the measured logins, all of them, and says what it left out
    assert sum(summary["outcomes"]["logins"].values()) == len(measured)
    assert summary["flows"]["login:srp"]["count"] == len(measured)
    validity = summary["validity"]
    assert validity["judged"] == {"logins": len(measured)}
    # (a login the stop cut short, none with --stop-timeout 5, would be left out and counted)
    assert validity["excluded"] == {"warmup": len(warm)} | ({"stopped": len(cut)} if cut else {})
    assert validity["stock"]["misses"] == 0  # its timing flags: the serial onset test's
    page = (tmp_path / "run" / "report.html").read_text()
    assert f"{len(warm)} warm-up logins" in page
