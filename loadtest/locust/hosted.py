"""Locust users for a user-pool domain: managed login as a browser does it, and machine tokens.

The flows are :mod:`loadtest.flows.hosted`'s (sans-I/O); these users perform their
:class:`~loadtest.flows.effects.Fetch` effects over geventhttpclient
(:class:`~loadtest.locust.driver.GeventFetchDriver`, as the open model's users do)
and hand each run's :class:`~loadtest.drivers.LoginRecord` to the process's
:class:`~loadtest.locust.run.LocustRun`, as the API users do: one Locust request event per step
(``request_type="cognito"``, named by it, ``POST /login``) and, with ``--cognito-report-dir``,
one canonical login event (``login:managed_login``, ``login:client_credentials``) in
events.jsonl, summary.json and report.html. The sign-in users are made from the flow
catalogue, one per managed-login entry, and lease identities by its rule: ``ManagedLoginUser``
(``managed_login``) TOTP identities, ``ManagedLoginPasswordUser`` (``managed_login_password``)
identities with no second factor (a temporary password is replaced on the new-password page
and kept) and, by its fallback, TOTP ones too; ``ClientCredentialsUser`` asks for a
token on every task; ``CachedClientCredentialsUser`` keeps its token until a minute before it
expires, as a service should: compare their ``POST /oauth2/token`` rates. Both run ten tasks a
second per user, each needing a token.

Settings are the option table's :data:`~loadtest.target.options.DOMAIN` options
(``--cognito-domain-url`` / ``COGNITO_DOMAIN_URL`` / ``cognito-domain-url`` in locust.conf,
``--cognito-oauth-client-id``, ``--cognito-oauth-identities`` (else ``--cognito-identities``),
``--cognito-m2m-client-id``, ``--cognito-m2m-client-secret``). Only a loopback domain is accepted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from locust import User, constant, constant_throughput, events, task

import srp_fast
from loadtest.drivers.events import Reporter
from loadtest.drivers.record import LoginRecord, record
from loadtest.flows.catalogue import CATALOGUE, Entry
from loadtest.flows.context import AppClient, FlowContext
from loadtest.flows.effects import Flow, FlowError
from loadtest.flows.hosted import TokenCache, cached_client_credentials, client_credentials
from loadtest.flows.identities import IdentityPool, NoIdentityAvailable
from loadtest.flows.identity import Identity, load_identities, save_learned
from loadtest.protocol.errors import CognitoError, TransportError
from loadtest.target.options import DOMAIN, OPTIONS, add_locust_options, pick, settings_from

from . import hooks
from .choice import EntryChoice
from .driver import GeventFetchDriver
from .phase import start_at_random_phase, step_wait
from .run import STOPS, LocustRun, run_for

__all__ = [
    "CachedClientCredentialsUser",
    "ClientCredentialsUser",
    "HostedSettings",
    "ManagedLoginNewPasswordUser",
    "ManagedLoginPasswordUser",
    "ManagedLoginUser",
]

T = TypeVar("T")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_FAILURES = (CognitoError, TransportError, FlowError, NoIdentityAvailable)


def _options(parser: Any, **_: Any) -> None:
    add_locust_options(parser, OPTIONS)  # all of them: `run` passes the target on


events.init_command_line_parser.add_listener(_options)  # type: ignore[no-untyped-call]


class HostedSettings:
    """The domain and clients, read once per process: Locust's options (``--cognito-domain-url``,
    ``COGNITO_DOMAIN_URL``, ``cognito-domain-url`` in locust.conf), else the environment."""

    def __init__(self, options: Any, env: Mapping[str, str]) -> None:
        value = settings_from(options, env, (*DOMAIN, *pick("identities")))
        self.domain_url = (value["domain_url"] or "").rstrip("/")
        host = urlsplit(self.domain_url).hostname
        if host not in _LOOPBACK:
            raise SystemExit(
                f"--cognito-domain-url must be a loopback domain of the local pool, not {host!r}"
            )
        self.client_id = value["oauth_client_id"] or ""
        self.m2m_id = value["m2m_client_id"] or ""
        self.m2m_secret = value["m2m_client_secret"] or ""
        self.identities = value["oauth_identities"] or value["identities"] or ""


def _identities(path: str) -> list[Identity]:
    """The identities as the last run left them (:func:`load_identities`)."""
    return load_identities(path) if path else []


def _keep_learned(environment: Any, **_: Any) -> None:
    """What this process's managed-login identities learned (TOTP steps, ...), for the next run."""
    if _SignInUser.known and _HostedUser.settings is not None:
        save_learned(_SignInUser.known, _HostedUser.settings.identities)


events.test_stop.add_listener(_keep_learned)  # type: ignore[no-untyped-call]
hooks.install()  # the report's hooks


def _context(client_id: str, secret: str | None = None) -> FlowContext:
    return FlowContext(
        client=AppClient(pool_id="local_pool", client_id=client_id, client_secret=secret),
        clock=lambda: datetime.now(UTC),
        ephemerals=srp_fast.new_ephemeral,
    )


class _HostedUser(User):
    """Performs Fetch effects against the domain; hands each flow run's record to the run."""

    abstract = True
    #: One sign-in a second per user, as the API users (``CognitoUser``): back to back, a few
    #: users would flood the domain's per-IP limit (300/s) with identities that need no code.
    wait_time = constant(1)
    settings: ClassVar[HostedSettings | None] = None
    #: Begin, and leave a wait for the next TOTP step, at a random point of one wait
    #: (:mod:`.phase`), as ``CognitoUser`` does.
    random_phase: ClassVar[bool] = True

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.cognito: LocustRun = run_for(environment)

    def on_start(self) -> None:
        if _HostedUser.settings is None:
            options = self.environment.parsed_options
            _HostedUser.settings = HostedSettings(options, os.environ)
            self.cognito.add_secrets([_HostedUser.settings.m2m_secret])
        self.driver = GeventFetchDriver(self.cfg.domain_url)
        start_at_random_phase(self, time.sleep)  # gevent-patched: yields to others

    def on_stop(self) -> None:
        self.driver.close()

    @property
    def cfg(self) -> HostedSettings:
        assert _HostedUser.settings is not None
        return _HostedUser.settings

    def drive(
        self,
        name: str,
        build: Callable[[], Flow[T]],
        before_event: Callable[[], None] | None = None,
    ) -> T | None:
        """Run one flow as a fresh browser; its record goes to the run (a request event per
        step, one canonical login event in the report), also when the end of the run cuts it
        short (``stopped``, with the steps it completed). ``before_event`` runs between the
        flow and its login event either way (to register a secret the flow set: a sign-in cut
        after the new-password page has changed its identity's password too)."""

        def run(reporter: Reporter) -> T:
            return self.driver.run(build(), reporter=reporter)

        def report(login: LoginRecord[T]) -> None:
            if before_event is not None:
                before_event()
            self.cognito.record(login)

        self.cognito.begin()
        try:
            login = record(
                name, run, _FAILURES, on_event=self.cognito.event, stops=STOPS, on_stop=report
            )
        finally:
            self.cognito.end()
        report(login)
        return login.result


class _SignInUser(EntryChoice, _HostedUser):
    """Signs in through managed login as its catalogue entry says: an identity the entry
    accepts runs the entry, any other the first of its fallbacks that accepts it (the
    catalogue's rule, as :class:`~loadtest.locust.logins.CatalogueUser`), reported under the
    entry's own event. Every sign-in class of a process leases from one pool of the identities
    file (a TOTP identity is not shared by two classes within its step).

    A temporary password is replaced on the new-password page by a fresh one of the project's
    one shape (:data:`~loadtest.flows.account.GENERATED_PASSWORD`, made by the entry's
    factory); the identity keeps it for its next sign-ins, and it is registered with the run's
    secrets before the sign-in's login event is written. A sign-in that set none registers
    none, so the redactor's list grows only by identities that really changed their password.
    """

    abstract = True
    entry: ClassVar[Entry]
    identities: ClassVar[IdentityPool | None] = None
    known: ClassVar[list[Identity]] = []

    def on_start(self) -> None:
        super().on_start()
        if _SignInUser.identities is None:
            identities = _identities(self.cfg.identities)
            self.cognito.add_secrets([s for i in identities for s in (i.password, i.totp_secret)])
            _SignInUser.identities = IdentityPool(identities)
            _SignInUser.known = identities
        self.ctx = _context(self.cfg.client_id)

    @task
    def sign_in(self) -> None:
        assert _SignInUser.identities is not None
        try:
            identity = _SignInUser.identities.lease(
                datetime.now(UTC), self.accepts, self.sends_totp
            )
        except NoIdentityAvailable as busy:
            began = time.monotonic()
            try:  # counted even when the end of the run kills the user in its sleep
                time.sleep(step_wait(self, busy, float("inf")))  # gevent-patched: yields to others
            finally:
                self.cognito.waited_for_identity(time.monotonic() - began)
            return
        try:
            self._run(identity)
        finally:
            _SignInUser.identities.release(identity)

    def _run(self, identity: Identity) -> None:
        entry = self.entry_for(identity)
        if entry is None:  # the lease checked accepts(): not reached
            raise LookupError(f"{type(self).__name__} cannot run identity {identity.username}")
        password = identity.password

        def keep_secret() -> None:
            if identity.password != password:  # the new-password page took a new one
                self.cognito.add_secrets([identity.password])

        self.drive(
            self.entry.event,
            lambda: entry.flow(identity, self.ctx),
            before_event=keep_secret,
        )


class ManagedLoginUser(_SignInUser):
    """managed_login: authorize, the form, the TOTP page, the code exchange (TOTP
    identities)."""

    entry = CATALOGUE["managed_login"]


class ManagedLoginPasswordUser(_SignInUser):
    """managed_login_password: authorize, the form, the code exchange (identities with no
    second factor; managed_login for a TOTP identity)."""

    entry = CATALOGUE["managed_login_password"]


class ManagedLoginNewPasswordUser(_SignInUser):
    """managed_login_new_password: the first sign-in of a user with a temporary password
    (AdminCreateUser's): the form, the new-password page, the code exchange. The identities
    file does not say which passwords are temporary: an identity's later sign-ins, with the
    password it set, go straight through (as ``NewPasswordUser``'s)."""

    entry = CATALOGUE["managed_login_new_password"]


class _MachineUser(_HostedUser):
    """A machine client of the client-credentials grant: one task needs a bearer token, ten a
    second (a service calling its API). Abstract, and the uncached and cached users are its
    siblings, not parent and child: Locust adds a base class's tasks to a subclass's, which
    once gave the cached user the uncached task too (issue 18: five of them sent ~5,700 token
    requests in 3 s against ClientAuthentication's 150/s)."""

    abstract = True
    #: Paced, not back to back: a throttled request is tried again at the next task, and a
    #: cached token does not turn the loop into a busy one writing a login event per pass.
    wait_time = constant_throughput(10)

    def on_start(self) -> None:
        super().on_start()
        self.ctx = _context(self.cfg.m2m_id, self.cfg.m2m_secret)


class ClientCredentialsUser(_MachineUser):
    """A machine client asking for a new token on every task (the uncached worst case)."""

    @task
    def token(self) -> None:
        self.drive("login:client_credentials", lambda: client_credentials(self.ctx))


class CachedClientCredentialsUser(_MachineUser):
    """The same client keeping its token until a minute before expiry: one token request per
    token lifetime (an hour by default)."""

    def on_start(self) -> None:
        super().on_start()
        self.cache = TokenCache()

    @task
    def token(self) -> None:
        self.drive(
            "login:client_credentials:cached",
            lambda: cached_client_credentials(self.ctx, self.cache),
        )
