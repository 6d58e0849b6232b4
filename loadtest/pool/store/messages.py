"""The local message sink's records: every SMS and e-mail the pool would have sent.

One row per message, in the order sent (``seq``). Tests and load runs read them back through
``GET /_pool/messages`` (:mod:`loadtest.pool.app`); nothing is ever delivered to a phone or a
mailbox. Rows are never updated, so appends need no transaction.
"""

from __future__ import annotations

from dataclasses import asdict, astuple, dataclass, field, fields

from .database import Database

__all__ = ["MessageRecord", "SentMessages"]

#: A reader gets at most this many messages per query (the newest ones).
MAX_READ = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRecord:
    """One message as kept: who, how, where (masked), why, the code and when."""

    pool_id: str
    username: str
    medium: str
    destination: str
    purpose: str
    code: str = field(repr=False)
    sent_at: float

    def to_json(self) -> dict[str, object]:
        """The ``GET /_pool/messages`` form of one message (pool id included): its fields."""
        return asdict(self)


#: The ``messages`` columns a record is kept in: its fields, in their order.
_COLUMNS = ", ".join(f.name for f in fields(MessageRecord))
_PLACES = ",".join("?" * len(fields(MessageRecord)))


class SentMessages:
    """The ``messages`` table: appended by :func:`loadtest.pool.messages.send_code`."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def add(self, message: MessageRecord) -> None:
        self._database.db.execute(
            f"INSERT INTO messages ({_COLUMNS}) VALUES ({_PLACES})",  # noqa: S608
            astuple(message),
        )

    def find(
        self, *, pool_id: str | None = None, username: str | None = None, limit: int = MAX_READ
    ) -> list[MessageRecord]:
        """Messages matching the filters given, oldest first (at most ``limit``, the newest)."""
        where, args = _filters(pool_id=pool_id, username=username)
        rows = self._database.db.execute(
            f"SELECT {_COLUMNS} FROM messages {where} ORDER BY seq DESC LIMIT ?",  # noqa: S608
            (*args, max(1, min(limit, MAX_READ))),
        ).fetchall()
        return [_record(row) for row in reversed(rows)]


def _filters(**given: str | None) -> tuple[str, tuple[str, ...]]:
    names = [name for name, value in given.items() if value is not None]
    if not names:
        return "", ()
    clause = "WHERE " + " AND ".join(f"{name} = ?" for name in names)
    return clause, tuple(str(given[name]) for name in names)


def _record(row: tuple[object, ...]) -> MessageRecord:
    pool_id, username, medium, destination, purpose, code, sent_at = row
    return MessageRecord(
        pool_id=str(pool_id),
        username=str(username),
        medium=str(medium),
        destination=str(destination),
        purpose=str(purpose),
        code=str(code),
        sent_at=float(sent_at),  # type: ignore[arg-type]
    )
