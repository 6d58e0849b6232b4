"""What one login's client SRP maths costs on this machine, with installed packages only.

The demo's first step. It times srp_fast's critical path (A from a precomputed stock, g^x
cached: only S = (B - k·g^x)^(a + u·x) and the hashes remain) beside one raw gmpy2 modular
exponentiation of the same size, the floor, and the same exponentiation in plain Python ``pow``.
Medians of alternating rounds, so background noise spreads over all three. The comparison with
pycognito and the other figures are development tooling: ``make bench`` from a checkout.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import gmpy2

import srp_fast

__all__ = ["SrpTiming", "measure"]

_POOL_ID = "us-east-1_DemoTiming1"
_USER = "timing-user"
_PASSWORD = "Timing-Passw0rd!"
#: The size of a + u·x, the critical path's exponent: u·x is a 512-bit product of two hashes,
#: ``a`` as many bits as srp_fast draws for it.
_EXPONENT_BITS = max(srp_fast.CLIENT_BITS, 512) + 1


@dataclass(frozen=True, slots=True, kw_only=True)
class SrpTiming:
    """Median milliseconds per call of each measured path."""

    critical_path_ms: float
    powmod_ms: float
    python_pow_ms: float


def measure(*, rounds: int = 5, per_round: int = 10) -> SrpTiming:
    """Time the three paths in ``rounds`` alternating rounds of ``per_round`` calls each."""
    login = _warm_login(rounds * per_round + 4)
    base = gmpy2.mpz(int.from_bytes(secrets.token_bytes(384), "big")) % srp_fast.N
    exponent = gmpy2.mpz(secrets.randbits(_EXPONENT_BITS)) | (1 << (_EXPONENT_BITS - 1))
    plain = (int(base), int(exponent), int(srp_fast.N))
    paths: dict[str, Callable[[], object]] = {
        "critical_path_ms": login,
        "powmod_ms": lambda: gmpy2.powmod(base, exponent, srp_fast.N),
        "python_pow_ms": lambda: pow(*plain),
    }
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, call in paths.items():
            samples[name].append(_per_call_ms(call, per_round))
    return SrpTiming(**{name: statistics.median(values) for name, values in samples.items()})


def _per_call_ms(call: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - start) * 1000 / count


def _warm_login(stock_size: int) -> Callable[[], object]:
    """A PASSWORD_VERIFIER answer on the warm path, against srp_fast's own server side."""
    prefix = srp_fast.pool_name(_POOL_ID)
    verifier = srp_fast.make_verifier(prefix, _USER, _PASSWORD)
    challenge = srp_fast.server_challenge(verifier.verifier)
    secret_block = srp_fast.b64encode(secrets.token_bytes(64))
    cache = srp_fast.VerifierCache()
    stock = srp_fast.EphemeralPool(target=stock_size)
    stock.fill()

    def claim(ephemeral: srp_fast.Ephemeral) -> srp_fast.PasswordClaim:
        return srp_fast.password_claim(
            ephemeral,
            prefix=prefix,
            identity=_USER,
            password=_PASSWORD,
            salt_hex=verifier.salt_hex,
            srp_b_hex=challenge.srp_b_hex,
            secret_block_b64=secret_block,
            now=datetime.now(UTC),
            verifiers=cache,
        )

    claim(srp_fast.new_ephemeral())  # fills the verifier cache: g^x is not on the warm path
    return lambda: claim(stock.take())
