"""End to end: real Locust runs whose generator distorts its timings are flagged, and say how.

Each run is a few seconds of ``scenarios/srp.py`` against the local pool, made unhealthy in
one way: maths inline on the hub (``--cognito-math inline``), a starved ephemeral stock
(``--cognito-stock 0``), or a hub kept busy by a greenlet that spins 40 ms at a time. A normal
run raises none of the flags the generator controls (stock, inline maths, compute over 50 ms);
loop lag and CPU there depend on what else the machine runs, so they are not asserted quiet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadtest.flows.identity import dump_identities
from loadtest.flows.totp import STEP_SECONDS
from tests.e2e.locust_runs import LocustRun, provision, run_locust, target_env
from tests.stalls import compute_flags_explained, stall_witness

pytestmark = pytest.mark.e2e

#: A locustfile whose hub is busy: a greenlet spins 40 ms, sleeps 10 ms (bounded: 400 rounds): a
#: login in flight meets a spin whatever its phase (at 30/20 ms a 4 s run of ten logins once
#: sampled no tick late by 10 ms, under a loaded CI).
BUSY_HUB = """
import time

import gevent
from locust import events

from loadtest.locust.logins import SrpUser

__all__ = ["SrpUser"]


def _spin() -> None:
    for _ in range(400):
        end = time.perf_counter() + 0.04
        while time.perf_counter() < end:
            pass
        gevent.sleep(0.01)


events.test_start.add_listener(lambda **_: gevent.spawn(_spin))
"""

#: A locustfile whose maths regressed: each password claim spins 60 ms of CPU on its thread.
SLOW_MATHS = """
import time

import srp_fast
from loadtest.locust.logins import SrpUser

__all__ = ["SrpUser"]

_claim = srp_fast.password_claim


def _slow_claim(*args, **kwargs):
    end = time.thread_time() + 0.06
    while time.thread_time() < end:
        pass
    return _claim(*args, **kwargs)


srp_fast.password_claim = _slow_claim
"""

Run = Callable[..., LocustRun]


@pytest.fixture
def srp_run(pool_server: Callable[..., Any], tmp_path: Path) -> Run:
    """A pool (quotas off) with four identities; runs a locustfile with extra settings."""
    pool = pool_server("--no-quotas")
    app = pool.provision(secret=True, mfa="OFF")
    identities = tmp_path / "identities.jsonl"
    provision(pool, app, 4, identities, totp=False)

    def run(scenario: str = "srp", **settings: str) -> LocustRun:
        env = target_env(pool, app, identities) | settings
        done = run_locust(scenario, env, tmp_path, users=3, seconds=4)
        assert done.returncode == 0, done.output[-3000:]
        assert done.summary["outcomes"]["logins"].get("ok", 0) > 0
        return done

    return run


def flags(run: LocustRun) -> set[str]:
    """The flags the run raised; its last log lines must state them (or its trust), as the
    report's banner does: a user reads the terminal first."""
    validity = run.summary["validity"]
    assert validity["trustworthy"] is (not validity["flags"])
    assert len(validity["warnings"]) == len(validity["flags"])
    said = [line for line in run.output.splitlines() if "cognito: latencies " in line]
    if validity["judged"]["logins"] == 0:  # "nothing measured" is said instead, and why
        assert not said, said
        assert "/ERROR/loadtest.locust.hooks: cognito: no login completed" in run.output
        return {flag["name"] for flag in validity["flags"]}
    # stated when the test stops, and again at the end only if the final summary changed it
    assert 1 <= len(said) <= 2, run.output[-3000:]
    last = said[-1]
    assert last.endswith(f"; the report: {run.report_dir / 'report.html'}")
    if validity["trustworthy"]:
        judged = validity["judged"]["logins"]
        assert f"/INFO/loadtest.locust.hooks: cognito: latencies trustworthy ({judged} " in last
    else:
        assert "/WARNING/loadtest.locust.hooks: cognito: latencies untrustworthy" in last
        for flag in validity["flags"]:
            assert f"{flag['name']}: {flag['reason']}" in last
    return {flag["name"] for flag in validity["flags"]}


@pytest.mark.serial  # a login's compute passes 50 ms when other tests share the CPU
def test_a_normal_run_raises_no_flag_the_generator_controls(srp_run: Run) -> None:
    """(A compute flag is the machine's when a thread of this process saw it stall as long:
    the flag is then right, and the generator not to blame; see tests/stalls.py.)"""
    with stall_witness() as witness:
        run = srp_run()
    assert not flags(run) & {"stock_misses", "inline_maths"}
    assert compute_flags_explained(run.summary, witness), (run.summary["validity"], witness)
    assert run.summary["validity"]["stock"]["misses"] == 0
    assert run.summary["validity"]["stock"]["hits"] >= run.logins("login:srp")
    assert run.summary["validity"]["identity_waits"] == {"waits": 0, "seconds": 0.0}


def test_users_waiting_for_an_identity_are_counted_and_said(
    pool_server: Callable[..., Any], tmp_path: Path
) -> None:
    """Twenty users share one identity: each second their logins (~20 ms each, at random
    phases) overlap, the later ones wait for it, and the report says that the identities bound
    the load (no flag: the timings start after the lease). Three users no longer collide
    reliably: they start at random points of a second, not in step."""
    pool = pool_server("--no-quotas")
    app = pool.provision(secret=True, mfa="OFF")
    identities = tmp_path / "identities.jsonl"
    provision(pool, app, 1, identities, totp=False)
    run = run_locust("srp", target_env(pool, app, identities), tmp_path, users=20, seconds=4)
    assert run.returncode == 0, run.output[-3000:]
    assert run.logins("login:srp", "ok") > 0
    waits = run.summary["validity"]["identity_waits"]
    assert waits["waits"] > 0, waits
    assert waits["seconds"] > 0, waits
    assert [p["identity_waits"] for p in run.summary["validity"]["processes"]] == [waits["waits"]]
    assert "identity_waits" not in flags(run)
    page = (run.report_dir / "report.html").read_text()
    assert f"users waited {waits['waits']} times" in page


def test_a_wait_for_the_next_totp_step_the_end_of_the_run_cuts_still_counts(
    pool_server: Callable[..., Any], tmp_path: Path
) -> None:
    """One TOTP identity, two users: the first login spends the step's code, and from then on
    every lease waits for the next step (up to 30 s), past the run's end, which kills the
    waiting users in their sleep. Those waits are what bound the run: they are counted. (When
    a step begins within the run's 3 s, one of every ten runs, a second login gets its code,
    and that completed wait is counted too; then this does not tell a cut wait apart.)"""
    pool = pool_server("--no-quotas")
    app = pool.provision(secret=True, mfa="OPTIONAL")
    identities = tmp_path / "identities.jsonl"
    provision(pool, app, 1, identities, totp=True)
    settings = target_env(pool, app, identities)
    run = run_locust("srp_totp", settings, tmp_path, users=2, seconds=3)
    assert run.returncode == 0, run.output[-3000:]
    assert run.logins("login:srp_totp", "ok") in (1, 2)  # one per TOTP step the run spans
    waits = run.summary["validity"]["identity_waits"]
    assert waits["waits"] >= 1, waits
    assert waits["seconds"] > 1.0, waits


def test_users_released_by_the_next_totp_step_do_not_sign_in_in_step(
    pool_server: Callable[..., Any], tmp_path: Path
) -> None:
    """Twelve TOTP identities whose code of this step is spent, twelve users: every lease waits
    for the next step, which frees all twelve identities at one instant. Released then, the
    twelve would sign in within milliseconds of one another (their maths queued on two threads)
    and, paced alike, stay in step; each leaves the wait at a random point of one wait (1 s)
    instead. Twelve uniform phases span under 0.3 s with a chance of about 2e-5.

    The run starts at least 4 s before the step ends (so every user is waiting when it does)
    and lasts until 3 s past it: at most ~36 s, mostly waiting."""
    pool = pool_server("--no-quotas")
    app = pool.provision(secret=True, mfa="OPTIONAL")
    identities = tmp_path / "identities.jsonl"
    people = provision(pool, app, 12, identities, totp=True)
    if STEP_SECONDS - time.time() % STEP_SECONDS < 4:  # too close to the end: take the next
        time.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 0.1)
    step = int(time.time() // STEP_SECONDS)
    for person in people:
        person.last_totp_step = step  # this step's code is spent: every lease waits
    dump_identities(people, identities)
    boundary = (step + 1) * STEP_SECONDS
    settings = target_env(pool, app, identities)
    run = run_locust(
        "srp_totp", settings, tmp_path, users=12, seconds=int(boundary - time.time()) + 3
    )
    assert run.returncode == 0, run.output[-3000:]
    starts = sorted(e["t"] - e["total_ms"] / 1000 for e in run.login_events(stopped=True))
    assert len(starts) >= 12, starts
    assert starts[0] >= boundary - 0.01, (starts[0], boundary)  # none before the step
    assert starts[11] - starts[0] > 0.3, [round(t - boundary, 3) for t in starts[:12]]
    assert run.summary["validity"]["identity_waits"]["waits"] >= 12


def test_inline_maths_is_flagged(srp_run: Run) -> None:
    run = srp_run(COGNITO_MATH="inline")
    assert {"inline_maths", "stock_misses"} <= flags(run)
    processes = run.summary["validity"]["processes"]
    assert [p["math"] for p in processes] == ["inline"]


def test_a_starved_stock_is_flagged_with_a_miss_per_login(srp_run: Run) -> None:
    run = srp_run(COGNITO_STOCK="0")
    assert "stock_misses" in flags(run)
    assert "inline_maths" not in flags(run)
    logins = run.login_events()
    assert logins
    assert all(event["stock_misses"] == 1 for event in logins)
    stock = run.summary["validity"]["stock"]
    assert stock["misses_by_flow"]["login:srp"] == len(logins)
    # the processes' own count also has the misses of any login the stop cut short: those its
    # event shows, and one more at most for a cut login whose missed ephemeral was still being
    # computed (taken from the empty stock, so counted, but its compute never ended)
    every = run.login_events(stopped=True)
    shown = sum(event["stock_misses"] for event in every)
    cut = sum(1 for event in every if event["outcome"] == "stopped")
    assert shown <= stock["misses"] <= shown + cut, (stock, shown, cut)
    assert stock["hits"] == 0


def test_a_busy_hub_is_flagged_as_loop_lag(srp_run: Run, tmp_path: Path) -> None:
    locustfile = tmp_path / "busy_hub.py"
    locustfile.write_text(BUSY_HUB)
    run = srp_run(str(locustfile))
    assert "loop_lag" in flags(run)
    assert run.summary["validity"]["loop_lag_ms"]["p99"] > 10


def test_slow_maths_is_flagged_and_no_stall_of_the_machine_explains_it(
    srp_run: Run, tmp_path: Path
) -> None:
    """The normal run's test forgives a compute flag that the machine's stall explains: a
    generator whose own maths is slow must not pass as a stall (tests/stalls.py)."""
    locustfile = tmp_path / "slow_maths.py"
    locustfile.write_text(SLOW_MATHS)
    with stall_witness() as witness:
        run = srp_run(str(locustfile))
    assert "client_compute_max" in flags(run)
    assert run.summary["client_compute"]["login:srp"]["p50"] > 60
    assert not compute_flags_explained(run.summary, witness), witness
