"""What the stateless sessions need remembered: which were used, and pending device challenges.

Sessions themselves are sealed strings (:mod:`loadtest.pool.sessions`); only their single use
and the Session of the latest DEVICE_SRP_AUTH (for clients that answer it without one) live here.
Both are forgotten once they would have expired anyway.
"""

from __future__ import annotations

import sqlite3

from .database import Database

__all__ = ["DeviceChallenges", "UsedSessions"]


class UsedSessions:
    """The ``used_sessions`` table: a Session id is inserted once, when its step succeeds."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def is_used(self, session_id: str) -> bool:
        row = self._database.db.execute("SELECT 1 FROM used_sessions WHERE id = ?", (session_id,))
        return row.fetchone() is not None

    def use(self, session_id: str, expires: float) -> bool:
        """Mark a session consumed; False if another request consumed it first.

        The primary key makes this atomic across workers: one INSERT wins.
        """
        try:
            self._database.db.execute(
                "INSERT INTO used_sessions (id, expires) VALUES (?, ?)", (session_id, expires)
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def purge(self, now: float) -> None:
        self._database.db.execute("DELETE FROM used_sessions WHERE expires < ?", (now,))


class DeviceChallenges:
    """The ``device_challenges`` table: the latest DEVICE_SRP_AUTH Session per device."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def put(self, client_id: str, sub: str, device_key: str, session: str, expires: float) -> None:
        """Keep the (sealed) Session of the latest DEVICE_SRP_AUTH issued to a user's device."""
        self._database.db.execute(
            "INSERT OR REPLACE INTO device_challenges "
            "(client_id, sub, device_key, session, expires) VALUES (?,?,?,?,?)",
            (client_id, sub, device_key, session, expires),
        )

    def get(self, client_id: str, sub: str, device_key: str) -> str | None:
        """The Session of the latest DEVICE_SRP_AUTH for this client, user and device."""
        row = self._database.db.execute(
            "SELECT session FROM device_challenges "
            "WHERE client_id = ? AND sub = ? AND device_key = ?",
            (client_id, sub, device_key),
        ).fetchone()
        return None if row is None else str(row[0])

    def purge(self, now: float) -> None:
        self._database.db.execute("DELETE FROM device_challenges WHERE expires < ?", (now,))
