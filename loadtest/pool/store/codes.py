"""Codes waiting to be entered: sign-up confirmation, password reset, attribute verification.

One pending code per (pool, user, purpose, attribute); sending a new one replaces the old, so an
earlier code stops matching (as Cognito does when a code is re-sent). A matched code is deleted
in the same statement that checks it, so of two racing requests exactly one wins and a code can
never be used twice. Wrong guesses are counted on the row; the caller decides the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .database import Database

__all__ = ["PendingCode", "PendingCodes"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingCode:
    """A code sent and not yet used."""

    pool_id: str
    sub: str
    purpose: str
    attribute: str
    code: str = field(repr=False)
    expires: float
    wrong: int


class PendingCodes:
    """The ``codes`` table."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def put(self, code: PendingCode) -> None:
        """Keep ``code``, replacing any earlier one for the same user, purpose and attribute."""
        self._database.db.execute(
            "INSERT OR REPLACE INTO codes (pool_id, sub, purpose, attribute, code, expires, wrong)"
            " VALUES (?,?,?,?,?,?,?)",
            (code.pool_id, code.sub, code.purpose, code.attribute, code.code, code.expires, 0),
        )

    def get(self, pool_id: str, sub: str, purpose: str, attribute: str = "") -> PendingCode | None:
        row = self._database.db.execute(
            "SELECT code, expires, wrong FROM codes "
            "WHERE pool_id = ? AND sub = ? AND purpose = ? AND attribute = ?",
            (pool_id, sub, purpose, attribute),
        ).fetchone()
        if row is None:
            return None
        return PendingCode(
            pool_id=pool_id, sub=sub, purpose=purpose, attribute=attribute,
            code=str(row[0]), expires=float(row[1]), wrong=int(row[2]),
        )  # fmt: skip

    def consume(self, pending: PendingCode) -> bool:
        """Delete the code if it is still the one given; False if another request used it."""
        cursor = self._database.db.execute(
            "DELETE FROM codes WHERE pool_id = ? AND sub = ? AND purpose = ? AND attribute = ? "
            "AND code = ?",
            (pending.pool_id, pending.sub, pending.purpose, pending.attribute, pending.code),
        )
        return cursor.rowcount == 1

    def count_wrong(self, pending: PendingCode) -> None:
        self._database.db.execute(
            "UPDATE codes SET wrong = wrong + 1 "
            "WHERE pool_id = ? AND sub = ? AND purpose = ? AND attribute = ?",
            (pending.pool_id, pending.sub, pending.purpose, pending.attribute),
        )

    def drop(self, pending: PendingCode) -> None:
        self._database.db.execute(
            "DELETE FROM codes WHERE pool_id = ? AND sub = ? AND purpose = ? AND attribute = ?",
            (pending.pool_id, pending.sub, pending.purpose, pending.attribute),
        )
