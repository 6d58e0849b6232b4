"""End to end: the account-journey locustfiles, headless, against the local pool over HTTP.

Each run is bounded (a few users, a few seconds) and must end with zero failures, every call
of its flow on the wire, and counts that fit the flow; codes come from the pool's message sink.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadtest.flows import SIGNUP_PREFIX

from .locust_runs import provision, run_locust, target_env
from .test_locust_scenarios import INIT, PV, assert_clean

pytestmark = pytest.mark.e2e

Setup = Callable[..., tuple[dict[str, str], Path, Any]]


@pytest.fixture
def target(pool_server: Callable[..., Any], tmp_path: Path) -> Setup:
    """A pool (quotas off, e-mail auto-verified) and identities with verified e-mail."""

    def setup(count: int) -> tuple[dict[str, str], Path, Any]:
        pool = pool_server("--no-quotas")
        app = pool.provision(secret=True, mfa="OFF")
        pool.client().update_user_pool(
            UserPoolId=app.pool_id, MfaConfiguration="OFF", AutoVerifiedAttributes=["email"]
        )
        identities = tmp_path / "identities.jsonl"
        provision(pool, app, count, identities, totp=False, email=True, prefix="lt-e2e-")
        return target_env(pool, app, identities), tmp_path, (pool, app)

    return setup


def test_signup_scenario_creates_confirmed_users(target: Setup) -> None:
    settings, workdir, (pool, app) = target(1)
    run = run_locust("signup", settings, workdir, users=2, seconds=4)
    assert_clean(run, ("cognito", "SignUp"), ("cognito", "ConfirmSignUp"), INIT, PV)
    # each login's calls from the run's events: Locust's table may miss those ending at stop
    assert _labels(run) == {("SignUp", "ConfirmSignUp", INIT[1], PV[1])}
    signups = run.logins("login:signup")
    made = pool.client().list_users(UserPoolId=app.pool_id, Filter='username ^= "lt-signup-"')
    assert len(made["Users"]) >= signups > 0
    assert {u["UserStatus"] for u in made["Users"]} == {"CONFIRMED"}
    teardown = subprocess.run(
        [sys.executable, "-m", "loadtest.cli", "teardown", "--prefix", SIGNUP_PREFIX,
         "--cognito-pool-id", app.pool_id, "--cognito-endpoint-url", pool.url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert teardown.returncode == 0, teardown.stdout + teardown.stderr
    left = pool.client().list_users(UserPoolId=app.pool_id)["Users"]
    assert [u["Username"] for u in left] == ["lt-e2e-0"]  # the provisioned user stays


@pytest.mark.parametrize(
    ("scenario", "calls"),
    [
        ("forgot_password", ("ForgotPassword", "ConfirmForgotPassword")),
        ("change_password", ("ChangePassword",)),
        ("profile_update", ("UpdateUserAttributes",)),
    ],
)
def test_account_scenarios_run_clean(target: Setup, scenario: str, calls: tuple[str, ...]) -> None:
    settings, workdir, _ = target(4)
    run = run_locust(scenario, settings, workdir, users=3, seconds=4)
    assert_clean(run, *(("cognito", call) for call in calls), INIT, PV)
    expected = (
        (*calls, INIT[1], PV[1]) if scenario == "forgot_password" else (INIT[1], PV[1], *calls)
    )
    assert _labels(run) == {expected}


def _labels(run: Any) -> set[tuple[str, ...]]:
    """The call labels of each login, from the run's events."""
    return {tuple(s["label"] for s in e["steps"] if "label" in s) for e in run.login_events()}


def test_launch_day_mix_runs_clean(target: Setup) -> None:
    settings, workdir, _ = target(8)
    run = run_locust("launch_day", settings, workdir, users=6, seconds=5)
    assert_clean(run, INIT, PV)
    assert run.logins("login:signup") + run.logins("login:srp") > 0
