"""The state of custom-authentication sign-ins between rounds, keyed from their Sessions.

A CUSTOM_AUTH Session carries only a key; the rounds so far (DefineAuthChallenge's
``session`` list) and the private challenge parameters live here, so neither the number of
rounds nor the size of what CreateAuthChallenge returns is limited by the Session string's
2,048 characters. Rows are forgotten once their Session would have expired anyway.
"""

from __future__ import annotations

import json
from typing import Any

from .database import Database

__all__ = ["CustomAuthStates"]


class CustomAuthStates:
    """The ``custom_auth`` table: one JSON state per issued CUSTOM_CHALLENGE."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def put(self, key: str, state: dict[str, Any], expires: float) -> None:
        self._database.db.execute(
            "INSERT OR REPLACE INTO custom_auth (key, state, expires) VALUES (?, ?, ?)",
            (key, json.dumps(state), expires),
        )

    def get(self, key: str) -> dict[str, Any] | None:
        row = self._database.db.execute(
            "SELECT state FROM custom_auth WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        state: dict[str, Any] = json.loads(row[0])
        return state

    def purge(self, now: float) -> None:
        self._database.db.execute("DELETE FROM custom_auth WHERE expires < ?", (now,))
