"""Refresh tokens revoked by RevokeToken, by the id of their original sign-in (origin_jti).

Revoking a refresh token also revokes every access token minted from it (cognito-facts §14.4),
and all of them carry the sign-in's ``origin_jti``; so one row refuses the whole family. Rows
are forgotten when the refresh token would have expired anyway.
"""

from __future__ import annotations

from .database import Database

__all__ = ["Revocations"]


class Revocations:
    """The ``revoked_tokens`` table."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def revoke(self, origin_jti: str, expires: float) -> None:
        self._database.db.execute(
            "INSERT OR IGNORE INTO revoked_tokens (origin_jti, expires) VALUES (?, ?)",
            (origin_jti, expires),
        )

    def is_revoked(self, origin_jti: str) -> bool:
        row = self._database.db.execute(
            "SELECT 1 FROM revoked_tokens WHERE origin_jti = ?", (origin_jti,)
        ).fetchone()
        return row is not None

    def purge(self, now: float) -> None:
        self._database.db.execute("DELETE FROM revoked_tokens WHERE expires < ?", (now,))
