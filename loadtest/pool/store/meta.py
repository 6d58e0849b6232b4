"""The state file's own secrets (sealing key, signing keys, simulation key): ``meta`` rows."""

from __future__ import annotations

from collections.abc import Callable

from .database import Database

__all__ = ["Secrets"]


class Secrets:
    """Persistent secrets, each created once and then the same for every worker and restart."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def get_or_create(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The secret called ``name``; ``make()`` creates it on first use (atomically)."""
        with self._database.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
            if row is not None:
                return bytes(row[0])
            value = make()
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (name, value))
            return value
