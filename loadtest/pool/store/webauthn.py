"""Passkeys: registered WebAuthn credentials, and pending registration challenges.

A credential keeps its COSE public key as the library returned it, its signature counter and
what ListWebAuthnCredentials shows. A registration challenge is kept from
StartWebAuthnRegistration to CompleteWebAuthnRegistration (one per user and client, the
latest wins) and removed when used.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from .database import Database

__all__ = ["Passkey", "Passkeys", "PendingRegistration"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Passkey:
    """One registered credential."""

    credential_id: str
    pool_id: str
    sub: str
    public_key: bytes = field(repr=False)
    sign_count: int
    rp_id: str
    attachment: str
    transports: tuple[str, ...]
    created: float

    def listed(self) -> dict[str, object]:
        """The WebAuthnCredentialDescription ListWebAuthnCredentials returns (§13.4)."""
        entry: dict[str, object] = {
            "CredentialId": self.credential_id,
            "FriendlyCredentialName": self.attachment or "passkey",
            "RelyingPartyId": self.rp_id,
            "AuthenticatorTransports": list(self.transports),
            "CreatedAt": self.created,
        }
        if self.attachment:
            entry["AuthenticatorAttachment"] = self.attachment
        return entry


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingRegistration:
    """A StartWebAuthnRegistration not yet completed."""

    client_id: str
    challenge: str
    rp_id: str
    expires: float


def _passkey(row: tuple[Any, ...]) -> Passkey:
    cid, pool_id, sub, key, count, rp_id, attachment, transports, created = row
    return Passkey(
        credential_id=str(cid),
        pool_id=str(pool_id),
        sub=str(sub),
        public_key=bytes(key),
        sign_count=int(count),
        rp_id=str(rp_id),
        attachment=str(attachment),
        transports=tuple(json.loads(str(transports))),
        created=float(created),
    )


_COLUMNS = (
    "credential_id, pool_id, sub, public_key, sign_count, rp_id, attachment, transports, created"
)


class Passkeys:
    """The ``webauthn_credentials`` and ``webauthn_registrations`` tables."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def add(self, key: Passkey) -> bool:
        """Store a new credential; False if its id is registered already."""
        try:
            self._database.db.execute(
                f"INSERT INTO webauthn_credentials ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",  # noqa: S608
                (
                    key.credential_id, key.pool_id, key.sub, key.public_key, key.sign_count,
                    key.rp_id, key.attachment, json.dumps(list(key.transports)), key.created,
                ),
            )  # fmt: skip
        except sqlite3.IntegrityError:
            return False
        return True

    def of_user(self, pool_id: str, sub: str) -> list[Passkey]:
        rows = self._database.db.execute(
            f"SELECT {_COLUMNS} FROM webauthn_credentials "  # noqa: S608
            "WHERE pool_id = ? AND sub = ? ORDER BY created, credential_id",
            (pool_id, sub),
        ).fetchall()
        return [_passkey(row) for row in rows]

    def delete(self, pool_id: str, sub: str, credential_id: str) -> bool:
        cursor = self._database.db.execute(
            "DELETE FROM webauthn_credentials WHERE pool_id = ? AND sub = ? AND credential_id = ?",
            (pool_id, sub, credential_id),
        )
        return cursor.rowcount > 0

    def advance(self, credential_id: str, old: int, new: int) -> bool:
        """Move the signature counter from ``old`` to ``new``; False if another use won."""
        cursor = self._database.db.execute(
            "UPDATE webauthn_credentials SET sign_count = ? "
            "WHERE credential_id = ? AND sign_count = ?",
            (new, credential_id, old),
        )
        return cursor.rowcount > 0

    def start(self, pool_id: str, sub: str, pending: PendingRegistration) -> None:
        self._database.db.execute(
            "INSERT OR REPLACE INTO webauthn_registrations "
            "(pool_id, sub, client_id, challenge, rp_id, expires) VALUES (?,?,?,?,?,?)",
            (pool_id, sub, pending.client_id, pending.challenge, pending.rp_id, pending.expires),
        )

    def take(self, pool_id: str, sub: str) -> PendingRegistration | None:
        """The pending registration, removed: a challenge is good for one completion."""
        with self._database.transaction() as db:
            row = db.execute(
                "SELECT client_id, challenge, rp_id, expires FROM webauthn_registrations "
                "WHERE pool_id = ? AND sub = ?",
                (pool_id, sub),
            ).fetchone()
            db.execute(
                "DELETE FROM webauthn_registrations WHERE pool_id = ? AND sub = ?", (pool_id, sub)
            )
        if row is None:
            return None
        return PendingRegistration(
            client_id=row[0], challenge=row[1], rp_id=row[2], expires=float(row[3])
        )

    def purge(self, now: float) -> None:
        self._database.db.execute("DELETE FROM webauthn_registrations WHERE expires < ?", (now,))
