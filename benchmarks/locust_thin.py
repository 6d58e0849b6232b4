"""Benchmark baseline, not a scenario: the thinnest real SRP + TOTP login we can write in Python.

What a hand-written client for this one login must do, and nothing else: take a stocked
ephemeral, InitiateAuth (USER_SRP_AUTH), the proof on a :class:`srp_fast.offload.HubExecutor`
(the same two native maths threads as ours), RespondToAuthChallenge (PASSWORD_VERIFIER), the
TOTP code, RespondToAuthChallenge (SOFTWARE_TOKEN_MFA); every call through the generator's own
client (:class:`~loadtest.locust.driver.GeventTransport`), its answer decoded, one Locust request
event per call. No flow, driver, report, loop-lag monitor, identity pool or validity figures.
Like ours, it warms before the clock: the fixed-base table, a full ephemeral stock, and x and
g^x of every user whose salt the identities file records.

The pool verifies all of it (the claim signature, the code), so it is a real login, and its
cost beside ours says what our layers cost over the protocol's own Python: ``make bench``'s
``thin_*`` figures. It is not a tool: its identities are used once each, in file order.

Settings (environment): ``BENCH_THIN_IDENTITIES``, ``BENCH_THIN_POOL_ID``,
``BENCH_THIN_CLIENT_ID``, ``BENCH_THIN_URL``.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
from locust import User, constant, events, task

import srp_fast
from benchmarks._calls import fire_call
from benchmarks.replay import REPLAYED
from loadtest.flows.identity import Identity, load_identities
from loadtest.locust.driver import GeventTransport
from loadtest.protocol.wire import request_headers
from srp_fast.offload import HubExecutor

__all__ = ["ThinSrpTotpUser"]

_INITIATE = request_headers("InitiateAuth")
_RESPOND = request_headers("RespondToAuthChallenge")


class _Shared:
    """What the process's thin users share, built before the clock."""

    def __init__(self) -> None:
        self.pool_id = os.environ["BENCH_THIN_POOL_ID"]
        self.client_id = os.environ["BENCH_THIN_CLIENT_ID"]
        self.url = os.environ["BENCH_THIN_URL"]
        self.prefix = srp_fast.pool_name(self.pool_id)
        self.identities: deque[Identity] = deque(
            load_identities(Path(os.environ["BENCH_THIN_IDENTITIES"]))
        )
        self.executor = HubExecutor(2)
        self.verifiers = srp_fast.VerifierCache()
        self.stock = srp_fast.EphemeralPool(target=256, executor=self.executor)
        srp_fast.g_table()
        self.executor.submit(self._warm).result()

    def _warm(self) -> None:
        self.stock.fill()
        for i in self.identities:
            if i.srp_user_id is not None and i.srp_salt is not None:
                self.verifiers.prime(
                    prefix=self.prefix, identity=i.srp_user_id, password=i.password,
                    salt_hex=i.srp_salt,
                )  # fmt: skip


@functools.cache
def _shared() -> _Shared:
    return _Shared()


def _warm(**_: Any) -> None:
    _shared()


events.test_start.add_listener(_warm)  # type: ignore[no-untyped-call]


class ThinSrpTotpUser(User):
    """One SRP + TOTP login per task, one keep-alive connection per user."""

    wait_time = constant(1)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.shared = _shared()
        self.transport = GeventTransport(self.shared.url, concurrency=1)

    def on_stop(self) -> None:
        self.transport.close()

    @task
    def login(self) -> None:
        try:
            self._login(self.shared.identities.popleft())
        except Exception:  # already a failed request event; the login failed
            REPLAYED["failed"] += 1
        else:
            REPLAYED["ok"] += 1

    def _login(self, identity: Identity) -> None:
        shared = self.shared
        ephemeral = shared.stock.take()
        challenge = self._call(
            "InitiateAuth:USER_SRP_AUTH",
            _INITIATE,
            {
                "AuthFlow": "USER_SRP_AUTH",
                "ClientId": shared.client_id,
                "AuthParameters": {"USERNAME": identity.username, "SRP_A": ephemeral.public_hex},
            },
        )["ChallengeParameters"]
        user_id = challenge["USER_ID_FOR_SRP"]
        claim = shared.executor.submit(
            srp_fast.password_claim,
            ephemeral,
            prefix=shared.prefix,
            identity=user_id,
            password=identity.password,
            salt_hex=challenge["SALT"],
            srp_b_hex=challenge["SRP_B"],
            secret_block_b64=challenge["SECRET_BLOCK"],
            now=datetime.now(UTC),
            verifiers=shared.verifiers,
        ).result()
        mfa = self._call(
            "RespondToAuthChallenge:PASSWORD_VERIFIER",
            _RESPOND,
            {
                "ChallengeName": "PASSWORD_VERIFIER",
                "ClientId": shared.client_id,
                "ChallengeResponses": {
                    "USERNAME": user_id,
                    "PASSWORD_CLAIM_SECRET_BLOCK": claim.secret_block,
                    "TIMESTAMP": claim.timestamp,
                    "PASSWORD_CLAIM_SIGNATURE": claim.signature,
                },
            },
        )
        assert identity.totp_secret is not None
        step = int(time.time()) // 30
        tokens = self._call(
            "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA",
            _RESPOND,
            {
                "ChallengeName": "SOFTWARE_TOKEN_MFA",
                "ClientId": shared.client_id,
                "Session": mfa["Session"],
                "ChallengeResponses": {
                    "USERNAME": user_id,
                    "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(identity.totp_secret).at(step * 30),
                },
            },
        )
        if "AuthenticationResult" not in tokens:
            raise RuntimeError("no tokens after SOFTWARE_TOKEN_MFA")

    def _call(self, name: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        began = time.perf_counter()
        error: Exception | None = None
        answer: dict[str, Any] = {}
        length = 0
        try:
            raw = self.transport.post(headers, json.dumps(body).encode())
            length = len(raw.body)
            answer = json.loads(raw.body)
            if raw.status != 200:
                error = RuntimeError(f"{name}: HTTP {raw.status} {answer.get('__type')}")
        except Exception as exc:
            error = exc
        fire_call(self.environment.events, name, began, length, error)
        if error is not None:
            raise error
        return answer
