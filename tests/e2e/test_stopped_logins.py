"""End to end: logins the end of a run cuts short are recorded, so the report's call totals are
Locust's.

Locust ends a run by killing its users' greenlets wherever they are (at once with its default
``--stop-timeout 0``; after the stop timeout otherwise), often in the middle of a login whose
first calls it has already counted. Such a login is written as ``stopped`` with the calls it
completed, before the report closes: the report's count of every call label is then exactly
Locust's, while the login itself (its time truncated) is in no latency figure and no login
outcome, only counted. The runs stall the pool's answers (``POST /_pool/stall``) once the first
logins are logged, so every user is in the middle of a login when the run ends, whatever the
machine's speed.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from loadtest.locust.cli import scenario_path
from loadtest.report import read_events, schema

from .locust_runs import Stat, _final, master_port_args, provision, target_env
from .test_faults import stall_once_logins_run

pytestmark = pytest.mark.e2e

INIT = "InitiateAuth:USER_SRP_AUTH"
PV = "RespondToAuthChallenge:PASSWORD_VERIFIER"
USERS = 4
#: Longer than any run here: a stalled call is still waiting when the run ends.
STALL_S = 40


Target = Callable[..., dict[str, str]]


@pytest.fixture
def target(pool_server: Callable[..., Any], tmp_path: Path) -> Target:
    """``target(*pool_args)``: a pool without quotas (and with ``pool_args``), plain users (no
    TOTP) and the report folder ``tmp/report``; the COGNITO_* settings."""

    def make(*pool_args: str) -> dict[str, str]:
        pool = pool_server("--no-quotas", *pool_args)
        app = pool.provision(secret=True, mfa="OFF")
        identities = tmp_path / "identities.jsonl"
        provision(pool, app, 2 * USERS, identities, totp=False)
        report = str(tmp_path / "report")
        return target_env(pool, app, identities) | {"COGNITO_REPORT_DIR": report}

    return make


def start(
    settings: dict[str, str], workdir: Path, *args: str, scenario: str = "srp"
) -> subprocess.Popen[bytes]:
    """``locust -f scenarios/<scenario>.py --headless`` with Locust's default stop timeout (0:
    users are killed at once), writing its final counts to ``locust.json``."""
    command = [
        sys.executable, "-m", "locust", "-f", str(scenario_path(scenario)), "--headless",
        "-u", str(USERS), "-r", str(USERS), "--only-summary", "--json-file", "locust", *args,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    with (workdir / "locust.log").open("w") as log:
        return subprocess.Popen(command, env=env | settings, cwd=workdir, stdout=log, stderr=log)


def finish(
    process: subprocess.Popen[bytes], workdir: Path, code: int = 0
) -> dict[tuple[str, str], Stat]:
    """Wait for Locust to exit (bounded) with exit code ``code``; its final counts."""
    try:
        assert process.wait(timeout=60) == code, (workdir / "locust.log").read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
    return _final(workdir / "locust.json")


def run_ended_by_its_run_time(target: Target, workdir: Path) -> dict[tuple[str, str], Stat]:
    """``-t 6s``, the pool stalling every answer once the run has logged a login: when the run
    time is up, every user is waiting for an answer."""
    settings = target()
    events = workdir / "report" / "events.jsonl"
    stalling = stall_once_logins_run(settings["COGNITO_ENDPOINT_URL"], events, STALL_S)
    process = start(settings, workdir, "-t", "6s")
    stalling.join(timeout=60)
    assert not stalling.is_alive()
    return finish(process, workdir)


def run_of_two_processes(target: Target, workdir: Path) -> dict[tuple[str, str], Stat]:
    """As :func:`run_ended_by_its_run_time`, over ``--processes 2``: each worker records the
    logins the stop cut in its own report, and ships them to the master before it is done."""
    settings = target()
    events = workdir / "report" / "events.jsonl"
    stalling = stall_once_logins_run(settings["COGNITO_ENDPOINT_URL"], events, STALL_S)
    extra = ("--processes", "2")
    process = start(settings, workdir, "-t", "6s", *extra, *master_port_args(extra))
    stalling.join(timeout=60)
    assert not stalling.is_alive()
    return finish(process, workdir)


def run_ended_by_a_sigterm(target: Target, workdir: Path) -> dict[tuple[str, str], Stat]:
    """A SIGTERM (as Ctrl-C, or ``capacity`` at a stop condition: Locust fires ``quitting``
    before it stops the users) once every user is in a login: the pool holds every
    PASSWORD_VERIFIER answer for longer than the test, so no login ends and each user waits in
    one."""
    return sigterm_when_every_user_waits(target, workdir, "-t", "60s")


def sigterm_when_every_user_waits(
    target: Target, workdir: Path, *args: str, scenario: str = "srp"
) -> dict[tuple[str, str], Stat]:
    """Start a run on a pool that holds every PASSWORD_VERIFIER answer; once its ``/health``
    counts a request in flight per user, SIGTERM it. No login completed, so the run measured
    nothing, and it ends with exit code 1 (the summary's ``no_logins`` flag)."""
    settings = target("--fault", f"latency:{STALL_S}s/RespondToAuthChallenge")
    process = start(settings, workdir, *args, scenario=scenario)
    health = settings["COGNITO_ENDPOINT_URL"] + "/health"
    for _ in range(600):  # bounded: 60 s
        with urllib.request.urlopen(health, timeout=10) as answer:
            if json.load(answer)["in_flight"]["current"] >= USERS or process.poll() is not None:
                break
        select.select([], [], [], 0.1)
    process.send_signal(signal.SIGTERM)
    return finish(process, workdir, code=1)


@pytest.mark.parametrize(
    "run", [run_ended_by_its_run_time, run_ended_by_a_sigterm, run_of_two_processes]
)
def test_logins_the_stop_cuts_short_are_recorded_and_the_call_totals_are_locusts(
    target: Target, tmp_path: Path, run: Callable[[Target, Path], dict[tuple[str, str], Stat]]
) -> None:
    final = run(target, tmp_path)
    report = tmp_path / "report"
    lines = list(read_events(report / "events.jsonl"))
    summary = json.loads((report / "summary.json").read_text())
    jsonschema.validate(summary, schema())
    logins = [e for e in lines if e["event"] == "login"]
    stopped = [e for e in logins if e["outcome"] == "stopped"]
    results = [e for e in logins if e["outcome"] != "stopped"]

    # every user was in a login when the run ended: each login is in the report, before it
    # closed (the summary, written last, holds them all)
    assert len(stopped) == USERS, logins
    assert [e["event"] for e in lines][-1] == "run_finished"
    assert all(e["error_type"] == "LoginStopped" for e in stopped)
    assert all(e["outcome"] == "ok" for e in results)  # (none if the pool held every answer)

    # the report's calls are Locust's, label by label, exactly
    locust = {name: stat.requests for (kind, name), stat in final.items() if kind == "cognito"}
    assert {k for k, _ in final} == {"cognito"}, final
    requests = {name: row["count"] for name, row in summary["requests"].items()}
    assert requests == locust
    assert sum(summary["outcomes"]["calls"].values()) == sum(locust.values())
    # each login made INIT then PV: INIT counts the ok logins and the cut ones past their first
    # call, PV only the ok ones
    past_init = [e for e in stopped if any(s.get("label") == INIT for s in e["steps"])]
    assert locust[INIT] == locust.get(PV, 0) + len(past_init)
    assert locust.get(PV, 0) == len(results)

    # the cut logins are counted apart, and in no latency figure or login outcome
    calls = sum("label" in s for e in stopped for s in e["steps"])
    assert summary["stopped"] == {
        "logins": len(stopped),
        "calls": calls,
        "by_flow": {"login:srp": {"logins": len(stopped), "calls": calls}},
    }
    assert summary["outcomes"]["logins"] == ({"ok": len(results)} if results else {})
    validity = summary["validity"]
    assert validity["judged"] == {"logins": len(results)}
    assert validity["excluded"] == {"stopped": len(stopped)}
    for group in ("flows", "server_time", "client_compute"):
        assert summary[group].get("login:srp", {"count": 0})["count"] == len(results), group
    if results:  # the longest login presented is an ok one (HDR: 3 significant digits)
        longest = max(e["total_ms"] for e in results)
        assert summary["flows"]["login:srp"]["max"] == pytest.approx(longest, rel=1e-3, abs=1e-3)
    page = (report / "report.html").read_text()
    if results:  # else the no_logins flag says it (below)
        assert f"{len(stopped)} logins cut short by the end of the run" in page
    log = (tmp_path / "locust.log").read_text()
    said = re.findall(r"cognito outcomes: .*?; logins: [^;]*?stopped=(\d+)", log)
    assert sum(map(int, said)) == len(stopped)  # each process's outcome line
    # the run's duration counts from the test's start (each process marks it, before any
    # login began), not from the instant its cut logins were written
    began = min(e["t"] for e in lines if e["event"] == "test_started")
    assert all(began <= e["t"] - e["total_ms"] / 1000 + 0.005 for e in logins), (began, logins)
    last = max(e["t"] for e in lines if e["event"] in ("login", "validity"))
    assert summary["run"]["duration_s"] == pytest.approx(last - began, abs=0.01)
    flags = {f["name"] for f in validity["flags"]}
    if results:
        assert "no_logins" not in flags
    else:  # it measured nothing: said once, on the page and in the log, and the exit code 1
        assert "no_logins" in flags
        assert validity["trustworthy"] is False
        assert "Nothing measured: no login completed." in page
        why = "no login completed, so nothing here measures the pool: the logins it made are "
        why += f"left out of the figures: {len(stopped)} cut short by the end of the run"
        errors = [line for line in log.splitlines() if "ERROR" in line]
        assert len(errors) == 1, errors
        assert errors[0].endswith(f"cognito: {why}"), errors
    assert "[info     ] login" not in log, "a login was printed after the report closed"


def test_open_model_arrivals_the_stop_cuts_short_are_recorded_with_their_arrival(
    target: Target, tmp_path: Path
) -> None:
    """The open model's arrivals cut short keep their arrival's fields (stage, due time) and
    write no ``:intended`` view (their latency from the due time is truncated too); the arrivals
    that found every slot busy are dropped, as ever."""
    stages = ("--cognito-stages", "4:60s", "-t", "60s")
    final = sigterm_when_every_user_waits(target, tmp_path, *stages, scenario="open_logins")
    report = tmp_path / "report"
    logins = [e for e in read_events(report / "events.jsonl") if e["event"] == "login"]
    summary = json.loads((report / "summary.json").read_text())
    jsonschema.validate(summary, schema())
    stopped = [e for e in logins if e["outcome"] == "stopped"]
    assert len(stopped) == USERS, logins
    assert all({"stage", "arrival", "due", "t0"} <= e.keys() for e in stopped)
    assert not [e for e in logins if e.get("view") == "intended"]  # no login ended
    assert not [e for e in logins if not e.get("view") and e["outcome"] != "stopped"]
    locust = {name: stat.requests for (kind, name), stat in final.items() if kind == "cognito"}
    assert {name: row["count"] for name, row in summary["requests"].items()} == locust
    past_init = [e for e in stopped if any(s.get("label") == INIT for s in e["steps"])]
    assert locust.get(INIT, 0) == len(past_init)
    assert PV not in locust
    assert summary["stopped"]["logins"] == USERS
    assert summary["validity"]["excluded"] == {"stopped": USERS}
    assert "login:srp" not in summary["flows"]  # only the dropped arrivals' view rows
