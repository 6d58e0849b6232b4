"""Locust runs of scenarios/sms_mfa.py and scenarios/custom_auth.py against the local pool:
zero failures, requests named by challenge, one SMS_MFA / two CUSTOM_CHALLENGE per login.

Locust's request table stops counting when the run stops, while logins under way finish into
the report, so under load its counts trail the report's by the logins in flight at the stop
(seen: 9 InitiateAuth rows against 12 logins). Per-login counts are therefore checked on the
report's login events, each with its calls in order, and Locust's table only for failures and
for its counts never exceeding those of the calls before them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadtest.flows import Identity, dump_identities
from loadtest.locust.cli import SCENARIO_DIR
from tests.conftest import CAPTCHA_TRIGGERS, PASSWORD

from .locust_runs import run_locust, target_env

pytestmark = pytest.mark.e2e

PV = ("cognito", "RespondToAuthChallenge:PASSWORD_VERIFIER")


def assert_logins_call(run: Any, flow: str, labels: list[str]) -> int:
    """Every login of ``flow`` in the report succeeded and sent exactly ``labels``, in order,
    and Locust's table counts no call (per login) more often than the one before it; the
    login count."""
    logins = run.login_events()
    assert logins, sorted(run.stats)
    assert len(logins) == run.logins(flow) == run.logins(flow, "ok")
    for login in logins:
        assert [step["label"] for step in login["steps"] if "label" in step] == labels
    counts = [run.count("cognito", label) / labels.count(label) for label in dict.fromkeys(labels)]
    assert counts[-1] > 0, sorted(run.stats)
    assert counts == sorted(counts, reverse=True), counts
    return len(logins)


def locustfile(name: str, workdir: Path) -> str:
    """A copy of scenarios/<name>.py in the test's folder, so that Locust's CSV files, named
    after the locustfile, land there and not in scenarios/."""
    copy = workdir / f"{name}.py"
    shutil.copyfile(SCENARIO_DIR / f"{name}.py", copy)
    return str(copy)


def identities(pool: Any, app: Any, path: Path, count: int, *, phone: bool) -> Path:
    made = []
    for index in range(count):
        name, number = f"user{index}", f"+1201555010{index}"
        pool.add_user(app, name, attributes={"phone_number": number} if phone else None)
        if phone:
            pool.client().admin_set_user_mfa_preference(
                UserPoolId=app.pool_id,
                Username=name,
                SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
            )
        made.append(
            Identity(
                username=name, password=PASSWORD, phone=number if phone else None, sms_mfa=phone
            )
        )
    dump_identities(made, path)
    return path


def test_sms_mfa_scenario(pool_server: Callable[..., Any], tmp_path: Path) -> None:
    pool = pool_server("--no-quotas")
    app = pool.provision(mfa="OPTIONAL", secret=True)
    pool.client().set_user_pool_mfa_config(
        UserPoolId=app.pool_id, SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"}
    )
    ids = identities(pool, app, tmp_path / "ids.jsonl", 4, phone=True)
    run = run_locust(
        locustfile("sms_mfa", tmp_path), target_env(pool, app, ids), tmp_path, users=3, seconds=5
    )
    assert run.returncode == 0, run.output[-3000:]
    assert run.failures == {}, run.output[-3000:]
    calls = ["InitiateAuth:USER_SRP_AUTH", PV[1], "RespondToAuthChallenge:SMS_MFA"]
    assert_logins_call(run, "login:sms_mfa", calls)
    assert run.logins("login:select_mfa") == 0  # no identity has TOTP


def test_custom_auth_scenario(pool_server: Callable[..., Any], tmp_path: Path) -> None:
    pool = pool_server("--no-quotas", *CAPTCHA_TRIGGERS)
    app = pool.provision(secret=True)
    ids = identities(pool, app, tmp_path / "ids.jsonl", 4, phone=False)
    run = run_locust(
        locustfile("custom_auth", tmp_path),
        target_env(pool, app, ids),
        tmp_path,
        users=3,
        seconds=5,
    )
    assert run.returncode == 0, run.output[-3000:]
    assert run.failures == {}, run.output[-3000:]
    custom = "RespondToAuthChallenge:CUSTOM_CHALLENGE"
    assert_logins_call(
        run, "login:custom_auth", ["InitiateAuth:CUSTOM_AUTH", PV[1], custom, custom]
    )
