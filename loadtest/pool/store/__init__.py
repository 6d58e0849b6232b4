"""The pool's state in SQLite, one small class per kind of record behind one :class:`Store`.

``store.pools``, ``store.clients``, ``store.users``, ``store.lockouts``, ``store.totp_steps``,
``store.devices``, ``store.used_sessions``, ``store.device_challenges``, ``store.messages``
(the local message sink), ``store.refresh_uses`` (refresh-token rotation), ``store.passkeys``,
``store.domains``, ``store.resource_servers``, ``store.codes`` (codes waiting to be entered),
``store.groups``, ``store.revocations``, ``store.custom_auth`` (CUSTOM_AUTH rounds) and
``store.secrets``
share one connection (:class:`Database`): WAL mode, autocommit statements, so each acknowledged
write is in the WAL before the answer goes out and a SIGKILL between requests loses nothing;
``BEGIN IMMEDIATE`` for the few read-modify-write transitions that worker processes could race
on (lockout counters, deletes that cascade, secrets created on first use). TOTP replay and
single-use sessions are single conditional statements, atomic without a transaction.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .codes import PendingCode, PendingCodes
from .custom_auth import CustomAuthStates
from .database import Database, RecordCache
from .devices import Devices
from .groups import Group, Groups
from .messages import MessageRecord, SentMessages
from .meta import Secrets
from .oauth import DomainRecord, Domains, ResourceServers
from .pools import Clients, Pools
from .refresh import RefreshUses
from .revocations import Revocations
from .sessions import DeviceChallenges, UsedSessions
from .users import Lockouts, TotpSteps, Users
from .webauthn import Passkey, Passkeys, PendingRegistration

__all__ = [
    "Clients",
    "CustomAuthStates",
    "Database",
    "DeviceChallenges",
    "Devices",
    "DomainRecord",
    "Domains",
    "Group",
    "Groups",
    "Lockouts",
    "MessageRecord",
    "Passkey",
    "Passkeys",
    "PendingCode",
    "PendingCodes",
    "PendingRegistration",
    "Pools",
    "RefreshUses",
    "ResourceServers",
    "Revocations",
    "Secrets",
    "SentMessages",
    "Store",
    "TotpSteps",
    "UsedSessions",
    "Users",
    "state_path",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Store:
    """Typed access to the state file. One per process; not shared across threads."""

    database: Database
    secrets: Secrets
    pools: Pools
    clients: Clients
    users: Users
    lockouts: Lockouts
    totp_steps: TotpSteps
    devices: Devices
    used_sessions: UsedSessions
    device_challenges: DeviceChallenges
    messages: SentMessages
    refresh_uses: RefreshUses
    passkeys: Passkeys
    domains: Domains
    resource_servers: ResourceServers
    codes: PendingCodes
    groups: Groups
    revocations: Revocations
    custom_auth: CustomAuthStates

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (and create or upgrade) the state file at ``path``."""
        database = Database(path)
        cache = RecordCache(database)
        return cls(
            database=database,
            secrets=Secrets(database),
            pools=Pools(database, cache),
            clients=Clients(database, cache),
            users=Users(database),
            lockouts=Lockouts(database),
            totp_steps=TotpSteps(database),
            devices=Devices(database),
            used_sessions=UsedSessions(database),
            device_challenges=DeviceChallenges(database),
            messages=SentMessages(database),
            refresh_uses=RefreshUses(database),
            passkeys=Passkeys(database),
            domains=Domains(database),
            resource_servers=ResourceServers(database),
            codes=PendingCodes(database),
            groups=Groups(database),
            revocations=Revocations(database),
            custom_auth=CustomAuthStates(database),
        )

    def purge_expired(self, now: float) -> None:
        """Forget consumed sessions and device challenges that have expired anyway."""
        self.used_sessions.purge(now)
        self.device_challenges.purge(now)
        self.refresh_uses.purge(now)
        self.passkeys.purge(now)
        self.revocations.purge(now)
        self.custom_auth.purge(now)

    def close(self) -> None:
        self.database.close()


def state_path(path: str | os.PathLike[str]) -> Path:
    """The state file's path, its directory created if needed."""
    resolved = Path(path).expanduser().resolve()
    resolved.parent.mkdir(parents=True, exist_ok=True)
    return resolved
