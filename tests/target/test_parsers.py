"""The one duration parser, the one ``CATEGORY=RPS`` parser and the one count parser, and the
commands reading them.

Every command line reads durations and quota rates through :mod:`loadtest.protocol.units`; these
tests pin the accepted forms, the refusals (one line, naming the input), and that the pool,
provisioning, capacity and the quota model agree on the same text.
"""

from __future__ import annotations

import argparse

import pytest

from loadtest.capacity.ramp import quotas_under_test
from loadtest.capacity.schedule import ScheduleError, parse_stages
from loadtest.pool.faults import FaultSpecError, parse_fault
from loadtest.protocol.quotas import DEFAULT_RPS, QuotaCategory
from loadtest.protocol.units import (
    BadValue,
    count_at_least,
    parse_duration,
    parse_quota,
    parse_quota_limit,
)
from loadtest.quota.inputs import QuotaModelError
from loadtest.quota.inputs import parse_quota as model_quota

Q = QuotaCategory


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("1.5", 1.5),
        ("30s", 30.0),
        ("250ms", 0.25),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("2h1m3s", 7263.0),
        ("1m30s500ms", 90.5),
        (" 10S ", 10.0),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "s", "ms", "1d", "-5s", "5 minutes", "30s5m", "1h1h", "1.2.3", "1e3"]
)
def test_bad_durations_are_refused_in_one_line(text: str) -> None:
    with pytest.raises(BadValue, match="not a duration") as caught:
        parse_duration(text)
    assert "\n" not in str(caught.value)
    assert repr(text) in str(caught.value)


def test_minutes_are_not_milliseconds() -> None:
    assert parse_duration("5m") == 300.0
    assert parse_duration("5ms") == 0.005


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UserAuthentication=200", (Q.USER_AUTHENTICATION, 200.0)),
        ("userauthentication = 2.5", (Q.USER_AUTHENTICATION, 2.5)),
        ("UserCreation=1e3", (Q.USER_CREATION, 1000.0)),
    ],
)
def test_quotas(text: str, expected: tuple[QuotaCategory, float]) -> None:
    assert parse_quota(text) == expected
    assert parse_quota_limit(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("UserCreation", "use CATEGORY=RPS"),
        ("=5", "use CATEGORY=RPS"),
        ("Nope=3", "unknown quota category 'Nope'"),
        ("UserCreation=0", "a number above 0"),
        ("UserCreation=-1", "a number above 0"),
        ("UserCreation=x", "a number above 0"),
        ("UserCreation=inf", "a number above 0"),
        ("UserCreation=nan", "a number above 0"),
        ("UserCreation=off", "a number above 0"),
    ],
)
def test_bad_quotas_are_refused_in_one_line(text: str, says: str) -> None:
    with pytest.raises(BadValue, match=says) as caught:
        parse_quota(text)
    assert "\n" not in str(caught.value)


def test_a_client_side_limit_may_be_switched_off() -> None:
    for off in ("off", "None", "UNLIMITED"):
        assert parse_quota_limit(f"UserResourceUpdate={off}") == (Q.USER_RESOURCE_UPDATE, None)
    with pytest.raises(BadValue):
        parse_quota_limit("UserResourceUpdate=0")


def test_argparse_prints_the_parsers_own_line(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="x")
    parser.add_argument("--quota", type=parse_quota)
    with pytest.raises(SystemExit):
        parser.parse_args(["--quota", "Nope=3"])
    assert "argument --quota: unknown quota category 'Nope'" in capsys.readouterr().err


def test_every_command_reads_quotas_the_same_way() -> None:
    assert quotas_under_test(["userauthentication=7"], 1.0)[Q.USER_AUTHENTICATION] == 7.0
    assert model_quota("userauthentication=7") == (Q.USER_AUTHENTICATION, 7.0)
    with pytest.raises(BadValue):
        quotas_under_test(["UserAuthentication=0"], 1.0)
    with pytest.raises(QuotaModelError, match="unknown quota category"):
        model_quota("Bogus=3")
    assert quotas_under_test([], 0.5)[Q.USER_CREATION] == DEFAULT_RPS[Q.USER_CREATION] * 0.5


def test_every_command_reads_durations_the_same_way() -> None:
    (stage,) = parse_stages("10:1m30s")
    assert stage.seconds == 90.0
    fault = parse_fault("latency:250ms")
    assert (fault.low, fault.high) == (0.25, 0.25)
    stall = parse_fault("stall:1m+500ms")
    assert (stall.start, stall.duration) == (60.0, 0.5)
    with pytest.raises(ScheduleError, match="not a duration"):
        parse_stages("10:5x")
    with pytest.raises(FaultSpecError, match="not a duration"):
        parse_fault("stall:soon+5s")


@pytest.mark.parametrize(("minimum", "text", "value"), [(1, "1", 1), (1, " 20 ", 20), (0, "0", 0)])
def test_counts(minimum: int, text: str, value: int) -> None:
    assert count_at_least(minimum)(text) == value


@pytest.mark.parametrize(
    ("minimum", "text"), [(1, "0"), (1, "-78"), (0, "-1"), (1, "abc"), (1, "1.5"), (1, "")]
)
def test_a_count_below_its_minimum_or_not_a_whole_number_is_refused(
    minimum: int, text: str
) -> None:
    with pytest.raises(BadValue) as info:
        count_at_least(minimum)(text)
    assert str(info.value) == f"expected a whole number of at least {minimum}, got {text!r}"
    assert isinstance(info.value, argparse.ArgumentTypeError)  # argparse prints it as it is
