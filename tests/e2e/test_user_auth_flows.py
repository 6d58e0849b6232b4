"""The USER_AUTH flows and the passkey registration flow over HTTP against the local pool,
through the sync driver: each factor preferred and chosen at SELECT_CHALLENGE, per-challenge
request names, a passkey kept on the identity and its identities-file form, and a refresh that
follows rotation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

import srp_fast
from loadtest.drivers import SyncDriver, Urllib3Transport
from loadtest.flows import (
    AppClient,
    FlowContext,
    Identity,
    LocalSinkCodes,
    register_passkey,
    rotate,
    rotate_after,
    srp_login,
    user_auth_login,
)
from loadtest.protocol.errors import RefreshTokenReuse
from loadtest.protocol.names import Challenge
from tests.conftest import App

from .locust_runs import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def pool(pool_server: Callable[..., Any]) -> Any:
    return pool_server("--no-quotas")


def _app(pool: Any) -> App:
    idp = pool.client()
    factors = ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]
    pool_id = idp.create_user_pool(
        PoolName="ua-flows", Policies={"SignInPolicy": {"AllowedFirstAuthFactors": factors}}
    )["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": "localhost"}
    )
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="ua", GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]  # fmt: skip
    app = App(pool_id=pool_id, client_id=client["ClientId"], client_secret=client["ClientSecret"])
    pool.add_user(
        app, "una", attributes={"email": "una@example.com", "phone_number": "+15550100077"}
    )
    return app


def _context(pool: Any, app: App) -> FlowContext:
    client = AppClient(
        pool_id=app.pool_id, client_id=app.client_id, client_secret=app.client_secret
    )
    return FlowContext(
        client=client,
        clock=lambda: datetime.now(UTC),
        ephemerals=srp_fast.new_ephemeral,
        codes=LocalSinkCodes(base_url=pool.url),
    )


@pytest.mark.parametrize("select", [False, True], ids=["preferred", "selected"])
def test_every_factor_signs_in_with_per_challenge_request_names(pool: Any, select: bool) -> None:
    app = _app(pool)
    driver, ctx = SyncDriver(Urllib3Transport(pool.url)), _context(pool, app)
    identity = Identity(username="una", password=PASSWORD)
    first = driver.run(user_auth_login(identity, ctx, Challenge.PASSWORD, select=select))
    driver.run(register_passkey(identity, ctx, first.tokens.access_token))
    assert identity.passkey is not None
    expected = {
        Challenge.PASSWORD: [],
        Challenge.PASSWORD_SRP: ["RespondToAuthChallenge:PASSWORD_VERIFIER"],
        Challenge.EMAIL_OTP: ["RespondToAuthChallenge:EMAIL_OTP"],
        Challenge.SMS_OTP: ["RespondToAuthChallenge:SMS_OTP"],
        Challenge.WEB_AUTHN: ["RespondToAuthChallenge:WEB_AUTHN"],
    }
    for factor, tail in expected.items():
        result = driver.run(user_auth_login(identity, ctx, factor, select=select))
        assert result.tokens.access_token
        head = ["InitiateAuth:USER_AUTH"]
        if select:
            head.append("RespondToAuthChallenge:SELECT_CHALLENGE")
        assert list(result.calls) == head + tail, factor


def test_a_passkey_survives_the_identities_file(pool: Any) -> None:
    app = _app(pool)
    driver, ctx = SyncDriver(Urllib3Transport(pool.url)), _context(pool, app)
    identity = Identity(username="una", password=PASSWORD)
    tokens = driver.run(user_auth_login(identity, ctx, Challenge.PASSWORD)).tokens
    driver.run(register_passkey(identity, ctx, tokens.access_token))
    for _ in range(2):
        identity = Identity.from_json(identity.to_json())
        assert driver.run(user_auth_login(identity, ctx, Challenge.WEB_AUTHN)).tokens.id_token
    assert "PRIVATE KEY" not in repr(identity)


def test_the_rotating_refresh_follows_each_new_token(pool: Any) -> None:
    idp = pool.client()
    pool_id = idp.create_user_pool(PoolName="rotation-flow")["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="rt", GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )["UserPoolClient"]  # fmt: skip
    app = App(pool_id=pool_id, client_id=client["ClientId"], client_secret=client["ClientSecret"])
    pool.add_user(app, "rho")
    driver, ctx = SyncDriver(Urllib3Transport(pool.url)), _context(pool, app)
    login = driver.run(srp_login(Identity(username="rho", password=PASSWORD), ctx))
    first = login.tokens.refresh_token
    assert first is not None
    seen = {first}
    for _ in range(3):
        tokens = driver.run(rotate_after(ctx, login))
        assert tokens.refresh_token not in seen
        seen.add(tokens.refresh_token)
        login = replace(login, tokens=tokens)
    with pytest.raises(RefreshTokenReuse):
        driver.run(rotate(ctx, first))  # exchanged already, grace 0
