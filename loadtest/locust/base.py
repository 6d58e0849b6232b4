"""The abstract Locust user: owns a client, runs flows, hands each login's record to the run.

Concrete users only declare tasks that call :meth:`CognitoUser.login` (or :meth:`run_flow`)
with a flow. Running a flow gives a :class:`~loadtest.drivers.LoginRecord`; the process's
:class:`~loadtest.locust.run.LocustRun` turns it into one Locust request event per API call
(``request_type="cognito"``, named by its label, e.g.
``RespondToAuthChallenge:PASSWORD_VERIFIER``) and nothing else, so Locust's totals count API
calls only; whole logins, server time and client compute go to the report and the Cognito tab.

Every process that runs users warms before the clock: its runtime, the fixed-base table and a
full ephemeral stock are built in Locust's ``test_start``, before the first user is spawned.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import gevent
from locust import User, constant, events

import srp_fast
from loadtest.drivers.record import LoginRecord, record
from loadtest.flows.catalogue import Entry, message_bound
from loadtest.flows.effects import Flow, FlowError
from loadtest.flows.identities import NoIdentityAvailable
from loadtest.flows.identity import Identity, load_identities, save_learned
from loadtest.protocol.errors import CognitoError, TransportError
from loadtest.target.config import ConfigError, check_reachable
from loadtest.target.options import add_locust_options, target_from
from loadtest.target.safety import (
    BOUNDS,
    TARGET_SAID_ENV,
    UnsafeTarget,
    guard_messages,
    guard_target,
)

from . import hooks
from .driver import GeventDriver, GeventTransport
from .fit import unfit_classes
from .phase import start_at_random_phase, step_wait
from .run import STOPS, LocustRun, existing_run, run_for
from .runtime import Runtime, utc_now

__all__ = ["FLOW_ERRORS", "CognitoUser"]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How a flow may fail without it being a bug in this code.
FLOW_ERRORS = (CognitoError, TransportError, FlowError, srp_fast.SrpError)
#: Longest a user waits for a free identity before reporting a failed lease.
LEASE_WAIT_SECONDS = 35.0
#: (environment, event name, what) of lease troubles logged: once each, not every second.
_SAID: set[tuple[int, str, str]] = set()


def _options(parser: Any, **_: Any) -> None:
    add_locust_options(parser)


def _bound_run_time(environment: Any, **_: Any) -> None:
    """A headless run with no ``--run-time`` stops by itself too: after the longest run
    ``cognito-loadtest run`` allows without ``--allow-above-max`` (1 h), said once. Locust
    alone runs it until interrupted (plain ``locust --config DIR/locust.conf --headless``).
    A load shape ends its own run, and a worker takes its run time from the master."""
    options = environment.parsed_options
    if options is None or options.worker or not options.headless or options.run_time:
        return
    if environment.shape_class is not None:
        return
    options.run_time = int(BOUNDS["run"]["run_time"].maximum)
    log.info(
        "no --run-time given: this headless run stops by itself after %d s, the longest "
        "'cognito-loadtest run' allows (-t sets another)",
        options.run_time,
    )


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
            said=os.environ.get(TARGET_SAID_ENV),  # by 'cognito-loadtest run'
        )
        guard_messages(
            endpoint_url=config.endpoint_url,
            region=config.region,
            pool_id=config.pool_id,
            messages=_message_bound(environment.user_classes, options),
            confirmed=getattr(options, "cognito_confirm_messages", None),
        )
        check_reachable(config.endpoint_url)
        _keep_fitting(environment, config.identities)
    except (ConfigError, UnsafeTarget) as exc:
        log.error("%s", exc)
        raise SystemExit(2) from exc


def _keep_fitting(environment: Any, path: Path) -> None:
    """Once, before the run: warn of each user class no identity fits and run the others;
    :class:`ConfigError` when none fits (a run that could only fail to lease)."""
    try:
        identities = load_identities(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the identities file {path}: {exc}") from None
    unfit = unfit_classes(environment.user_classes, identities)
    if not unfit:
        return
    names = {u.name for u in unfit}
    fitting = [c for c in environment.user_classes if c.__name__ not in names]
    if not fitting:
        raise ConfigError("\n".join(u.message(path) for u in unfit))
    for u in unfit:
        log.warning("%s; running the other user classes without it", u.message(path))
    environment.user_classes[:] = fitting


def _message_bound(user_classes: Any, options: Any) -> int | None:
    entries = [c.entry for c in user_classes if isinstance(getattr(c, "entry", None), Entry)]
    users = int(getattr(options, "num_users", 1) or 1)
    return message_bound(entries, users=users, seconds=getattr(options, "run_time", None))


def _summarise(environment: Any, **_: Any) -> None:
    """Log how this process's calls and logins ended (throttles and lockouts apart)."""
    run = existing_run(environment)
    if run is not None and run.built:
        log.info("%s", run.runtime.summary())


def _keep_learned(environment: Any, **_: Any) -> None:
    """Keep what this process's identities learned (TOTP steps used, passwords changed, ...)
    for the next run: see :func:`loadtest.flows.identity.save_learned`."""
    run = existing_run(environment)
    if run is None or not run.built or run.runtime.config.identities is None:
        return
    try:
        save_learned(run.runtime.own, run.runtime.config.identities)
    except OSError as exc:
        log.warning("could not keep what the identities learned: %s", exc)


def _warm(environment: Any, **_: Any) -> None:
    """Before the first user starts a login, in every process that runs users: build the
    runtime, the fixed-base table and a full ephemeral stock."""
    if type(environment.runner).__name__ == "MasterRunner":
        return
    try:
        run_for(environment).warm()
    except ConfigError as exc:
        log.error("%s", exc)
        raise SystemExit(2) from exc


events.test_stop.add_listener(_summarise)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_keep_learned)  # type: ignore[no-untyped-call]
events.init_command_line_parser.add_listener(_options)  # type: ignore[no-untyped-call]
events.init.add_listener(_bound_run_time)  # type: ignore[no-untyped-call]
events.init.add_listener(_check_target)  # type: ignore[no-untyped-call]
hooks.install()  # after the target's checks: a refused run makes no report folder
events.test_start.add_listener(_warm)  # type: ignore[no-untyped-call]


class CognitoUser(User):
    """Abstract base of every Cognito user: one client, one driver, leased identities."""

    abstract = True
    wait_time = constant(1)
    #: Only identities with a TOTP secret fit this user.
    needs_totp: ClassVar[bool] = False
    #: Begin, and leave a wait for the next TOTP step, at a random point of one wait
    #: (:mod:`.phase`); off where users are started at chosen moments already (the
    #: benchmark's evenly staggered users).
    random_phase: ClassVar[bool] = True

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.cognito: LocustRun = run_for(environment)
        #: Where a login the end of the run cuts short goes (bound once, not per login).
        self._cut_short = self.cognito.login
        self.runtime: Runtime = self.cognito.runtime
        self.transport = GeventTransport(self.runtime.config.endpoint_url, concurrency=1)
        self.driver = GeventDriver(
            self.transport,
            executor=self.runtime.executor,
            signer=self.runtime.signer,
            retry=self.runtime.retry,
        )

    def on_start(self) -> None:
        """Begin at a random point of the first wait, not at the spawn instant (:mod:`.phase`
        says why)."""
        start_at_random_phase(self, gevent.sleep)

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
            return self.run_flow(name, make_flow(identity)).result
        finally:
            self.runtime.identities.release(identity)

    def run_flow(self, name: str, flow: Flow[T], **fields: Any) -> LoginRecord[T]:
        """Run a flow, hand its record to the run (``fields`` go into its login event).

        A login the end of the run cuts short (Locust kills the user mid-login) reaches the
        run too, as ``stopped`` with the calls it completed, before the stop goes on: Locust
        counted those calls, so the report counts them as well."""
        self.runtime.ephemerals.top_up()
        cognito = self.cognito
        cognito.begin()
        try:
            login = record(
                name,
                lambda reporter: self.driver.run(flow, reporter=reporter),
                FLOW_ERRORS,
                on_event=cognito.event,
                stops=STOPS,
                on_stop=partial(cognito.login, **fields) if fields else self._cut_short,
            )
        finally:
            cognito.end()
        cognito.login(login, **fields)
        return login

    def _lease(self, name: str) -> Identity | None:
        """An identity for ``name``, waiting (bounded) while none is free; a wait is counted
        (:meth:`LocustRun.waited_for_identity`) however it ends, the end of the run included
        (Locust kills a waiting user in its sleep), and a failed lease is a ``no_identity``
        view."""
        began = time.monotonic()
        deadline, waited = began + LEASE_WAIT_SECONDS, False
        try:
            while True:
                try:
                    return self.runtime.identities.lease(utc_now(), self.accepts, self.sends_totp)
                except NoIdentityAvailable as exc:
                    left = deadline - time.monotonic()
                    if exc.retry_in is None or left <= 0:
                        self._warn_once(name, exc)
                        self.cognito.view(name, 0.0, exc, view="no_identity")
                        return None
                    waited = True
                    if exc.retry_in > 1.0:  # every fitting identity sent its code of this step
                        self._say_once(name, "waiting", f"{name}: waiting up to "
                                       f"{exc.retry_in:.0f} s for the next TOTP step: {exc} "
                                       "(Cognito takes each code once; more identities let more "
                                       "logins run in a step)")  # fmt: skip
                    gevent.sleep(step_wait(self, exc, left))
        finally:
            if waited:
                self.cognito.waited_for_identity(time.monotonic() - began)

    def _warn_once(self, name: str, exc: NoIdentityAvailable) -> None:
        """The first failed lease of ``name`` in this process is logged; the rest are counted
        (the report's ``no_identity`` view), not logged every second."""
        text = f"{name}: no identity to lease: {exc} (logged once; counted in the report)"
        self._say_once(name, "failed", text, level=logging.WARNING)

    def _say_once(self, name: str, what: str, text: str, level: int = logging.INFO) -> None:
        """Log ``text`` the first time ``what`` happens to ``name`` in this process."""
        key = (id(self.environment), name, what)
        if key not in _SAID:
            _SAID.add(key)
            log.log(level, "%s", text)
