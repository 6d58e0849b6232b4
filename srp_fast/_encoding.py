"""Encodings at the edges: padHex (minimal two's complement), hex, base64.

The maths works on ``mpz``; these functions are the only place integers become bytes or text.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import gmpy2

from ._errors import MalformedInput

__all__ = [
    "b64decode_strict",
    "b64encode",
    "from_hex",
    "pad_bytes",
    "pad_hex",
    "to_hex",
]

_HEX = re.compile(r"[0-9a-fA-F]+")
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def pad_bytes(value: Any) -> bytes:
    """Minimal big-endian two's-complement bytes of a non-negative integer (Java ``toByteArray``).

    One extra ``00`` byte when the top bit is set; zero encodes as a single ``00``.
    """
    if value < 0:
        raise ValueError("padHex of a negative number never occurs in Cognito SRP")
    return int(value).to_bytes(int(value).bit_length() // 8 + 1, "big")


def pad_hex(value: Any) -> str:
    """padHex as Amplify, pycognito and the AWS Java sample compute it, as lowercase hex."""
    return pad_bytes(value).hex()


def to_hex(value: Any) -> str:
    """Lowercase hex without leading zeros: how SRP_A, SALT and SRP_B travel on the wire."""
    return gmpy2.digits(value, 16)  # type: ignore[no-any-return]


def from_hex(text: object, *, field: str, max_digits: int) -> Any:
    """Parse wire hex into an ``mpz``; reject non-strings, non-hex and oversized values.

    The length bound stops a peer from sending a huge number that would make the maths slow.
    """
    if not isinstance(text, str) or not _HEX.fullmatch(text):
        raise MalformedInput(field, "must satisfy regular expression pattern: ^[0-9a-fA-F]+$")
    if len(text) > max_digits:
        raise MalformedInput(field, f"longer than {max_digits} hex digits")
    return gmpy2.mpz(text, 16)


def b64encode(data: bytes) -> str:
    """Standard base64 with padding (never URL-safe)."""
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: object, *, field: str, max_chars: int = 16384) -> bytes:
    """Decode standard, padded base64; empty text, URL-safe characters, bad padding raise."""
    if not isinstance(text, str) or not text or len(text) > max_chars or len(text) % 4:
        raise MalformedInput(field, "must be a standard Base64 string")
    if not _B64.fullmatch(text):
        raise MalformedInput(field, "must be a standard Base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:  # pragma: no cover - the pattern above already excludes this
        raise MalformedInput(field, "must be a standard Base64 string") from exc
