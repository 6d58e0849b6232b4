"""The pool's SRP server, on srp_fast, with the exponentiations kept off the event loop.

g^b comes precomputed from an :class:`srp_fast.EphemeralPool` refilled on a native thread;
the session key S = (A·v^u)^b and password checks run on the math executor, whose GMP calls
release the GIL, so the event loop keeps serving sockets meanwhile.
"""

from __future__ import annotations

import hmac
from concurrent.futures import Executor
from typing import Any

import gmpy2

import srp_fast
from srp_fast.offload import run_async

__all__ = ["SrpEngine"]


class SrpEngine:
    """Server-side SRP for users and devices."""

    def __init__(self, executor: Executor, *, stock: int = 256) -> None:
        self._executor = executor
        self._ephemerals = srp_fast.EphemeralPool(
            target=stock, bits=srp_fast.SERVER_BITS, executor=executor
        )

    def warm_up(self) -> None:
        """Fill the ephemeral stock now (at startup, before the first login waits for it)."""
        self._ephemerals.fill()

    def challenge(self, verifier: int) -> srp_fast.ServerChallenge:
        """B = k·v + g^b for a fresh precomputed b: one multiplication on the loop."""
        return srp_fast.server_challenge(gmpy2.mpz(verifier), self._ephemerals.take())

    async def session_key(self, big_a: Any, secret_b: Any, public_b: Any, verifier: int) -> bytes:
        """The HKDF key K, computed on the math executor."""
        challenge = srp_fast.ServerChallenge(secret=gmpy2.mpz(secret_b), public=gmpy2.mpz(public_b))
        return await run_async(
            self._executor, srp_fast.server_session_key, big_a, challenge, gmpy2.mpz(verifier)
        )

    async def new_verifier(self, prefix: str, identity: str, password: str) -> srp_fast.Verifier:
        """Salt and verifier for a password being set."""
        return await run_async(self._executor, srp_fast.make_verifier, prefix, identity, password)

    async def password_matches(
        self, prefix: str, identity: str, password: str, salt: int, verifier: int
    ) -> bool:
        """Whether a plain password (USER_PASSWORD_AUTH) gives the stored verifier."""
        candidate = await run_async(
            self._executor, srp_fast.make_verifier, prefix, identity, password, salt=salt
        )
        given = srp_fast.pad_bytes(candidate.verifier)
        return hmac.compare_digest(given, srp_fast.pad_bytes(gmpy2.mpz(verifier)))
