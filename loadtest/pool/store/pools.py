"""User pools and app clients: configuration records, read on every request and cached."""

from __future__ import annotations

import json
import sqlite3

from ..records import AppClient, Pool
from .database import Database, RecordCache

__all__ = ["Clients", "Pools"]

_POOL_COLUMNS = "id, name, raw, created, modified"
_CLIENT_COLUMNS = "id, pool_id, name, secret, raw, created, modified"


def _pool(row: sqlite3.Row) -> Pool:
    return Pool(id=row[0], name=row[1], raw=json.loads(row[2]), created=row[3], modified=row[4])


def _client(row: sqlite3.Row) -> AppClient:
    return AppClient(
        id=row[0],
        pool_id=row[1],
        name=row[2],
        secret=row[3],
        raw=json.loads(row[4]),
        created=row[5],
        modified=row[6],
    )


class Pools:
    """The ``pools`` table. Deleting a pool deletes its clients, users and devices with it."""

    def __init__(self, database: Database, cache: RecordCache) -> None:
        self._database, self._cache = database, cache

    def put(self, pool: Pool) -> None:
        self._cache.forget()
        self._database.db.execute(
            f"INSERT OR REPLACE INTO pools ({_POOL_COLUMNS}) VALUES (?,?,?,?,?)",  # noqa: S608
            (pool.id, pool.name, json.dumps(pool.raw), pool.created, pool.modified),
        )

    def get(self, pool_id: str) -> Pool | None:
        return self._cache.fetch("pool", pool_id, lambda: self._load(pool_id))

    def _load(self, pool_id: str) -> Pool | None:
        sql = f"SELECT {_POOL_COLUMNS} FROM pools WHERE id = ?"  # noqa: S608
        row = self._database.db.execute(sql, (pool_id,)).fetchone()
        return None if row is None else _pool(row)

    def all(self) -> list[Pool]:
        rows = self._database.db.execute(
            f"SELECT {_POOL_COLUMNS} FROM pools ORDER BY id"  # noqa: S608
        )
        return [_pool(row) for row in rows]

    def delete(self, pool_id: str) -> None:
        self._cache.forget()
        with self._database.transaction() as db:
            for table in ("devices", "users", "clients"):
                db.execute(f"DELETE FROM {table} WHERE pool_id = ?", (pool_id,))  # noqa: S608
            db.execute("DELETE FROM pools WHERE id = ?", (pool_id,))


class Clients:
    """The ``clients`` table (app clients)."""

    def __init__(self, database: Database, cache: RecordCache) -> None:
        self._database, self._cache = database, cache

    def put(self, client: AppClient) -> None:
        self._cache.forget()
        self._database.db.execute(
            f"INSERT OR REPLACE INTO clients ({_CLIENT_COLUMNS}) "  # noqa: S608
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

    def get(self, client_id: str) -> AppClient | None:
        return self._cache.fetch("client", client_id, lambda: self._load(client_id))

    def _load(self, client_id: str) -> AppClient | None:
        sql = f"SELECT {_CLIENT_COLUMNS} FROM clients WHERE id = ?"  # noqa: S608
        row = self._database.db.execute(sql, (client_id,)).fetchone()
        return None if row is None else _client(row)

    def delete(self, client_id: str) -> None:
        self._cache.forget()
        self._database.db.execute("DELETE FROM clients WHERE id = ?", (client_id,))
