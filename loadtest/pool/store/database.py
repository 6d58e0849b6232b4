"""The state file's connection: WAL, the schema, write transactions and a change-aware cache.

One connection per worker process, in autocommit mode: each acknowledged write is in the WAL
before the answer goes out, so a SIGKILL between requests loses nothing. ``BEGIN IMMEDIATE``
(:meth:`Database.transaction`) takes the write lock up front for the read-modify-write
transitions that worker processes could race on, so they never deadlock upgrading a read lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar, cast

__all__ = ["Database", "RecordCache"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pools (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, raw TEXT NOT NULL,
    created REAL NOT NULL, modified REAL NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY, pool_id TEXT NOT NULL, name TEXT NOT NULL, secret TEXT,
    raw TEXT NOT NULL, created REAL NOT NULL, modified REAL NOT NULL);
CREATE INDEX IF NOT EXISTS clients_pool ON clients (pool_id);
CREATE TABLE IF NOT EXISTS users (
    pool_id TEXT NOT NULL, user_key TEXT NOT NULL, username TEXT NOT NULL, sub TEXT NOT NULL,
    email_key TEXT, attributes TEXT NOT NULL, status TEXT NOT NULL, enabled INTEGER NOT NULL,
    salt TEXT, verifier TEXT, x TEXT, password_set REAL NOT NULL DEFAULT 0, mfa TEXT NOT NULL,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0,
    last_attempt REAL NOT NULL DEFAULT 0, revoked_at REAL NOT NULL DEFAULT 0,
    device_group TEXT NOT NULL, created REAL NOT NULL, modified REAL NOT NULL,
    PRIMARY KEY (pool_id, user_key));
CREATE UNIQUE INDEX IF NOT EXISTS users_sub ON users (pool_id, sub);
CREATE INDEX IF NOT EXISTS users_email ON users (pool_id, email_key);
CREATE TABLE IF NOT EXISTS devices (
    key TEXT PRIMARY KEY, pool_id TEXT NOT NULL, sub TEXT NOT NULL, group_key TEXT NOT NULL,
    name TEXT NOT NULL, salt TEXT NOT NULL, verifier TEXT NOT NULL, remembered INTEGER NOT NULL,
    created REAL NOT NULL, modified REAL NOT NULL, last_auth REAL NOT NULL);
CREATE INDEX IF NOT EXISTS devices_user ON devices (pool_id, sub);
CREATE TABLE IF NOT EXISTS used_sessions (id TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS device_challenges (
    client_id TEXT NOT NULL, sub TEXT NOT NULL, device_key TEXT NOT NULL,
    session TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY (client_id, sub, device_key));
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, pool_id TEXT NOT NULL, username TEXT NOT NULL,
    medium TEXT NOT NULL, destination TEXT NOT NULL, purpose TEXT NOT NULL,
    code TEXT NOT NULL, sent_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS messages_user ON messages (pool_id, username);
CREATE TABLE IF NOT EXISTS webauthn_credentials (
    credential_id TEXT PRIMARY KEY, pool_id TEXT NOT NULL, sub TEXT NOT NULL,
    public_key BLOB NOT NULL, sign_count INTEGER NOT NULL, rp_id TEXT NOT NULL,
    attachment TEXT NOT NULL, transports TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS webauthn_user ON webauthn_credentials (pool_id, sub);
CREATE TABLE IF NOT EXISTS webauthn_registrations (
    pool_id TEXT NOT NULL, sub TEXT NOT NULL, client_id TEXT NOT NULL, challenge TEXT NOT NULL,
    rp_id TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY (pool_id, sub));
CREATE TABLE IF NOT EXISTS refresh_uses (
    jti TEXT PRIMARY KEY, first_used REAL NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_forks (
    parent_jti TEXT PRIMARY KEY, children INTEGER NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS domains (
    domain TEXT PRIMARY KEY, pool_id TEXT NOT NULL, raw TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS domains_pool ON domains (pool_id);
CREATE TABLE IF NOT EXISTS resource_servers (
    pool_id TEXT NOT NULL, identifier TEXT NOT NULL, raw TEXT NOT NULL,
    PRIMARY KEY (pool_id, identifier));
CREATE TABLE IF NOT EXISTS codes (
    pool_id TEXT NOT NULL, sub TEXT NOT NULL, purpose TEXT NOT NULL, attribute TEXT NOT NULL,
    code TEXT NOT NULL, expires REAL NOT NULL, wrong INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pool_id, sub, purpose, attribute));
CREATE TABLE IF NOT EXISTS groups (
    pool_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT, role_arn TEXT,
    precedence INTEGER, created REAL NOT NULL, modified REAL NOT NULL,
    PRIMARY KEY (pool_id, name));
CREATE TABLE IF NOT EXISTS memberships (
    pool_id TEXT NOT NULL, name TEXT NOT NULL, sub TEXT NOT NULL,
    PRIMARY KEY (pool_id, name, sub));
CREATE INDEX IF NOT EXISTS memberships_user ON memberships (pool_id, sub);
CREATE TABLE IF NOT EXISTS aliases (
    pool_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, sub TEXT NOT NULL,
    PRIMARY KEY (pool_id, kind, value));
CREATE INDEX IF NOT EXISTS aliases_user ON aliases (pool_id, sub);
CREATE TABLE IF NOT EXISTS pending_values (
    pool_id TEXT NOT NULL, sub TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (pool_id, sub, name));
CREATE TABLE IF NOT EXISTS hourly_counts (
    pool_id TEXT NOT NULL, sub TEXT NOT NULL, grp TEXT NOT NULL, started REAL NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (pool_id, sub, grp));
CREATE TABLE IF NOT EXISTS revoked_tokens (origin_jti TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS custom_auth (
    key TEXT PRIMARY KEY, state TEXT NOT NULL, expires REAL NOT NULL);
"""

#: Columns added after the first release, for state files written by earlier versions.
_ADDED_USER_COLUMNS = (("x", "TEXT"), ("password_set", "REAL NOT NULL DEFAULT 0"))


class Database:
    """The one SQLite connection of a process. Not shared across threads."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self._create_schema()

    def _create_schema(self) -> None:
        with self.transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            columns = {row[1] for row in db.execute("PRAGMA table_info(users)")}
            for column, kind in _ADDED_USER_COLUMNS:
                if column not in columns:
                    db.execute(f"ALTER TABLE users ADD COLUMN {column} {kind}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the lock from the start (no upgrade deadlocks)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def data_version(self) -> int:
        """Moves whenever another connection commits (SQLite's ``PRAGMA data_version``)."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self.db.close()


class RecordCache:
    """Parsed pools and clients, kept until another connection commits or this one writes them.

    They are read on every sign-in and rarely change; this connection's own writes do not move
    ``data_version``, so the writers call :meth:`forget`.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._items: dict[tuple[str, str], object] = {}
        self._version = -1

    def fetch(self, kind: str, key: str, load: Callable[[], T | None]) -> T | None:
        """The cached record of this kind and key, else ``load()`` (kept if found)."""
        version = self._database.data_version()
        if version != self._version:
            self._items.clear()
            self._version = version
        cached = self._items.get((kind, key))
        if cached is not None:
            return cast(T, cached)
        value = load()
        if value is not None:
            self._items[(kind, key)] = value
        return value

    def forget(self) -> None:
        self._items.clear()
