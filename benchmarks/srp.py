"""SRP client maths per login: pycognito against srp_fast cold and warm, and the raw floor.

Measured side by side, in alternating rounds, in one process:

- ``pycognito_ms``: pycognito's ``AWSSRP`` (A at construction, then the PASSWORD_VERIFIER answer);
- ``cold_ms``: srp_fast with nothing precomputed for the login (fresh a and A, x and g^x
  computed, then S). The generator's fixed-base table is group-wide and built once per process;
  its build time is reported as ``g_table_build_ms``, and ``cold_no_table_ms`` is the same login
  with plain exponentiations instead;
- ``critical_path_ms``: the warm path, A taken from a precomputed stock and g^x cached, so only
  S = (B - k·g^x)^(a + u·x) and the hashes remain;
- ``critical_path_reference_ms``: the same with a 1024-bit ``a`` (128 random bytes, as the
  reference clients draw it), to show what the default 256-bit ``a`` saves;
- ``powmod_512_ms`` / ``powmod_ms``: one raw gmpy2 exponentiation, 3072-bit base, 512-bit and
  1024-bit exponent: the floor with a 256-bit ``a`` (a + u·x is ~512 bits) and with the
  reference ``a``;
- ``threads_1_per_s`` / ``threads_2_per_s``: warm-path throughput on one and two native threads.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gmpy2

import srp_fast

from ._timing import finish, interleaved_ms
from .figures import Figure, Table, at_least, at_most, ratio

__all__ = ["TABLES", "Challenge", "make_challenge", "measure", "run"]

POOL_ID = "us-east-1_BenchPool1"
USERNAME = "bench-user"
PASSWORD = "Bench-Passw0rd!"


@dataclass(frozen=True, slots=True)
class Challenge:
    """One PASSWORD_VERIFIER challenge from srp_fast's server side."""

    salt_hex: str
    srp_b_hex: str
    secret_block_b64: str

    def parameters(self) -> dict[str, str]:
        return {
            "SALT": self.salt_hex,
            "SRP_B": self.srp_b_hex,
            "SECRET_BLOCK": self.secret_block_b64,
            "USER_ID_FOR_SRP": USERNAME,
            "USERNAME": USERNAME,
        }


def make_challenge() -> Challenge:
    verifier = srp_fast.make_verifier(srp_fast.pool_name(POOL_ID), USERNAME, PASSWORD)
    challenge = srp_fast.server_challenge(verifier.verifier)
    return Challenge(
        salt_hex=verifier.salt_hex,
        srp_b_hex=challenge.srp_b_hex,
        secret_block_b64=srp_fast.b64encode(secrets.token_bytes(64)),
    )


def _claim(ephemeral: srp_fast.Ephemeral, ch: Challenge, cache: Any) -> srp_fast.PasswordClaim:
    return srp_fast.password_claim(
        ephemeral,
        prefix=srp_fast.pool_name(POOL_ID),
        identity=USERNAME,
        password=PASSWORD,
        salt_hex=ch.salt_hex,
        srp_b_hex=ch.srp_b_hex,
        secret_block_b64=ch.secret_block_b64,
        now=datetime.now(UTC),
        verifiers=cache,
    )


def _pycognito_login(ch: Challenge) -> object:
    from pycognito.aws_srp import AWSSRP

    client = AWSSRP(USERNAME, PASSWORD, POOL_ID, "bench-client", client=_NoNetwork())
    request = {"USERNAME": USERNAME, "SRP_A": format(client.large_a_value, "x")}
    return client.process_challenge(ch.parameters(), request)


class _NoNetwork:
    """Stands in for the boto3 client pycognito wants; the benchmark makes no calls."""


def _cold_no_table(ch: Challenge) -> bytes:
    a = gmpy2.mpz(int.from_bytes(secrets.token_bytes(srp_fast.CLIENT_BITS // 8), "big"))
    ephemeral = srp_fast.Ephemeral(secret=a, public=gmpy2.powmod(srp_fast.G, a, srp_fast.N))
    salt = gmpy2.mpz(ch.salt_hex, 16)
    x = srp_fast.compute_x(
        salt, srp_fast.identity_hash(srp_fast.pool_name(POOL_ID), USERNAME, PASSWORD)
    )
    gx = gmpy2.powmod(srp_fast.G, x, srp_fast.N)
    return srp_fast.client_session_key(ephemeral, gmpy2.mpz(ch.srp_b_hex, 16), x, gx)


def _throughput(ch: Challenge, threads: int, per_thread: int) -> float:
    """Warm-path logins per second on ``threads`` native threads."""
    cache = srp_fast.VerifierCache()
    _claim(srp_fast.new_ephemeral(), ch, cache)
    stocks = [[srp_fast.new_ephemeral() for _ in range(per_thread)] for _ in range(threads)]

    def work(stock: list[srp_fast.Ephemeral]) -> None:
        for ephemeral in stock:
            _claim(ephemeral, ch, cache)

    workers = [threading.Thread(target=work, args=(stock,)) for stock in stocks]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return threads * per_thread / (time.perf_counter() - start)


TABLES = (
    Table(
        title="SRP client maths per login (median of alternating rounds)",
        figures=(
            Figure(key="pycognito_ms", label="pycognito", unit="ms",
                   note="A + PASSWORD_VERIFIER answer, pure Python"),
            Figure(key="cold_ms", label="srp_fast cold", unit="ms",
                   note="nothing precomputed for the login"),
            Figure(key="cold_no_table_ms", label="srp_fast cold, no table", unit="ms",
                   note="plain powmod for A, g^x"),
            Figure(key="critical_path_ms", label="srp_fast critical path", unit="ms",
                   note="A precomputed, g^x cached, 256-bit a (the default)"),
            Figure(key="critical_path_reference_ms", label="critical path, reference a",
                   unit="ms", note="1024-bit a, as Amplify and pycognito draw it"),
            Figure(key="powmod_512_ms", label="raw gmpy2 powmod, 512-bit exp", unit="ms",
                   note="3072-bit base: the floor with a 256-bit a"),
            Figure(key="powmod_ms", label="raw gmpy2 powmod, 1024-bit exp", unit="ms",
                   note="3072-bit base: the floor with the reference a"),
            Figure(key="g_table_build_ms", label="g table build", unit="ms",
                   note="once per process, 256-bit rows"),
            Figure(key="threads_1_per_s", label="warm, 1 thread", unit="/s"),
            Figure(key="threads_2_per_s", label="warm, 2 threads", unit="/s"),
        ),
    ),
    Table(
        title="Ratios (side by side in this run)",
        figures=(
            Figure(key="critical_path_over_powmod_512", label="critical path / powmod 512",
                   unit="x", target=at_most(1.2),
                   derive=ratio("critical_path_ms", "powmod_512_ms")),
            Figure(key="critical_path_over_powmod", label="critical path / powmod 1024",
                   unit="x", derive=ratio("critical_path_ms", "powmod_ms")),
            Figure(key="reference_over_critical_path", label="reference a / 256-bit a",
                   unit="x", note="what the shorter secret saves",
                   derive=ratio("critical_path_reference_ms", "critical_path_ms")),
            Figure(key="pycognito_over_critical_path", label="pycognito / critical path",
                   unit="x", target=at_least(30),
                   derive=ratio("pycognito_ms", "critical_path_ms")),
            Figure(key="pycognito_over_cold", label="pycognito / cold", unit="x",
                   target=at_least(12), derive=ratio("pycognito_ms", "cold_ms")),
            Figure(key="threads_2_over_1", label="2 threads / 1 thread", unit="x",
                   target=at_least(1.7), derive=ratio("threads_2_per_s", "threads_1_per_s")),
        ),
    ),
)  # fmt: skip


def _random_exponent(bits: int) -> Any:
    """A random exponent of exactly ``bits`` bits."""
    return gmpy2.mpz(int.from_bytes(secrets.token_bytes(bits // 8), "big")) | (1 << (bits - 1))


def measure(*, rounds: int = 7, per_round: int = 20) -> dict[str, Any]:
    """Every figure of :data:`TABLES` that is measured, side by side."""
    start = time.perf_counter()
    srp_fast.g_table()
    table_ms = (time.perf_counter() - start) * 1000
    ch = make_challenge()
    cache = srp_fast.VerifierCache()
    size = rounds * per_round + 8
    stock = srp_fast.EphemeralPool(target=size)
    reference = srp_fast.EphemeralPool(target=size, bits=srp_fast.REFERENCE_CLIENT_BITS)
    stock.fill()
    reference.fill()
    _claim(srp_fast.new_ephemeral(), ch, cache)  # warm the verifier cache
    base = gmpy2.mpz(int.from_bytes(secrets.token_bytes(384), "big")) % srp_fast.N
    e512, e1024 = _random_exponent(512), _random_exponent(1024)
    medians = interleaved_ms(
        {
            "pycognito_ms": lambda: _pycognito_login(ch),
            "cold_ms": lambda: _claim(srp_fast.new_ephemeral(), ch, None),
            "cold_no_table_ms": lambda: _cold_no_table(ch),
            "critical_path_ms": lambda: _claim(stock.take(), ch, cache),
            "critical_path_reference_ms": lambda: _claim(reference.take(), ch, cache),
            "powmod_512_ms": lambda: gmpy2.powmod(base, e512, srp_fast.N),
            "powmod_ms": lambda: gmpy2.powmod(base, e1024, srp_fast.N),
        },
        rounds=rounds,
        per_round=per_round,
    )
    return {
        **medians,
        "g_table_build_ms": table_ms,
        "threads_1_per_s": _throughput(ch, 1, 200),
        "threads_2_per_s": _throughput(ch, 2, 200),
    }


def run(*, out: Path, rounds: int = 7, per_round: int = 20) -> dict[str, Any]:
    """Measure, print and check the figures, write ``out``; returns what was written."""
    return finish(TABLES, measure(rounds=rounds, per_round=per_round), out)
