"""Issue 17's capacity question: what each first factor costs the generator and the pool.

Against the local pool (``--no-quotas``), in one run and in alternating rounds (every case once
per round, so background noise spreads over all), sign-ins through the sync driver in this
process, one at a time:

- ``ua_gen_*_cpu_ms``: this process's CPU (``time.process_time``) per sign-in: the flow, its
  maths, JSON and HTTP; for EMAIL_OTP also the read of the pool's message sink (the generator's
  cost of getting the code in a local run);
- ``ua_pool_*_cpu_ms``: the pool process's CPU per sign-in, from /proc; for a passkey sign-in
  that is the WEB_AUTHN challenge and the py_webauthn verification of the assertion;
- ``passkey_assertion_us``: one software-authenticator assertion alone (a P-256 signature,
  its authenticator data and client data), the client's whole cryptographic cost of a passkey.

Cases: ``srp`` (USER_SRP_AUTH, the baseline), ``password_srp`` (USER_AUTH with PASSWORD_SRP),
``email_otp`` and ``passkey`` (WEB_AUTHN). Medians over rounds. /proc counts CPU in 10 ms ticks,
so a pool figure is good to 10 ms / PER_ROUND (0.1 ms).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import srp_fast
from loadtest.drivers import SyncDriver, Urllib3Transport
from loadtest.flows import (
    AppClient,
    FlowContext,
    Identity,
    LocalSinkCodes,
    SoftwareAuthenticator,
    register_passkey,
    srp_login,
    user_auth_login,
)
from loadtest.protocol.names import Challenge
from loadtest.target.launch import local_admin_client, local_pool

from ._procs import process_tree_cpu_s
from ._timing import finish
from .figures import Figure, Table, at_most, ratio

__all__ = ["TABLES", "measure", "run"]

USERS = 8
ROUNDS = 5
PER_ROUND = 100
ASSERTIONS = 2000
CASES = ("srp", "password_srp", "email_otp", "passkey")
_FACTOR = {
    "password_srp": Challenge.PASSWORD_SRP,
    "email_otp": Challenge.EMAIL_OTP,
    "passkey": Challenge.WEB_AUTHN,
}


def _setup(url: str) -> tuple[FlowContext, list[Identity]]:
    """A pool allowing every first factor, a USER_AUTH client, users with e-mail and passkeys."""
    idp = local_admin_client(url)
    factors = ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]
    pool_id = idp.create_user_pool(
        PoolName="bench-user-auth", Policies={"SignInPolicy": {"AllowedFirstAuthFactors": factors}}
    )["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": "localhost"}
    )
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="bench",
        ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    ctx = FlowContext(
        client=AppClient(pool_id=pool_id, client_id=client_id),
        clock=lambda: datetime.now(UTC),
        ephemerals=srp_fast.new_ephemeral,
        codes=LocalSinkCodes(base_url=url),
    )
    driver = SyncDriver(Urllib3Transport(url))
    identities = []
    for index in range(USERS):
        identity = Identity(username=f"ua{index:03d}", password="Bench-pass-1!")
        idp.admin_create_user(
            UserPoolId=pool_id, Username=identity.username, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": f"ua{index}@example.com"}],
        )  # fmt: skip
        idp.admin_set_user_password(
            UserPoolId=pool_id, Username=identity.username, Password=identity.password,
            Permanent=True,
        )  # fmt: skip
        tokens = driver.run(srp_login(identity, ctx)).tokens
        driver.run(register_passkey(identity, ctx, tokens.access_token))
        identities.append(identity)
    return ctx, identities


def _sign_in(case: str, identity: Identity, ctx: FlowContext) -> Any:
    if case == "srp":
        return srp_login(identity, ctx)
    return user_auth_login(identity, ctx, _FACTOR[case])


def _round(
    case: str,
    driver: SyncDriver,
    ctx: FlowContext,
    users: list[Identity],
    pool_cpu: Callable[[], float],
) -> tuple[float, float]:
    """(generator ms, pool ms) per sign-in over PER_ROUND sign-ins of one case."""
    start_gen, start_pool = time.process_time(), pool_cpu()
    for index in range(PER_ROUND):
        driver.run(_sign_in(case, users[index % len(users)], ctx))
    gen = time.process_time() - start_gen
    return gen * 1000 / PER_ROUND, (pool_cpu() - start_pool) * 1000 / PER_ROUND


def _assertion_us() -> float:
    """One software-authenticator assertion alone, in microseconds of CPU."""
    device = SoftwareAuthenticator(origin="http://localhost")
    options = {
        "rp": {"id": "localhost"},
        "user": {"id": "dQ"},
        "challenge": "AAAAAAAAAAAAAAAAAAAAAA",
    }
    _, passkey = device.register(options)
    request = json.dumps({"rpId": "localhost", "challenge": "AAAAAAAAAAAAAAAAAAAAAA"})
    start = time.process_time()
    for _ in range(ASSERTIONS):
        device.assertion(passkey, request)
    return (time.process_time() - start) * 1e6 / ASSERTIONS


def measure() -> dict[str, Any]:
    values: dict[str, Any] = {"passkey_assertion_us": _assertion_us()}
    with (
        tempfile.TemporaryDirectory() as tmp,
        local_pool(Path(tmp) / "pool.sqlite3", ("--no-quotas",)) as pool,
    ):
        ctx, users = _setup(pool.url)
        driver = SyncDriver(Urllib3Transport(pool.url))
        pid = pool.process.pid
        samples: dict[str, list[tuple[float, float]]] = {case: [] for case in CASES}
        for _ in range(ROUNDS):
            for case in CASES:
                samples[case].append(
                    _round(case, driver, ctx, users, lambda: process_tree_cpu_s(pid))
                )
    for case, pairs in samples.items():
        values[f"ua_gen_{case}_cpu_ms"] = statistics.median(p[0] for p in pairs)
        values[f"ua_pool_{case}_cpu_ms"] = statistics.median(p[1] for p in pairs)
    return values


def run(out: Path) -> dict[str, Any]:
    """Measure, print, check and write ``out``."""
    return finish(TABLES, measure(), out)


def _pair(case: str, label: str) -> tuple[Figure, Figure]:
    return (
        Figure(key=f"ua_gen_{case}_cpu_ms", label=f"generator CPU, {label}", unit="ms",
               note="sync driver, one process"),
        Figure(key=f"ua_pool_{case}_cpu_ms", label=f"pool CPU, {label}", unit="ms",
               note="from /proc"),
    )  # fmt: skip


TABLES = (
    Table(
        title="USER_AUTH: CPU per sign-in by first factor (issue 17)",
        figures=(
            *_pair("srp", "USER_SRP_AUTH (baseline)"),
            *_pair("password_srp", "USER_AUTH PASSWORD_SRP"),
            *_pair("email_otp", "USER_AUTH EMAIL_OTP"),
            *_pair("passkey", "USER_AUTH WEB_AUTHN"),
            Figure(
                key="passkey_assertion_us",
                label="one passkey assertion (client)",
                unit="us",
                target=at_most(1000),
                note="P-256 signature and encodings",
            ),
            Figure(
                key="ua_gen_srp_over_passkey",
                label="generator: SRP / passkey",
                unit="x",
                derive=ratio("ua_gen_srp_cpu_ms", "ua_gen_passkey_cpu_ms"),
                note="passkey sign-ins one core offers per SRP one",
            ),
        ),
    ),
)
