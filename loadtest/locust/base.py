"""The abstract Locust user: owns a client, runs flows, fires one event per call and per login.

Concrete users only declare tasks that call :meth:`CognitoUser.login` (or :meth:`run_flow`)
with a flow. Each API call becomes a Locust request event (``request_type="cognito"``, named by
its label, e.g. ``RespondToAuthChallenge:PASSWORD_VERIFIER``); each whole flow becomes one more
(``request_type="login"``, e.g. ``login:srp_totp``) whose context carries the server and client
compute times; the client compute of each login is also reported as ``compute`` so that it shows
apart from every server latency.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import gevent
from locust import User, constant, events

import srp_fast
from loadtest.drivers import GeventDriver, GeventTransport, Tally
from loadtest.drivers.events import CallEvent, Event
from loadtest.flows.effects import Flow, FlowError
from loadtest.flows.identities import NoIdentityAvailable
from loadtest.flows.identity import Identity
from loadtest.flows.outcomes import classify
from loadtest.locust import hooks as report
from loadtest.protocol.errors import CognitoError, TransportError
from loadtest.report.events import StepLog
from loadtest.target.config import ConfigError, check_reachable
from loadtest.target.options import add_locust_options, target_from
from loadtest.target.safety import UnsafeTarget, guard_target

from .runtime import Runtime, existing_runtime, runtime_for, utc_now

__all__ = ["FLOW_ERRORS", "CognitoUser"]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How a flow may fail without it being a bug in this code.
FLOW_ERRORS = (CognitoError, TransportError, FlowError, srp_fast.SrpError)
#: Longest a user waits for a free identity before reporting a failed lease.
LEASE_WAIT_SECONDS = 35.0


def _options(parser: Any, **_: Any) -> None:
    add_locust_options(parser)


def _check_target(environment: Any, **_: Any) -> None:
    """Refuse to start on bad settings, a pool that is not local and not confirmed
    (``--cognito-confirm-pool-id``), or an unreachable endpoint, with a clear message; state
    the target first."""
    options = environment.parsed_options
    if options is None or options.worker:
        return
    try:
        config = target_from(options)
        if config.identities is None:
            raise ConfigError("missing identities file (--cognito-identities)")
        guard_target(
            endpoint_url=config.endpoint_url,
            region=config.region,
            pool_id=config.pool_id,
            confirm_pool_id=getattr(options, "cognito_confirm_pool_id", None),
        )
        check_reachable(config.endpoint_url)
    except (ConfigError, UnsafeTarget) as exc:
        log.error("%s", exc)
        raise SystemExit(2) from exc


def _summarise(environment: Any, **_: Any) -> None:
    """Log how this process's calls and logins ended (throttles and lockouts apart)."""
    runtime = existing_runtime(environment)
    if runtime is not None:
        log.info("%s", runtime.summary())


events.test_stop.add_listener(_summarise)  # type: ignore[no-untyped-call]
events.init_command_line_parser.add_listener(_options)  # type: ignore[no-untyped-call]
events.init.add_listener(_check_target)  # type: ignore[no-untyped-call]


class CognitoUser(User):
    """Abstract base of every Cognito user: one client, one driver, leased identities."""

    abstract = True
    wait_time = constant(1)
    #: Only identities with a TOTP secret fit this user.
    needs_totp: ClassVar[bool] = False

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.runtime: Runtime = runtime_for(environment)
        self.transport = GeventTransport(self.runtime.config.endpoint_url, concurrency=1)
        self.driver = GeventDriver(
            self.transport,
            executor=self.runtime.executor,
            signer=self.runtime.signer,
            retry=self.runtime.retry,
        )

    def on_stop(self) -> None:
        self.transport.close()

    def accepts(self, identity: Identity) -> bool:
        """Whether an identity fits this user class."""
        return identity.totp_secret is not None or not self.needs_totp

    def sends_totp(self, identity: Identity) -> bool:
        """Whether this user's login of ``identity`` sends a TOTP code (so needs a free step)."""
        return identity.totp_secret is not None

    def login(self, name: str, make_flow: Callable[[Identity], Flow[T]]) -> T | None:
        """Lease an identity, run the flow it makes, give the identity back."""
        identity = self._lease(name)
        if identity is None:
            return None
        try:
            return self.run_flow(name, make_flow(identity))
        finally:
            self.runtime.identities.release(identity)

    def run_flow(self, name: str, flow: Flow[T]) -> T | None:
        """Run a flow, report its calls and one ``login`` event; ``None`` if it failed."""
        self.runtime.ephemerals.top_up()
        steps = StepLog(forward=self._fire)
        tally = Tally(forward=steps)
        start = time.perf_counter()
        result: T | None = None
        error: BaseException | None = None
        try:
            result = self.driver.run(flow, reporter=tally)
        except FLOW_ERRORS as exc:
            error = exc
        elapsed = (time.perf_counter() - start) * 1000
        context = {
            "outcome": classify(error).value,
            "server_ms": tally.server_ms,
            "compute_ms": tally.compute_ms,
            "calls": tally.calls,
        }
        self.runtime.outcomes[("login", classify(error))] += 1
        self._request("login", name, elapsed, 0, error, context)
        report.record_login(self.environment, name, steps.steps, elapsed, error)
        if self.runtime.report_compute:
            self._request("compute", name, tally.compute_ms, 0, None, {})
        return result

    def _fire(self, event: Event) -> None:
        if isinstance(event, CallEvent):
            self.runtime.outcomes[("call", event.outcome)] += 1
            context = {"outcome": event.outcome.value, "attempt": event.attempt}
            self._request(
                "cognito",
                event.name,
                event.response_time_ms,
                event.response_length,
                event.exception,
                context,
            )

    def _request(
        self,
        request_type: str,
        name: str,
        elapsed_ms: float,
        length: int,
        error: BaseException | None,
        context: dict[str, Any],
    ) -> None:
        self.environment.events.request.fire(
            request_type=request_type,
            name=name,
            response_time=elapsed_ms,
            response_length=length,
            response=None,
            context=context,
            exception=error,
        )

    def _lease(self, name: str) -> Identity | None:
        deadline = time.monotonic() + LEASE_WAIT_SECONDS
        while True:
            try:
                return self.runtime.identities.lease(utc_now(), self.accepts, self.sends_totp)
            except NoIdentityAvailable as exc:
                left = deadline - time.monotonic()
                if exc.retry_in is None or left <= 0:
                    self._request("identity", name, 0, 0, exc, {})
                    return None
                gevent.sleep(min(exc.retry_in, left, 1.0))
