"""Remembered devices: each with its SRP salt and verifier, per pool and user."""

from __future__ import annotations

import sqlite3

from ..records import Device
from .database import Database
from .users import hex_text

__all__ = ["Devices"]

_COLUMNS = (
    "key, pool_id, sub, group_key, name, salt, verifier, remembered, created, modified, last_auth"
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


class Devices:
    """The ``devices`` table."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def put(self, device: Device) -> None:
        self._database.db.execute(
            f"INSERT OR REPLACE INTO devices ({_COLUMNS}) "  # noqa: S608
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                device.key,
                device.pool_id,
                device.sub,
                device.group_key,
                device.name,
                hex_text(device.salt),
                hex_text(device.verifier),
                int(device.remembered),
                device.created,
                device.modified,
                device.last_auth,
            ),
        )

    def get(self, pool_id: str, sub: str, key: str) -> Device | None:
        """The user's device with this key; None if unknown or another user's."""
        row = self._database.db.execute(
            f"SELECT {_COLUMNS} FROM devices "  # noqa: S608
            "WHERE key = ? AND pool_id = ? AND sub = ?",
            (key, pool_id, sub),
        ).fetchone()
        return None if row is None else _device(row)

    def of_user(self, pool_id: str, sub: str) -> list[Device]:
        rows = self._database.db.execute(
            f"SELECT {_COLUMNS} FROM devices "  # noqa: S608
            "WHERE pool_id = ? AND sub = ? ORDER BY created, key",
            (pool_id, sub),
        )
        return [_device(row) for row in rows]

    def delete(self, key: str) -> None:
        self._database.db.execute("DELETE FROM devices WHERE key = ?", (key,))

    def touch(self, key: str, now: float) -> None:
        """Note a successful device sign-in (DeviceLastAuthenticatedDate)."""
        self._database.db.execute("UPDATE devices SET last_auth = ? WHERE key = ?", (now, key))
