"""Ephemeral key pairs (a, g^a), and a pool that computes them ahead of need.

The client's A = g^a and the server's g^b do not depend on anything the peer sends, so they can
be computed before a login starts. :class:`EphemeralPool` keeps a stock of them, refilled in the
background on an executor's native thread, so that taking one costs a deque pop.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import gmpy2

from ._encoding import to_hex
from ._errors import IllegalParameter
from ._group import N
from ._powmod import g_pow

__all__ = [
    "CLIENT_BITS",
    "REFERENCE_CLIENT_BITS",
    "SERVER_BITS",
    "Ephemeral",
    "EphemeralPool",
    "ephemeral_from_secret",
    "new_ephemeral",
]

RandomBytes = Callable[[int], bytes]

#: The client's secret a: RFC 3526 §8 advises 250-320 exponent bits for the 3072-bit group
#: (128-bit strength). The server sees only A = g^a, never a's size. The critical exponent is
#: a + u·x with 256-bit u and x, so a 256-bit a keeps it ~512 bits: half the cost of ...
CLIENT_BITS = 256
#: ... the reference clients' a: Amplify and pycognito draw it from 128 random bytes.
REFERENCE_CLIENT_BITS = 1024
#: The server's b (the local pool), the same RFC 3526 §8 size.
SERVER_BITS = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class Ephemeral:
    """A secret exponent and its public value g^secret mod N. The secret never shows in repr."""

    secret: Any = field(repr=False)
    public: Any

    @property
    def public_hex(self) -> str:
        """The public value as it travels: lowercase hex without leading zeros (SRP_A, SRP_B)."""
        return to_hex(self.public)


def _checked_bits(bits: int) -> int:
    if bits < 8 or bits % 8:
        raise ValueError(f"bits must be a positive multiple of 8, not {bits}")
    return bits


def _random_exponent(bits: int, rand: RandomBytes) -> Any:
    return gmpy2.mpz(int.from_bytes(rand(bits // 8), "big"))


def new_ephemeral(*, bits: int = CLIENT_BITS, rand: RandomBytes = os.urandom) -> Ephemeral:
    """Draw a fresh ``bits``-bit exponent and compute its public value (fixed-base table).

    ``bits`` is a multiple of 8: 256 by default, :data:`REFERENCE_CLIENT_BITS` to draw as
    Amplify and pycognito do.
    """
    secret = _random_exponent(_checked_bits(bits), rand)
    return ephemeral_from_secret(secret)


def ephemeral_from_secret(secret: Any) -> Ephemeral:
    """The pair for a given exponent; raises :class:`IllegalParameter` if g^secret ≡ 0 (mod N)."""
    public = g_pow(secret)
    if public % N == 0:  # impossible for a prime N, checked as every client does
        raise IllegalParameter("A", "Illegal parameter. A mod N cannot be 0.")
    return Ephemeral(secret=gmpy2.mpz(secret), public=public)


class EphemeralPool:
    """A stock of precomputed ephemerals of ``bits``-bit secrets, refilled in the background.

    ``take()`` pops a ready pair; when the stock runs low it schedules a refill on ``executor``
    (which must run on a native thread: see :mod:`srp_fast.offload`). When the stock is empty,
    or there is no executor, the pair is computed inline: slower, never wrong. Safe to use from
    many threads or greenlets at once (deque operations are atomic).
    """

    def __init__(
        self,
        *,
        target: int = 64,
        bits: int = CLIENT_BITS,
        executor: Executor | None = None,
        rand: RandomBytes = os.urandom,
    ) -> None:
        if target < 1:
            raise ValueError("target must be at least 1")
        self._stock: deque[Ephemeral] = deque()
        self._target, self._bits, self._rand = target, _checked_bits(bits), rand
        self._executor = executor
        self._refilling = False
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._stock)

    def take(self) -> Ephemeral:
        """One fresh pair, never handed out twice: from the stock, else computed now."""
        pair = self.take_ready()
        if pair is None:
            pair = new_ephemeral(bits=self._bits, rand=self._rand)
            self.misses += 1
            self._maybe_refill()
        return pair

    def take_ready(self) -> Ephemeral | None:
        """A precomputed pair if the stock has one, else ``None`` (never computes)."""
        try:
            pair = self._stock.popleft()
        except IndexError:
            return None
        self.hits += 1
        self._maybe_refill()
        return pair

    def fill(self) -> None:
        """Top the stock up to its target now, on the calling thread."""
        while len(self._stock) < self._target:
            self._stock.append(new_ephemeral(bits=self._bits, rand=self._rand))

    def _maybe_refill(self) -> None:
        if self._executor is None or self._refilling or len(self._stock) > self._target // 2:
            return
        self._refilling = True
        try:
            self._executor.submit(self._refill)
        except RuntimeError:  # executor shut down: keep working inline
            self._refilling = False

    def _refill(self) -> None:
        try:
            self.fill()
        finally:
            self._refilling = False
