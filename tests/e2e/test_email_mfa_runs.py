"""E-mail MFA end to end: ``provision --email-mfa`` users sign in through the catalogue's
email_mfa entry, and a Locust run of scenarios/email_mfa.py logs in with zero failures, one
RespondToAuthChallenge:EMAIL_OTP per login, codes read from the pool's message sink."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadtest.flows import CATALOGUE, load_identities
from tests.conftest import App, PoolServer, StartPool
from tests.e2e.test_locust_challenges import PV, assert_logins_call, locustfile
from tests.e2e.test_sms_provision_and_flows import run_entry
from tests.provision.helpers import provision

from .locust_runs import run_locust, target_env

pytestmark = pytest.mark.e2e

EMAIL_OTP = ("cognito", "RespondToAuthChallenge:EMAIL_OTP")


def email_mfa_app(server: PoolServer, *, secret: bool = False) -> App:
    """A pool that sends e-mail through SES, with e-mail MFA on (MFA optional)."""
    app = server.provision(mfa="OPTIONAL", ses=True, secret=secret)
    server.client().set_user_pool_mfa_config(
        UserPoolId=app.pool_id, EmailMfaConfiguration={}, MfaConfiguration="OPTIONAL"
    )
    return app


def test_provisioned_email_mfa_users_sign_in_through_their_entry(
    pool_server: StartPool, tmp_path: Path
) -> None:
    server = pool_server("--no-quotas")
    app = email_mfa_app(server)
    path = tmp_path / "email.jsonl"
    assert provision(server, app, path, 2, "--email-mfa", "--no-totp", "--no-device") == 0
    identities = sorted(load_identities(path), key=lambda i: i.username)
    assert all(i.email and i.email.endswith("@example.com") for i in identities)
    assert server.get_json(f"/_pool/messages?pool_id={app.pool_id}") == {"messages": []}
    for identity in identities:
        assert CATALOGUE["email_mfa"].accepts(identity)
        result = run_entry(server, app, "email_mfa", identity)
        assert result.calls[-1] == "RespondToAuthChallenge:EMAIL_OTP"
    sent = server.get_json(f"/_pool/messages?pool_id={app.pool_id}")["messages"]
    assert [m["medium"] for m in sent] == ["EMAIL", "EMAIL"]


def test_provision_email_mfa_refuses_a_pool_without_it(
    pool_server: StartPool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL")
    assert provision(server, app, tmp_path / "x.jsonl", 1, "--email-mfa", "--no-device") != 0
    err = capsys.readouterr().err.strip()
    assert "has no e-mail MFA" in err
    assert "Traceback" not in err


def test_email_mfa_scenario(pool_server: Callable[..., Any], tmp_path: Path) -> None:
    pool = pool_server("--no-quotas")
    app = email_mfa_app(pool, secret=True)
    ids = tmp_path / "ids.jsonl"
    assert provision(pool, app, ids, 4, "--email-mfa", "--no-totp", "--no-device") == 0
    run = run_locust(
        locustfile("email_mfa", tmp_path), target_env(pool, app, ids), tmp_path, users=3, seconds=5
    )
    assert run.returncode == 0, run.output[-3000:]
    assert run.failures == {}, run.output[-3000:]
    calls = ["InitiateAuth:USER_SRP_AUTH", PV[1], EMAIL_OTP[1]]
    assert_logins_call(run, "login:email_mfa", calls)
    assert all(
        "code:EMAIL_OTP" in [step.get("out_of_band") for step in login["steps"]]
        for login in run.login_events()
    )
