"""Concrete Locust users: one class per entry of the flow catalogue, made from the entry.

Each class is named after its entry (:func:`~loadtest.flows.catalogue.user_class_name`:
``srp_totp`` -> ``SrpTotpUser``) and reports each login under the entry's event
(``login:srp_totp``). It leases identities its entry accepts and, for an identity the entry
refuses, runs the first of the entry's fallbacks that accepts it, still under its own event
(the catalogue's rule for identities). A locustfile imports the classes it runs::

    from loadtest.locust.logins import SrpTotpUser

=====================  ==================  ===================================================
user                   login event         runs
=====================  ==================  ===================================================
SrpUser                login:srp           srp; srp_totp for a TOTP identity
SrpTotpUser            login:srp_totp      srp_totp
DeviceUser             login:device        device; device_first for an identity without one
AdminUser              login:admin         admin; admin_totp for a TOTP identity
LostPhoneUser          login:lost_phone    lost_phone
RefreshUser            refresh             refresh, after one srp login per virtual user
=====================  ==================  ===================================================

and one more for every other entry (``DeviceNewUser``, ``AdminTotpUser``, ``MfaSetupUser``, ...).
"""

from __future__ import annotations

import logging
import types
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar, cast

from locust import task

from loadtest.flows import CATALOGUE, Entry, Identity, LoginResult
from loadtest.flows.catalogue import PoolSetting, user_class_name
from loadtest.flows.codes import CodeSource
from loadtest.flows.context import CustomAnswerer, FlowContext
from loadtest.flows.effects import Flow

from .base import CognitoUser
from .choice import EntryChoice

__all__ = ["USER_CLASSES", "CatalogueUser", "user_class"]

log = logging.getLogger(__name__)
#: Whether this process said that its app client does not rotate refresh tokens (once).
_ROTATION_WARNED: set[bool] = set()


def _then_after(entry: Entry, identity: Identity, flow: Flow[LoginResult]) -> Flow[LoginResult]:
    """Run ``flow``, then the entry's ``after`` on the identity, whatever the outcome."""
    try:
        return (yield from flow)
    finally:
        entry.after(identity)


class CatalogueUser(EntryChoice, CognitoUser):
    """Runs one catalogue entry (or its fallbacks) per task; subclasses set ``entry``."""

    abstract = True
    entry: ClassVar[Entry]
    #: Answers CUSTOM_CHALLENGE (a locustfile sets it, e.g. ``staticmethod(captcha.solve)``).
    custom_answers: ClassVar[CustomAnswerer | None] = None
    #: Where SMS/e-mail codes come from; None: the runtime's (the local pool's sink).
    code_source: ClassVar[CodeSource | None] = None

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        #: The session a continuing entry (``refresh``) continues.
        self.session: LoginResult | None = None

    @task
    def run_entry(self) -> None:
        """One login of the entry; for a continuing entry, the login that opens its session
        first."""
        if self.entry.creates:  # sign-up: a new identity each run, nothing leased
            self.run_flow(self.entry.event, self.entry.flow(None, self.runtime.context))
        elif self.entry.continues is None:
            self.login(self.entry.event, self._flow)
        elif self.session is None or self.session.tokens.refresh_token is None:
            opener = CATALOGUE[self.entry.continues]
            self.session = self.login(opener.event, self._flow)
        else:
            flow = self.entry.flow(None, self.runtime.context, self.session)
            before = self.session.tokens.refresh_token
            self.session = self.run_flow(self.entry.event, flow).result or self.session
            if PoolSetting.REFRESH_ROTATION in self.entry.pool:
                self._check_rotated(before)

    def _check_rotated(self, before: str | None) -> None:
        """Under rotation every exchange hands out a new refresh token; an app client without
        it hands back none, and the run would measure plain refreshes under the entry's name.
        Say so once per process (the bootstrap pool's default client does not rotate; it
        prints the id of one that does)."""
        session = self.session
        if session is None or session.tokens.refresh_token != before or _ROTATION_WARNED:
            return
        _ROTATION_WARNED.add(True)
        log.warning(
            "%s: app client %s handed back no new refresh token: it does not rotate them, so "
            "this run measures plain refreshes; point --cognito-client-id at an app client with "
            "RefreshTokenRotation enabled (pool serve --bootstrap prints one)",
            self.entry.event,
            self.runtime.config.client_id,
        )

    def _flow(self, identity: Identity) -> Flow[LoginResult]:
        entry = self.entry_for(identity)
        if entry is None:  # the lease checked accepts(): not reached
            raise LookupError(f"{type(self).__name__} cannot run identity {identity.username}")
        self.runtime.messages.take(entry.messages, self.runtime.config.pool_id)
        return _then_after(entry, identity, entry.flow(identity, self._context()))

    def _context(self) -> FlowContext:
        """The runtime's flow context, with this class's code source and custom answerer."""
        ctx, cls = self.runtime.context, type(self)
        if cls.custom_answers is not None:
            ctx = replace(ctx, custom_answers=cls.custom_answers)
        if cls.code_source is not None:
            ctx = replace(ctx, codes=cls.code_source)
        return ctx


def user_class(entry: Entry) -> type[CatalogueUser]:
    """The Locust user class of one entry."""
    body = {"entry": entry, "__module__": __name__, "__doc__": f"{entry.name}: {entry.summary}"}
    made = types.new_class(user_class_name(entry), (CatalogueUser,), {}, lambda ns: ns.update(body))
    return cast(type[CatalogueUser], made)


#: Every API entry's user class, by class name (HTTP entries: :mod:`loadtest.locust.hosted`).
USER_CLASSES: Mapping[str, type[CatalogueUser]] = types.MappingProxyType(
    {user_class_name(e): user_class(e) for e in CATALOGUE.values() if not e.http}
)
globals().update(USER_CLASSES)  # so that ``from loadtest.locust.logins import SrpUser`` works
__all__ += list(USER_CLASSES)
