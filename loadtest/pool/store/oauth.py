"""User-pool domains and resource servers: small configuration rows, read per OAuth request.

A domain maps to exactly one pool (the prefix is unique across the server, as Cognito's are
within a Region); a resource server is keyed by pool and identifier. Both keep what the caller
sent as JSON (``raw``) for the ``Describe`` answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .database import Database

__all__ = ["DomainRecord", "Domains", "ResourceServers"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainRecord:
    """A prefix domain of a user pool."""

    domain: str
    pool_id: str
    raw: Mapping[str, Any] = field(repr=False)
    created: float


class Domains:
    """The ``domains`` table."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def add(self, record: DomainRecord) -> bool:
        """Store a new domain; False if the name or the pool already has one."""
        with self._database.transaction() as db:
            taken = db.execute(
                "SELECT 1 FROM domains WHERE domain = ? OR pool_id = ?",
                (record.domain, record.pool_id),
            ).fetchone()
            if taken:
                return False
            db.execute(
                "INSERT INTO domains (domain, pool_id, raw, created) VALUES (?, ?, ?, ?)",
                (record.domain, record.pool_id, json.dumps(dict(record.raw)), record.created),
            )
        return True

    def get(self, domain: str) -> DomainRecord | None:
        row = self._database.db.execute(
            "SELECT domain, pool_id, raw, created FROM domains WHERE domain = ?", (domain,)
        ).fetchone()
        return None if row is None else _domain(row)

    def of_pool(self, pool_id: str) -> DomainRecord | None:
        row = self._database.db.execute(
            "SELECT domain, pool_id, raw, created FROM domains WHERE pool_id = ?", (pool_id,)
        ).fetchone()
        return None if row is None else _domain(row)

    def delete(self, domain: str) -> None:
        self._database.db.execute("DELETE FROM domains WHERE domain = ?", (domain,))


def _domain(row: Any) -> DomainRecord:
    return DomainRecord(domain=row[0], pool_id=row[1], raw=json.loads(row[2]), created=row[3])


class ResourceServers:
    """The ``resource_servers`` table: ``{Identifier, Name, Scopes}`` per pool."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def put(self, pool_id: str, server: Mapping[str, Any]) -> None:
        self._database.db.execute(
            "INSERT OR REPLACE INTO resource_servers (pool_id, identifier, raw) VALUES (?, ?, ?)",
            (pool_id, server["Identifier"], json.dumps(dict(server))),
        )

    def get(self, pool_id: str, identifier: str) -> dict[str, Any] | None:
        row = self._database.db.execute(
            "SELECT raw FROM resource_servers WHERE pool_id = ? AND identifier = ?",
            (pool_id, identifier),
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def all(self, pool_id: str) -> list[dict[str, Any]]:
        rows = self._database.db.execute(
            "SELECT raw FROM resource_servers WHERE pool_id = ? ORDER BY identifier", (pool_id,)
        )
        return [dict(json.loads(row[0])) for row in rows]

    def scopes(self, pool_id: str) -> frozenset[str]:
        """Every custom scope of the pool, as ``<identifier>/<scope name>``."""
        return frozenset(
            f"{server['Identifier']}/{scope['ScopeName']}"
            for server in self.all(pool_id)
            for scope in server.get("Scopes", [])
        )

    def delete(self, pool_id: str, identifier: str) -> None:
        self._database.db.execute(
            "DELETE FROM resource_servers WHERE pool_id = ? AND identifier = ?",
            (pool_id, identifier),
        )
