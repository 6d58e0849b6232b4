"""Persistence: a SIGKILLed pool restarted on the same state file still knows everyone."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import PoolServer, StartPool

from .helpers import confirm_device, device_login, enroll_totp, srp_login, tokens

pytestmark = pytest.mark.e2e


def test_users_devices_and_tokens_survive_sigkill(pool_server: StartPool) -> None:
    server = pool_server("--test-clock", "--no-quotas")
    idp, app = server.client(), server.provision(mfa="OPTIONAL", device_tracking=True)
    server.add_user(app, "keeper")
    first = tokens(idp, app, "keeper")
    device = confirm_device(idp, first["AccessToken"], first["NewDeviceMetadata"])
    totp = enroll_totp(server, idp, first["AccessToken"])
    pending = srp_login(idp, app, "keeper")["Session"]
    server.kill()

    again = pool_server("--test-clock", "--no-quotas", state=server.state)
    assert isinstance(again, PoolServer)
    idp = again.client()
    assert idp.get_user(AccessToken=first["AccessToken"])["Username"] == "keeper"
    again.advance_clock(30)
    done = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=pending,  # a session sealed before the crash still opens
        ChallengeResponses={"USERNAME": "keeper", "SOFTWARE_TOKEN_MFA_CODE": totp.at(again.now())},
    )
    assert "AccessToken" in done["AuthenticationResult"]
    step = srp_login(idp, app, "keeper", DEVICE_KEY=device.key)
    assert step["ChallengeName"] == "DEVICE_SRP_AUTH"
    assert (
        "AccessToken"
        in device_login(idp, app, "keeper", device, step["Session"])["AuthenticationResult"]
    )
    refreshed = idp.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH",
        ClientId=app.client_id,
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )
    assert "AccessToken" in refreshed["AuthenticationResult"]


def test_multi_worker_pool_serves_whole_logins(pool_server: StartPool) -> None:
    """Sessions are sealed, not stored in memory: any worker can continue any sign-in."""
    server = pool_server("--workers", "2", "--test-clock", "--no-quotas")
    app = server.provision(mfa="OPTIONAL")
    server.add_user(app, "multi")
    access = tokens(server.client(), app, "multi")["AccessToken"]
    totp = enroll_totp(server, server.client(), access)
    for _ in range(4):
        session = srp_login(server.client(), app, "multi")["Session"]
        done = server.client().respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=session,
            ChallengeResponses={
                "USERNAME": "multi",
                "SOFTWARE_TOKEN_MFA_CODE": totp.at(server.now()),
            },
        )
        assert "AccessToken" in done["AuthenticationResult"]
        server.advance_clock(30)


def test_users_stored_without_x_still_sign_in(pool_server: StartPool) -> None:
    """State files from before x was kept: SRP through v = g^x, plain passwords through v."""
    server = pool_server("--no-quotas")
    app = server.provision()
    server.add_user(app, "old")
    server.stop()
    with sqlite3.connect(server.state) as db:
        db.execute("UPDATE users SET x = NULL")
    again = pool_server("--no-quotas", state=server.state)
    idp = again.client()
    assert "AuthenticationResult" in srp_login(idp, app, "old")
    plain = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=app.client_id,
        AuthParameters={"USERNAME": "old", "PASSWORD": "Passw0rd!"},
    )
    assert "AccessToken" in plain["AuthenticationResult"]
