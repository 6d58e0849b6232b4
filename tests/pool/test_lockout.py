"""The lockout schedule measured over real HTTP, compared with the model."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from loadtest.pool.clock import TimeScale
from loadtest.pool.lockout import LockoutPolicy
from tests.conftest import PASSWORD, App, PoolServer, StartPool

from .helpers import enroll_totp, error_of, srp_login, tokens

pytestmark = pytest.mark.e2e

LOCKED = "Password attempts exceeded"
WRONG = "Incorrect username or password."
_MAX_PROBES = 10_000


def _attempt(idp: Any, app: App, name: str, password: str = "Wrong-passw0rd!") -> str:
    """One USER_PASSWORD_AUTH sign-in; the NotAuthorized message, or "ok"."""
    try:
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=app.client_id,
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )
    except ClientError as error:
        code, message = error.response["Error"]["Code"], error.response["Error"]["Message"]
        assert code == "NotAuthorizedException"
        return str(message)
    return "ok"


def _user(server: PoolServer, **provision: Any) -> tuple[Any, App, str]:
    idp, app, name = server.client(), server.provision(**provision), f"l-{uuid.uuid4().hex[:8]}"
    server.add_user(app, name)
    return idp, app, name


def test_schedule_with_a_frozen_clock_equals_the_model(pool_server: StartPool) -> None:
    """Threshold 3, cap 60 s: each lock lifts exactly when the model says, not a tick sooner."""
    server = pool_server(
        "--freeze-clock", "--lockout-threshold", "3", "--lockout-cap", "60", "--no-quotas"
    )
    policy = LockoutPolicy(threshold=3, cap=60.0)
    idp, app, name = _user(server)
    measured = []
    assert _attempt(idp, app, name) == WRONG
    assert _attempt(idp, app, name) == WRONG
    for failures in range(3, 11):
        assert _attempt(idp, app, name) == WRONG  # counted failure number `failures`
        expected = policy.lock_seconds(failures)
        assert _attempt(idp, app, name) == LOCKED
        server.advance_clock(expected - 0.001)
        assert _attempt(idp, app, name) == LOCKED
        assert _attempt(idp, app, name, PASSWORD) == LOCKED  # the right password too
        server.advance_clock(0.001)
        measured.append(expected)
    assert measured == [1, 2, 4, 8, 16, 32, 60, 60]
    assert _attempt(idp, app, name, PASSWORD) == "ok"  # success resets the count
    assert [_attempt(idp, app, name) for _ in range(3)] == [WRONG, WRONG, WRONG]
    assert _attempt(idp, app, name) == LOCKED


def test_idle_reset_and_default_threshold(pool_server: StartPool) -> None:
    server = pool_server("--freeze-clock", "--no-quotas")
    idp, app, name = _user(server)
    assert [_attempt(idp, app, name) for _ in range(6)] == [WRONG] * 5 + [LOCKED]
    server.advance_clock(900)
    assert [_attempt(idp, app, name) for _ in range(5)] == [WRONG] * 5
    assert _attempt(idp, app, name) == LOCKED


def test_time_scaled_schedule_in_real_time_matches_the_model(pool_server: StartPool) -> None:
    """--time-scale 0.01: each measured lock brackets the scaled model duration.

    Causality gives the bracket without timing assumptions: the lock began between sending and
    receiving the failing request, and lifted after the last probe refused was sent and before
    the first probe let through was answered.
    """
    server = pool_server(
        "--time-scale", "0.01", "--lockout-threshold", "3", "--lockout-cap", "60", "--no-quotas"
    )
    policy = LockoutPolicy(threshold=3, cap=60.0, scale=TimeScale(0.01))
    idp, app, name = _user(server)
    assert [_attempt(idp, app, name) for _ in range(2)] == [WRONG, WRONG]
    sent = time.time()
    assert _attempt(idp, app, name) == WRONG
    received = time.time()
    for failures in range(3, 10):
        expected = policy.scale.seconds(policy.lock_seconds(failures))
        low, high, sent, received = _measure_lock(idp, app, name, sent, received)
        assert low <= expected <= high, (failures, low, expected, high)


def _measure_lock(
    idp: Any, app: App, name: str, fail_sent: float, fail_received: float
) -> tuple[float, float, float, float]:
    last_refused_sent = fail_received
    for _ in range(_MAX_PROBES):
        probe_sent = time.time()
        answer = _attempt(idp, app, name)
        probe_received = time.time()
        if answer == WRONG:  # lifted: this probe is the next counted failure
            low = last_refused_sent - fail_received
            return low, probe_received - fail_sent, probe_sent, probe_received
        assert answer == LOCKED
        last_refused_sent = probe_sent
    raise AssertionError("the lock never lifted")


def test_wrong_mfa_codes_count_towards_the_lockout(pool_server: StartPool) -> None:
    server = pool_server("--freeze-clock", "--lockout-threshold", "3", "--no-quotas")
    idp, app, name = _user(server, mfa="OPTIONAL")
    totp = enroll_totp(server, idp, tokens(idp, app, name)["AccessToken"])
    session = srp_login(idp, app, name)["Session"]
    code = totp.at(server.now())
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(3):
        with pytest.raises(ClientError) as excinfo:
            idp.respond_to_auth_challenge(
                ClientId=app.client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=session,
                ChallengeResponses={"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": wrong},
            )
        assert error_of(excinfo)[0] == "CodeMismatchException"
    with pytest.raises(ClientError) as excinfo:
        idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=session,
            ChallengeResponses={"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": code},
        )
    assert error_of(excinfo) == ("NotAuthorizedException", LOCKED)
    with pytest.raises(ClientError) as excinfo:
        srp_login(idp, app, name)
    assert error_of(excinfo) == ("NotAuthorizedException", LOCKED)


def test_time_scale_shrinks_session_validity(pool_server: StartPool) -> None:
    server = pool_server("--freeze-clock", "--time-scale", "0.01", "--no-quotas")
    idp, app, name = _user(server, mfa="ON")
    session = srp_login(idp, app, name)["Session"]  # MFA_SETUP
    server.advance_clock(180 * 0.01 - 0.001)
    assert idp.associate_software_token(Session=session)["Session"]
    session = srp_login(idp, app, name)["Session"]
    server.advance_clock(180 * 0.01 + 0.001)
    with pytest.raises(ClientError) as excinfo:
        idp.associate_software_token(Session=session)
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )
