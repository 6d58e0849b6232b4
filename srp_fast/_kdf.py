"""Hashes and key derivation of Cognito's SRP-6a variant: u, x, the HKDF key, the claim HMAC.

Inputs are integers and text; every integer enters a hash as its padHex bytes.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import gmpy2

from ._encoding import b64encode, pad_bytes

__all__ = [
    "claim_signature",
    "compute_u",
    "compute_x",
    "hkdf_key",
    "identity_hash",
    "secret_hash",
]

_INFO = b"Caldera Derived Key\x01"


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def compute_u(big_a: Any, big_b: Any) -> Any:
    """u = H(pad(A) || pad(B)) as an integer."""
    return gmpy2.mpz(int.from_bytes(_sha256(pad_bytes(big_a) + pad_bytes(big_b)), "big"))


def identity_hash(prefix: str, identity: str, password: str) -> bytes:
    """H(prefix || identity || ":" || password) over UTF-8; 32 bytes.

    prefix/identity are poolName/USER_ID_FOR_SRP for users, DeviceGroupKey/DeviceKey for devices.
    """
    return _sha256(f"{prefix}{identity}:{password}".encode())


def compute_x(salt: Any, inner: bytes) -> Any:
    """x = H(pad(salt) || inner), where ``inner`` is :func:`identity_hash`."""
    return gmpy2.mpz(int.from_bytes(_sha256(pad_bytes(salt) + inner), "big"))


def hkdf_key(big_s: Any, u: Any) -> bytes:
    """The 16-byte key: HKDF-SHA256 with salt pad(u), ikm pad(S), info "Caldera Derived Key"."""
    prk = hmac.digest(pad_bytes(u), pad_bytes(big_s), "sha256")
    return hmac.digest(prk, _INFO, "sha256")[:16]


def claim_signature(
    key: bytes, prefix: str, identity: str, secret_block: bytes, timestamp: str
) -> bytes:
    """HMAC-SHA256(K, prefix || identity || SECRET_BLOCK bytes || TIMESTAMP), raw 32 bytes."""
    message = prefix.encode() + identity.encode() + secret_block + timestamp.encode()
    return hmac.digest(key, message, "sha256")


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """SECRET_HASH = base64(HMAC-SHA256(client secret, username || client id))."""
    return b64encode(hmac.digest(client_secret.encode(), (username + client_id).encode(), "sha256"))
