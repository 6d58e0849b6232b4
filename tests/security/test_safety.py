"""The safety rails: the stated target, the confirmed pool id, the hard maxima."""

from __future__ import annotations

import argparse
import io

import pytest

from loadtest.protocol.units import parse_duration
from loadtest.target.options import CONFIRM, add_command_options
from loadtest.target.safety import (
    BOUNDS,
    LOCAL_POOL_URL,
    OverLimit,
    UnsafeTarget,
    add_bound_options,
    check_bounds,
    guard_target,
    is_local_endpoint,
)

POOL = "eu-west-1_AbC123"


def guard(endpoint: str | None, confirm: str | None = None, pool: str | None = POOL) -> str:
    out = io.StringIO()
    guard_target(
        endpoint_url=endpoint, region=None, pool_id=pool, confirm_pool_id=confirm, stream=out
    )
    return out.getvalue()


@pytest.mark.parametrize(
    "url",
    [None, LOCAL_POOL_URL, "http://localhost:8000/", "http://127.0.0.2:1/", "http://[::1]:9229/"],
)
def test_the_local_pool_needs_no_confirmation_and_is_stated(url: str | None) -> None:
    line = guard(url)
    assert line.count("\n") == 1
    assert "(the local pool)" in line
    assert POOL in line
    assert "eu-west-1" in line


def test_an_endpoint_is_stated_the_same_with_or_without_its_slash() -> None:
    """``run`` states the config file's endpoint, then its Locust child the normalised one:
    the two lines were ``http://127.0.0.1:9229`` and ``http://127.0.0.1:9229/``."""
    assert guard("http://127.0.0.1:9229") == guard("http://127.0.0.1:9229/")
    assert "endpoint http://127.0.0.1:9229/ (the local pool)" in guard("http://127.0.0.1:9229")
    assert "endpoint http://127.0.0.1:9229/x (the local pool)" in guard("http://127.0.0.1:9229/x")


@pytest.mark.parametrize(
    "url",
    [
        "aws",
        "https://cognito-idp.eu-west-1.amazonaws.com/",
        "http://10.0.0.5:9229/",
        "http://localhost.example.com/",
        "http://127.0.0.1.nip.io/",
        "http://0.0.0.0:9229/",
    ],
)
def test_a_pool_that_is_not_local_needs_its_id_confirmed(url: str) -> None:
    with pytest.raises(UnsafeTarget, match=f"--confirm-pool-id {POOL}"):
        guard(url)
    with pytest.raises(UnsafeTarget, match="not the target pool"):
        guard(url, confirm="eu-west-1_AbC124")  # a typo
    assert "NOT the local pool" in guard(url, confirm=POOL)


def test_the_aws_endpoint_is_resolved_from_the_pool_ids_region() -> None:
    line = guard("aws", confirm=POOL)
    assert "https://cognito-idp.eu-west-1.amazonaws.com/" in line


def test_a_remote_target_without_a_pool_id_is_refused() -> None:
    with pytest.raises(UnsafeTarget, match="no pool id"):
        guard("aws", pool=None)


def test_loopback_is_judged_by_the_url_alone() -> None:
    assert is_local_endpoint("http://127.0.0.1:9229/")
    assert not is_local_endpoint("http://[::1:9229/")  # malformed
    assert not is_local_endpoint("not a url")


def test_the_options_parse() -> None:
    parser = argparse.ArgumentParser()
    add_command_options(parser, (CONFIRM,))
    add_bound_options(parser)
    args = parser.parse_args(["--confirm-pool-id", POOL, "--allow-above-max"])
    assert args.cognito_confirm_pool_id == POOL
    assert args.allow_above_max
    assert parser.parse_args([]).cognito_confirm_pool_id is None
    assert parser.parse_args(["--cognito-confirm-pool-id", POOL]).cognito_confirm_pool_id == POOL


def test_values_above_a_maximum_need_the_explicit_flag() -> None:
    top = BOUNDS["run"]["users"].maximum
    check_bounds("run", {"users": top, "run_time": None}, allow=False)
    with pytest.raises(OverLimit, match=r"--users .* --run-time") as caught:
        check_bounds("run", {"users": top + 1, "run_time": 10**6}, allow=False)
    assert isinstance(caught.value, UnsafeTarget)
    check_bounds("run", {"users": top + 1}, allow=True)


def test_every_default_is_within_its_maximum() -> None:
    for command, bounds in BOUNDS.items():
        for name, bound in bounds.items():
            assert 0 <= bound.default <= bound.maximum, (command, name)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("30s", 30), ("5m", 300), ("1h30m", 5400), ("2h1m3s", 7263)]
)
def test_durations_parse_like_locust(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "s", "1d", "-5s", "5 minutes"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)
