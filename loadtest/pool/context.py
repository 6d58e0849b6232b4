"""Everything one worker process needs to answer requests, and the lookups all handlers share.

A :class:`PoolContext` is built once per worker (after the fork): the store connection, the
sealer and token keys read from the state file, the clock, the lockout policy and the SRP
engine. Handlers receive it explicitly; there are no module globals.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

import srp_fast
from loadtest.protocol.errors import (
    Messages,
    NotAuthorized,
    ResourceNotFound,
    UserNotFound,
)

from . import aliases
from .clock import Clock, TimeScale
from .lockout import LockoutPolicy
from .messages import MessageSink
from .records import AppClient, Device, Pool, User
from .sessions import Sealer
from .srp import SrpEngine
from .store import Store
from .tokens import GroupClaims, TokenAuthority
from .triggers import Triggers

__all__ = ["PoolContext"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolContext:
    """A worker's dependencies."""

    store: Store
    sealer: Sealer
    tokens: TokenAuthority
    clock: Clock
    scale: TimeScale
    lockout: LockoutPolicy
    srp: SrpEngine
    region: str
    #: Derives the simulated salt and user id of unknown users (stable across restarts).
    simulation_key: bytes
    #: Where the codes the pool "sends" go (:mod:`.messages`); built from ``store`` if unset.
    sink: MessageSink | None = None
    #: Local Lambda triggers (custom authentication), from ``--trigger``.
    triggers: Triggers = field(default_factory=Triggers)
    #: Keep Cognito's per-user hourly limits on code operations (``--user-code-limits``).
    code_limits: bool = False

    @property
    def messages(self) -> MessageSink:
        """The local message sink every sent code goes through."""
        return self.sink if self.sink is not None else MessageSink(store=self.store)

    def now(self) -> float:
        return self.clock.now()

    def session_seconds(self, client: AppClient) -> float:
        """How long a challenge session lives, after the time scale."""
        return self.scale.seconds(client.session_seconds)

    def pool(self, pool_id: str) -> Pool:
        pool = self.store.pools.get(pool_id)
        if pool is None:
            raise ResourceNotFound(Messages.pool_not_found(pool_id))
        return pool

    def client(self, client_id: str, pool_id: str | None = None) -> AppClient:
        client = self.store.clients.get(client_id)
        if client is None or (pool_id is not None and client.pool_id != pool_id):
            raise ResourceNotFound(Messages.client_not_found(client_id))
        return client

    def find_user(self, pool: Pool, name: str) -> User | None:
        """A user by username, alias or e-mail username (:mod:`.aliases`), or sub."""
        user = self.store.users.by_key(pool.id, pool.user_key(name))
        if user is None:
            user = aliases.lookup(self.store, pool, name)
        if user is None and pool.email_usernames:  # state files from before the aliases table
            user = self.store.users.by_email(pool.id, name.lower())
        if user is None:
            user = self.store.users.by_sub(pool.id, name)
        return user

    def user(self, pool: Pool, name: str) -> User:
        """Like :meth:`find_user`, raising ``User does not exist.``."""
        user = self.find_user(pool, name)
        if user is None:
            raise UserNotFound(Messages.USER_NOT_FOUND)
        return user

    def device(self, user: User, key: str) -> Device:
        """The user's device by DeviceKey, raising ``Device does not exist.``."""
        device = self.store.devices.get(user.pool_id, user.sub, key)
        if device is None:
            raise ResourceNotFound(Messages.DEVICE_NOT_FOUND)
        return device

    def group_claims(self, user: User) -> GroupClaims:
        """What the user's groups put in its tokens: ``cognito:groups``, ``cognito:roles``,
        ``cognito:preferred_role`` (issue 19)."""
        return GroupClaims.of(self.store.groups.of_user(user.pool_id, user.sub))

    def check_secret_hash(self, client: AppClient, username: str, given: str | None) -> None:
        """SECRET_HASH for clients with a secret (cognito-facts §1.5); NotAuthorized if wrong."""
        if client.secret is None:
            return
        if given is None:
            raise NotAuthorized(Messages.secret_not_received(client.id))
        expected = srp_fast.secret_hash(username, client.id, client.secret)
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise NotAuthorized(Messages.secret_mismatch(client.id))
