"""The pool's state in SQLite: pools, clients, users, verifiers, TOTP seeds, devices, keys.

WAL mode, one connection per worker process, autocommit statements (each acknowledged write is
in the WAL before the answer goes out, so a SIGKILL between requests loses nothing), and
``BEGIN IMMEDIATE`` for the few read-modify-write transitions that worker processes could race
on (lockout counters, TOTP replay, single-use sessions).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from .lockout import LockoutState
from .records import AppClient, Device, MfaState, Pool, User, UserStatus

__all__ = ["Store"]

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
"""

_USER_COLUMNS = (
    "pool_id, username, sub, attributes, status, enabled, salt, verifier, x, password_set, mfa, "
    "totp_last_step, failures, locked_until, last_attempt, revoked_at, device_group, created, "
    "modified"
)


def _hex(value: int | None) -> str | None:
    return None if value is None else format(int(value), "x")


def _int(text: str | None) -> int | None:
    return None if text is None else int(text, 16)


def _user(row: sqlite3.Row) -> User:
    return User(
        pool_id=row[0],
        username=row[1],
        sub=row[2],
        attributes=json.loads(row[3]),
        status=UserStatus(row[4]),
        enabled=bool(row[5]),
        salt=_int(row[6]),
        verifier=_int(row[7]),
        x=_int(row[8]),
        password_set=row[9],
        mfa=MfaState.from_raw(json.loads(row[10])),
        totp_last_step=row[11],
        failures=row[12],
        locked_until=row[13],
        last_attempt=row[14],
        revoked_at=row[15],
        device_group=row[16],
        created=row[17],
        modified=row[18],
    )


def _device(row: sqlite3.Row) -> Device:
    return Device(
        key=row[0],
        pool_id=row[1],
        sub=row[2],
        group_key=row[3],
        name=row[4],
        salt=int(row[5], 16),
        verifier=int(row[6], 16),
        remembered=bool(row[7]),
        created=row[8],
        modified=row[9],
        last_auth=row[10],
    )


class Store:
    """Typed access to the state file. One instance per process; not shared across threads."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._create_schema()
        # Pools and clients are read on every sign-in and rarely change: kept parsed until any
        # other connection commits (PRAGMA data_version moves) or this one changes them.
        self._cache: dict[tuple[str, str], Pool | AppClient] = {}
        self._cache_version = -1

    def _cached(self, kind: str, key: str) -> Pool | AppClient | None:
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._cache_version:
            self._cache.clear()
            self._cache_version = version
        return self._cache.get((kind, key))

    def _forget(self) -> None:
        self._cache.clear()

    def _create_schema(self) -> None:
        with self.transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(users)")}
            for column, kind in (("x", "TEXT"), ("password_set", "REAL NOT NULL DEFAULT 0")):
                if column not in columns:  # state files from earlier versions
                    self._db.execute(f"ALTER TABLE users ADD COLUMN {column} {kind}")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the lock from the start (no upgrade deadlocks)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- meta -------------------------------------------------------------------------------
    def secret(self, name: str, make: Callable[[], bytes]) -> bytes:
        """A persistent secret (signing keys, sealing key), created on first use."""
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
            if row is not None:
                return bytes(row[0])
            value = make()
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (name, value))
            return value

    # -- pools ------------------------------------------------------------------------------
    def put_pool(self, pool: Pool) -> None:
        self._forget()
        self._db.execute(
            "INSERT OR REPLACE INTO pools (id, name, raw, created, modified) VALUES (?,?,?,?,?)",
            (pool.id, pool.name, json.dumps(pool.raw), pool.created, pool.modified),
        )

    def pool(self, pool_id: str) -> Pool | None:
        cached = self._cached("pool", pool_id)
        if isinstance(cached, Pool):
            return cached
        row = self._db.execute(
            "SELECT id, name, raw, created, modified FROM pools WHERE id = ?", (pool_id,)
        ).fetchone()
        if row is None:
            return None
        pool = self._cache[("pool", pool_id)] = _pool(row)
        return pool

    def pools(self) -> list[Pool]:
        rows = self._db.execute("SELECT id, name, raw, created, modified FROM pools ORDER BY id")
        return [_pool(row) for row in rows]

    def delete_pool(self, pool_id: str) -> None:
        self._forget()
        with self.transaction() as db:
            for table in ("devices", "users", "clients"):
                db.execute(f"DELETE FROM {table} WHERE pool_id = ?", (pool_id,))  # noqa: S608
            db.execute("DELETE FROM pools WHERE id = ?", (pool_id,))

    # -- clients ----------------------------------------------------------------------------
    def put_client(self, client: AppClient) -> None:
        self._forget()
        self._db.execute(
            "INSERT OR REPLACE INTO clients (id, pool_id, name, secret, raw, created, modified) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                client.id,
                client.pool_id,
                client.name,
                client.secret,
                json.dumps(client.raw),
                client.created,
                client.modified,
            ),
        )

    def client(self, client_id: str) -> AppClient | None:
        cached = self._cached("client", client_id)
        if isinstance(cached, AppClient):
            return cached
        row = self._db.execute(
            "SELECT id, pool_id, name, secret, raw, created, modified FROM clients WHERE id = ?",
            (client_id,),
        ).fetchone()
        if row is None:
            return None
        client = AppClient(
            id=row[0],
            pool_id=row[1],
            name=row[2],
            secret=row[3],
            raw=json.loads(row[4]),
            created=row[5],
            modified=row[6],
        )
        self._cache[("client", client_id)] = client
        return client

    def delete_client(self, client_id: str) -> None:
        self._forget()
        self._db.execute("DELETE FROM clients WHERE id = ?", (client_id,))

    # -- users ------------------------------------------------------------------------------
    def insert_user(self, user: User, user_key: str, email_key: str | None) -> bool:
        """Add a new user; False if the username (or sub) is taken."""
        try:
            self._db.execute(
                f"INSERT INTO users (user_key, email_key, {_USER_COLUMNS}) "  # noqa: S608
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (user_key, email_key, *_user_values(user)),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def user(self, pool_id: str, user_key: str) -> User | None:
        return self._one_user("user_key = ?", pool_id, user_key)

    def user_by_sub(self, pool_id: str, sub: str) -> User | None:
        return self._one_user("sub = ?", pool_id, sub)

    def user_by_email(self, pool_id: str, email_key: str) -> User | None:
        return self._one_user("email_key = ?", pool_id, email_key)

    def _one_user(self, where: str, pool_id: str, value: str) -> User | None:
        row = self._db.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE pool_id = ? AND {where}",  # noqa: S608
            (pool_id, value),
        ).fetchone()
        return None if row is None else _user(row)

    def count_users(self, pool_id: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM users WHERE pool_id = ?", (pool_id,))
        return int(row.fetchone()[0])

    def users(self, pool_id: str, *, offset: int, limit: int) -> list[User]:
        rows = self._db.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE pool_id = ? "  # noqa: S608
            "ORDER BY created, user_key LIMIT ? OFFSET ?",
            (pool_id, limit, offset),
        )
        return [_user(row) for row in rows]

    def update_user(self, user: User, **changes: Any) -> User:
        """Write the given fields of a user (by pool and sub) and return the updated record."""
        updated = replace(user, **changes)
        columns = {name: _column_value(name, getattr(updated, name)) for name in changes}
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self._db.execute(
            f"UPDATE users SET {assignments} WHERE pool_id = ? AND sub = ?",  # noqa: S608
            (*columns.values(), user.pool_id, user.sub),
        )
        return updated

    def delete_user(self, user: User) -> None:
        with self.transaction() as db:
            db.execute(
                "DELETE FROM devices WHERE pool_id = ? AND sub = ?", (user.pool_id, user.sub)
            )
            db.execute("DELETE FROM users WHERE pool_id = ? AND sub = ?", (user.pool_id, user.sub))

    def update_lockout(
        self, user: User, decide: Callable[[LockoutState], tuple[LockoutState, Any]]
    ) -> Any:
        """Read the user's lockout state, let ``decide`` compute the next one, write it; atomic.

        Workers racing on one user see each other's failures (no lost updates).
        """
        with self.transaction() as db:
            row = db.execute(
                "SELECT failures, locked_until, last_attempt FROM users "
                "WHERE pool_id = ? AND sub = ?",
                (user.pool_id, user.sub),
            ).fetchone()
            if row is None:
                state = LockoutState()
            else:
                state = LockoutState(failures=row[0], locked_until=row[1], last_attempt=row[2])
            new, result = decide(state)
            if new != state:
                db.execute(
                    "UPDATE users SET failures = ?, locked_until = ?, last_attempt = ? "
                    "WHERE pool_id = ? AND sub = ?",
                    (new.failures, new.locked_until, new.last_attempt, user.pool_id, user.sub),
                )
            return result

    def accept_totp_step(self, user: User, step: int) -> bool:
        """Record ``step`` as the user's last accepted TOTP step; False if it was already used."""
        cursor = self._db.execute(
            "UPDATE users SET totp_last_step = ? "
            "WHERE pool_id = ? AND sub = ? AND totp_last_step < ?",
            (step, user.pool_id, user.sub, step),
        )
        return cursor.rowcount == 1

    # -- sessions ---------------------------------------------------------------------------
    def session_used(self, session_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM used_sessions WHERE id = ?", (session_id,))
        return row.fetchone() is not None

    def use_session(self, session_id: str, expires: float) -> bool:
        """Mark a session consumed; False if another request consumed it first."""
        try:
            self._db.execute(
                "INSERT INTO used_sessions (id, expires) VALUES (?, ?)", (session_id, expires)
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def purge_sessions(self, now: float) -> None:
        """Forget consumed sessions and device challenges that have expired anyway."""
        self._db.execute("DELETE FROM used_sessions WHERE expires < ?", (now,))
        self._db.execute("DELETE FROM device_challenges WHERE expires < ?", (now,))

    def put_device_challenge(
        self, client_id: str, sub: str, device_key: str, session: str, expires: float
    ) -> None:
        """Keep the (sealed) Session of the latest DEVICE_SRP_AUTH issued to a user's device."""
        self._db.execute(
            "INSERT OR REPLACE INTO device_challenges "
            "(client_id, sub, device_key, session, expires) VALUES (?,?,?,?,?)",
            (client_id, sub, device_key, session, expires),
        )

    def device_challenge(self, client_id: str, sub: str, device_key: str) -> str | None:
        """The Session of the latest DEVICE_SRP_AUTH for this client, user and device."""
        row = self._db.execute(
            "SELECT session FROM device_challenges "
            "WHERE client_id = ? AND sub = ? AND device_key = ?",
            (client_id, sub, device_key),
        ).fetchone()
        return None if row is None else str(row[0])

    # -- devices ----------------------------------------------------------------------------
    def put_device(self, device: Device) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO devices (key, pool_id, sub, group_key, name, salt, verifier, "
            "remembered, created, modified, last_auth) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                device.key,
                device.pool_id,
                device.sub,
                device.group_key,
                device.name,
                _hex(device.salt),
                _hex(device.verifier),
                int(device.remembered),
                device.created,
                device.modified,
                device.last_auth,
            ),
        )

    def device(self, pool_id: str, sub: str, key: str) -> Device | None:
        row = self._db.execute(
            f"SELECT {_DEVICE_COLUMNS} FROM devices "  # noqa: S608
            "WHERE key = ? AND pool_id = ? AND sub = ?",
            (key, pool_id, sub),
        ).fetchone()
        return None if row is None else _device(row)

    def devices(self, pool_id: str, sub: str) -> list[Device]:
        rows = self._db.execute(
            f"SELECT {_DEVICE_COLUMNS} FROM devices "  # noqa: S608
            "WHERE pool_id = ? AND sub = ? ORDER BY created, key",
            (pool_id, sub),
        )
        return [_device(row) for row in rows]

    def delete_device(self, key: str) -> None:
        self._db.execute("DELETE FROM devices WHERE key = ?", (key,))

    def touch_device(self, key: str, now: float) -> None:
        self._db.execute("UPDATE devices SET last_auth = ? WHERE key = ?", (now, key))


_DEVICE_COLUMNS = (
    "key, pool_id, sub, group_key, name, salt, verifier, remembered, created, modified, last_auth"
)


def _pool(row: sqlite3.Row) -> Pool:
    return Pool(id=row[0], name=row[1], raw=json.loads(row[2]), created=row[3], modified=row[4])


def _column_value(name: str, value: Any) -> Any:
    if name in ("salt", "verifier", "x"):
        return _hex(value)
    if name == "attributes":
        return json.dumps(dict(value))
    if name == "mfa":
        return json.dumps(value.to_raw())
    if name == "status":
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _user_values(user: User) -> tuple[Any, ...]:
    names = [name.strip() for name in _USER_COLUMNS.split(",")]
    return tuple(_column_value(name, getattr(user, name)) for name in names)


def state_path(path: str | os.PathLike[str]) -> Path:
    """The state file's path, its directory created if needed."""
    resolved = Path(path).expanduser().resolve()
    resolved.parent.mkdir(parents=True, exist_ok=True)
    return resolved
