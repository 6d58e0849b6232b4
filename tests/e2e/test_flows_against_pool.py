"""The flows over real HTTP against the local pool, through the sync and asyncio drivers.

Cases a Locust run does not reach on its own: a device the pool forgot, a temporary
password, enrollment through the MFA_SETUP challenge, and the asyncio driver.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
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
from loadtest.flows.identities import IdentityPool
from loadtest.flows.identity import dump_identities, load_identities
from loadtest.locust.maths import InlineExecutor
from loadtest.locust.runtime import EphemeralStock, Runtime
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


def test_a_sign_in_teaches_the_salt_and_a_primed_verifier_serves_the_next_run(
    pool: Any, tmp_path: Any
) -> None:
    """A first sign-in keeps the user's SALT and USER_ID_FOR_SRP on the identity, the
    identities file keeps them, and a later process that primes its verifier cache from them
    (as a Locust process does before the clock) signs in without computing x or g^x: the pool
    accepts the proof made from the primed values."""
    app = pool.provision()
    pool.add_user(app, "sal")
    identity = Identity(username="sal", password=PASSWORD)
    driver, ctx = SyncDriver(Urllib3Transport(pool.url)), context(app)
    assert (identity.srp_salt, identity.srp_user_id) == (None, None)
    driver.run(srp_login(identity, ctx))
    assert identity.srp_user_id == "sal"
    assert identity.srp_salt
    assert int(identity.srp_salt, 16) > 0

    path = tmp_path / "ids.jsonl"
    dump_identities([identity], path)
    (loaded,) = load_identities(path)
    assert (loaded.srp_salt, loaded.srp_user_id) == (identity.srp_salt, identity.srp_user_id)

    cache = srp_fast.VerifierCache()
    runtime = Runtime(
        config=None,  # type: ignore[arg-type]  (priming reads only the context and identities)
        identities=IdentityPool([loaded]),
        all_identities=[loaded],
        context=replace(ctx, verifiers=cache),
        executor=InlineExecutor(),
        signer=None,
        ephemerals=EphemeralStock(None, size=0),
        own=[loaded],
    )
    assert runtime.prime_verifiers() == 1
    assert (len(cache), cache.hits, cache.misses) == (1, 0, 0)
    result = driver.run(srp_login(loaded, runtime.context))
    assert result.tokens.access_token
    assert (cache.hits, cache.misses) == (1, 0)


def test_a_changed_password_misses_the_primed_verifier_and_still_signs_in(pool: Any) -> None:
    """A primed entry is keyed by salt and password: after an admin sets a new password (new
    salt and verifier on the pool), the stale entry is never used."""
    app = pool.provision()
    pool.add_user(app, "pat")
    identity = Identity(username="pat", password=PASSWORD)
    driver, ctx = SyncDriver(Urllib3Transport(pool.url)), context(app)
    driver.run(srp_login(identity, ctx))
    cache = srp_fast.VerifierCache()
    assert identity.srp_salt is not None
    assert identity.srp_user_id is not None
    assert cache.prime(
        prefix=ctx.client.pool_name,
        identity=identity.srp_user_id,
        password=identity.password,
        salt_hex=identity.srp_salt,
    )
    new_password = "An0ther-Passw0rd!"
    pool.client().admin_set_user_password(
        UserPoolId=app.pool_id, Username="pat", Password=new_password, Permanent=True
    )
    identity.password = new_password
    driver.run(srp_login(identity, replace(ctx, verifiers=cache)))
    assert (cache.hits, cache.misses) == (0, 1)
