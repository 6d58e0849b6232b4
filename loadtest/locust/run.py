"""One run object per Locust environment: what a process's users share, and where logins go.

A :class:`LocustRun` holds the process's runtime (target, identities, maths, ephemeral stock),
its report (with ``--cognito-report-dir``), its loop-lag monitor and, in the open model, its
dispatcher. Users hand it each :class:`~loadtest.drivers.LoginRecord`; from that record it
derives, once, the Locust request events (one per Cognito API call and nothing else, so that
Locust's Aggregated row and total RPS count API calls only) and the report's canonical login
event (whole login, server time, client compute, stock misses), which reaches ``events.jsonl``,
``summary.json``, ``report.html`` and the Cognito tab.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, field
from typing import Any

from gevent import GreenletExit, Timeout
from locust.exception import StopTest, StopUser

from loadtest.drivers.events import CallEvent, Event
from loadtest.drivers.record import LoginRecord
from loadtest.flows.identity import Identity
from loadtest.report.events import login_event as canonical_event
from loadtest.report.events import view_event
from loadtest.report.run import RunReport

from .loop_lag import LoopLagMonitor
from .runtime import Runtime, build_runtime

__all__ = ["CALL_REQUEST_TYPE", "STOPS", "LocustRun", "existing_run", "run_for"]

log = logging.getLogger(__name__)

#: Locust's request type of a Cognito API call: the only kind of request event this fires.
CALL_REQUEST_TYPE = "cognito"

#: What the end of a run raises into a user's login from outside (Locust killing the user, a
#: ``StopUser``, a ``gevent.Timeout`` around it): the login is recorded as ``stopped`` with the
#: calls it completed (:func:`loadtest.drivers.record.record`), then the stop goes on.
STOPS: tuple[type[BaseException], ...] = (GreenletExit, StopUser, StopTest, Timeout)

_RUNS: weakref.WeakKeyDictionary[Any, LocustRun] = weakref.WeakKeyDictionary()


@dataclass(slots=True)
class LocustRun:
    """The state of one Locust environment's run in this process."""

    environment: Any
    report: RunReport | None = None
    _runtime: Runtime | None = field(default=None, init=False)
    monitor: LoopLagMonitor | None = None
    #: The open model's :class:`~loadtest.locust.open_model.Dispatcher` (which imports this).
    dispatcher: Any = None
    #: The open model's peak arrival rate (all processes), to size the stock.
    peak_rate: float = 0.0
    #: Times a user of this process waited for an identity free to sign in, and for how long
    #: in all: the run offered less load than its users could (:meth:`waited_for_identity`).
    identity_waits: int = 0
    identity_wait_s: float = 0.0
    #: Whether a test started (Locust's ``test_start``): a run that never started measured
    #: nothing and is no failure (the web UI, quit before its start button).
    started: bool = False
    #: The validity verdict last stated on the terminal (at a test's stop, at the end): a web
    #: UI's tests each state theirs, and an unchanged one is not said twice.
    verdict: str | None = None

    def test_started(self) -> None:
        """Locust started a test in this process: the report marks when (its duration runs
        from there)."""
        self.started = True
        if self.report is not None:
            self.report.test_started()

    @property
    def built(self) -> bool:
        """Whether the runtime exists (it is built on first use)."""
        return self._runtime is not None

    @property
    def runtime(self) -> Runtime:
        """The process's runtime, built (and warmed) on first use if no hook warmed it."""
        if self._runtime is None:
            self._runtime = build_runtime(self.environment, peak_rate=self.peak_rate)
            self._register_secrets(self._runtime.all_identities)
            self._runtime.warm()
        return self._runtime

    def warm(self) -> None:
        """Build the runtime, the fixed-base table and a full ephemeral stock now, before the
        first user starts a login (called from Locust's ``test_start``)."""
        runtime = self.runtime
        log.info("warm: %s", runtime.stock_line())

    def begin(self) -> None:
        """A login starts: the loop-lag timer samples while any is in flight."""
        if self.monitor is not None:
            self.monitor.hold()

    def end(self) -> None:
        """A login ended (whatever its outcome)."""
        if self.monitor is not None:
            self.monitor.release()

    def event(self, event: Event) -> None:
        """An event of a login under way: an API call becomes a Locust request event as soon
        as it completes (Locust's table and rates count calls at the time they happened)."""
        if isinstance(event, CallEvent):
            self.environment.events.request.fire(**_request(event))

    def login(self, record: LoginRecord[Any], **fields: Any) -> None:
        """One finished login, or one the end of the run cut short (outcome ``stopped``): its
        calls already went to Locust, one by one, through :meth:`event`; counted, then its
        canonical event."""
        self.runtime.count(record)
        self.record(record, **fields)

    def record(self, record: LoginRecord[Any], **fields: Any) -> None:
        """A finished login's canonical event, without the API runtime: the HTTP users (managed
        login, client credentials) come in here. Its calls reached Locust through :meth:`event`
        as they completed."""
        if self.report is not None:
            self.report.login(canonical_event(record), **fields)

    def add_secrets(self, secrets: list[str | None]) -> None:
        """Secrets no event may hold (the HTTP users' client secret and identities)."""
        if self.report is not None:
            self.report.add_secrets(secrets)

    def view(
        self, flow: str, total_ms: float, error: BaseException | None, *, view: str, **fields: Any
    ) -> None:
        """Another view of a login (from its intended start, a dropped arrival, no identity):
        into the report's flow rows only, never into Locust's request totals."""
        if self.report is not None:
            self.report.login(view_event(flow, total_ms, error, view=view), **fields)

    def waited_for_identity(self, seconds: float) -> None:
        """A user waited ``seconds`` for an identity: every fitting one was leased, or had sent
        its code of the current TOTP step (Cognito takes each code once). Its login time does
        not include the wait, but the run offered less load than its users could."""
        self.identity_waits += 1
        self.identity_wait_s += seconds

    def validity(self, loop_lag: str | None = None) -> None:
        """Log and count this process's validity figures (its CPU, loop lag, stock, waits for
        an identity)."""
        if self.report is not None:
            figures = self._runtime.figures() if self._runtime is not None else {}
            if self.identity_waits:
                figures |= {
                    "identity_waits": self.identity_waits,
                    "identity_wait_s": round(self.identity_wait_s, 3),
                }
            self.report.validity(loop_lag, **figures)

    def _register_secrets(self, identities: list[Identity]) -> None:
        """Register every password, TOTP seed and device password so no event can hold one."""
        if self.report is not None:  # all at once: each call compiles the pattern again
            secrets: list[str | None] = []
            for identity in identities:
                device = identity.device.device_password if identity.device else None
                secrets += [identity.password, identity.totp_secret, device]
            self.report.add_secrets(secrets)


def _request(call: CallEvent) -> dict[str, Any]:
    return {
        "request_type": CALL_REQUEST_TYPE,
        "name": call.name,
        "response_time": call.response_time_ms,
        "response_length": call.response_length,
        "response": None,
        "context": {"outcome": call.outcome.value, "attempt": call.attempt},
        "exception": call.exception,
    }


def run_for(environment: Any) -> LocustRun:
    """The run object of a Locust environment, made on first use."""
    run = _RUNS.get(environment)
    if run is None:
        run = _RUNS[environment] = LocustRun(environment)
    return run


def existing_run(environment: Any) -> LocustRun | None:
    """The run object of an environment, if one was made (never makes one)."""
    return _RUNS.get(environment)
