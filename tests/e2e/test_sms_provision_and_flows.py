"""Provisioned SMS users sign in through the catalogue's sms_mfa / select_mfa flows, and the
custom_auth flow runs the captcha trigger, all over HTTP against the local pool, with codes
read from its message sink (LocalSinkCodes)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import srp_fast
from loadtest.drivers import SyncDriver, Urllib3Transport
from loadtest.flows import CATALOGUE, AppClient, FlowContext, LocalSinkCodes, load_identities
from loadtest.provision.naming import email_of, phone_of
from scenarios.triggers import captcha
from tests.conftest import App, PoolServer, StartPool
from tests.provision.helpers import provision

pytestmark = pytest.mark.e2e


def context(server: PoolServer, app: App) -> FlowContext:
    return FlowContext(
        client=AppClient(pool_id=app.pool_id, client_id=app.client_id),
        clock=lambda: datetime.now(UTC),
        ephemerals=srp_fast.new_ephemeral,
        codes=LocalSinkCodes(base_url=server.url),
        custom_answers=captcha.solve,
    )


def sms_app(server: PoolServer) -> App:
    app = server.provision(mfa="OPTIONAL")
    server.client().set_user_pool_mfa_config(
        UserPoolId=app.pool_id, SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"}
    )
    return app


def run_entry(server: PoolServer, app: App, name: str, identity: Any) -> Any:
    driver = SyncDriver(Urllib3Transport(server.url))
    try:
        return driver.run(CATALOGUE[name].flow(identity, context(server, app)))
    finally:
        driver.transport.close()


def test_fictional_numbers_and_reserved_addresses() -> None:
    assert phone_of(1) == "+12005550100"
    assert phone_of(100) == "+12005550199"
    assert phone_of(101) == "+12015550100"
    assert all(phone_of(n)[5:9] == "5550" for n in (1, 99_999, 1_000_000))
    assert email_of("lt-run-00001") == "lt-run-00001@example.com"


@pytest.mark.parametrize(("extra", "entry"), [((), "select_mfa"), (("--no-totp",), "sms_mfa")])
def test_provisioned_sms_users_sign_in_through_their_entry(
    pool_server: StartPool, tmp_path: Path, extra: tuple[str, ...], entry: str
) -> None:
    server = pool_server("--no-quotas")
    app = sms_app(server)
    path = tmp_path / "sms.jsonl"
    assert provision(server, app, path, 3, "--sms-mfa", "--emails", "--no-device", *extra) == 0
    identities = sorted(load_identities(path), key=lambda i: i.username)
    assert [i.phone for i in identities] == [phone_of(n) for n in (1, 2, 3)]
    assert all(i.email and i.email.endswith("@example.com") for i in identities)
    assert server.get_json(f"/_pool/messages?pool_id={app.pool_id}") == {"messages": []}
    for identity in identities:
        assert CATALOGUE[entry].accepts(identity)
        result = run_entry(server, app, entry, identity)
        assert result.challenges[-1] == "SMS_MFA"
        assert "RespondToAuthChallenge:SMS_MFA" in result.calls
    sent = server.get_json(f"/_pool/messages?pool_id={app.pool_id}")["messages"]
    assert len(sent) == 3


def test_custom_auth_entry_runs_the_captcha_trigger(local_pool: PoolServer) -> None:
    from loadtest.flows import Identity

    app = local_pool.provision()
    local_pool.add_user(app, "flow-custom")
    identity = Identity(username="flow-custom", password="Passw0rd!")
    result = run_entry(local_pool, app, "custom_auth", identity)
    assert result.calls == (
        "InitiateAuth:CUSTOM_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
        "RespondToAuthChallenge:CUSTOM_CHALLENGE",
        "RespondToAuthChallenge:CUSTOM_CHALLENGE",
    )
