"""End to end: each scenario's locustfile, headless, against the local pool over HTTP.

Every run is bounded (a few users, a few seconds) and must end with zero failures, the expected
request names, and counts that fit the flow (e.g. one SOFTWARE_TOKEN_MFA per TOTP login).
Locust's request table holds Cognito API calls only (its Aggregated row is their sum); whole
logins are counted in the run's report. Every process warms before its first login.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .locust_runs import LocustRun, provision, run_locust, target_env

pytestmark = pytest.mark.e2e

INIT = ("cognito", "InitiateAuth:USER_SRP_AUTH")
PV = ("cognito", "RespondToAuthChallenge:PASSWORD_VERIFIER")
MFA = ("cognito", "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA")


@pytest.fixture
def pool(pool_server: Callable[..., Any]) -> Any:
    """A dedicated pool server (the shared ``pool_server`` fixture): real clock, since the
    Locust process reads the wall clock for TOTP; quotas off, since runs assert 0 failures."""
    return pool_server("--no-quotas")


Setup = Callable[..., tuple[dict[str, str], Path]]


@pytest.fixture
def target(pool: Any, tmp_path: Path) -> Setup:
    """Provision an app and identities; returns (COGNITO_* settings, workdir)."""

    def setup(count: int, *, totp: bool, **app_options: Any) -> tuple[dict[str, str], Path]:
        app_options.setdefault("mfa", "OPTIONAL" if totp else "OFF")
        app = pool.provision(secret=True, **app_options)
        identities = tmp_path / "identities.jsonl"
        provision(pool, app, count, identities, totp=totp)
        return target_env(pool, app, identities), tmp_path

    return setup


def assert_clean(run: LocustRun, *names: tuple[str, str]) -> None:
    """Exit 0, no failed call or login, every name seen (``("login", flow)`` in the report,
    others in Locust's table), and Locust's totals made of API calls only."""
    assert run.returncode == 0, run.output[-3000:]
    assert run.failures == {}, run.output[-3000:]
    for kind, name in names:
        seen = run.logins(name) if kind == "login" else run.count(kind, name)
        assert seen > 0, ((kind, name), sorted(run.stats))
    assert {kind for kind, _ in run.stats} == {"cognito", ""}, sorted(run.stats)
    assert run.aggregated == run.api_calls > 0
    assert run.summary["outcomes"]["logins"].keys() == {"ok"}, run.summary["outcomes"]


def assert_warm_start(run: LocustRun, processes: int) -> None:
    """The first login of each process took a stocked ephemeral, and no login missed."""
    first: dict[str, dict[str, Any]] = {}
    for event in run.login_events():
        first.setdefault(event["process"], event)
    assert len(first) == processes, sorted(first)
    for process, event in first.items():
        ephemerals = [s for s in event["steps"] if s.get("compute") == "ephemeral"]
        assert [s["stocked"] for s in ephemerals] == [True] * len(ephemerals) != [], process
    assert run.summary["validity"]["stock"]["misses"] == 0
    assert "stock_misses" not in {f["name"] for f in run.summary["validity"]["flags"]}


def test_srp_scenario(target: Setup) -> None:
    settings, workdir = target(4, totp=False)
    run = run_locust("srp", settings, workdir, users=3, seconds=5)
    assert_clean(run, INIT, PV, ("login", "login:srp"))
    # Locust's last counts (its --json-file) are the report's: every ok login made both calls,
    # and a login the stop cut short after its first is recorded as stopped with that call
    init, pv = run.final_count(*INIT), run.final_count(*PV)
    cut = [e for e in run.login_events(stopped=True) if e["outcome"] == "stopped"]
    past_init = [e for e in cut if any(s.get("label") == INIT[1] for s in e["steps"])]
    assert pv == run.logins("login:srp") == run.summary["outcomes"]["logins"]["ok"]
    assert init == pv + len(past_init)
    assert run.summary["stopped"]["logins"] == len(cut)
    assert {n: r["count"] for n, r in run.summary["requests"].items()} == {INIT[1]: init, PV[1]: pv}
    assert run.summary["client_compute"]["login:srp"]["count"] == run.logins("login:srp")
    assert "cognito outcomes: calls: ok=" in run.output
    assert_warm_start(run, processes=1)


def test_srp_scenario_enrolls_through_mfa_setup_when_the_pool_requires_mfa(
    target: Setup,
) -> None:
    settings, workdir = target(3, totp=False, mfa="ON")
    run = run_locust("srp", settings, workdir, users=3, seconds=5)
    assert_clean(
        run,
        ("cognito", "AssociateSoftwareToken:MFA_SETUP"),
        ("cognito", "VerifySoftwareToken:MFA_SETUP"),
        ("cognito", "RespondToAuthChallenge:MFA_SETUP"),
    )
    # each identity enrolls once; its next login waits for a fresh TOTP step
    assert run.final_count("cognito", "RespondToAuthChallenge:MFA_SETUP") == 3


def test_srp_totp_scenario(target: Setup) -> None:
    settings, workdir = target(6, totp=True)
    run = run_locust("srp_totp", settings, workdir, users=3, seconds=5)
    assert_clean(run, INIT, PV, MFA, ("login", "login:srp_totp"))
    assert run.final_count(*MFA) == run.logins("login:srp_totp")  # Locust's count at exit


def test_device_scenario_skips_mfa_once_the_device_is_remembered(target: Setup) -> None:
    settings, workdir = target(2, totp=True, device_tracking=True, remember_on_prompt=True)
    run = run_locust("device", settings, workdir, users=2, seconds=6)
    assert_clean(
        run,
        ("cognito", "ConfirmDevice"),
        ("cognito", "UpdateDeviceStatus"),
        ("cognito", "RespondToAuthChallenge:DEVICE_SRP_AUTH"),
        ("cognito", "RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER"),
        ("login", "login:device"),
    )
    assert run.final_count("cognito", "ConfirmDevice") == 2
    assert run.final_count(*MFA) == 2  # only the first login of each identity
    # every login after each identity's first is a remembered-device one (read from the run's
    # events: Locust's table and the summary take their last figures at different moments)
    logins = [e for e in run.login_events() if e["flow"] == "login:device"]
    verifier = "RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER"
    remembered = [e for e in logins if any(s.get("label") == verifier for s in e["steps"])]
    assert len(logins) > 2
    assert len(remembered) == len(logins) - 2


def test_admin_scenario(target: Setup) -> None:
    settings, workdir = target(4, totp=True)
    run = run_locust("admin", settings, workdir, users=2, seconds=5)
    assert_clean(
        run,
        ("cognito", "AdminInitiateAuth:ADMIN_USER_PASSWORD_AUTH"),
        ("cognito", "AdminRespondToAuthChallenge:SOFTWARE_TOKEN_MFA"),
        ("login", "login:admin"),
    )


def test_lost_phone_scenario(target: Setup) -> None:
    settings, workdir = target(3, totp=True, mfa="OPTIONAL")
    run = run_locust("lost_phone", settings, workdir, users=2, seconds=5)
    assert_clean(
        run,
        ("cognito", "AdminSetUserMFAPreference"),
        ("cognito", "AssociateSoftwareToken"),
        ("cognito", "VerifySoftwareToken"),
        ("cognito", "SetUserMFAPreference"),
        MFA,
        ("login", "login:lost_phone"),
    )
    assert run.final_count(*MFA) == run.logins("login:lost_phone")


def test_refresh_scenario(target: Setup) -> None:
    settings, workdir = target(2, totp=False, device_tracking=True)
    run = run_locust("refresh", settings, workdir, users=2, seconds=5)
    assert_clean(
        run, ("cognito", "InitiateAuth:REFRESH_TOKEN_AUTH"), ("login", "refresh"), INIT, PV
    )
    assert run.logins("login:srp") == 2


def test_mixed_scenario(target: Setup) -> None:
    settings, workdir = target(24, totp=True, device_tracking=True)
    run = run_locust("mix", settings, workdir, users=12, seconds=6)
    assert_clean(run, INIT, PV, MFA, ("login", "login:srp_totp"))
    # all twelve users are spawned at once and device logins take two ephemerals: the stock
    # keeps up
    assert run.summary["validity"]["stock"]["misses"] == 0
    assert run.summary["validity"]["stock"]["hits"] > run.logins("login:device")
    # but their first logins do not start in the same instant: each user begins at a random
    # point of its first wait (1 s), so their maths do not queue behind one another every
    # second (spawned together, the twelve would start within milliseconds; a span under
    # 0.3 s for twelve uniform phases has a chance of about 2e-5)
    starts = sorted(e["t"] - e["total_ms"] / 1000 for e in run.login_events(stopped=True))
    assert starts[11] - starts[0] > 0.3, starts[:12]


def test_two_processes_aggregate_at_the_master_without_sharing_identities(
    target: Setup,
) -> None:
    settings, workdir = target(8, totp=True)
    run = run_locust("srp_totp", settings, workdir, users=4, seconds=6, extra=("--processes", "2"))
    assert_clean(run, INIT, PV, MFA, ("login", "login:srp_totp"))
    assert "worker 1 of 2" in run.output
    assert "worker 0 of 2" in run.output
    assert run.final_count(*MFA) == run.logins("login:srp_totp")  # Locust's count at exit
    assert_warm_start(run, processes=2)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"COGNITO_POOL_ID": "nope", "COGNITO_CLIENT_ID": "c"}, "malformed user pool id"),
        ({"COGNITO_CLIENT_ID": "c"}, "missing user pool id"),
        (
            {
                "COGNITO_POOL_ID": "us-east-1_X",
                "COGNITO_CLIENT_ID": "c",
                "COGNITO_IDENTITIES": __file__,
                "COGNITO_ENDPOINT_URL": "http://127.0.0.1:1/",
            },
            "is unreachable",
        ),
    ],
)
def test_bad_settings_stop_the_run_with_a_clear_message(
    settings: dict[str, str], message: str, tmp_path: Path
) -> None:
    run = run_locust("srp", settings, tmp_path, users=1, seconds=2)
    assert run.returncode == 2
    assert message in run.output
    # refused before its start, it makes no report folder (whose events would never end)
    assert not (tmp_path / "srp-report").exists()


def test_the_run_subcommand_runs_a_scenario(
    target: Setup, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """... and, named no report folder, writes one in ``reports/`` of the current folder, and
    ends by stating whether its latencies can be trusted."""
    import argparse

    from loadtest.locust.cli import register

    settings, workdir = target(2, totp=False)
    monkeypatch.chdir(workdir)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    csv_prefix = str(workdir / "run")
    args = parser.parse_args(
        ["run", "srp", "-u", "2", "-r", "2", "-t", "3s", "--csv", csv_prefix,
         "--cognito-pool-id", settings["COGNITO_POOL_ID"],
         "--cognito-client-id", settings["COGNITO_CLIENT_ID"],
         "--cognito-client-secret", settings["COGNITO_CLIENT_SECRET"],
         "--cognito-endpoint-url", settings["COGNITO_ENDPOINT_URL"],
         "--cognito-identities", settings["COGNITO_IDENTITIES"],
         "--locust", "--only-summary"]
    )  # fmt: skip
    assert args.handler(args) == 0
    stats = (workdir / "run_stats.csv").read_text()
    assert "login:srp" not in stats  # whole logins are not Locust requests
    assert "RespondToAuthChallenge:PASSWORD_VERIFIER" in stats
    [report] = (workdir / "reports").iterdir()
    assert re.fullmatch(r"srp-\d{8}-\d{6}", report.name), report.name
    summary = json.loads((report / "summary.json").read_text())
    assert summary["flows"]["login:srp"]["count"] > 0
    said = capfd.readouterr()
    assert f"report: reports/{report.name}/ (--report-dir DIR names another" in said.out
    # the target is stated once: by 'run', not again by its Locust child
    assert [line for line in said.err.splitlines() if line.startswith("target:")] == [
        f"target: endpoint {settings['COGNITO_ENDPOINT_URL'].rstrip('/')}/ (the local pool), "
        f"region us-east-1, pool {settings['COGNITO_POOL_ID']}"
    ], said.err[-2000:]
    verdict = "trustworthy" if summary["validity"]["trustworthy"] else "untrustworthy"
    assert f"cognito: latencies {verdict}" in said.err
    assert f"the report: reports/{report.name}/report.html" in said.err


@pytest.mark.serial  # the pool's quota must be reached: the generator needs the CPU
@pytest.mark.parametrize("retries", [0, 3])
def test_throttles_are_their_own_outcome_and_retried_only_when_asked(
    pool_server: Callable[..., Any], tmp_path: Path, retries: int
) -> None:
    pool = pool_server("--no-quotas", "--fault", "throttle@0.5/InitiateAuth")
    app = pool.provision(secret=True)
    identities = tmp_path / "identities.jsonl"
    provision(pool, app, 3, identities, totp=False)
    settings = target_env(pool, app, identities) | {"COGNITO_RETRIES": str(retries)}
    run = run_locust("srp", settings, tmp_path, users=3, seconds=4)
    # Locust's last counts (its --json-file): the CSV, rewritten once a second, may miss the
    # run's last second (seen in CI: 3 throttled calls in the CSV, 4 throttled logins)
    throttled = run.final[INIT].failures if INIT in run.final else 0
    assert throttled > 0
    summary = [line for line in run.output.splitlines() if "cognito outcomes" in line]
    assert "throttled=" in summary[0], summary  # counted apart from other errors
    failed = run.logins("login:srp", "throttled")
    if retries == 0:
        assert failed == throttled
    else:  # a login fails only when all four attempts are throttled
        assert failed < throttled
