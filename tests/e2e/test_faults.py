"""The load generator under injected faults: Locust runs of our users against a local pool that
answers with throttles, 5xx and dropped connections (and adds latency), or stalls.

Each run must finish by itself; every fault must be counted under its own outcome (throttled,
server_error, transport), never as a success nor as an uncaught exception; and the run's
report (events.jsonl, summary.json, report.html) must be complete and agree with Locust's own
statistics. The users are provisioned on a clean pool, which is then restarted on the same state
with the faults, so provisioning itself never meets them.
"""

from __future__ import annotations

import asyncio
import csv
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from loadtest.flows.outcomes import Outcome, classify
from loadtest.protocol import errors
from loadtest.provision import ProvisionSettings, provision
from loadtest.report.summary import schema
from loadtest.target.config import TargetConfig
from loadtest.target.launch import create_app
from tests.security.scan import files, identity_secrets, pool_secrets, scan

from .locust_runs import LocustRun, run_locust

pytestmark = pytest.mark.e2e

#: What each injected fault looks like in a report, and the outcome it must be counted under.
FAULT_OUTCOMES = {
    "TooManyRequestsException": "throttled",
    "InternalErrorException": "server_error",
    "ServiceUnavailableException": "server_error",
    "ConnectionFailed": "transport",
}
FAULTS = (
    "--fault", "latency:1-20ms@0.3", "--fault", "throttle@0.15", "--fault", "5xx@0.15",
    "--fault", "503@0.15", "--fault", "drop@0.15",
)  # fmt: skip


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (errors.InternalError("Injected fault."), Outcome.SERVER_ERROR),
        (errors.ServiceUnavailable("Injected fault."), Outcome.SERVER_ERROR),
        (errors.TooManyRequests(errors.Messages.RATE_EXCEEDED), Outcome.THROTTLED),
        (errors.ConnectionFailed("HTTPConnectionClosed"), Outcome.TRANSPORT),
        (errors.NotAuthorized(errors.Messages.INCORRECT_PASSWORD), Outcome.REJECTED),
    ],
)
def test_a_server_fault_is_its_own_outcome(error: Exception, outcome: Outcome) -> None:
    assert classify(error) is outcome


Start = Callable[..., Any]


def faulty_target(pool_server: Start, tmp_path: Path, *faults: str) -> dict[str, str]:
    """Identities made by the provisioning job (password, TOTP, remembered device) on a clean
    pool, then the pool restarted on that state with ``faults``."""
    state = tmp_path / "pool.sqlite3"
    clean = pool_server("--no-quotas", state=state)
    app = create_app(clean.url, name="faults")
    identities = tmp_path / "identities.jsonl"
    target = TargetConfig.from_settings(app.settings())
    job = ProvisionSettings(target=target, users=16, identities=identities, run="faults")
    assert asyncio.run(provision(job)).complete
    clean.stop()
    faulty = pool_server("--no-quotas", *faults, state=state)
    return {
        "COGNITO_POOL_ID": app.pool_id,
        "COGNITO_CLIENT_ID": app.client_id,
        "COGNITO_ENDPOINT_URL": faulty.url,
        "COGNITO_IDENTITIES": str(identities),
        "COGNITO_REPORT_DIR": str(tmp_path / "report"),
    }


def read_report(folder: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    summary = json.loads((folder / "summary.json").read_text())
    jsonschema.validate(summary, schema())
    assert (folder / "report.html").stat().st_size > 0
    return [e for e in events if e.get("event") == "login"], summary


def uncaught_exceptions(run_dir: Path, scenario: str) -> list[dict[str, str]]:
    with (run_dir / f"{scenario}-stats_exceptions.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_fault_is_counted_under_its_own_outcome_and_the_reports_agree(
    pool_server: Start, tmp_path: Path
) -> None:
    settings = faulty_target(pool_server, tmp_path, *FAULTS)
    users = 6
    run = run_locust("mix", settings, tmp_path, users=users, seconds=10)
    assert run.returncode == 1, run.output[-3000:]  # Locust's exit code when requests failed
    assert uncaught_exceptions(tmp_path, "mix") == []  # no fault escaped the users uncounted
    logins, summary = read_report(tmp_path / "report")

    calls = summary["outcomes"]["calls"]
    for outcome in ("ok", "throttled", "server_error", "transport"):
        assert calls.get(outcome, 0) > 0, calls
    assert set(summary["errors"]) == set(FAULT_OUTCOMES), summary["errors"]
    assert_logins_agree_with_their_steps(logins, users)
    assert_summary_agrees_with_locust(summary, run)
    html = (tmp_path / "report" / "report.html").read_text()
    assert "server_error" in html
    assert "transport" in html
    assert_no_secret_in_the_outputs(tmp_path, run)


def assert_no_secret_in_the_outputs(tmp_path: Path, run: LocustRun) -> None:
    """Failed calls and logins leak nothing either: error messages, Locust's CSVs, the report."""
    (tmp_path / "locust-output.txt").write_text(run.output)
    identities = [
        json.loads(line) for line in (tmp_path / "identities.jsonl").read_text().splitlines()
    ]
    secrets = identity_secrets(identities) | pool_secrets(tmp_path / "pool.sqlite3")
    outputs = [*files(tmp_path / "report"), *tmp_path.glob("*.csv"), tmp_path / "locust-output.txt"]
    assert scan(outputs, secrets, set()) == []


def assert_logins_agree_with_their_steps(logins: list[dict[str, Any]], users: int) -> None:
    """A login is ok only if every call was; a failed one ends on its failed call's outcome.

    The run's end may cut a login short between two calls that both succeeded (each user is
    in the middle of one when Locust stops it): such a login is ``stopped``, at most one per
    user, and its finished calls are all ok (a failed call would have ended it first).
    """
    seen: Counter[str] = Counter()
    stopped = 0
    assert logins
    for login in logins:
        steps = [s for s in login["steps"] if "label" in s]
        for step in steps:
            if step["outcome"] != "ok":
                assert FAULT_OUTCOMES[step["error_type"]] == step["outcome"], step
                seen[step["error_type"]] += 1
        failed = [s for s in steps if s["outcome"] != "ok"]
        if failed:
            assert login["outcome"] == failed[-1]["outcome"], login
            assert login["error_type"] == failed[-1]["error_type"], login
        elif login["outcome"] == "stopped":
            assert login["error_type"] == "LoginStopped", login
            stopped += 1
        else:
            assert login["outcome"] == "ok", login
    assert stopped <= users, stopped
    assert set(seen) == set(FAULT_OUTCOMES), seen


def assert_summary_agrees_with_locust(summary: dict[str, Any], run: LocustRun) -> None:
    """Every call Locust counted is in the summary, its failures the non-ok outcomes: exactly.

    Both count the same request events, and both take their last figures after the users
    stopped (the summary at ``quitting``, Locust's ``--json-file`` at exit). A login the stop
    cut short used to leave its finished calls in Locust's counts only (seen once in a
    clean-clone run: 50 InitiateAuth against 49); it is now recorded as ``stopped``.
    """
    cognito = {name: stat for (kind, name), stat in run.final.items() if kind == "cognito"}
    assert set(summary["requests"]) == set(cognito), (sorted(summary["requests"]), cognito)
    for name, stat in cognito.items():
        row = summary["requests"][name]
        assert row["count"] == stat.requests, (name, row["count"], stat)
        failed = sum(n for outcome, n in row["outcomes"].items() if outcome != "ok")
        assert failed == stat.failures, (name, row["outcomes"], stat)
    # whole logins are not Locust requests (its totals count API calls only): the summary's
    # login outcomes must be the canonical login events the run wrote, outcome by outcome,
    # and the logins the stop cut short counted apart
    written = Counter(event["outcome"] for event in run.login_events(stopped=True))
    cut = written.pop("stopped", 0)
    assert sum(written.values()) > 0
    assert summary["outcomes"]["logins"] == dict(written)
    assert summary["stopped"]["logins"] == cut


def stall_once_logins_run(pool_url: str, events: Path, seconds: float) -> threading.Thread:
    """Stall every answer for ``seconds`` once the run has logged a login (bounded wait)."""
    import urllib.request

    def stall() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if events.is_file() and '"event":"login"' in events.read_text():
                break
            time.sleep(0.2)
        body = json.dumps({"seconds": seconds}).encode()
        request = urllib.request.Request(pool_url + "/_pool/stall", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    thread = threading.Thread(target=stall, daemon=True)
    thread.start()
    return thread


def test_a_run_whose_pool_stalls_past_its_end_still_finishes_and_reports(
    pool_server: Start, tmp_path: Path
) -> None:
    settings = faulty_target(pool_server, tmp_path)
    # the stall outlasts the run (6 s) and Locust's stop timeout (5 s): users are stuck in calls
    stalling = stall_once_logins_run(
        settings["COGNITO_ENDPOINT_URL"], tmp_path / "report" / "events.jsonl", 25
    )
    run = run_locust("srp", settings, tmp_path, users=4, seconds=6)
    stalling.join(timeout=60)
    assert not stalling.is_alive()
    assert run.returncode == 0, run.output[-3000:]  # held answers are not failures
    assert "Not all users finished their tasks" in run.output  # they were stuck in the stall
    assert uncaught_exceptions(tmp_path, "srp") == []
    logins, summary = read_report(tmp_path / "report")
    # the users in a login held by the stall when the stop timeout ran out (each of the 4 once
    # the stall began): recorded as stopped with the calls they had finished, the others ok
    stopped = [e for e in logins if e["outcome"] == "stopped"]
    assert 1 <= len(stopped) <= 4, logins
    assert summary["outcomes"]["logins"].get("ok", 0) == len(logins) - len(stopped) > 0
    assert summary["stopped"]["logins"] == len(stopped)
    assert_summary_agrees_with_locust(summary, run)
    assert run.count("login", "login:srp") == 0  # whole logins are not Locust requests
