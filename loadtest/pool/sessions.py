"""Sealed, stateless Session strings and SECRET_BLOCKs.

A challenge's state travels inside the string the client sends back: JSON sealed with AES-GCM
under a key kept in the state file, so any worker process (and a restarted server) can open it
and nobody else can read or forge it. What must be remembered server-side is only what makes a
session single-use (the store's ``used_sessions`` table).

Sessions are URL-safe base64 (as Cognito's are); SECRET_BLOCKs are standard, padded base64
(cognito-facts §1.8).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["ChallengeSession", "SealError", "Sealer", "SecretBlock"]

_NONCE = 12
_SESSION_AAD = b"session/v1"
_BLOCK_AAD = b"secret-block/v1"
_REFRESH_AAD = b"refresh/v1"
MAX_SESSION_CHARS = 2048


def _fields(record: ChallengeSession | SecretBlock) -> dict[str, Any]:
    """A record's fields as a dict (shallow: cheaper than ``dataclasses.asdict``)."""
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


class SealError(ValueError):
    """A string that this pool did not seal, or that was tampered with."""


class Sealer:
    """AES-256-GCM sealing of small JSON payloads with a persistent key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @staticmethod
    def new_key() -> bytes:
        return AESGCM.generate_key(bit_length=256)

    def seal(self, payload: dict[str, Any], aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        data = json.dumps(payload, separators=(",", ":")).encode()
        return nonce + self._aead.encrypt(nonce, data, aad)

    def open(self, blob: bytes, aad: bytes) -> dict[str, Any]:
        if len(blob) <= _NONCE:
            raise SealError("too short")
        try:
            data = self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], aad)
        except InvalidTag as exc:
            raise SealError("not sealed by this pool") from exc
        value = json.loads(data)
        if not isinstance(value, dict):
            raise SealError("not an object")
        return value

    # -- text forms -------------------------------------------------------------------------
    def seal_urlsafe(self, payload: dict[str, Any], aad: bytes) -> str:
        return base64.urlsafe_b64encode(self.seal(payload, aad)).decode().rstrip("=")

    def open_urlsafe(self, text: object, aad: bytes) -> dict[str, Any]:
        if not isinstance(text, str) or not 20 <= len(text) <= MAX_SESSION_CHARS:
            raise SealError("bad length")
        try:
            blob = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as exc:
            raise SealError("not base64") from exc
        return self.open(blob, aad)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeSession:
    """The state behind a Session string: whose sign-in, at which step, since when."""

    id: str
    stage: str
    pool_id: str
    client_id: str
    username: str
    sub: str
    issued: float
    device_key: str = ""
    admin: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def seal(self, sealer: Sealer) -> str:
        return sealer.seal_urlsafe(_fields(self), _SESSION_AAD)

    @classmethod
    def open(cls, sealer: Sealer, text: object) -> ChallengeSession:
        payload = sealer.open_urlsafe(text, _SESSION_AAD)
        try:
            return cls(**payload)
        except TypeError as exc:
            raise SealError("unexpected fields") from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretBlock:
    """The state behind a SECRET_BLOCK: the server's SRP secret b and B for one exchange."""

    kind: str  # "user" or "device"
    pool_id: str
    client_id: str
    username: str
    sub: str
    issued: float
    secret_b: str = field(repr=False)
    public_b: str
    public_a: str
    device_key: str = ""
    session_id: str = ""
    admin: bool = False

    def seal(self, sealer: Sealer) -> str:
        """Standard, padded base64 (never URL-safe: strict clients reject - and _)."""
        return base64.b64encode(sealer.seal(_fields(self), _BLOCK_AAD)).decode()

    @classmethod
    def open(cls, sealer: Sealer, raw: bytes) -> SecretBlock:
        payload = sealer.open(raw, _BLOCK_AAD)
        try:
            return cls(**payload)
        except TypeError as exc:
            raise SealError("unexpected fields") from exc


def seal_refresh(sealer: Sealer, payload: dict[str, Any]) -> str:
    """An opaque refresh token (five dot-separated parts, like Cognito's JWE)."""
    body = sealer.seal_urlsafe(payload, _REFRESH_AAD)
    header = base64.urlsafe_b64encode(b'{"cty":"JWT","enc":"A256GCM","alg":"dir"}').decode()
    return f"{header.rstrip('=')}..{body[:16]}.{body[16:]}.local"


def open_refresh(sealer: Sealer, token: object) -> dict[str, Any]:
    """The payload of a refresh token issued by :func:`seal_refresh`; raises SealError."""
    if not isinstance(token, str) or len(token) > 4096:
        raise SealError("bad refresh token")
    parts = token.split(".")
    if len(parts) != 5 or parts[4] != "local":
        raise SealError("bad refresh token")
    return sealer.open_urlsafe(parts[2] + parts[3], _REFRESH_AAD)
