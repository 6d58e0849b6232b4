"""Drivers over real loopback HTTP: events, timing split, errors, retries, signing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import srp_fast
from loadtest.drivers import (
    AiohttpTransport,
    AsyncDriver,
    CallEvent,
    ComputeEvent,
    Event,
    LoginRecord,
    RetryPolicy,
    SigV4Signer,
    Stepper,
    SyncDriver,
    Urllib3Transport,
    record,
)
from loadtest.flows import (
    Compute,
    FlowError,
    Identity,
    LoginResult,
    Outcome,
    admin_login,
    srp_login,
)
from loadtest.flows.effects import ComputeKind, Flow
from loadtest.flows.outcomes import LoginStopped
from loadtest.locust.driver import GeventDriver, GeventTransport
from loadtest.protocol import errors
from loadtest.target.launch import free_port
from srp_fast.offload import math_executor

from ..flows.scripted import SrpServer, challenge, context, tokens
from .httpserver import Raw, serve

USER_ID = "alice-id"


def cognito(server: SrpServer) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """A two-step SRP service: PASSWORD_VERIFIER, then tokens, with real proofs."""

    def handle(operation: str, body: dict[str, Any]) -> dict[str, Any]:
        if operation == "InitiateAuth":
            return dict(server.password_verifier()(body))
        assert operation == "RespondToAuthChallenge"
        return dict(server.then(tokens())(body))

    return handle


def alice() -> Identity:
    return Identity(username="alice", password="Passw0rd!")


def test_sync_driver_runs_a_login_and_reports_calls_and_compute_apart() -> None:
    events: list[Event] = []
    with serve(cognito(SrpServer.for_user(USER_ID, "Passw0rd!"))) as (url, seen):
        driver = SyncDriver(Urllib3Transport(url), reporter=events.append)
        result = driver.run(srp_login(alice(), context()))
    assert result.username == USER_ID
    calls = [e for e in events if isinstance(e, CallEvent)]
    computes = [e for e in events if isinstance(e, ComputeEvent)]
    assert [c.name for c in calls] == [
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
    ]
    assert all(c.outcome is Outcome.OK and c.response_length > 0 for c in calls)
    assert [c.name for c in computes] == ["ephemeral", "PASSWORD_VERIFIER"]
    assert all(c.compute_ms > 0 for c in computes)
    headers = seen.requests[0][1]
    assert headers["X-Amz-Target"] == "AWSCognitoIdentityProviderService.InitiateAuth"
    assert headers["Content-Type"] == "application/x-amz-json-1.1"
    assert "Authorization" not in headers


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (errors.TooManyRequests(errors.Messages.RATE_EXCEEDED), Outcome.THROTTLED),
        (errors.NotAuthorized(errors.Messages.ATTEMPTS_EXCEEDED), Outcome.LOCKED_OUT),
        (errors.UserNotFound(errors.Messages.USER_NOT_FOUND), Outcome.REJECTED),
    ],
)
def test_service_errors_arrive_typed_with_their_request_id(
    error: errors.CognitoError, outcome: Outcome
) -> None:
    def refuse(operation: str, body: dict[str, Any]) -> dict[str, Any]:
        raise error

    events: list[Event] = []
    with serve(refuse) as (url, _):
        driver = SyncDriver(Urllib3Transport(url), reporter=events.append)
        with pytest.raises(type(error)) as caught:
            driver.run(srp_login(alice(), context()))
    assert caught.value.message == error.message
    assert caught.value.request_id == "req-1"
    call = next(e for e in events if isinstance(e, CallEvent))
    assert call.outcome is outcome
    assert call.exception is caught.value


def test_throttles_are_retried_only_when_asked_and_each_attempt_is_reported() -> None:
    answers = iter([errors.TooManyRequests("Rate exceeded")] * 2)
    inner = cognito(SrpServer.for_user(USER_ID, "Passw0rd!"))

    def flaky(operation: str, body: dict[str, Any]) -> dict[str, Any]:
        if operation == "InitiateAuth":
            refusal = next(answers, None)
            if refusal is not None:
                raise refusal
        return inner(operation, body)

    events: list[Event] = []
    delays: list[float] = []
    with serve(flaky) as (url, _):
        driver = SyncDriver(
            Urllib3Transport(url),
            reporter=events.append,
            retry=RetryPolicy(attempts=3, base_delay=0.5, jitter=lambda: 0.999),
            sleep=delays.append,
        )
        driver.run(srp_login(alice(), context()))
    attempts = [(e.attempt, e.outcome) for e in events if isinstance(e, CallEvent)]
    assert attempts[:3] == [(1, Outcome.THROTTLED), (2, Outcome.THROTTLED), (3, Outcome.OK)]
    assert delays == pytest.approx([0.4995, 0.999])


def test_retry_delays_are_full_jitter_under_a_doubling_cap() -> None:
    """As the AWS SDKs draw them: uniform below base · 2^(attempt-1), capped at 20 s, so users
    throttled together do not all come back in the same instant."""
    policy = RetryPolicy(attempts=10, base_delay=0.5)
    throttled = errors.TooManyRequests("Rate exceeded")
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (9, 20.0)):
        delays = [policy.retry_after(throttled, attempt) for _ in range(300)]
        assert all(d is not None and 0 <= d < ceiling for d in delays), (attempt, max(delays))
        assert max(delays) - min(delays) > ceiling / 2  # spread, not one value
    assert policy.retry_after(throttled, 10) is None  # the attempts are spent
    assert policy.retry_after(errors.InternalError("boom"), 1) is None  # only throttles


def test_a_refused_connection_is_connection_failed() -> None:
    port = free_port()
    events: list[Event] = []
    driver = SyncDriver(Urllib3Transport(f"http://127.0.0.1:{port}/"), reporter=events.append)
    with pytest.raises(errors.ConnectionFailed):
        driver.run(srp_login(alice(), context()))
    assert [e.outcome for e in events if isinstance(e, CallEvent)] == [Outcome.TRANSPORT]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (Raw(200, b"<html>ok</html>"), errors.MalformedResponse),
        (Raw(502, b"<html>bad gateway</html>"), errors.InternalError),
        (Raw(400, b"<html>no type</html>"), errors.MalformedResponse),
    ],
)
def test_answers_that_are_not_cognito_json_fail_typed(raw: Raw, expected: type[Exception]) -> None:
    with serve(lambda op, body: raw) as (url, _), pytest.raises(expected):
        SyncDriver(Urllib3Transport(url)).run(srp_login(alice(), context()))


def test_compute_runs_on_the_executor_and_its_failure_reaches_the_flow() -> None:
    def boom() -> None:
        raise ValueError("maths failed")

    def flow() -> Flow[str]:
        try:
            yield Compute(fn=boom, label="boom")
        except ValueError as exc:
            return f"caught {exc}"
        return "not raised"

    events: list[Event] = []
    with math_executor(1) as executor:
        result = SyncDriver(Urllib3Transport("http://127.0.0.1:9/"), executor=executor).run(
            flow(), reporter=events.append
        )
    assert result == "caught maths failed"
    assert isinstance(events[0], ComputeEvent)
    assert isinstance(events[0].exception, ValueError)


class CountingExecutor(ThreadPoolExecutor):
    """A real thread pool that counts what it was given."""

    submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def _ready_flow(stock: list[str]) -> Flow[list[str]]:
    got = []
    for _ in range(3):
        ready = lambda: stock.pop() if stock else None  # noqa: E731
        value = yield Compute(fn=lambda: "computed", label="ephemeral", ready=ready)
        got.append(value)
    return got


def test_a_ready_value_skips_the_math_threads_and_an_empty_stock_uses_them() -> None:
    events: list[Event] = []
    with CountingExecutor(1) as executor:
        driver = SyncDriver(Urllib3Transport("http://127.0.0.1:9/"), executor=executor)
        result = driver.run(_ready_flow(["stocked"]), reporter=events.append)
    assert result == ["stocked", "computed", "computed"]
    assert executor.submitted == 2
    assert [e.name for e in events] == ["ephemeral"] * 3  # every Compute still reported


@pytest.mark.asyncio
async def test_the_async_driver_takes_ready_values_too() -> None:
    with CountingExecutor(1) as executor:
        driver = AsyncDriver(AiohttpTransport("http://127.0.0.1:9/"), executor=executor)
        result = await driver.run(_ready_flow(["b", "a"]))
        await driver.transport.close()
    assert result == ["a", "b", "computed"]
    assert executor.submitted == 1


def _maths_then_a_wait() -> Flow[list[str]]:
    """One piece of maths and one out-of-band wait, each answering the thread it ran on."""
    import threading

    where = lambda: threading.current_thread().name  # noqa: E731
    maths = yield Compute(fn=where, label="PASSWORD_VERIFIER")
    wait = yield Compute(fn=where, label="code", kind=ComputeKind.OUT_OF_BAND)
    return [maths, wait]


@pytest.mark.asyncio
async def test_the_async_driver_never_holds_a_math_thread_for_an_out_of_band_wait() -> None:
    """A code read blocks until a message comes: on the math executor it would hold a thread a
    login's proof needs; the async driver waits for it on the loop's default executor."""
    with CountingExecutor(1, thread_name_prefix="srp-math") as executor:
        driver = AsyncDriver(AiohttpTransport("http://127.0.0.1:9/"), executor=executor)
        maths, wait = await driver.run(_maths_then_a_wait())
        await driver.transport.close()
    assert maths.startswith("srp-math")
    assert not wait.startswith("srp-math")
    assert executor.submitted == 1


def test_admin_calls_are_signed_and_public_calls_are_not() -> None:
    def handle(operation: str, body: dict[str, Any]) -> dict[str, Any]:
        return tokens()

    with serve(handle) as (url, seen):
        signer = SigV4Signer("us-east-1", access_key="AKIDEXAMPLE", secret_key="secret")
        driver = SyncDriver(Urllib3Transport(url), signer=signer)
        driver.run(admin_login(alice(), context()))
    headers = seen.requests[0][1]
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/cognito-idp/aws4_request" in headers["Authorization"]


def test_a_login_record_keeps_server_and_compute_time_apart() -> None:
    with serve(cognito(SrpServer.for_user(USER_ID, "Passw0rd!"))) as (url, _):
        driver = SyncDriver(Urllib3Transport(url))
        login: LoginRecord[Any] = record(
            "login:srp", lambda r: driver.run(srp_login(alice(), context()), reporter=r), ()
        )
    calls = [e for e in login.events if isinstance(e, CallEvent)]
    computes = [e for e in login.events if isinstance(e, ComputeEvent)]
    assert login.error is None
    assert login.result is not None
    assert login.outcome is Outcome.OK
    assert len(login.calls) == 2 == len(calls)
    assert login.server_ms == pytest.approx(sum(c.response_time_ms for c in calls))
    assert login.compute_ms == pytest.approx(sum(c.compute_ms for c in computes))
    assert login.total_ms >= login.server_ms + login.compute_ms


def test_a_login_record_keeps_a_typed_failure_and_counts_stock_misses() -> None:
    """An empty stock is a miss (the login waited for maths); a full one is a hit."""
    wrong = SrpServer.for_user(USER_ID, "not the password")
    empty = context(ready_ephemeral=lambda: None)
    stocked = srp_fast.EphemeralPool(target=2)
    stocked.fill()
    full = context(ready_ephemeral=stocked.take_ready)
    with serve(cognito(wrong)) as (url, _):
        driver = SyncDriver(Urllib3Transport(url))
        missed = record(
            "login:srp",
            lambda r: driver.run(srp_login(alice(), empty), reporter=r),
            (errors.CognitoError,),
        )
        hit = record(
            "login:srp",
            lambda r: driver.run(srp_login(alice(), full), reporter=r),
            (errors.CognitoError,),
        )
    assert isinstance(missed.error, errors.NotAuthorized)
    assert missed.result is None
    assert missed.outcome is Outcome.REJECTED
    assert [c.stocked for c in missed.computes if c.name == "ephemeral"] == [False]
    assert missed.stock_misses == 1
    assert [c.stocked for c in hit.computes if c.name == "ephemeral"] == [True]
    assert hit.stock_misses == 0


@pytest.mark.asyncio
async def test_async_driver_runs_a_totp_login_over_aiohttp() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = Identity(username="alice", password="Passw0rd!", totp_secret="JBSWY3DPEHPK3PXP" * 2)

    def handle(operation: str, body: dict[str, Any]) -> dict[str, Any]:
        if operation == "InitiateAuth":
            return dict(server.password_verifier()(body))
        if body["ChallengeName"] == "PASSWORD_VERIFIER":
            return dict(server.then(challenge("SOFTWARE_TOKEN_MFA", "S"))(body))
        return tokens()

    events: list[Event] = []
    transport = AiohttpTransport("")
    with serve(handle) as (url, _):
        transport.url = url
        with math_executor(1) as executor:
            driver = AsyncDriver(transport, reporter=events.append, executor=executor)
            result = await driver.run(srp_login(identity, context()))
        await transport.close()
    assert result.challenges == ("PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA")
    names = [e.name for e in events if isinstance(e, CallEvent)]
    assert names[-1] == "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA"


@pytest.mark.asyncio
async def test_async_driver_maps_a_refused_connection() -> None:
    port = free_port()
    transport = AiohttpTransport(f"http://127.0.0.1:{port}/")
    with math_executor(1) as executor, pytest.raises(errors.ConnectionFailed):
        await AsyncDriver(transport, executor=executor).run(srp_login(alice(), context()))
    await transport.close()


def test_gevent_driver_runs_a_login_with_native_thread_maths() -> None:
    events: list[Event] = []
    with serve(cognito(SrpServer.for_user(USER_ID, "Passw0rd!"))) as (url, _):
        transport = GeventTransport(url)
        driver = GeventDriver(transport, reporter=events.append)
        result = driver.run(srp_login(alice(), context()))
        transport.close()
    assert result.username == USER_ID
    assert [e.outcome for e in events if isinstance(e, CallEvent)] == [Outcome.OK, Outcome.OK]


def test_stepper_bounds_a_runaway_flow() -> None:
    def forever() -> Flow[None]:
        while True:
            yield Compute(fn=int, label="spin")

    stepper: Stepper[None] = Stepper(forever(), max_effects=5)
    assert stepper.advance() is not None
    for _ in range(4):
        assert stepper.advance(0) is not None
    with pytest.raises(FlowError, match="exceeded"):
        stepper.advance(0)
    with pytest.raises(RuntimeError):
        _ = stepper.result


def _login_with(driver: str, url: str) -> LoginResult:
    """alice's SRP login run by the named driver over its own transport."""
    flow = srp_login(alice(), context())
    if driver == "sync":
        return SyncDriver(Urllib3Transport(url)).run(flow)
    if driver == "gevent":
        transport = GeventTransport(url)
        try:
            return GeventDriver(transport).run(flow)
        finally:
            transport.close()

    async def run_async() -> LoginResult:
        transport = AiohttpTransport(url)
        try:
            with math_executor(1) as executor:
                return await AsyncDriver(transport, executor=executor).run(flow)
        finally:
            await transport.close()

    return asyncio.run(run_async())


@pytest.mark.parametrize("driver", ["sync", "async", "gevent"])
def test_real_srp_proofs_pass_through_every_driver_layer(driver: str) -> None:
    """The right password's proof verifies and a wrong one's is refused, through each driver."""
    with serve(cognito(SrpServer.for_user(USER_ID, "Passw0rd!"))) as (url, _):
        assert _login_with(driver, url).username == USER_ID
    wrong = SrpServer.for_user(USER_ID, "not the password")
    with (
        serve(cognito(wrong)) as (url, _),
        pytest.raises(errors.NotAuthorized, match="Incorrect username"),
    ):
        _login_with(driver, url)
    assert srp_fast.pool_name("us-east-1_AbCdEfGhI") == "AbCdEfGhI"


def test_gevent_driver_keeps_the_hub_serving_while_maths_runs() -> None:
    """The Compute below can only finish if another greenlet runs during it, which it can
    only do if the maths is on a native thread and the hub is free meanwhile."""
    import threading

    import gevent

    from srp_fast.offload import gevent_math_executor

    other_greenlet_ran = threading.Event()

    def maths() -> str:
        assert other_greenlet_ran.wait(timeout=30)
        return "done"

    def flow() -> Flow[str]:
        value: str = yield Compute(fn=maths, label="maths")
        return value

    gevent.spawn(other_greenlet_ran.set)
    executor = gevent_math_executor(1)
    driver = GeventDriver(GeventTransport("http://127.0.0.1:9/"), executor=executor)
    assert driver.run(flow()) == "done"
    executor.shutdown()


def _held_verifier(held: Any) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """The SRP service, whose PASSWORD_VERIFIER answer waits until ``held`` is set (bounded)."""
    answer = cognito(SrpServer.for_user(USER_ID, "Passw0rd!"))

    def handle(operation: str, body: dict[str, Any]) -> dict[str, Any]:
        if operation == "RespondToAuthChallenge":
            held.wait(timeout=30)
        return answer(operation, body)

    return handle


def _cut_after_the_first_call(cut: Callable[[Any], None]) -> tuple[list[LoginRecord[Any]], Any]:
    """alice's login in a greenlet, over the gevent driver, against a service that holds its
    second answer; when the first call is done, ``cut(greenlet)`` stops it from outside while
    it waits for that answer. Returns what reached ``on_stop``, and the greenlet's value
    (what came out of :func:`record`)."""
    import threading

    import gevent

    held = threading.Event()
    stopped: list[LoginRecord[Any]] = []

    def after_first_call(event: Event) -> None:
        if isinstance(event, CallEvent):
            cut(gevent.getcurrent())

    with serve(_held_verifier(held)) as (url, _):
        transport = GeventTransport(url)
        driver = GeventDriver(transport)

        def login() -> object:
            try:
                return record(
                    "login:srp",
                    lambda r: driver.run(srp_login(alice(), context()), reporter=r),
                    (errors.CognitoError, errors.TransportError),
                    on_event=after_first_call,
                    stops=(gevent.GreenletExit, gevent.Timeout),
                    on_stop=stopped.append,
                )
            except gevent.Timeout as timeout:
                return timeout  # what record() raised again: out of the greenlet, no traceback

        greenlet = gevent.spawn(login)
        try:
            greenlet.join(timeout=30)
        finally:
            held.set()
            transport.close()
    assert greenlet.ready()
    return stopped, greenlet.value


def _assert_stopped_after_one_call(stopped: list[LoginRecord[Any]], by: str) -> None:
    [login] = stopped
    assert login.outcome is Outcome.STOPPED
    assert isinstance(login.error, LoginStopped)
    assert login.error.by == by
    assert login.result is None
    assert [(c.name, c.outcome) for c in login.calls] == [
        ("InitiateAuth:USER_SRP_AUTH", Outcome.OK)
    ]
    assert login.total_ms >= login.server_ms


def test_a_login_killed_mid_flight_is_recorded_as_stopped_and_the_kill_goes_on() -> None:
    """Locust ends a run by killing its users' greenlets (``GreenletExit``) wherever they
    wait: the login's completed call reaches ``on_stop`` in a ``stopped`` record, and the
    greenlet still dies of the kill."""
    import gevent

    stopped, value = _cut_after_the_first_call(lambda me: gevent.spawn(me.kill, block=False))
    assert isinstance(value, gevent.GreenletExit)  # the kill went on: not swallowed
    _assert_stopped_after_one_call(stopped, "GreenletExit")


def test_a_gevent_timeout_from_outside_stops_the_login_rather_than_failing_a_call() -> None:
    """A ``gevent.Timeout`` around a login (a locustfile's own bound) fires while a call
    waits: the driver does not take it for a transport failure of that call; the login is
    ``stopped`` and the Timeout reaches whoever set it."""
    import gevent

    stopped, value = _cut_after_the_first_call(lambda me: gevent.Timeout(0.01).start())
    assert isinstance(value, gevent.Timeout)
    _assert_stopped_after_one_call(stopped, "Timeout")


def test_a_bug_is_neither_a_failure_nor_a_stop() -> None:
    """An exception in neither ``errors`` nor ``stops`` propagates and reaches no consumer."""
    stopped: list[LoginRecord[Any]] = []

    def broken(_: Any) -> None:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        record(
            "login:srp",
            broken,
            (errors.CognitoError,),
            stops=(TimeoutError,),
            on_stop=stopped.append,
        )
    assert stopped == []
