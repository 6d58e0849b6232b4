"""Quotas: token buckets per category, the challenge allowance, per-user limits, workers."""

from __future__ import annotations

import multiprocessing
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from loadtest.pool.quotas import Quotas, QuotaSettings
from loadtest.protocol.errors import TooManyRequests
from loadtest.protocol.names import Challenge, Operation
from loadtest.protocol.quotas import DEFAULT_RPS, QuotaCategory
from tests.conftest import App, PoolServer, StartPool

from .helpers import error_of, srp_login, srp_responses, start_srp

Q = QuotaCategory


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _quotas(rates: dict[QuotaCategory, float], per_user: float = 10.0) -> tuple[Quotas, FakeTime]:
    settings = QuotaSettings(rps={**DEFAULT_RPS, **rates}, per_user_rps=per_user, user_slots=64)
    clock = FakeTime()
    buckets = multiprocessing.RawArray("d", 2 * settings.bucket_slots)
    return Quotas(settings, buckets, multiprocessing.Lock(), clock), clock


def _admitted(quotas: Quotas, count: int, op: Operation, challenge: str | None = None) -> int:
    ok = 0
    for _ in range(count):
        try:
            quotas.admit(op, challenge, None)
        except TooManyRequests:
            continue
        ok += 1
    return ok


def test_bucket_allows_its_rate_per_second() -> None:
    quotas, clock = _quotas({Q.USER_AUTHENTICATION: 120})
    assert _admitted(quotas, 200, Operation.INITIATE_AUTH) == 120
    clock.now += 0.5
    assert _admitted(quotas, 200, Operation.INITIATE_AUTH) == 60


def test_challenge_allowance_is_three_times_then_spills_into_user_authentication() -> None:
    quotas, _ = _quotas({Q.USER_AUTHENTICATION: 80})
    ok = _admitted(quotas, 400, Operation.RESPOND_TO_AUTH_CHALLENGE, Challenge.PASSWORD_VERIFIER)
    assert ok == 240 + 80
    assert _admitted(quotas, 10, Operation.INITIATE_AUTH) == 0


def test_new_password_required_counts_under_account_recovery() -> None:
    quotas, _ = _quotas({Q.USER_AUTHENTICATION: 80})
    op = Operation.RESPOND_TO_AUTH_CHALLENGE
    assert _admitted(quotas, 100, op, Challenge.NEW_PASSWORD_REQUIRED) == 30
    assert _admitted(quotas, 100, Operation.INITIATE_AUTH) == 80


def test_per_user_limit() -> None:
    quotas, _ = _quotas({}, per_user=10)
    results = []
    for user in ["a"] * 12 + ["b"]:
        try:
            quotas.admit(Operation.INITIATE_AUTH, None, user)
            results.append(True)
        except TooManyRequests:
            results.append(False)
    assert results == [True] * 10 + [False, False, True]


def test_throttled_calls_take_no_tokens() -> None:
    quotas, _ = _quotas({Q.USER_AUTHENTICATION: 5}, per_user=1)
    quotas.admit(Operation.INITIATE_AUTH, None, "a")
    for _ in range(3):
        with pytest.raises(TooManyRequests):
            quotas.admit(Operation.INITIATE_AUTH, None, "a")
    assert _admitted(quotas, 10, Operation.INITIATE_AUTH) == 4


# -- over HTTP ----------------------------------------------------------------------------------
def _slow_server(pool_server: StartPool, *args: str) -> PoolServer:
    """Rates so low that nothing refills during a test: counts are exact."""
    return pool_server("--burst-seconds", "1000", *args)


def _initiate(idp: Any, app: App, name: str) -> str:
    try:
        start_srp(idp, app, name)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return "ok"


@pytest.mark.e2e
def test_throttle_on_the_wire_and_challenge_allowance(pool_server: StartPool) -> None:
    server = _slow_server(pool_server, "--quota", "UserAuthentication=0.004")  # 4 tokens
    idp, app = server.client(), server.provision()
    server.add_user(app, "q")
    first, eph = start_srp(idp, app, "q")
    responses = srp_responses(app, first["ChallengeParameters"], "Passw0rd!", eph=eph)
    answers = []
    for _ in range(12 + 3 + 1):  # allowance 12, then the 3 UserAuthentication tokens left
        try:
            idp.respond_to_auth_challenge(
                ClientId=app.client_id,
                ChallengeName="PASSWORD_VERIFIER",
                ChallengeResponses=responses,
            )
            answers.append("ok")
        except ClientError as error:
            answers.append(error.response["Error"]["Code"])
    assert answers == ["ok"] * 15 + ["TooManyRequestsException"]
    with pytest.raises(ClientError) as excinfo:
        srp_login(idp, app, "q")
    assert error_of(excinfo) == ("TooManyRequestsException", "Rate exceeded")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.e2e
def test_per_user_quota_on_the_wire(pool_server: StartPool) -> None:
    server = _slow_server(pool_server, "--per-user-rps", "0.003")  # 3 per user
    idp, app = server.client(), server.provision()
    for name in ("u1", "u2"):
        server.add_user(app, name)
    assert [_initiate(idp, app, "u1") for _ in range(4)] == ["ok"] * 3 + [
        "TooManyRequestsException"
    ]
    assert _initiate(idp, app, "u2") == "ok"


@pytest.mark.e2e
def test_quotas_are_shared_by_worker_processes(pool_server: StartPool) -> None:
    server = _slow_server(
        pool_server, "--workers", "2", "--quota", "UserAuthentication=0.02"
    )  # 20 tokens
    app = server.provision()
    names = [f"w{i}" for i in range(40)]
    for name in names:
        server.add_user(app, name)

    def one(name: str) -> str:
        return _initiate(server.client(), app, name)  # a fresh connection each time

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(one, names))
    assert answers.count("ok") == 20
    assert answers.count("TooManyRequestsException") == 20


@pytest.mark.e2e
def test_no_quotas_switch(pool_server: StartPool) -> None:
    server = _slow_server(pool_server, "--no-quotas", "--quota", "UserAuthentication=0.001")
    idp, app = server.client(), server.provision()
    server.add_user(app, f"n{uuid.uuid4().hex[:6]}")
    assert all(_initiate(idp, app, "nobody") == "UserNotFoundException" for _ in range(5))


def test_pool_level_categories_allow_five_per_pool_and_operation() -> None:
    quotas, _ = _quotas({})
    op = Operation.GET_USER_POOL_MFA_CONFIG  # UserPoolResourceRead: 20 per second overall
    results = []
    for pool in ["p1"] * 7 + ["p2"] * 7:
        try:
            quotas.admit(op, None, None, pool)
            results.append(True)
        except TooManyRequests:
            results.append(False)
    assert results == ([True] * 5 + [False] * 2) * 2
    quotas.admit(Operation.DESCRIBE_USER_POOL, None, None, "p1")  # not a ¹ category
