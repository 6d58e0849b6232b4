"""Users, and the two guarded transitions on their rows: lockout counters and TOTP replay.

A user row is written whole when created and field by field afterwards (:meth:`Users.update`).
The lockout counters and the last accepted TOTP step are read-modify-write state that several
worker processes can race on, so each has its own small class with an atomic transition.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from ..lockout import LockoutState
from ..records import MfaState, User, UserStatus
from .database import Database

__all__ = ["Lockouts", "TotpSteps", "Users"]

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


class Users:
    """The ``users`` table: lookups by username key, sub or e-mail, paging, field updates."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def insert(self, user: User, user_key: str, email_key: str | None) -> bool:
        """Add a new user; False if the username (or sub) is taken."""
        values = tuple(_column_value(name, getattr(user, name)) for name in _NAMES)
        try:
            self._database.db.execute(
                f"INSERT INTO users (user_key, email_key, {_COLUMNS}) "  # noqa: S608
                f"VALUES ({_PLACEHOLDERS})",
                (user_key, email_key, *values),
            )
        except sqlite3.IntegrityError:
            return False
        return True

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
            for table in ("devices", "codes", "memberships", "users"):
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
