"""End to end: the generator benchmark's Locust pieces work against the local pool.

Behaviour only, never timings: the probe plugin reports a window with logins and lag samples,
``--cognito-math inline`` runs logins without failures, the floor's replay answers a recorded
login, the naive boto3 + pycognito baseline logs in, and the soak's short mode logs in, refreshes
and measures. Each run is a few seconds, a few users.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks import generator, soak
from benchmarks._locust import LocustRun, Probe, ProbeResult, run_locust
from benchmarks._procs import child_env
from benchmarks._target import App, create_app, create_users, write_identities
from benchmarks.replay import load_recording

pytestmark = pytest.mark.e2e

PROBE = Probe(warmup=1.0, window=1.5, lag=True)


@pytest.fixture
def app(pool_server: Callable[..., Any]) -> App:
    return create_app(pool_server("--no-quotas").url)


@pytest.fixture
def cases(app: App, tmp_path: Path) -> generator.Cases:
    plain = write_identities(create_users(app, "plain", 3, totp=False), tmp_path / "p.jsonl")
    recorder = create_users(app, "rec", 1, totp=True)[0]
    pop = generator.Population(
        plain=plain,
        ours_totp=[],
        busy_totp=[],
        bare_totp=[],
        reference_totp=[],
        naive_totp=[],
        thin_totp=[],
        srp_recording=generator._record(app, recorder, tmp_path / "rec.json"),
        totp_recording=tmp_path / "unused.json",
    )
    return generator.Cases(app=app, pop=pop, urls={}, settings=generator.Settings(naive_users=2))


def assert_logged_in(result: ProbeResult) -> None:
    assert result.logins > 0
    assert result.failures == result.csv_failures == 0
    assert result.lag_ms
    assert result.cpu_s >= 0


def test_inline_maths_logs_in_and_the_probe_reports_the_window(
    cases: generator.Cases, tmp_path: Path
) -> None:
    run = cases.ours("inline", "srp", cases.pop.plain, 2, "inline")
    assert_logged_in(run_locust(run, PROBE, tmp_path))
    assert (
        "SRP maths: inline, secret a: rfc3526 (256 bits)" in (tmp_path / "inline.log").read_text()
    )


def test_the_reference_clients_secret_size_logs_in(cases: generator.Cases, tmp_path: Path) -> None:
    run = cases.ours("ref", "srp", cases.pop.plain, 2, "threads", a_size="reference")
    assert_logged_in(run_locust(run, PROBE, tmp_path))
    assert "secret a: reference (1024 bits)" in (tmp_path / "ref.log").read_text()


@pytest.mark.parametrize("in_place", [False, True], ids=["calls", "in_place"])
def test_the_floor_replays_a_recorded_srp_totp_login(
    cases: generator.Cases, tmp_path: Path, in_place: bool
) -> None:
    recording = cases.pop.srp_recording
    labels = [e.label for e in load_recording(recording)]
    assert labels == [
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
        "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA",
    ]
    with generator.replay_server(recording, tmp_path / "replay.log") as url:
        floor = generator.Cases(
            app=cases.app, pop=cases.pop, urls={"srp": url}, settings=cases.settings
        )
        run = floor.floor("floor", "srp", 2, in_place=in_place)
        assert_logged_in(run_locust(run, PROBE, tmp_path))
    maths = "one 512-bit exponentiation in place" if in_place else "no maths"
    assert f"floor replay: the calls, {maths}" in (tmp_path / "floor.log").read_text()


def test_every_run_starts_its_users_spread_over_a_second(
    cases: generator.Cases, tmp_path: Path
) -> None:
    """Locust starts floor(spawn rate) users at once; the probe staggers them so that every
    case runs evenly spaced logins (users of equal pacing would otherwise stay in step)."""
    run = cases.ours("spread", "srp", cases.pop.plain, 4, "threads")
    starts = run_locust(run, PROBE, tmp_path).user_starts_s
    assert len(starts) == 4
    assert starts[-1] - starts[0] >= 0.7  # k/4 of a second late: 0, 0.25, 0.5, 0.75 s
    assert all(b > a for a, b in itertools.pairwise(starts))


def test_the_naive_baseline_logs_in(cases: generator.Cases, tmp_path: Path) -> None:
    run: LocustRun = cases.naive("naive", "NaiveSrpUser", cases.pop.plain)
    assert_logged_in(run_locust(run, PROBE, tmp_path))


def test_the_thinnest_client_signs_in_with_srp_and_totp(app: App, tmp_path: Path) -> None:
    """``benchmarks/locust_thin.py``: real logins the pool verifies (the claim signature and the
    code), each a login to the probe and three API calls to Locust, one row per call."""
    thin = write_identities(create_users(app, "thin", 8, totp=True), tmp_path / "thin.jsonl")
    cases = generator.Cases(app=app, pop=None, urls={}, settings=generator.Settings())  # type: ignore[arg-type]
    result = run_locust(cases.thin("thin", thin, 2), PROBE, tmp_path)
    assert_logged_in(result)
    with (tmp_path / "thin_stats.csv").open() as handle:
        rows = {row["Name"]: int(row["Request Count"]) for row in csv.DictReader(handle)}
    calls = rows.pop("Aggregated")
    assert set(rows) == {
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
        "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA",
    }
    assert calls == sum(rows.values())
    assert calls >= 3 * result.logins


def test_the_short_soak_logs_in_refreshes_and_reports_memory_and_log_growth(
    tmp_path: Path,
) -> None:
    """The soak's smoke size: behaviour only (its figures mean nothing at this size)."""
    written = soak.run(out=tmp_path / "soak.json", settings=soak.SHORT)
    assert written["logins"] > 0
    assert written["refreshes"] > 0  # access tokens expired and were refreshed
    assert written["failures"] == 0
    assert written["rss_samples"] >= 2
    assert written["generator_rss_mib"] > 0
    assert written["pool_rss_mib"] > 0
    assert 0 < written["events_bytes_per_login"] < written["events_text_bytes_per_login"]
    on_disk = json.loads((tmp_path / "soak.json").read_text())
    assert set(on_disk["targets"]) >= {"logins", "failures", "generator_rss_slope_mib_per_h"}


def test_the_hub_pipeline_replays_logins_through_the_adapter_and_the_report(
    tmp_path: Path,
) -> None:
    """``python -m benchmarks.hub_pipeline``: every replayed login ends ok with its 3 calls,
    each call reaches Locust's stats (ours and the bare replay alike), each login's event
    reaches ``events.jsonl``, and no registered secret does."""
    command = [sys.executable, "-m", "benchmarks.hub_pipeline", "--logins", "15", "--rounds", "2",
               "--identities", "4", "--keep", str(tmp_path)]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=child_env(), check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "requests in Locust's stats (both ways): 180" in done.stdout, done.stdout
    excess = re.search(r"ours - bare +(-?[0-9.]+) µs", done.stdout)
    assert excess is not None, done.stdout
    text = (tmp_path / "report" / "events.jsonl").read_text()
    logins = [e for e in map(json.loads, text.splitlines()) if e.get("event") == "login"]
    assert len(logins) == 30
    assert all(e["outcome"] == "ok" and e["calls"] == 3 for e in logins), logins[0]
    assert all(e["flow"] == "login:srp_totp" for e in logins)


def test_the_rss_slope_is_a_least_squares_line_in_mib_per_hour() -> None:
    assert soak.rss_slope_mib_per_h([(0.0, 100.0), (1800.0, 101.0), (3600.0, 102.0)]) == 2.0
    assert soak.rss_slope_mib_per_h([(0.0, 5.0)]) == 0.0
