"""Sealed, stateless Session strings and SECRET_BLOCKs, shaped like Cognito's.

A challenge's state travels inside the string the client sends back: JSON sealed with AES-GCM
under a key kept in the state file, so any worker process (and a restarted server) can open it
and nobody else can read or forge it. What must be remembered server-side is only what makes a
session single-use (the store's ``used_sessions`` table).

The shapes follow what clients see from Cognito:

- A **Session** is unpadded URL-safe base64 that starts ``AYAB``, 1,543-1,587 characters long
  (cognito-facts §8). Real ones decode to an AWS Encryption SDK message: header 01 80 01 78
  (format 1, suite 0x0178), a ``Service: CognitoUserPools`` context, one ``aws-kms`` data key,
  then the framed ciphertext (decoded from the Sessions in aws-sdk-js-v3's InitiateAuthCommand
  example and amplify-js #12887; those older ones are 779-920 characters). Ours begin with the
  same four bytes, so every Session starts ``AYABe`` and none starts with ``-`` (which the AWS
  CLI reads as an option, issue 16); the sealed JSON is padded with spaces, inside the
  ciphertext, to a length drawn from the §8 range. Guess: that range fits today's Sessions of
  every challenge; the sources show a few challenges only.
- A **SECRET_BLOCK** is standard, padded base64 (strict clients reject ``-`` and ``_``) that
  starts ``AgV4``, as real ones do (cognito-facts §1.8; Encryption SDK format 2, suite 0x0578).
  Its full length is not observed, so ours is as long as the sealed JSON needs.

The header bytes are authenticated with the payload. They imitate the shape only: nothing here
is an Encryption SDK message.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "MAX_SESSION_CHARS",
    "SESSION_CHARS",
    "ChallengeSession",
    "SealError",
    "Sealer",
    "SecretBlock",
]

_NONCE = 12
_TAG = 16
_REFRESH_AAD = b"refresh/v1"
MAX_SESSION_CHARS = 2048
#: Observed lengths of Cognito Session strings (cognito-facts §8), as a range of characters.
SESSION_CHARS = range(1543, 1588)


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

    def seal(self, payload: dict[str, Any], aad: bytes, *, size: int = 0) -> bytes:
        """nonce ‖ ciphertext ‖ tag; the JSON is padded with spaces to ``size`` bytes if shorter."""
        nonce = os.urandom(_NONCE)
        data = json.dumps(payload, separators=(",", ":")).encode()
        return nonce + self._aead.encrypt(nonce, data.ljust(size), aad)

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
        return _urlsafe(self.seal(payload, aad))

    def open_urlsafe(self, text: object, aad: bytes) -> dict[str, Any]:
        if not isinstance(text, str) or not 20 <= len(text) <= MAX_SESSION_CHARS:
            raise SealError("bad length")
        return self.open(_from_urlsafe(text), aad)


def _urlsafe(blob: bytes) -> str:
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


def _from_urlsafe(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SealError("not base64") from exc


@dataclass(frozen=True, slots=True)
class _Envelope:
    """A fixed header, authenticated with the sealed payload: what gives a string its prefix."""

    header: bytes
    aad: bytes

    def seal(self, sealer: Sealer, payload: dict[str, Any], *, size: int = 0) -> bytes:
        return self.header + sealer.seal(payload, self.header + self.aad, size=size)

    def open(self, sealer: Sealer, blob: bytes) -> dict[str, Any]:
        if not blob.startswith(self.header):
            raise SealError("not sealed by this pool")
        return sealer.open(blob[len(self.header) :], self.header + self.aad)


_SESSION = _Envelope(header=bytes.fromhex("01800178"), aad=b"session/v2")
_BLOCK = _Envelope(header=bytes.fromhex("020578"), aad=b"secret-block/v2")
#: Bytes a sealed Session adds around its JSON.
_SESSION_OVERHEAD = len(_SESSION.header) + _NONCE + _TAG

R = TypeVar("R", "ChallengeSession", "SecretBlock")


def _build(cls: type[R], payload: dict[str, Any]) -> R:
    try:
        return cls(**payload)
    except TypeError as exc:
        raise SealError("unexpected fields") from exc


def _session_bytes() -> int:
    """How many bytes to seal for a Session of a length drawn from :data:`SESSION_CHARS`.

    Unpadded base64 of n bytes is ceil(4n/3) characters; lengths of 4k+1 cannot occur.
    """
    lengths = [n for n in SESSION_CHARS if n % 4 != 1]
    return lengths[secrets.randbelow(len(lengths))] * 3 // 4


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
        """URL-safe base64 starting ``AYAB``, 1,543-1,587 characters (longer only if the
        payload needs it; at most :data:`MAX_SESSION_CHARS`)."""
        size = _session_bytes() - _SESSION_OVERHEAD
        text = _urlsafe(_SESSION.seal(sealer, _fields(self), size=size))
        if len(text) > MAX_SESSION_CHARS:
            raise ValueError("session payload too large for a Session string")
        return text

    @classmethod
    def open(cls, sealer: Sealer, text: object) -> ChallengeSession:
        if not isinstance(text, str) or not 20 <= len(text) <= MAX_SESSION_CHARS:
            raise SealError("bad length")
        return _build(cls, _SESSION.open(sealer, _from_urlsafe(text)))


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
        """Standard, padded base64 starting ``AgV4`` (never URL-safe: strict clients reject
        - and _)."""
        return base64.b64encode(_BLOCK.seal(sealer, _fields(self))).decode()

    @classmethod
    def open(cls, sealer: Sealer, raw: bytes) -> SecretBlock:
        return _build(cls, _BLOCK.open(sealer, raw))


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
