"""Refresh-token rotation's memory: when each refresh token was first exchanged.

With ``RefreshTokenRotation`` on, a refresh token may be exchanged again only within the app
client's ``RetryGracePeriodSeconds`` of its first exchange (cognito-facts §14.2). Each
exchange mints a child; ``refresh_forks`` counts the children of each token, so that after a
fork (a second exchange inside the window) only the newest child may refresh (§14.2,
measured). Rows are forgotten once the token would have expired anyway.
"""

from __future__ import annotations

from .database import Database

__all__ = ["RefreshUses"]


class RefreshUses:
    """The ``refresh_uses`` table: a refresh token's id and the time of its first exchange;
    ``refresh_forks``: how many children each token has had."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def first_use(self, jti: str, now: float, expires: float) -> float | None:
        """Record an exchange of ``jti`` at ``now``: None if it is the first, else the time of
        the first. ``INSERT OR IGNORE`` decides the first atomically across workers.
        """
        db = self._database.db
        inserted = db.execute(
            "INSERT OR IGNORE INTO refresh_uses (jti, first_used, expires) VALUES (?, ?, ?)",
            (jti, now, expires),
        ).rowcount
        if inserted:
            return None
        row = db.execute("SELECT first_used FROM refresh_uses WHERE jti = ?", (jti,)).fetchone()
        return float(row[0])

    def add_child(self, parent_jti: str, expires: float) -> int:
        """Count one more child of ``parent_jti``; its number (1 for the first), atomically."""
        row = self._database.db.execute(
            "INSERT INTO refresh_forks (parent_jti, children, expires) VALUES (?, 1, ?) "
            "ON CONFLICT (parent_jti) DO UPDATE SET children = children + 1 RETURNING children",
            (parent_jti, expires),
        ).fetchone()
        return int(row[0])

    def children(self, parent_jti: str) -> int:
        """How many children ``parent_jti`` has had (0 if none)."""
        row = self._database.db.execute(
            "SELECT children FROM refresh_forks WHERE parent_jti = ?", (parent_jti,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def purge(self, now: float) -> None:
        self._database.db.execute("DELETE FROM refresh_uses WHERE expires < ?", (now,))
        self._database.db.execute("DELETE FROM refresh_forks WHERE expires < ?", (now,))
