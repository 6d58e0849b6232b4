"""User pools and app clients: configuration records, read on every request and cached.

Both are stored as the JSON the caller sent (``raw``) beside a few indexed columns, and both go
through the connection's :class:`~.database.RecordCache`; :class:`_ConfigTable` holds what they
share, and each subclass declares its table.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from ..records import AppClient, Pool
from .database import Database, RecordCache

__all__ = ["Clients", "Pools"]

R = TypeVar("R", Pool, AppClient)


class _ConfigTable(Generic[R]):
    """One table of configuration records keyed by ``id``, with a ``raw`` JSON column."""

    kind: ClassVar[str]
    table: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    record: Callable[..., R]

    def __init__(self, database: Database, cache: RecordCache) -> None:
        self._database, self._cache = database, cache

    def put(self, item: R) -> None:
        self._cache.forget()
        names = ", ".join(self.columns)
        values = tuple(_stored(getattr(item, name)) for name in self.columns)
        self._database.db.execute(
            f"INSERT OR REPLACE INTO {self.table} ({names}) "  # noqa: S608
            f"VALUES ({','.join('?' * len(self.columns))})",
            values,
        )

    def get(self, key: str) -> R | None:
        return self._cache.fetch(self.kind, key, lambda: self._load(key))

    def _load(self, key: str) -> R | None:
        sql = f"SELECT {', '.join(self.columns)} FROM {self.table} WHERE id = ?"  # noqa: S608
        row = self._database.db.execute(sql, (key,)).fetchone()
        return None if row is None else self._parse(row)

    def _parse(self, row: sqlite3.Row) -> R:
        fields = dict(zip(self.columns, row, strict=True))
        fields["raw"] = json.loads(fields["raw"])
        return self.record(**fields)


def _stored(value: Any) -> Any:
    return value if isinstance(value, str | int | float | None) else json.dumps(value)


class Pools(_ConfigTable[Pool]):
    """The ``pools`` table. Deleting a pool deletes its clients, users and devices with it."""

    kind = "pool"
    table = "pools"
    columns = ("id", "name", "raw", "created", "modified")
    record = Pool

    def all(self) -> list[Pool]:
        sql = f"SELECT {', '.join(self.columns)} FROM pools ORDER BY id"  # noqa: S608
        return [self._parse(row) for row in self._database.db.execute(sql)]

    def delete(self, pool_id: str) -> None:
        self._cache.forget()
        with self._database.transaction() as db:
            per_user = ("devices", "codes", "memberships", "aliases", "pending_values")
            per_pool = ("groups", "hourly_counts", "users", "clients", "domains")
            for table in (*per_user, *per_pool, "resource_servers"):
                db.execute(f"DELETE FROM {table} WHERE pool_id = ?", (pool_id,))  # noqa: S608
            db.execute("DELETE FROM pools WHERE id = ?", (pool_id,))


class Clients(_ConfigTable[AppClient]):
    """The ``clients`` table (app clients)."""

    kind = "client"
    table = "clients"
    columns = ("id", "pool_id", "name", "secret", "raw", "created", "modified")
    record = AppClient

    def delete(self, client_id: str) -> None:
        self._cache.forget()
        self._database.db.execute("DELETE FROM clients WHERE id = ?", (client_id,))

    def of_pool(self, pool_id: str) -> list[AppClient]:
        """A pool's clients, oldest first."""
        sql = (
            f"SELECT {', '.join(self.columns)} FROM clients "  # noqa: S608
            "WHERE pool_id = ? ORDER BY created, id"
        )
        return [self._parse(row) for row in self._database.db.execute(sql, (pool_id,))]
