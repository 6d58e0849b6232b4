"""End to end: ``provision --passkeys --emails --phones``, then the choice-based sign-in
scenarios (``user_auth``, ``passkey``) and ``refresh_rotation`` headless against the local pool.

Each run is bounded (a few users, a few seconds) and must end with zero failures and requests
named by challenge (``RespondToAuthChallenge:WEB_AUTHN`` ...). The identities come from the
real provisioning command, so its passkeys, reserved e-mail addresses and fictional numbers
are what the runs sign in with; its output must hold no passkey key material.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadtest.flows import load_identities
from loadtest.provision.cli import main as cognito_provision
from loadtest.target.launch import ALL_FLOWS
from tests.conftest import App

from .locust_runs import LocustRun, run_locust, target_env
from .test_locust_scenarios import assert_clean

pytestmark = pytest.mark.e2e

FACTORS = ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]
UA = ("cognito", "InitiateAuth:USER_AUTH")
#: The sum of scenarios/user_auth.py's weights: as many users give every class its share.
WEIGHTS = 14


def respond(challenge: str) -> tuple[str, str]:
    return ("cognito", f"RespondToAuthChallenge:{challenge}")


@pytest.fixture
def pool(pool_server: Callable[..., Any]) -> Any:
    return pool_server("--no-quotas")


def choice_pool(pool: Any, *, rotation: bool = False) -> App:
    """A pool allowing every first factor with a relying party for passkeys, and a client
    (with a secret) allowing USER_AUTH; with refresh-token rotation if asked."""
    idp = pool.client()
    policies = {"SignInPolicy": {"AllowedFirstAuthFactors": FACTORS}}
    pool_id = idp.create_user_pool(PoolName="choice", Policies=policies)["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="OFF",
        WebAuthnConfiguration={"RelyingPartyId": "localhost"},
    )  # fmt: skip
    extra = {"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}}
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="choice", GenerateSecret=True,
        ExplicitAuthFlows=[*ALL_FLOWS, "ALLOW_USER_AUTH"], **(extra if rotation else {}),
    )["UserPoolClient"]  # fmt: skip
    return App(pool_id=pool_id, client_id=client["ClientId"], client_secret=client["ClientSecret"])


def provisioned(
    pool: Any, app: App, path: Path, count: int, capsys: pytest.CaptureFixture[str], *extra: str
) -> str:
    """Run ``provision`` in this process (no TOTP, no device); its output."""
    argv = ["provision", "-n", str(count), "--identities", str(path), "--no-totp", "--no-device",
            "--pool-id", app.pool_id, "--client-id", app.client_id,
            "--client-secret", str(app.client_secret), "--endpoint-url", pool.url,
            *extra]  # fmt: skip
    assert cognito_provision(argv) == 0
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_provision_gives_passkeys_reserved_addresses_and_fictional_numbers(
    pool: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = choice_pool(pool)
    path = tmp_path / "ids" / "choice.jsonl"
    output = provisioned(pool, app, path, 3, capsys, "--passkeys", "--emails", "--phones")
    identities = load_identities(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert all(i.passkey is not None for i in identities)
    assert all(str(i.email).endswith("@example.com") for i in identities)
    assert all(re.fullmatch(r"\+1[2-9]\d\d55501\d\d", str(i.phone)) for i in identities)
    assert len({i.passkey.credential_id for i in identities if i.passkey}) == 3
    listed = pool.client().admin_get_user(UserPoolId=app.pool_id, Username=identities[0].username)
    attributes = {a["Name"]: a["Value"] for a in listed["UserAttributes"]}
    assert attributes["email"] == identities[0].email
    assert attributes["phone_number"] == identities[0].phone
    assert "PRIVATE KEY" not in output
    keys = [line for line in path.read_text().splitlines() if "PRIVATE KEY" in line]
    assert len(keys) == 3  # kept in the file, and only there


def test_a_pool_without_passkeys_is_refused_up_front(
    pool: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = pool.provision(secret=True)
    argv = ["provision", "-n", "1", "--identities", str(tmp_path / "x.jsonl"), "--no-totp",
            "--no-device", "--passkeys", "--pool-id", app.pool_id, "--client-id", app.client_id,
            "--client-secret", str(app.client_secret), "--endpoint-url", pool.url]  # fmt: skip
    assert cognito_provision(argv) == 2
    assert "WEB_AUTHN" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()


def run_choice(
    pool: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    scenario: str,
    users: int,
    *,
    rotation: bool = True,
) -> LocustRun:
    app = choice_pool(pool, rotation=rotation and scenario == "refresh_rotation")
    path = tmp_path / "ids.jsonl"
    provisioned(pool, app, path, users + 1, capsys, "--passkeys", "--emails", "--phones")
    return run_locust(scenario, target_env(pool, app, path), tmp_path, users=users, seconds=5)


def test_user_auth_scenario_signs_in_with_every_factor(
    pool: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_choice(pool, tmp_path, capsys, "user_auth", users=WEIGHTS)
    named = [respond(c) for c in ("PASSWORD_VERIFIER", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN")]
    logins = [("login", f"login:user_auth_{f}") for f in ("password", "passkey", "select")]
    assert_clean(run, UA, respond("SELECT_CHALLENGE"), *named, *logins)
    steps = {
        e["flow"]: tuple(s["label"] for s in e["steps"] if "label" in s) for e in run.login_events()
    }
    ua, then = UA[1], "RespondToAuthChallenge:"
    assert steps == {  # every login of a flow sends exactly these calls, named by challenge
        "login:user_auth_password": (ua,),
        "login:user_auth_srp": (ua, then + "PASSWORD_VERIFIER"),
        "login:user_auth_email": (ua, then + "EMAIL_OTP"),
        "login:user_auth_sms": (ua, then + "SMS_OTP"),
        "login:user_auth_passkey": (ua, then + "WEB_AUTHN"),
        "login:user_auth_select": (ua, then + "SELECT_CHALLENGE"),
    }
    every = {
        (e["flow"], tuple(s["label"] for s in e["steps"] if "label" in s))
        for e in run.login_events()
    }
    assert every == set(steps.items())


def test_passkey_scenario(pool: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_choice(pool, tmp_path, capsys, "passkey", users=3)
    assert_clean(run, UA, respond("WEB_AUTHN"), ("login", "login:user_auth_passkey"))
    # from the run's events: Locust's own table may miss the calls of logins ending at stop
    labels = {tuple(s["label"] for s in e["steps"] if "label" in s) for e in run.login_events()}
    assert labels == {(UA[1], respond("WEB_AUTHN")[1])}


def test_refresh_rotation_scenario_follows_each_new_token(
    pool: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_choice(pool, tmp_path, capsys, "refresh_rotation", users=2)
    rotations = ("cognito", "GetTokensFromRefreshToken")
    assert_clean(run, rotations, ("login", "refresh_rotation"))
    assert run.count(*rotations) > run.count("cognito", "InitiateAuth:USER_SRP_AUTH")
    assert "does not rotate" not in run.output


def test_refresh_rotation_on_a_client_without_rotation_says_so_once(
    pool: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GetTokensFromRefreshToken works on such a client, handing back no new refresh token:
    the run would measure plain refreshes under the rotation's name without a word."""
    run = run_choice(pool, tmp_path, capsys, "refresh_rotation", users=2, rotation=False)
    rotations = ("cognito", "GetTokensFromRefreshToken")
    assert run.count(*rotations) > 2  # several exchanges per user, one line for the process
    assert run.output.count("does not rotate them") == 1, run.output[-3000:]
