"""The pool's SRP server, on srp_fast, with the exponentiations kept off the event loop.

g^b comes precomputed from an :class:`srp_fast.EphemeralPool` refilled on a native thread;
the session key and new verifiers are computed on the math executor, whose GMP calls release
the GIL, so the event loop keeps serving sockets meanwhile.

The pool sees each user's password when it is set, so besides v = g^x it keeps x. That turns
S = (A·v^u)^b into (A·g^(x·u))^b: g^(x·u) comes from srp_fast's fixed-base table, leaving one
exponentiation with the 256-bit b instead of two (the same S, about a third less CPU per
login). Devices register only v (ConfirmDevice), so device logins take the general path. The
price: x, like a password hash without stretching, sits in the state file of a test server.
"""

from __future__ import annotations

import hmac
import os
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import gmpy2

import srp_fast
from srp_fast.offload import run_async

__all__ = ["XU_BITS", "PasswordRecord", "SrpEngine", "password_record"]

#: The longest exponent the pool raises g to: x·u, two 256-bit hashes.
XU_BITS = 512


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordRecord:
    """What the pool keeps of a user's password: salt, x and v = g^x."""

    salt: int
    x: int = field(repr=False)
    verifier: int = field(repr=False)


def _x(prefix: str, identity: str, password: str, salt: int) -> Any:
    return srp_fast.compute_x(salt, srp_fast.identity_hash(prefix, identity, password))


def password_record(
    prefix: str, identity: str, password: str, salt: int | None = None
) -> PasswordRecord:
    """Salt (16 random bytes unless given), x and the verifier for a password being set."""
    salt_value = int.from_bytes(os.urandom(16), "big") if salt is None else salt
    x = _x(prefix, identity, password, salt_value)
    return PasswordRecord(salt=salt_value, x=int(x), verifier=int(srp_fast.g_pow(x)))


def _session_key_from_x(big_a: Any, secret_b: Any, public_b: Any, x: Any) -> bytes:
    """K from S = (A·g^(x·u))^b, equal to (A·v^u)^b since v = g^x."""
    u = srp_fast.compute_u(big_a, public_b)
    if u == 0:
        raise srp_fast.IllegalParameter("u", "U cannot be zero.")
    base = big_a * srp_fast.g_pow(gmpy2.mpz(x) * u) % srp_fast.N
    return srp_fast.hkdf_key(srp_fast.powmod(base, secret_b), u)


class SrpEngine:
    """Server-side SRP for users and devices."""

    def __init__(self, executor: Executor, *, stock: int = 256) -> None:
        self._executor = executor
        self._ephemerals = srp_fast.EphemeralPool(
            target=stock, bits=srp_fast.SERVER_BITS, executor=executor
        )

    def warm_up(self) -> None:
        """Grow the generator's table to g^(x·u)'s 512 bits and fill the ephemeral stock now
        (at startup, before the first login waits for either)."""
        srp_fast.g_table().reserve(XU_BITS)
        self._ephemerals.fill()

    def challenge(self, verifier: int) -> srp_fast.ServerChallenge:
        """B = k·v + g^b for a fresh precomputed b: one multiplication on the loop."""
        return srp_fast.server_challenge(gmpy2.mpz(verifier), self._ephemerals.take())

    async def session_key(
        self, big_a: Any, secret_b: Any, public_b: Any, *, verifier: int, x: int | None = None
    ) -> bytes:
        """The HKDF key K, computed on the math executor (through x when it is known)."""
        b, big_b = gmpy2.mpz(secret_b), gmpy2.mpz(public_b)
        if x is not None:
            return await run_async(self._executor, _session_key_from_x, big_a, b, big_b, x)
        challenge = srp_fast.ServerChallenge(secret=b, public=big_b)
        return await run_async(
            self._executor, srp_fast.server_session_key, big_a, challenge, gmpy2.mpz(verifier)
        )

    async def new_password(self, prefix: str, identity: str, password: str) -> PasswordRecord:
        """Salt, x and verifier for a password being set."""
        return await run_async(self._executor, password_record, prefix, identity, password)

    @staticmethod
    def password_matches(prefix: str, identity: str, password: str, salt: int, x: int) -> bool:
        """Whether a plain password (USER_PASSWORD_AUTH) gives the stored x (hashes only)."""
        candidate = int(_x(prefix, identity, password, salt)).to_bytes(32, "big")
        return hmac.compare_digest(candidate, int(x).to_bytes(32, "big"))
