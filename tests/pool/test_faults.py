"""Fault injection: the spec syntax, and each fault as a client sees it."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from loadtest.pool.faults import Fault, FaultKind, FaultPlan, FaultSpecError, Stall, parse_fault
from tests.conftest import StartPool

from .helpers import error_of


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("latency:50ms", Fault(kind=FaultKind.LATENCY, low=0.05, high=0.05)),
        ("latency:20-80ms@0.5", Fault(kind=FaultKind.LATENCY, rate=0.5, low=0.02, high=0.08)),
        ("latency:2s", Fault(kind=FaultKind.LATENCY, low=2.0, high=2.0)),
        ("throttle@0.05", Fault(kind=FaultKind.THROTTLE, rate=0.05)),
        ("5xx@0.01", Fault(kind=FaultKind.ERROR_500, rate=0.01)),
        ("503", Fault(kind=FaultKind.ERROR_503)),
        ("drop@0.5/InitiateAuth", Fault(kind=FaultKind.DROP, rate=0.5, operation="InitiateAuth")),
        ("stall:10s+5s", Stall(start=10.0, duration=5.0)),
        (
            "latency:40s/oauth2/token",
            Fault(kind=FaultKind.LATENCY, low=40.0, high=40.0, operation="oauth2/token"),
        ),
    ],
)
def test_fault_specs(spec: str, expected: Fault | Stall) -> None:
    assert parse_fault(spec) == expected


@pytest.mark.parametrize(
    "spec", ["boom", "latency", "throttle@2", "stall:5s", "latency:9-1ms", "throttle/login"]
)
def test_bad_fault_specs(spec: str) -> None:
    with pytest.raises(FaultSpecError):
        parse_fault(spec)


def test_fault_draws_follow_the_rate_and_the_seed() -> None:
    faults = (Fault(kind=FaultKind.THROTTLE, rate=0.25),)
    outcomes = [FaultPlan(faults, seed=7).decide("InitiateAuth").outcome for _ in range(4000)]
    assert len(set(outcomes)) == 1  # the same seed draws the same faults
    plan = FaultPlan(faults, seed=7)
    outcomes = [plan.decide("InitiateAuth").outcome for _ in range(4000)]
    assert 800 < outcomes.count(FaultKind.THROTTLE) < 1200
    only = FaultPlan((Fault(kind=FaultKind.DROP, operation="GetUser"),), seed=1)
    assert only.decide("InitiateAuth").outcome is None
    assert only.decide("GetUser").outcome is FaultKind.DROP


def test_a_domain_endpoint_is_delayed_only_by_the_faults_naming_it() -> None:
    def latency(seconds: float, operation: str | None = None) -> Fault:
        return Fault(kind=FaultKind.LATENCY, low=seconds, high=seconds, operation=operation)

    plan = FaultPlan((latency(2.0), latency(3.0, "mfa"), latency(1.0, "login")))
    assert plan.endpoint_delay("mfa") == 3.0
    assert plan.endpoint_delay("oauth2/token") == 0.0
    assert plan.decide("InitiateAuth").delay == 2.0  # the API's faults as before


@pytest.mark.e2e
def test_injected_errors_on_the_wire(pool_server: StartPool) -> None:
    server = pool_server("--fault", "throttle/ListUserPools", "--fault", "5xx/DescribeUserPool")
    idp = server.client()
    with pytest.raises(ClientError) as excinfo:
        idp.list_user_pools(MaxResults=10)
    assert error_of(excinfo) == ("TooManyRequestsException", "Rate exceeded")
    with pytest.raises(ClientError) as excinfo:
        idp.describe_user_pool(UserPoolId="us-east-1_x")
    assert error_of(excinfo)[0] == "InternalErrorException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


@pytest.mark.e2e
def test_dropped_connections(pool_server: StartPool) -> None:
    server = pool_server("--fault", "drop/ListUserPools")
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        server.client().list_user_pools(MaxResults=10)
    assert server.client().create_user_pool(PoolName="still-serving")["UserPool"]["Id"]


@pytest.mark.e2e
def test_latency_and_stall_hold_answers(pool_server: StartPool) -> None:
    server = pool_server("--fault", "latency:300ms/ListUserPools")
    idp = server.client()
    started = time.monotonic()
    idp.list_user_pools(MaxResults=10)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()  # the stall begins after this and ends 0.5 s after it begins
    server.stall(0.5)
    idp.create_user_pool(PoolName="after-the-stall")
    assert time.monotonic() - started >= 0.5
