"""The flows over real HTTP against the local pool, through the sync and asyncio drivers.

Cases a Locust run does not reach on its own: a device the pool forgot, a temporary
password, enrollment through the MFA_SETUP challenge, and the asyncio driver.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import srp_fast
from loadtest.drivers import AiohttpTransport, AsyncDriver, SyncDriver, Urllib3Transport
from loadtest.flows import (
    AppClient,
    FlowContext,
    Identity,
    LoginOptions,
    Note,
    srp_login,
)
from srp_fast.offload import math_executor

from .locust_runs import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def pool(pool_server: Callable[..., Any]) -> Any:
    return pool_server("--no-quotas")


def context(app: Any) -> FlowContext:
    client = AppClient(
        pool_id=app.pool_id, client_id=app.client_id, client_secret=app.client_secret
    )
    return FlowContext(
        client=client, clock=lambda: datetime.now(UTC), ephemerals=srp_fast.new_ephemeral
    )


def test_a_device_the_pool_forgot_is_dropped_and_registered_again(pool: Any) -> None:
    app = pool.provision(device_tracking=True, secret=True)
    pool.add_user(app, "dora")
    identity = Identity(username="dora", password=PASSWORD)
    driver, ctx = SyncDriver(Urllib3Transport(pool.url)), context(app)
    remember = LoginOptions(remember_device=True)
    driver.run(srp_login(identity, ctx, remember))
    assert identity.device is not None
    old = identity.device.device_key
    pool.client().admin_forget_device(UserPoolId=app.pool_id, Username="dora", DeviceKey=old)
    result = driver.run(srp_login(identity, ctx, remember))
    assert Note.DEVICE_FORGOTTEN in result.notes
    assert Note.DEVICE_CONFIRMED in result.notes
    assert identity.device is not None
    assert identity.device.device_key != old


def test_a_temporary_password_is_replaced(pool: Any) -> None:
    app = pool.provision()
    pool.add_user(app, "tom", permanent=False)
    identity = Identity(username="tom", password=PASSWORD)
    driver, ctx = SyncDriver(Urllib3Transport(pool.url)), context(app)
    options = LoginOptions(new_password="N3w-Passw0rd!")
    result = driver.run(srp_login(identity, ctx, options))
    assert result.challenges == ("PASSWORD_VERIFIER", "NEW_PASSWORD_REQUIRED")
    assert identity.password == "N3w-Passw0rd!"
    again = driver.run(srp_login(identity, ctx))
    assert again.challenges == ("PASSWORD_VERIFIER",)


def test_mfa_setup_challenge_enrolls_against_the_pool(pool: Any) -> None:
    app = pool.provision(mfa="ON")
    pool.add_user(app, "mia")
    identity = Identity(username="mia", password=PASSWORD)
    driver, ctx = SyncDriver(Urllib3Transport(pool.url)), context(app)
    result = driver.run(srp_login(identity, ctx))
    assert result.challenges == ("PASSWORD_VERIFIER", "MFA_SETUP")
    assert identity.totp_secret is not None
    again = driver.run(srp_login(identity, ctx))  # the next step's code
    assert again.challenges == ("PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA")


@pytest.mark.asyncio
async def test_the_asyncio_driver_logs_in_against_the_pool(pool: Any) -> None:
    app = pool.provision(secret=True)
    pool.add_user(app, "ann")
    transport = AiohttpTransport(pool.url)
    with math_executor(1) as executor:
        driver = AsyncDriver(transport, executor=executor)
        result = await driver.run(
            srp_login(Identity(username="ann", password=PASSWORD), context(app))
        )
    await transport.close()
    assert result.username == "ann"
