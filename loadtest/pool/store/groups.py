"""Groups of a pool and who belongs to them (CreateGroup, AdminAddUserToGroup, ...).

Memberships are keyed by the user's sub, so renaming nothing and deleting a user or a group
removes its memberships with it (:meth:`Groups.delete`, :meth:`Groups.forget_user`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .database import Database

__all__ = ["Group", "Groups"]

_COLUMNS = "pool_id, name, description, role_arn, precedence, created, modified"


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """A group: name, description, IAM role and precedence (lower wins)."""

    pool_id: str
    name: str
    description: str | None
    role_arn: str | None
    precedence: int | None
    created: float
    modified: float


def _group(row: tuple[object, ...]) -> Group:
    pool_id, name, description, role_arn, precedence, created, modified = row
    return Group(
        pool_id=str(pool_id),
        name=str(name),
        description=None if description is None else str(description),
        role_arn=None if role_arn is None else str(role_arn),
        precedence=None if precedence is None else int(precedence),  # type: ignore[call-overload]
        created=float(created),  # type: ignore[arg-type]
        modified=float(modified),  # type: ignore[arg-type]
    )


class Groups:
    """The ``groups`` and ``memberships`` tables."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def insert(self, group: Group) -> bool:
        """Add a group; False if the pool already has one of that name."""
        try:
            self._write("INSERT", group)
        except sqlite3.IntegrityError:
            return False
        return True

    def replace(self, group: Group) -> None:
        self._write("INSERT OR REPLACE", group)

    def _write(self, verb: str, group: Group) -> None:
        self._database.db.execute(
            f"{verb} INTO groups ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
            (
                group.pool_id, group.name, group.description, group.role_arn,
                group.precedence, group.created, group.modified,
            ),
        )  # fmt: skip

    def get(self, pool_id: str, name: str) -> Group | None:
        row = self._database.db.execute(
            f"SELECT {_COLUMNS} FROM groups WHERE pool_id = ? AND name = ?",  # noqa: S608
            (pool_id, name),
        ).fetchone()
        return None if row is None else _group(row)

    def page(self, pool_id: str, *, offset: int, limit: int) -> list[Group]:
        rows = self._database.db.execute(
            f"SELECT {_COLUMNS} FROM groups WHERE pool_id = ? "  # noqa: S608
            "ORDER BY name LIMIT ? OFFSET ?",
            (pool_id, limit, offset),
        )
        return [_group(row) for row in rows]

    def delete(self, pool_id: str, name: str) -> None:
        with self._database.transaction() as db:
            db.execute("DELETE FROM memberships WHERE pool_id = ? AND name = ?", (pool_id, name))
            db.execute("DELETE FROM groups WHERE pool_id = ? AND name = ?", (pool_id, name))

    def add_member(self, pool_id: str, name: str, sub: str) -> None:
        self._database.db.execute(
            "INSERT OR IGNORE INTO memberships (pool_id, name, sub) VALUES (?,?,?)",
            (pool_id, name, sub),
        )

    def remove_member(self, pool_id: str, name: str, sub: str) -> None:
        self._database.db.execute(
            "DELETE FROM memberships WHERE pool_id = ? AND name = ? AND sub = ?",
            (pool_id, name, sub),
        )

    def of_user(self, pool_id: str, sub: str) -> list[Group]:
        """The user's groups, by precedence (unset last), then name."""
        rows = self._database.db.execute(
            "SELECT g.pool_id, g.name, g.description, g.role_arn, g.precedence, g.created, "
            "g.modified FROM groups g JOIN memberships m ON m.pool_id = g.pool_id "
            "AND m.name = g.name WHERE m.pool_id = ? AND m.sub = ? "
            "ORDER BY g.precedence IS NULL, g.precedence, g.name",
            (pool_id, sub),
        )
        return [_group(row) for row in rows]

    def member_subs(self, pool_id: str, name: str, *, offset: int, limit: int) -> list[str]:
        rows = self._database.db.execute(
            "SELECT sub FROM memberships WHERE pool_id = ? AND name = ? ORDER BY sub "
            "LIMIT ? OFFSET ?",
            (pool_id, name, limit, offset),
        )
        return [str(row[0]) for row in rows]

    def forget_user(self, pool_id: str, sub: str) -> None:
        self._database.db.execute(
            "DELETE FROM memberships WHERE pool_id = ? AND sub = ?", (pool_id, sub)
        )
