"""Users, and the two guarded transitions on their rows: lockout counters and TOTP replay.

A user row is written whole when created and field by field afterwards (:meth:`Users.update`).
The lockout counters and the last accepted TOTP step are read-modify-write state that several
worker processes can race on, so each has its own small class with an atomic transition.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from ..lockout import LockoutState
from ..records import MfaState, User, UserStatus
from .database import Database

__all__ = ["AliasTaken", "Lockouts", "TotpSteps", "Users"]

T = TypeVar("T")

_COLUMNS = (
    "pool_id, username, sub, attributes, status, enabled, salt, verifier, x, password_set, mfa, "
    "totp_last_step, failures, locked_until, last_attempt, revoked_at, device_group, created, "
    "modified"
)
_NAMES = tuple(name.strip() for name in _COLUMNS.split(","))
_PLACEHOLDERS = ",".join("?" * (len(_NAMES) + 2))
_BIG_INTEGERS = frozenset({"salt", "verifier", "x"})


def hex_text(value: int | None) -> str | None:
    """Big integers are stored as hex text (SQLite integers stop at 64 bits)."""
    return None if value is None else format(int(value), "x")


def _int(text: str | None) -> int | None:
    return None if text is None else int(text, 16)


def _user(row: sqlite3.Row) -> User:
    fields = dict(zip(_NAMES, row, strict=True))
    for name in _BIG_INTEGERS:
        fields[name] = _int(fields[name])
    fields["attributes"] = json.loads(fields["attributes"])
    fields["status"] = UserStatus(fields["status"])
    fields["enabled"] = bool(fields["enabled"])
    fields["mfa"] = MfaState.from_raw(json.loads(fields["mfa"]))
    return User(**fields)


def _column_value(name: str, value: Any) -> Any:
    if name in _BIG_INTEGERS:
        return hex_text(value)
    if name == "attributes":
        return json.dumps(dict(value))
    if name == "mfa":
        return json.dumps(value.to_raw())
    if name == "status":
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


class AliasTaken(Exception):
    """A sign-in key (alias or e-mail username) belongs to another user who may not lose it."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _claim_keys(
    db: sqlite3.Connection, user: User, keys: Mapping[str, str], take: Collection[str]
) -> None:
    """Make ``keys`` (kind -> folded value) the user's sign-in keys, in the caller's transaction.

    A key another user holds raises :class:`AliasTaken` unless its kind is in ``take``; then the
    older holder loses it and its ``<kind>_verified`` turns false (docs/account-journey.md).
    """
    for kind, value in keys.items():
        row = db.execute(
            "SELECT sub FROM aliases WHERE pool_id = ? AND kind = ? AND value = ?",
            (user.pool_id, kind, value),
        ).fetchone()
        if row is None or row[0] == user.sub:
            continue
        if kind not in take:
            raise AliasTaken(kind)
        _lose(db, user.pool_id, str(row[0]), kind)
    db.execute("DELETE FROM aliases WHERE pool_id = ? AND sub = ?", (user.pool_id, user.sub))
    db.executemany(
        "INSERT INTO aliases (pool_id, kind, value, sub) VALUES (?,?,?,?)",
        [(user.pool_id, kind, value, user.sub) for kind, value in keys.items()],
    )


def _lose(db: sqlite3.Connection, pool_id: str, sub: str, kind: str) -> None:
    """The older holder of an alias loses it: unverified, no longer a sign-in key."""
    db.execute(
        "DELETE FROM aliases WHERE pool_id = ? AND sub = ? AND kind = ?", (pool_id, sub, kind)
    )
    row = db.execute(
        "SELECT attributes FROM users WHERE pool_id = ? AND sub = ?", (pool_id, sub)
    ).fetchone()
    if row is not None:
        attributes = {**json.loads(row[0]), f"{kind}_verified": "false"}
        db.execute(
            "UPDATE users SET attributes = ? WHERE pool_id = ? AND sub = ?",
            (json.dumps(attributes), pool_id, sub),
        )


class Users:
    """The ``users`` table: lookups by username key, sub, alias or e-mail, paging, updates."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def insert(
        self,
        user: User,
        user_key: str,
        email_key: str | None,
        keys: Mapping[str, str] | None = None,
        take: Collection[str] = (),
    ) -> bool:
        """Add a new user with its sign-in ``keys`` (aliases), all or nothing; False if the
        username (or sub) is taken; :class:`AliasTaken` if a key is and may not be taken."""
        values = tuple(_column_value(name, getattr(user, name)) for name in _NAMES)
        try:
            with self._database.transaction() as db:
                db.execute(
                    f"INSERT INTO users (user_key, email_key, {_COLUMNS}) "  # noqa: S608
                    f"VALUES ({_PLACEHOLDERS})",
                    (user_key, email_key, *values),
                )
                _claim_keys(db, user, keys or {}, take)
        except sqlite3.IntegrityError:
            return False
        return True

    def update_attributes(
        self,
        user: User,
        attributes: Mapping[str, str],
        keys: Mapping[str, str],
        *,
        modified: float,
        take: Collection[str] = (),
        email_key: str | None = None,
    ) -> User:
        """Write the user's attributes and sign-in keys together (:func:`_claim_keys`)."""
        updated = replace(user, attributes=dict(attributes), modified=modified)
        with self._database.transaction() as db:
            _claim_keys(db, user, keys, take)
            db.execute(
                "UPDATE users SET attributes = ?, modified = ?, "
                "email_key = COALESCE(?, email_key) WHERE pool_id = ? AND sub = ?",
                (json.dumps(dict(attributes)), modified, email_key, user.pool_id, user.sub),
            )
        return updated

    def set_pending(self, user: User, name: str, value: str) -> None:
        """Keep a new value of ``name`` waiting for its verification code (replacing any)."""
        self._database.db.execute(
            "INSERT OR REPLACE INTO pending_values (pool_id, sub, name, value) VALUES (?,?,?,?)",
            (user.pool_id, user.sub, name, value),
        )

    def pending(self, user: User, name: str) -> str | None:
        """The value of ``name`` waiting for verification, if any."""
        row = self._database.db.execute(
            "SELECT value FROM pending_values WHERE pool_id = ? AND sub = ? AND name = ?",
            (user.pool_id, user.sub, name),
        ).fetchone()
        return None if row is None else str(row[0])

    def drop_pending(self, user: User, name: str) -> None:
        self._database.db.execute(
            "DELETE FROM pending_values WHERE pool_id = ? AND sub = ? AND name = ?",
            (user.pool_id, user.sub, name),
        )

    def count_hourly(
        self, user: User, group: str, limit: int, *, now: float, window: float
    ) -> bool:
        """Count one call of ``group`` for the user; False (not counted) if ``limit`` calls were
        already counted in the window that began with the first of them (a fixed window, a
        guess). Atomic: workers racing on one user never both take the last call."""
        key = (user.pool_id, user.sub, group)
        with self._database.transaction() as db:
            row = db.execute(
                "SELECT started, count FROM hourly_counts WHERE pool_id = ? AND sub = ? "
                "AND grp = ?",
                key,
            ).fetchone()
            started, count = (now, 0) if row is None or now - row[0] >= window else row
            if count >= limit:
                return False
            db.execute(
                "INSERT OR REPLACE INTO hourly_counts (pool_id, sub, grp, started, count) "
                "VALUES (?,?,?,?,?)",
                (*key, started, count + 1),
            )
        return True

    def by_alias(self, pool_id: str, kind: str, value: str) -> User | None:
        row = self._database.db.execute(
            "SELECT sub FROM aliases WHERE pool_id = ? AND kind = ? AND value = ?",
            (pool_id, kind, value),
        ).fetchone()
        return None if row is None else self.by_sub(pool_id, str(row[0]))

    def by_key(self, pool_id: str, user_key: str) -> User | None:
        return self._one("user_key = ?", pool_id, user_key)

    def by_sub(self, pool_id: str, sub: str) -> User | None:
        return self._one("sub = ?", pool_id, sub)

    def by_email(self, pool_id: str, email_key: str) -> User | None:
        return self._one("email_key = ?", pool_id, email_key)

    def _one(self, where: str, pool_id: str, value: str) -> User | None:
        row = self._database.db.execute(
            f"SELECT {_COLUMNS} FROM users WHERE pool_id = ? AND {where}",  # noqa: S608
            (pool_id, value),
        ).fetchone()
        return None if row is None else _user(row)

    def count(self, pool_id: str) -> int:
        row = self._database.db.execute("SELECT COUNT(*) FROM users WHERE pool_id = ?", (pool_id,))
        return int(row.fetchone()[0])

    def page(self, pool_id: str, *, offset: int, limit: int) -> list[User]:
        rows = self._database.db.execute(
            f"SELECT {_COLUMNS} FROM users WHERE pool_id = ? "  # noqa: S608
            "ORDER BY created, user_key LIMIT ? OFFSET ?",
            (pool_id, limit, offset),
        )
        return [_user(row) for row in rows]

    def update(self, user: User, **changes: Any) -> User:
        """Write the given fields of a user (by pool and sub) and return the updated record."""
        updated = replace(user, **changes)
        columns = {name: _column_value(name, getattr(updated, name)) for name in changes}
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self._database.db.execute(
            f"UPDATE users SET {assignments} WHERE pool_id = ? AND sub = ?",  # noqa: S608
            (*columns.values(), user.pool_id, user.sub),
        )
        return updated

    def delete(self, user: User) -> None:
        """Delete a user and the user's devices, together."""
        with self._database.transaction() as db:
            owned = ("devices", "codes", "memberships", "aliases", "pending_values")
            for table in (*owned, "hourly_counts", "users"):
                db.execute(
                    f"DELETE FROM {table} WHERE pool_id = ? AND sub = ?",  # noqa: S608
                    (user.pool_id, user.sub),
                )


class Lockouts:
    """A user's lockout counters (failures, locked_until, last_attempt)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def update(self, user: User, decide: Callable[[LockoutState], tuple[LockoutState, T]]) -> T:
        """Read the user's lockout state, let ``decide`` compute the next one, write it; atomic.

        Workers racing on one user see each other's failures (no lost updates).
        """
        with self._database.transaction() as db:
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


class TotpSteps:
    """The last TOTP step a user had accepted: a code is good once (cognito-facts §6)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def accept(self, user: User, step: int) -> bool:
        """Record ``step`` as the user's last accepted TOTP step; False if it was already used.

        One conditional UPDATE: of two workers accepting the same step, exactly one wins.
        """
        cursor = self._database.db.execute(
            "UPDATE users SET totp_last_step = ? "
            "WHERE pool_id = ? AND sub = ? AND totp_last_step < ?",
            (step, user.pool_id, user.sub, step),
        )
        return cursor.rowcount == 1
