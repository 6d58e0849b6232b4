"""SRP client maths per login: pycognito against srp_fast cold and warm, and the raw floor.

Measured side by side, in alternating rounds, in one process:

- ``pycognito_ms``: pycognito's ``AWSSRP`` (A at construction, then the PASSWORD_VERIFIER answer);
- ``cold_ms``: srp_fast with nothing precomputed for the login (fresh a and A, x and g^x
  computed, then S). The generator's fixed-base table is group-wide and built once per process;
  its build time is reported as ``g_table_build_ms``, and ``cold_no_table_ms`` is the same login
  with plain exponentiations instead;
- ``critical_path_ms``: the warm path, A taken from a precomputed stock and g^x cached, so only
  S = (B - k·g^x)^(a + u·x) and the hashes remain;
- ``powmod_ms``: one raw gmpy2 exponentiation of the same size (3072-bit base, exponent of
  a + u·x's size), the floor;
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

from ._timing import interleaved_ms, print_table, write_json

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
    a = gmpy2.mpz(int.from_bytes(secrets.token_bytes(128), "big"))
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


def run(*, out: Path, rounds: int = 7, per_round: int = 20) -> dict[str, float]:
    """Measure everything, print the table, write ``out`` as JSON, return the figures."""
    start = time.perf_counter()
    srp_fast.g_table()
    table_ms = (time.perf_counter() - start) * 1000
    ch = make_challenge()
    cache = srp_fast.VerifierCache()
    stock = srp_fast.EphemeralPool(target=rounds * per_round + 8)
    stock.fill()
    _claim(srp_fast.new_ephemeral(), ch, cache)  # warm the verifier cache
    base = gmpy2.mpz(int.from_bytes(secrets.token_bytes(384), "big")) % srp_fast.N
    exponent = gmpy2.mpz(int.from_bytes(secrets.token_bytes(128), "big")) + (1 << 510)
    medians = interleaved_ms(
        {
            "pycognito_ms": lambda: _pycognito_login(ch),
            "cold_ms": lambda: _claim(srp_fast.new_ephemeral(), ch, None),
            "cold_no_table_ms": lambda: _cold_no_table(ch),
            "critical_path_ms": lambda: _claim(stock.take(), ch, cache),
            "powmod_ms": lambda: gmpy2.powmod(base, exponent, srp_fast.N),
        },
        rounds=rounds,
        per_round=per_round,
    )
    figures: dict[str, float] = {**medians, "g_table_build_ms": table_ms}
    figures["threads_1_per_s"] = _throughput(ch, 1, 200)
    figures["threads_2_per_s"] = _throughput(ch, 2, 200)
    figures.update(_ratios(figures))
    _print(figures)
    write_json(out, {k: round(v, 4) for k, v in figures.items()})
    return figures


def _ratios(f: dict[str, float]) -> dict[str, float]:
    return {
        "critical_path_over_powmod": f["critical_path_ms"] / f["powmod_ms"],
        "pycognito_over_critical_path": f["pycognito_ms"] / f["critical_path_ms"],
        "pycognito_over_cold": f["pycognito_ms"] / f["cold_ms"],
        "threads_2_over_1": f["threads_2_per_s"] / f["threads_1_per_s"],
    }


def _print(f: dict[str, float]) -> None:
    ms = "{:.3f} ms".format
    print_table(
        "SRP client maths per login (median of alternating rounds)",
        [
            ("pycognito", ms(f["pycognito_ms"]), "A + PASSWORD_VERIFIER answer, pure Python"),
            ("srp_fast cold", ms(f["cold_ms"]), "nothing precomputed for the login"),
            ("srp_fast cold, no table", ms(f["cold_no_table_ms"]), "plain powmod for A, g^x"),
            ("srp_fast critical path", ms(f["critical_path_ms"]), "A precomputed, g^x cached"),
            ("raw gmpy2 powmod", ms(f["powmod_ms"]), "3072-bit base, ~1024-bit exponent"),
            ("g table build", ms(f["g_table_build_ms"]), "once per process"),
            ("warm, 1 thread", f"{f['threads_1_per_s']:.0f} /s", ""),
            ("warm, 2 threads", f"{f['threads_2_per_s']:.0f} /s", ""),
        ],
    )
    x = "{:.2f}x".format
    print_table(
        "Ratios",
        [
            ("critical path / powmod", x(f["critical_path_over_powmod"]), "target <= 1.2x"),
            ("pycognito / critical path", x(f["pycognito_over_critical_path"]), "target >= 15x"),
            ("pycognito / cold", x(f["pycognito_over_cold"]), "target >= 6x"),
            ("2 threads / 1 thread", x(f["threads_2_over_1"]), "target >= 1.7x"),
        ],
    )
