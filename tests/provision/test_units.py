"""The sans-I/O parts of provisioning: pacing, backoff, names, estimate, identities file."""

from __future__ import annotations

import asyncio
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from loadtest.flows import DeviceCredentials, Identity
from loadtest.protocol.errors import NotAuthorized, TooManyRequests
from loadtest.protocol.quotas import QuotaCategory as Q
from loadtest.protocol.units import parse_quota_limit as parse_rate
from loadtest.provision import (
    Backoff,
    IdentitiesFile,
    IdentitiesFileError,
    Limiter,
    NotSynthetic,
    Plan,
    Progress,
    ProgressPrinter,
    RateLimits,
    RunNaming,
    TokenBucket,
    estimate,
)
from loadtest.provision.cli import build_parser
from loadtest.provision.naming import check_synthetic, run_id_from
from loadtest.provision.ratelimit import DECREASE, MIN_RATE_SHARE
from loadtest.provision.runner import FAIL_FAST_AFTER, Interrupt, run_jobs
from loadtest.provision.teardown import synthetic_names

NAMING = RunNaming("unit")


# -- pacing ---------------------------------------------------------------------------------
def test_bucket_spaces_calls_at_its_rate_and_forgives_idle_time() -> None:
    bucket = TokenBucket(rate=10)
    waits = [bucket.reserve(now=100.0) for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert bucket.reserve(now=200.0) == 0.0  # an idle bucket does not owe anything


def test_bucket_burst_lets_that_many_calls_through_at_once() -> None:
    bucket = TokenBucket(rate=10, burst=3)
    waits = [bucket.reserve(now=0.0) for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2])


def test_bucket_slows_on_throttle_and_climbs_back_on_success() -> None:
    bucket = TokenBucket(rate=20)
    bucket.throttled()
    bucket.throttled()
    assert bucket.current == pytest.approx(20 * DECREASE**2)
    for _ in range(100):
        bucket.throttled()
    assert bucket.current == 20 * MIN_RATE_SHARE
    for _ in range(1000):
        bucket.succeeded()
    assert bucket.current == 20


def test_backoff_is_bounded_in_attempts_and_in_delay() -> None:
    backoff = Backoff(attempts=4, base=0.5, cap=1.5)
    assert [backoff.delay(n, 1.0) for n in range(1, 5)] == [0.5, 1.0, 1.5, None]
    assert backoff.delay(3, 0.0) == 0.0


class _Clock:
    """A fake event-loop clock: sleeping moves it, so the test can read the pacing."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_limiter_retries_throttles_then_gives_up_and_counts_them() -> None:
    clock = _Clock()
    limiter = Limiter(RateLimits(), Backoff(attempts=3), clock=lambda: clock.now, sleep=clock.sleep)
    answers: list[object] = [TooManyRequests("Rate exceeded"), "made"]

    async def flaky() -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def always_throttled() -> None:
        raise TooManyRequests("Rate exceeded")

    assert asyncio.run(limiter.run(Q.USER_CREATION, flaky)) == "made"
    with pytest.raises(TooManyRequests):
        asyncio.run(limiter.run(Q.USER_CREATION, always_throttled))
    assert limiter.stats.throttles == {Q.USER_CREATION: 4}
    assert limiter.stats.exhausted == 1


def test_limiter_passes_other_errors_through_at_once() -> None:
    limiter = Limiter(RateLimits.unlimited())
    calls = 0

    async def refused() -> None:
        nonlocal calls
        calls += 1
        raise NotAuthorized("Incorrect username or password.")

    with pytest.raises(NotAuthorized):
        asyncio.run(limiter.run(Q.USER_AUTHENTICATION, refused))
    assert calls == 1


def test_parse_rate() -> None:
    assert parse_rate("UserCreation=20") == (Q.USER_CREATION, 20.0)
    assert parse_rate("UserResourceUpdate=off") == (Q.USER_RESOURCE_UPDATE, None)
    for bad in ("UserCreation", "Nope=3", "UserCreation=0", "UserCreation=x"):
        with pytest.raises(ValueError, match=r"."):
            parse_rate(bad)


# -- names and the estimate -----------------------------------------------------------------
def test_run_names_round_trip_and_reject_other_names() -> None:
    assert NAMING.username(7) == "lt-unit-00007"
    assert NAMING.username(123456) == "lt-unit-123456"
    assert NAMING.index_of("lt-unit-00007") == 7
    for other in ("lt-unit-7", "lt-unit-0000x", "lt-other-00007", "lt-unit-00000", "alice"):
        assert NAMING.index_of(other) is None
    with pytest.raises(ValueError, match="run id"):
        RunNaming("bad run")
    assert run_id_from("my ids.2026") == "my-ids-2026"


def test_synthetic_guard() -> None:
    assert check_synthetic("lt-x-00001") == "lt-x-00001"
    for name in ("alice", "lt", "LT-x", "xlt-"):
        with pytest.raises(NotSynthetic):
            check_synthetic(name)


def test_estimate_is_paced_by_the_slowest_category() -> None:
    full = Plan(totp=True, device=True)
    assert dict(full.calls_per_user()) == {
        Q.USER_CREATION: 1,
        Q.USER_ACCOUNT_RECOVERY: 1,
        Q.USER_AUTHENTICATION: 2,
        Q.USER_RESOURCE_UPDATE: 4,
    }
    guess = estimate(full, 1000, RateLimits())
    assert guess.bottleneck == Q.USER_RESOURCE_UPDATE
    assert guess.seconds == pytest.approx(1000 * 4 / 25)
    bare = estimate(Plan(totp=False, device=False), 1000, RateLimits())
    assert bare.bottleneck == Q.USER_ACCOUNT_RECOVERY  # AdminSetUserPassword: 30 < 50 RPS
    assert bare.seconds == pytest.approx(1000 / 30)
    assert estimate(full, 10, RateLimits.unlimited()).bottleneck is None


# -- the identities file --------------------------------------------------------------------
def _identity(index: int) -> Identity:
    return Identity(
        username=NAMING.username(index),
        password=f"Lt1!secret{index}",
        totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        device=DeviceCredentials(
            device_key="us-east-1_k", device_group_key="-g", device_password="dp"
        ),
        last_totp_step=1,
    )


def test_file_is_created_owner_only_and_reads_back_what_was_appended(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    store, resumed = IdentitiesFile.open(path, NAMING)
    with store:
        assert resumed.done == {}
        assert not resumed.existed
        store.append(_identity(1))
        store.append(_identity(3))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _, again = IdentitiesFile.open(path, NAMING)
    assert sorted(again.done) == [1, 3]
    assert again.existed
    assert again.done[3].to_json() == _identity(3).to_json()


def test_a_wider_file_is_narrowed_to_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_text("")
    os.chmod(path, 0o644)
    IdentitiesFile.open(path, NAMING)[0].close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_cut_last_line_is_dropped_and_its_user_owed_again(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    whole = json.dumps(_identity(1).to_json()) + "\n"
    path.write_text(whole + json.dumps(_identity(2).to_json())[:30])
    store, resumed = IdentitiesFile.open(path, NAMING)
    store.close()
    assert resumed.dropped_partial_line
    assert sorted(resumed.done) == [1]
    assert path.read_text() == whole


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"username": "alice", "password": "p"}\n', "not a user of run 'unit'"),
        ('{"username": "lt-unit-00001"}\n', "'password'"),
        ("not json\n", ":1:"),
        (
            '{"username": "lt-unit-00001", "password": "p"}\n' * 2,
            "lt-unit-00001 appears twice",
        ),
    ],
)
def test_a_file_that_is_not_this_runs_is_refused(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_text(content)
    with pytest.raises(IdentitiesFileError, match=message):
        IdentitiesFile.open(path, NAMING)


def test_teardown_refuses_a_file_with_one_non_synthetic_user(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    good = json.dumps(_identity(1).to_json())
    path.write_text(good + "\n" + '{"username": "bob", "password": "p"}\n')
    with pytest.raises(NotSynthetic, match="'bob'"):
        synthetic_names(path)
    path.write_text(good + "\n")
    assert synthetic_names(path) == ["lt-unit-00001"]


def test_progress_line_shows_rate_and_eta() -> None:
    progress = Progress(
        verb="provisioned", total=100, started=10.0, throttled=2, expected_rate=6.25
    )
    assert progress.line(now=11.0) == (
        "provisioned 0/100 (0%)  0.0/s  ETA 0:16  throttled 2  failed 0"
    )  # from the estimate until the first user is done
    progress.done = 30
    assert progress.line(now=20.0) == (
        "provisioned 30/100 (30%)  3.0/s  ETA 0:23  throttled 2  failed 0"
    )


def test_progress_redraws_in_place_on_a_tty_and_writes_lines_otherwise() -> None:
    progress = Progress(verb="deleted", total=4, started=0.0, done=1)
    tty, log = io.StringIO(), io.StringIO()
    on_tty, on_log = ProgressPrinter(tty, tty=True), ProgressPrinter(log, tty=False)
    for printer in (on_tty, on_log):
        printer.update(progress, now=1.0)
        printer.update(progress, now=1.1)  # too soon for either: skipped
        printer.update(progress, now=9.0)
        printer.say("a message")
    assert tty.getvalue().count("\r\x1b[2K[######..................] deleted 1/4") == 2
    assert tty.getvalue().endswith("\na message\n")
    assert log.getvalue().splitlines() == [
        "deleted 1/4 (25%)  1.0/s  ETA 0:03  throttled 0  failed 0",
        "deleted 1/4 (25%)  0.1/s  ETA 0:27  throttled 0  failed 0",
        "a message",
    ]


# -- the job runner ---------------------------------------------------------------------------
def _run_jobs(items: list[int], job: Any, concurrency: int = 3) -> tuple[Any, list[int], str]:
    done: list[int] = []
    stream = io.StringIO()

    async def go() -> Any:
        progress = Progress(verb="made", total=len(items), started=0.0)
        return await run_jobs(
            items,
            job,
            on_done=lambda item, _result: done.append(item),
            describe=lambda item: f"job-{item}",
            concurrency=concurrency,
            timeout=5.0,
            progress=progress,
            printer=ProgressPrinter(stream, tty=False),
            interrupt=Interrupt(),
        )

    return asyncio.run(go()), done, stream.getvalue()


def test_runner_never_has_more_jobs_in_flight_than_its_concurrency() -> None:
    in_flight, peak = 0, 0

    async def job(item: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        in_flight -= 1
        return item

    outcome, done, _ = _run_jobs(list(range(50)), job, concurrency=4)
    assert peak == 4
    assert sorted(done) == list(range(50))
    assert (outcome.done, outcome.failed, outcome.gave_up) == (50, 0, False)


def test_runner_reports_failures_and_gives_up_when_the_first_ones_all_fail() -> None:
    async def job(item: int) -> None:
        raise NotAuthorized(f"no {item}")

    outcome, done, text = _run_jobs(list(range(100)), job)
    assert done == []
    assert outcome.gave_up
    assert FAIL_FAST_AFTER <= outcome.failed < 100
    assert "job-0: failed: NotAuthorizedException: no 0" in text


def test_runner_lets_a_bug_surface_and_stops_the_other_jobs() -> None:
    started: list[int] = []

    async def job(item: int) -> None:
        started.append(item)
        await asyncio.sleep(0)
        if item == 2:
            raise KeyError("a bug")

    with pytest.raises(KeyError):
        _run_jobs(list(range(100)), job)
    assert len(started) < 10


def test_a_file_in_use_by_another_run_is_refused_until_it_is_closed(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    first, _ = IdentitiesFile.open(path, NAMING)
    with pytest.raises(IdentitiesFileError, match="in use by another provisioning run"):
        IdentitiesFile.open(path, NAMING)
    first.close()
    IdentitiesFile.open(path, NAMING)[0].close()


def test_cli_names_a_bad_rate_and_a_bad_count(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in (
        (["--rate", "Nope=3"], "unknown quota category 'Nope'"),
        (["-n", "0"], "expected a whole number of at least 1, got '0'"),
    ):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["provision", "-n", "2", "--identities", "x", *argv])
        assert message in capsys.readouterr().err
