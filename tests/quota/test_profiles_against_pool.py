"""Every flow profile of the quota model is what the flow really sends to the local pool.

Each test runs a flow over real HTTP against the local pool (the session server, quotas off,
test clock on) through a transport that counts the requests it puts on the wire by
(X-Amz-Target operation, ChallengeName of the body), and compares the count with
:data:`loadtest.quota.PROFILES`. Setup calls (provisioning, TOTP enrollment before the flow)
go through an uncounted driver.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

import srp_fast
from loadtest.drivers import RawResponse, SigV4Signer, SyncDriver, Urllib3Transport
from loadtest.flows import (
    AppClient,
    FlowContext,
    Identity,
    LoginOptions,
    admin_login,
    enroll_totp,
    lost_phone,
    refresh_after,
    srp_login,
)
from loadtest.protocol.names import TARGET_PREFIX, Operation
from loadtest.quota import PROFILES, CallKey
from tests.conftest import PASSWORD, App, PoolServer

pytestmark = pytest.mark.e2e

NO_DEVICE = LoginOptions(use_device=False)
REMEMBER_DEVICE = LoginOptions(use_device=True, remember_device=True)
#: A step later than any TOTP code already sent (the pool's clock moves, no sleeping).
NEXT_STEP_SECONDS = 31


class CountingTransport:
    """A real transport that counts what it sends by (operation, ChallengeName)."""

    def __init__(self, url: str) -> None:
        self.inner = Urllib3Transport(url)
        self.url = url
        self.sent: Counter[CallKey] = Counter()

    def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse:
        operation = Operation(headers["X-Amz-Target"].removeprefix(TARGET_PREFIX + "."))
        self.sent[(operation, json.loads(body).get("ChallengeName"))] += 1
        return self.inner.post(headers, body)

    def close(self) -> None:
        self.inner.close()


class Bench:
    """One provisioned pool, a counted and an uncounted driver, a context on the pool's clock."""

    def __init__(self, pool: PoolServer, app: App) -> None:
        self.pool, self.app = pool, app
        signer = SigV4Signer("us-east-1", access_key="local", secret_key="local")
        self.counter = CountingTransport(pool.url)
        self.counted = SyncDriver(self.counter, signer=signer)
        self.setup = SyncDriver(Urllib3Transport(pool.url), signer=signer)
        client = AppClient(
            pool_id=app.pool_id, client_id=app.client_id, client_secret=app.client_secret
        )
        self.ctx = FlowContext(
            client=client,
            clock=lambda: datetime.fromtimestamp(pool.now(), UTC),
            ephemerals=srp_fast.new_ephemeral,
        )

    def user(self, name: str, *, totp: bool = False, permanent: bool = True) -> Identity:
        """A user in the pool; with TOTP enrolled (and its code's step passed) if asked."""
        self.pool.add_user(self.app, name, permanent=permanent)
        identity = Identity(username=name, password=PASSWORD)
        if totp:
            first = self.setup.run(srp_login(identity, self.ctx, NO_DEVICE))
            self.setup.run(enroll_totp(identity, self.ctx, first.tokens.access_token))
            self.next_step()
        return identity

    def next_step(self) -> None:
        self.pool.advance_clock(NEXT_STEP_SECONDS)

    def sends(self, flow: Any) -> dict[CallKey, float]:
        """Run ``flow`` through the counting driver; what it sent."""
        self.counter.sent.clear()
        self.counted.run(flow)
        return {key: float(n) for key, n in self.counter.sent.items()}


def profile(name: str) -> dict[CallKey, float]:
    return dict(PROFILES[name].calls)


MakeBench = Callable[..., Bench]


@pytest.fixture
def bench(local_pool: PoolServer) -> MakeBench:
    """A bench on a new pool of the session server, provisioned with the given settings."""

    def make(**settings: Any) -> Bench:
        return Bench(local_pool, local_pool.provision(secret=True, **settings))

    return make


def test_every_profile_is_checked_here() -> None:
    names = {
        name.removeprefix("test_")
        for name, value in globals().items()
        if name.startswith("test_") and callable(value)
    }
    assert set(PROFILES) <= names


def test_srp(bench: MakeBench) -> None:
    b = bench()
    assert b.sends(srp_login(b.user("sam"), b.ctx, NO_DEVICE)) == profile("srp")


def test_srp_totp(bench: MakeBench) -> None:
    b = bench(mfa="OPTIONAL")
    identity = b.user("tia", totp=True)
    assert b.sends(srp_login(identity, b.ctx, NO_DEVICE)) == profile("srp_totp")


def test_device_new(bench: MakeBench) -> None:
    b = bench(mfa="OPTIONAL", device_tracking=True)
    identity = b.user("dan", totp=True)
    assert b.sends(srp_login(identity, b.ctx, REMEMBER_DEVICE)) == profile("device_new")
    assert identity.device is not None


def test_device(bench: MakeBench) -> None:
    b = bench(mfa="OPTIONAL", device_tracking=True)
    identity = b.user("dev", totp=True)
    b.setup.run(srp_login(identity, b.ctx, REMEMBER_DEVICE))  # registers the device
    b.next_step()
    assert b.sends(srp_login(identity, b.ctx, REMEMBER_DEVICE)) == profile("device")


def test_device_new_prompt(bench: MakeBench) -> None:
    b = bench(mfa="OPTIONAL", device_tracking=True, remember_on_prompt=True)
    identity = b.user("pat", totp=True)
    sent = b.sends(srp_login(identity, b.ctx, REMEMBER_DEVICE))
    assert sent == profile("device_new_prompt")


def test_admin(bench: MakeBench) -> None:
    b = bench()
    assert b.sends(admin_login(b.user("ada"), b.ctx, NO_DEVICE)) == profile("admin")


def test_admin_totp(bench: MakeBench) -> None:
    b = bench(mfa="OPTIONAL")
    identity = b.user("abe", totp=True)
    assert b.sends(admin_login(identity, b.ctx, NO_DEVICE)) == profile("admin_totp")


def test_refresh(bench: MakeBench) -> None:
    b = bench()
    login = b.setup.run(srp_login(b.user("rob"), b.ctx, NO_DEVICE))
    assert b.sends(refresh_after(b.ctx, login)) == profile("refresh")


def test_new_password(bench: MakeBench) -> None:
    b = bench()
    identity = b.user("tom", permanent=False)
    options = LoginOptions(use_device=False, new_password="N3w-Passw0rd!")
    assert b.sends(srp_login(identity, b.ctx, options)) == profile("new_password")


def test_mfa_setup(bench: MakeBench) -> None:
    b = bench(mfa="ON")
    identity = b.user("mia")
    assert b.sends(srp_login(identity, b.ctx, NO_DEVICE)) == profile("mfa_setup")


def test_lost_phone(bench: MakeBench) -> None:
    b = bench(mfa="OPTIONAL")
    identity = b.user("lou", totp=True)
    assert b.sends(lost_phone(identity, b.ctx)) == profile("lost_phone")
