"""The client side of Cognito SRP: PASSWORD_VERIFIER and DEVICE_PASSWORD_VERIFIER proofs.

A login's math splits in three, so that only one exponentiation waits on the server:

1. before InitiateAuth: an :class:`~srp_fast.Ephemeral` (a, A), ideally from an
   :class:`~srp_fast.EphemeralPool` that computed it in the background;
2. x and g^x from the password and the user's salt, cached per (identity, salt) by
   :class:`VerifierCache`, since a user's salt is stable between logins;
3. on the challenge: S = (B - k·g^x)^(a + u·x) mod N, computed with the GIL released, then the
   HKDF key and the claim signature.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._encoding import b64decode_strict, b64encode, from_hex, pad_bytes
from ._ephemeral import Ephemeral, RandomBytes
from ._errors import IllegalParameter, MalformedInput
from ._group import K, N
from ._kdf import claim_signature, compute_u, compute_x, hkdf_key, identity_hash
from ._powmod import g_pow, powmod
from ._timestamp import format_timestamp

__all__ = [
    "DeviceSecret",
    "PasswordClaim",
    "VerifierCache",
    "client_session_key",
    "new_device_secret",
    "password_claim",
    "pool_name",
]

#: Bound on the hex digits accepted for SRP_B and SALT (N is 768 digits).
MAX_HEX_DIGITS = 770


def pool_name(pool_id: str) -> str:
    """The part of a user pool id after the first underscore: ``us-east-1_AbC`` -> ``AbC``."""
    region, sep, name = pool_id.partition("_")
    if not (region and sep and name):
        raise MalformedInput("UserPoolId", f"not of the form <region>_<id>: {pool_id!r}")
    return name


class VerifierCache:
    """Cache of (x, g^x) per (salt, identity hash).

    The key covers the password through the identity hash, so a changed password or salt is a
    miss, never a stale hit. Bounded: the oldest entries are dropped past ``maxsize``. Plain dict
    operations keep it safe across threads and greenlets without a lock.
    """

    def __init__(self, maxsize: int = 100_000) -> None:
        self._maxsize = maxsize
        self._entries: dict[tuple[Any, bytes], tuple[Any, Any]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, salt: Any, inner: bytes) -> tuple[Any, Any]:
        """(x, g^x) for this salt and :func:`~srp_fast.identity_hash`, computed on a miss."""
        key = (salt, inner)
        found = self._entries.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        x = compute_x(salt, inner)
        value = (x, g_pow(x, release_gil=False))
        self._entries[key] = value
        while len(self._entries) > self._maxsize:
            try:
                del self._entries[next(iter(self._entries))]
            except (KeyError, StopIteration, RuntimeError):  # raced with another thread
                break
        return value

    def prime(self, *, prefix: str, identity: str, password: str, salt_hex: str) -> bool:
        """Compute (x, g^x) now for a user whose SALT (as PASSWORD_VERIFIER sends it) is known
        from an earlier sign-in, so that its next login finds it: a hit, if the salt and the
        password are still those. Counts as neither hit nor miss. ``False`` (nothing kept)
        for a SALT that is not hex, or when the cache is full. The GIL is held for the table
        walk (~0.1 ms): call it before the load, as the ephemeral stock is filled."""
        try:
            salt = from_hex(salt_hex, field="SALT", max_digits=MAX_HEX_DIGITS)
        except MalformedInput:
            return False
        key = (salt, identity_hash(prefix, identity, password))
        if key not in self._entries:
            if len(self._entries) >= self._maxsize:
                return False
            self._entries[key] = _x_and_gx(*key)
        return True


def client_session_key(ephemeral: Ephemeral, big_b: Any, x: Any, gx: Any) -> bytes:
    """The HKDF key K from the client's side: the one exponentiation on the critical path.

    Raises :class:`IllegalParameter` when B ≡ 0 (mod N) or u = 0, as Amplify does.
    """
    if big_b % N == 0:
        raise IllegalParameter("SRP_B", "B cannot be zero.")
    u = compute_u(ephemeral.public, big_b)
    if u == 0:
        raise IllegalParameter("u", "U cannot be zero.")
    base = (big_b - K * gx) % N
    return hkdf_key(powmod(base, ephemeral.secret + u * x), u)


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordClaim:
    """The answer to PASSWORD_VERIFIER or DEVICE_PASSWORD_VERIFIER (without USERNAME etc.)."""

    signature: str = field(repr=False)
    timestamp: str
    secret_block: str = field(repr=False)


def password_claim(
    ephemeral: Ephemeral,
    *,
    prefix: str,
    identity: str,
    password: str,
    salt_hex: str,
    srp_b_hex: str,
    secret_block_b64: str,
    now: datetime,
    verifiers: VerifierCache | None = None,
) -> PasswordClaim:
    """Compute PASSWORD_CLAIM_SIGNATURE for a challenge.

    For a user: ``prefix`` = :func:`pool_name`, ``identity`` = USER_ID_FOR_SRP. For a device:
    ``prefix`` = DeviceGroupKey, ``identity`` = DeviceKey, ``password`` = the device password.
    ``now`` is passed in (no clock here); it is rendered as Cognito's TIMESTAMP.
    """
    salt = from_hex(salt_hex, field="SALT", max_digits=MAX_HEX_DIGITS)
    big_b = from_hex(srp_b_hex, field="SRP_B", max_digits=MAX_HEX_DIGITS)
    secret_block = b64decode_strict(secret_block_b64, field="SECRET_BLOCK")
    inner = identity_hash(prefix, identity, password)
    x, gx = verifiers.get(salt, inner) if verifiers is not None else _x_and_gx(salt, inner)
    key = client_session_key(ephemeral, big_b, x, gx)
    timestamp = format_timestamp(now)
    signature = claim_signature(key, prefix, identity, secret_block, timestamp)
    return PasswordClaim(
        signature=b64encode(signature), timestamp=timestamp, secret_block=secret_block_b64
    )


def _x_and_gx(salt: Any, inner: bytes) -> tuple[Any, Any]:
    """x and g^x, the GIL held for the table walk: this runs inside a proof's job, which
    releases the GIL for its exponentiation a moment later (:meth:`FixedBase.pow`)."""
    x = compute_x(salt, inner)
    return x, g_pow(x, release_gil=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceSecret:
    """What a client keeps for a remembered device, and the verifier config it sends once.

    ``device_password`` is the 56-character RANDOM_PASSWORD; it never leaves the client.
    """

    device_key: str
    device_group_key: str
    device_password: str = field(repr=False)
    salt: Any = field(repr=False)
    verifier: Any = field(repr=False)

    def verifier_config(self) -> dict[str, str]:
        """ConfirmDevice's DeviceSecretVerifierConfig: base64 of the padHex bytes."""
        return {
            "PasswordVerifier": b64encode(pad_bytes(self.verifier)),
            "Salt": b64encode(pad_bytes(self.salt)),
        }


def new_device_secret(
    device_group_key: str, device_key: str, *, rand: RandomBytes = os.urandom
) -> DeviceSecret:
    """A fresh device password, 16-byte salt and verifier for ConfirmDevice."""
    password = b64encode(rand(40))
    salt = int.from_bytes(rand(16), "big")
    _, verifier = _x_and_gx(salt, identity_hash(device_group_key, device_key, password))
    return DeviceSecret(
        device_key=device_key,
        device_group_key=device_group_key,
        device_password=password,
        salt=salt,
        verifier=verifier,
    )
