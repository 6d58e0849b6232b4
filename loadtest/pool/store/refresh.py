"""Refresh-token rotation's memory: when each refresh token was first exchanged.

With ``RefreshTokenRotation`` on, a refresh token may be exchanged again only within the app
client's ``RetryGracePeriodSeconds`` of its first exchange (cognito-facts §14.2). Rows are
forgotten once the token would have expired anyway.
"""

from __future__ import annotations

from .database import Database

__all__ = ["RefreshUses"]


class RefreshUses:
    """The ``refresh_uses`` table: a refresh token's id and the time of its first exchange."""

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

    def purge(self, now: float) -> None:
        self._database.db.execute("DELETE FROM refresh_uses WHERE expires < ?", (now,))
