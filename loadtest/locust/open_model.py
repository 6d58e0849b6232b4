"""The open model in Locust: logins start on a schedule, not when a user becomes free.

Locust runs a closed model: each user waits for its answer before it sends again, so a slow
server is sent less (coordinated omission). Here, as in k6's arrival-rate executors:

- each process that runs users (the local runner, or each worker) runs one **dispatcher**
  greenlet, started when Locust has spawned the users; it walks this process's share of the
  schedule (:mod:`loadtest.capacity.schedule`: worker ``i`` of ``n`` takes every ``n``-th
  arrival) and, at each arrival's due time, hands it to a free user;
- the users are the bounded pool of concurrent logins (k6's maxVUs): ``-u N`` of
  :class:`OpenLoginUser`, each waiting for an arrival, running one login, and waiting again;
- an arrival that finds no free user is **dropped** (after waiting up to ``--cognito-max-wait``
  seconds, 0 by default as in k6): the event ``login:<flow>:dropped``, outcome ``dropped``;
  so is one no identity can serve (``reason`` ``no_identity``; an identity tagged with a
  group, as ``capacity`` provisions them, serves only its group's kinds), and one whose SMS or
  e-mail messages the run may no longer send to a pool that is not local (``reason``
  ``messages``: ``--cognito-confirm-messages`` is spent);
- a kind runs on its driver: an API flow on the user's :class:`GeventDriver`, an HTTP flow
  (``managed_login``, ``client_credentials``: Fetch effects) on a
  :class:`~loadtest.locust.driver.GeventFetchDriver` against ``--cognito-domain-url`` with
  the domain's OAuth client of its grant; ``custom_auth`` is answered by
  ``--cognito-custom-answers MODULE:CALLABLE``;
- a started login fires its usual events (a Locust request event per API call; its
  ``login:<flow>`` with its service time in the report), and ``login:<flow>:intended``: its
  latency from the time it was due, which includes any time it waited to start
  (coordinated-omission-free). Logins, drops and intended latencies go, with
  ``--cognito-report-dir``, to ``events.jsonl``, the HDR histograms of ``summary.json`` and
  the Cognito tab, not to Locust's request totals (which count API calls only);
  the lines of ``events.jsonl`` also carry the arrival's ``stage`` and due time (``due``), so
  a capacity run can cut its results by step; a login the end of the run cuts short is
  recorded as ``stopped`` with those fields and the calls it completed, and no ``:intended``
  view (its time is truncated);
- when its schedule is done and its logins have finished (or ``--cognito-drain`` seconds have
  passed), a worker tells the master, and the master (or the local runner) quits once every
  process is done: the schedule bounds the run (``-t`` still applies).

Run it with ``locust -f scenarios/open_logins.py --cognito-stages 10:30s -u 50 -r 50`` (plus the
usual target settings), also with ``--processes N`` or master and workers.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, cast

import gevent
import gevent.event
from gevent.queue import Channel, Empty, Full
from locust import constant, events, task

from loadtest.capacity.kinds import KINDS, FlowKind, check_mix, group_of, parse_mix
from loadtest.capacity.schedule import (
    Arrival,
    ScheduleError,
    Stage,
    arrivals,
    duration,
    parse_stages,
)
from loadtest.drivers.record import LoginRecord, record
from loadtest.flows.catalogue import PoolSetting
from loadtest.flows.codes import MessagesNotConfirmed
from loadtest.flows.context import AppClient, CustomAnswerer, FlowContext
from loadtest.flows.identities import NoIdentityAvailable
from loadtest.flows.identity import Identity
from loadtest.flows.results import LoginResult
from loadtest.locust.base import FLOW_ERRORS, CognitoUser
from loadtest.locust.driver import GeventFetchDriver
from loadtest.locust.hosted import HostedSettings
from loadtest.locust.run import STOPS, run_for
from loadtest.locust.runtime import utc_now, worker_slot
from loadtest.protocol.names import GrantType
from loadtest.target.options import OPEN_MODEL, add_locust_options

__all__ = ["DONE_MESSAGE", "Dispatcher", "OpenLoginUser", "Ticket", "dispatcher_for"]

log = logging.getLogger(__name__)

#: A worker's message to the master: its schedule is done and its logins have finished.
DONE_MESSAGE = "cognito_open_done"
#: How often a waiting user looks whether the schedule is done.
IDLE_CHECK_S = 0.25


class Dropped(Exception):
    """An arrival that could not start on time (no free user, or no identity to serve it)."""


def _add_options(parser: Any, **_: Any) -> None:
    group = parser.add_argument_group("open model (loadtest.locust.open_model)")
    add_locust_options(group, OPEN_MODEL)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticket:
    """An arrival handed to a user: when it was due (monotonic and wall clock)."""

    arrival: Arrival
    due: float
    due_wall: float
    start_wall: float
    #: Due within the schedule's warm-up (``--cognito-warmup``): written, not a result.
    warmup: bool = False


class Dispatcher:
    """One process's share of the schedule, handed to free users at the due times."""

    def __init__(
        self,
        environment: Any,
        stages: list[Stage],
        mix: dict[str, float],
        *,
        worker: int,
        workers: int,
        max_wait: float,
        drain: float,
        answers: CustomAnswerer | None = None,
        domain: HostedSettings | None = None,
        warmup: float = 0.0,
        process: str = "even",
        seed: int = 1,
    ) -> None:
        self.environment = environment
        self.stages, self.mix = stages, mix
        #: How the arrivals are spaced (:func:`~loadtest.capacity.schedule.arrivals`).
        self.process, self.seed = process, seed
        self.worker, self.workers = worker, workers
        self.max_wait, self.drain, self.warmup = max_wait, drain, warmup
        #: What answers CUSTOM_CHALLENGE, and the domain HTTP kinds go to (when the mix has
        #: custom_auth or HTTP kinds: see :func:`dispatcher_for`).
        self.answers, self.domain = answers, domain
        self.channel: Channel = Channel()
        self.counts: Counter[str] = Counter()
        self.in_flight = 0
        self.finished = gevent.event.Event()
        self._greenlet: gevent.Greenlet | None = None
        self._stopped = False

    @property
    def started(self) -> bool:
        return self._greenlet is not None

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` ended the schedule (the test is stopping)."""
        return self._stopped

    def start(self) -> None:
        """Start walking the schedule now (once; never after :meth:`stop`)."""
        if self._greenlet is None and not self._stopped:
            self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        """The test is stopping: no more arrivals, and the users waiting for one are let go at
        once (a ``None`` ticket), so none starts a login while the run winds down."""
        self._stopped = True
        if self._greenlet is not None and self._greenlet is not gevent.getcurrent():
            self._greenlet.kill(block=False)
        for _ in range(len(self.channel.getters)):
            try:
                self.channel.put(None, block=False)
            except Full:
                break

    def _run(self) -> None:
        start, start_wall = time.monotonic(), time.time()
        log.info(
            "open model: worker %d of %d, %g s of schedule, mix %s, %s arrivals",
            self.worker,
            self.workers,
            duration(self.stages),
            self.mix,
            self.process,
        )
        schedule = arrivals(
            self.stages,
            self.mix,
            worker=self.worker,
            workers=self.workers,
            process=self.process,
            seed=self.seed,
        )
        for arrival in schedule:
            due = start + arrival.at
            delay = due - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
            ticket = Ticket(
                arrival=arrival,
                due=due,
                due_wall=start_wall + arrival.at,
                start_wall=start_wall,
                warmup=arrival.at < self.warmup,
            )
            self._dispatch(ticket)
        self._wait_for_logins()
        log.info("open model: schedule done: %s", dict(self.counts))
        self.finished.set()
        _finished(self.environment)

    def _dispatch(self, ticket: Ticket) -> None:
        left = ticket.due + self.max_wait - time.monotonic()
        try:
            if left > 0 and self.max_wait > 0:
                self.channel.put(ticket, timeout=left)
            else:
                self.channel.put(ticket, block=False)
        except Full:
            self.drop(ticket, "busy")

    def drop(self, ticket: Ticket, reason: str) -> None:
        """Count and report an arrival that did not start."""
        self.counts[f"dropped:{reason}"] += 1
        name = f"login:{ticket.arrival.flow}:dropped"
        late_ms = max(0.0, (time.monotonic() - ticket.due) * 1000)
        error = Dropped(f"no free user ({reason})" if reason == "busy" else reason)
        run_for(self.environment).view(
            name, late_ms, error, view="dropped", **_fields(ticket), outcome="dropped",
            reason=reason,
        )  # fmt: skip

    def _wait_for_logins(self) -> None:
        with gevent.Timeout(self.drain, False):
            while self.in_flight > 0:
                gevent.sleep(0.05)

    def context(self, kind: FlowKind, base: FlowContext) -> FlowContext:
        """The flow context of one of ``kind``'s arrivals: the runtime's, with the answerer
        of custom challenges, and for an HTTP kind the OAuth app client its grant uses."""
        ctx = base if self.answers is None else replace(base, custom_answers=self.answers)
        if not kind.http:
            return ctx
        if self.domain is None:  # dispatcher_for reads the domain for every mix with one
            raise RuntimeError(f"{kind.name} needs a domain (--cognito-domain-url)")
        pool_id, domain = base.client.pool_id, self.domain
        if any(detail == GrantType.CLIENT_CREDENTIALS for _, detail in kind.calls):
            client = AppClient(
                pool_id=pool_id, client_id=domain.m2m_id, client_secret=domain.m2m_secret
            )
        else:
            client = AppClient(pool_id=pool_id, client_id=domain.client_id)
        return replace(ctx, client=client)


def _fields(ticket: Ticket) -> dict[str, Any]:
    """What each line of a ticket's events carries: its stage, index, due time and the
    schedule's start (wall clock); ``warmup`` when it was due in the warm-up (the report
    leaves those out of its figures)."""
    arrival = ticket.arrival
    fields: dict[str, Any] = {
        "stage": arrival.stage,
        "arrival": arrival.index,
        "due": round(ticket.due_wall, 6),
        "t0": round(ticket.start_wall, 6),
    }
    if ticket.warmup:
        fields["warmup"] = True
    return fields


def dispatcher_for(environment: Any) -> Dispatcher:
    """This process's dispatcher (held by its run object), built from the options on first
    use."""
    run = run_for(environment)
    if run.dispatcher is None:
        options = environment.parsed_options
        worker, workers = worker_slot(environment)
        stages, mix = _schedule_from(options)
        domain = _domain_of(options, mix)
        if domain is not None:
            run.add_secrets([domain.m2m_secret])
        run.dispatcher = Dispatcher(
            environment,
            stages,
            mix,
            worker=worker,
            workers=workers,
            max_wait=float(getattr(options, "cognito_max_wait", 0.0) or 0.0),
            drain=float(getattr(options, "cognito_drain", 10.0) or 0.0),
            answers=_answerer_for(options, mix),
            domain=domain,
            warmup=float(getattr(options, "cognito_warmup", 0.0) or 0.0),
            process=str(getattr(options, "cognito_arrivals", None) or "even"),
            seed=int(getattr(options, "cognito_arrivals_seed", None) or 1),
        )
    dispatcher: Dispatcher = run.dispatcher
    return dispatcher


def _domain_of(options: Any, mix: dict[str, float]) -> HostedSettings | None:
    """The domain and OAuth clients, when the mix has an HTTP kind (``SystemExit`` for one
    that is not the local pool's, as for the HTTP users)."""
    http = [name for name in mix if KINDS[name].http]
    if not http:
        return None
    if not (getattr(options, "cognito_domain_url", None) or os.environ.get("COGNITO_DOMAIN_URL")):
        raise ValueError(
            f"{', '.join(http)} call a user-pool domain: give --cognito-domain-url and its "
            "OAuth clients (capacity's embedded pool makes them)"
        )
    return HostedSettings(options, os.environ)


def _answerer_for(options: Any, mix: dict[str, float]) -> CustomAnswerer | None:
    """``--cognito-custom-answers MODULE:CALLABLE`` imported, or ``None``; ``ValueError`` for
    a mix with a custom challenge and nothing to answer it."""
    spec = getattr(options, "cognito_custom_answers", None)
    custom = [name for name in mix if PoolSetting.CUSTOM_TRIGGERS in KINDS[name].pool]
    if custom and not spec:
        raise ValueError(
            f"{', '.join(custom)} answer a custom challenge: give --cognito-custom-answers "
            "MODULE:CALLABLE (the example trigger's: loadtest.scenarios.triggers.captcha:solve)"
        )
    if not spec:
        return None
    module, _, name = spec.partition(":")
    found = getattr(importlib.import_module(module), name, None) if module and name else None
    if not callable(found):
        raise ValueError(f"--cognito-custom-answers {spec!r}: not a MODULE:CALLABLE")
    return cast(CustomAnswerer, found)


def _schedule_from(options: Any) -> tuple[list[Stage], dict[str, float]]:
    text = getattr(options, "cognito_stages", None) or _default_stages(options)
    mix = parse_mix(getattr(options, "cognito_mix", None) or "srp=1")
    check_mix(mix)
    return parse_stages(text), mix


def _default_stages(options: Any) -> str:
    """Without ``--cognito-stages``: one login a second for the run time (``-t``, else 30 s),
    so the scenario runs as it is, like the others."""
    seconds = int(getattr(options, "run_time", None) or 30)
    return f"1:{seconds}s"


class OpenLoginUser(CognitoUser):
    """One slot of the open model's bounded pool of concurrent logins."""

    wait_time = constant(0)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.dispatcher = dispatcher_for(environment)
        self._fetches: GeventFetchDriver | None = None

    @task
    def next_arrival(self) -> None:
        """Wait for an arrival, run its login."""
        ticket = self._next_ticket()
        if ticket is None:
            return
        self.dispatcher.in_flight += 1
        try:
            self.run_arrival(ticket)
        finally:
            self.dispatcher.in_flight -= 1

    def _next_ticket(self) -> Ticket | None:
        """The next arrival, or ``None`` once the schedule is done: the task then ends every
        :data:`IDLE_CHECK_S`, so Locust's stop finds no user in the middle of one (a user left
        waiting on the channel held the stop for its whole ``--stop-timeout``)."""
        while True:
            try:
                ticket: Ticket | None = self.dispatcher.channel.get(timeout=IDLE_CHECK_S)
            except Empty:
                if self.dispatcher.finished.is_set() or self.dispatcher.stopped:
                    return None
                continue
            return ticket  # None: the dispatcher stopped (the test is stopping)

    def run_arrival(self, ticket: Ticket) -> None:
        """Lease an identity for the arrival's flow (if it takes one), run it, report both
        latencies."""
        kind = KINDS[ticket.arrival.flow]
        identity = None
        if kind.leases:
            identity = self._lease_now(kind)
            if identity is None:
                self.dispatcher.drop(ticket, "no_identity")
                return
        try:
            if not self._messages_confirmed(ticket, kind):
                return
            self.dispatcher.counts["started"] += 1
            login = self.run_kind(kind, identity, **_fields(ticket))
        finally:
            if identity is not None:
                kind.after(identity)
                self.runtime.identities.release(identity)
        self._report_intended(ticket, kind, login)

    def run_kind(
        self, kind: FlowKind, identity: Identity | None, **fields: Any
    ) -> LoginRecord[LoginResult]:
        """One run of ``kind``: an API flow on the user's driver, an HTTP flow (Fetch effects)
        on its domain's; the record goes to the run either way."""
        flow = kind.flow(identity, self.dispatcher.context(kind, self.runtime.context))
        if not kind.http:
            return self.run_flow(kind.event, flow, **fields)
        driver = self._fetch_driver()
        login = record(
            kind.event,
            lambda reporter: driver.run(flow, reporter=reporter),
            FLOW_ERRORS,
            on_event=self.cognito.event,
            stops=STOPS,
            on_stop=partial(self.cognito.login, **fields),
        )
        self.cognito.login(login, **fields)
        return login

    def _fetch_driver(self) -> GeventFetchDriver:
        """This user's driver of HTTP flows, made on first use."""
        if self._fetches is None:
            assert self.dispatcher.domain is not None  # context() checked it
            self._fetches = GeventFetchDriver(self.dispatcher.domain.domain_url)
        return self._fetches

    def on_stop(self) -> None:
        super().on_stop()
        if self._fetches is not None:
            self._fetches.close()

    def _messages_confirmed(self, ticket: Ticket, kind: FlowKind) -> bool:
        """Take the arrival's SMS or e-mail messages from the run's budget; drop the arrival
        (reason ``messages``) when the messages confirmed for a real pool are spent."""
        try:
            self.runtime.messages.take(kind.messages, self.runtime.config.pool_id)
        except MessagesNotConfirmed as exc:
            self.dispatcher.drop(ticket, "messages")
            log.warning("open model: %s", exc)
            return False
        return True

    def _report_intended(self, ticket: Ticket, kind: FlowKind, login: Any) -> None:
        fields = _fields(ticket)
        intended_ms = (time.monotonic() - ticket.due) * 1000
        self.cognito.view(
            f"{kind.event}:intended", intended_ms, login.error, view="intended", **fields
        )

    def _lease_now(self, kind: FlowKind) -> Identity | None:
        """An identity the kind accepts and, if it is tagged with a group (capacity's embedded
        pool tags each), of the kind's group; ``None`` if none is free."""
        group = group_of(kind)
        name = None if group is None else group.name

        def accepts(identity: Identity) -> bool:
            return kind.accepts(identity) and identity.group in (None, name)

        try:
            return self.runtime.identities.lease(utc_now(), accepts, kind.sends_totp)
        except NoIdentityAvailable:
            return None


# -- starting and ending the schedule ------------------------------------------------------
def _role(environment: Any) -> str:
    return type(environment.runner).__name__.removesuffix("Runner").lower()


#: Seconds after the test starts at which a worker starts its schedule anyway if it has not
#: heard that spawning is complete (a lost or late message must not leave its share unrun).
SPAWN_FALLBACK_S = 3.0


def _start_when_spawned(environment: Any) -> None:
    """Start the schedule once Locust has spawned the users (in a process that runs them)."""

    def spawned(**_: Any) -> None:
        dispatcher_for(environment).start()

    def fallback() -> None:
        dispatcher = dispatcher_for(environment)
        if not dispatcher.started:
            log.warning("open model: no spawning_complete after %g s; starting", SPAWN_FALLBACK_S)
            dispatcher.start()

    def started(**_: Any) -> None:
        gevent.spawn_later(SPAWN_FALLBACK_S, fallback)

    def stopping(**_: Any) -> None:
        dispatcher_for(environment).stop()

    environment.events.spawning_complete.add_listener(spawned)
    environment.events.test_start.add_listener(started)
    environment.events.test_stopping.add_listener(stopping)


def _is_open(environment: Any) -> bool:
    user_classes = getattr(environment, "user_classes", None) or []
    return any(issubclass(cls, OpenLoginUser) for cls in user_classes)


def _finished(environment: Any) -> None:
    runner = environment.runner
    if _role(environment) == "worker":
        runner.send_message(DONE_MESSAGE, {"worker": getattr(runner, "worker_index", 0)})
    elif _role(environment) == "local":
        gevent.spawn_later(0, runner.quit)


def _on_init(environment: Any, runner: Any = None, **_: Any) -> None:
    """Check the schedule before the run; on the master, quit when every worker is done."""
    if runner is None or environment.parsed_options is None or not _is_open(environment):
        return
    options = environment.parsed_options
    try:
        stages, mix = _schedule_from(options)
        _answerer_for(options, mix)
        _domain_of(options, mix)
    except (ScheduleError, ValueError, ImportError) as exc:
        log.error("%s", exc)
        raise SystemExit(2) from exc
    run_for(environment).peak_rate = max(max(s.start_rate, s.end_rate) for s in stages)
    if _role(environment) in ("local", "worker"):
        _start_when_spawned(environment)
    elif _role(environment) == "master":
        done: set[str] = set()

        def worker_done(msg: Any, **_: Any) -> None:
            done.add(msg.node_id)
            if len(done) >= max(1, runner.worker_count):
                log.info("open model: every worker finished its schedule")
                gevent.spawn_later(0, runner.quit)

        runner.register_message(DONE_MESSAGE, worker_done)
        log.info("open model: %d stages, %g s", len(stages), duration(stages))


events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
events.init_command_line_parser.add_listener(_add_options)  # type: ignore[no-untyped-call]
