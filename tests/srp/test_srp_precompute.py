"""Keeping maths off the critical path: the ephemeral stock, the verifier cache, fixed-base g."""

from __future__ import annotations

import subprocess
import sys

import gmpy2
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import srp_fast
from srp_fast.offload import math_executor


def test_fixed_base_agrees_with_plain_pow() -> None:
    table = srp_fast.FixedBase(3, 1009 * 1013, max_bits=40, window=3)
    for exp in (0, 1, 2, 7, 8, 1 << 39, (1 << 40) - 1, 1 << 40, 12345678901234):
        assert table.pow(exp) == pow(3, exp, 1009 * 1013), exp


def test_the_byte_window_agrees_with_plain_pow_at_every_digit_boundary() -> None:
    table = srp_fast.FixedBase(5, 1009 * 1013, max_bits=20)  # 8-bit window, 3 byte digits
    for exp in (0, 1, 255, 256, 257, 0xFF00, 0x10000, (1 << 20) - 1, 1 << 20, 1 << 21):
        assert table.pow(exp) == pow(5, exp, 1009 * 1013), exp


@pytest.mark.parametrize("window", [3, 8])
def test_a_table_built_for_short_exponents_grows_for_longer_ones(window: int) -> None:
    modulus = 1009 * 1013
    table = srp_fast.FixedBase(7, modulus, max_bits=64, window=window, initial_bits=8)
    built = table.bits
    assert 8 <= built < 16
    for exp in (1, (1 << built) - 1, 1 << built, (1 << 40) + 3, (1 << 64) - 1, 1 << 64):
        assert table.pow(exp) == pow(7, exp, modulus), exp
        assert table.bits >= min(exp.bit_length(), 64)
    assert table.bits < 64 + window  # never past max_bits' last row


def test_concurrent_growth_gives_every_thread_the_right_power() -> None:
    table = srp_fast.FixedBase(srp_fast.G, srp_fast.N, max_bits=1024, initial_bits=8)
    exps = [(1 << bits) - 3 for bits in range(16, 1025, 16)]

    def check(exp: int) -> bool:
        return bool(table.pow(exp) == gmpy2.powmod(srp_fast.G, exp, srp_fast.N))

    with math_executor(8, name="grow") as pool:
        assert all(pool.map(check, exps))
    assert table.bits == 1024


def test_the_generators_table_starts_at_256_bits_and_the_pool_grows_it_to_x_u() -> None:
    """A fresh process builds g's rows for 256-bit exponents; the pool's engine grows them
    to g^(x·u)'s 512 bits at start-up, so its first login builds nothing."""
    code = (
        "import srp_fast; from loadtest.pool.srp import SrpEngine;"
        "from srp_fast.offload import math_executor;"
        "print(srp_fast.g_table().bits);"
        "SrpEngine(math_executor(1, name='t')).warm_up(); print(srp_fast.g_table().bits)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["256", "512"]


@settings(deadline=None)  # the first example builds the process's g table (~0.2 s)
@given(st.integers(min_value=0, max_value=(1 << 1100)))
@example(0)
@example(255)
@example(1 << 1016)
@example((1 << 1016) - 1)
@example((1 << 1024) - 1)
@example(1 << 1024)
def test_g_pow_agrees_with_gmpy2(exp: int) -> None:
    assert srp_fast.g_pow(exp) == gmpy2.powmod(2, exp, srp_fast.N)


def test_table_pow_releases_the_gil_and_restores_the_callers_context() -> None:
    seen: list[bool] = []

    class Spy(srp_fast.FixedBase):
        def _pow_table(self, exp: object, table: list[list[object]]) -> object:
            seen.append(gmpy2.get_context().allow_release_gil)
            return super()._pow_table(exp, table)

    table = Spy(3, 1009 * 1013, max_bits=40, window=3)
    assert table.pow(12345) == pow(3, 12345, 1009 * 1013)
    assert seen == [True]
    assert gmpy2.get_context().allow_release_gil is False


def test_table_pow_can_keep_the_gil_for_a_short_job() -> None:
    seen: list[bool] = []

    class Spy(srp_fast.FixedBase):
        def _pow_table(self, exp: object, table: list[list[object]]) -> object:
            seen.append(gmpy2.get_context().allow_release_gil)
            return super()._pow_table(exp, table)

    table = Spy(3, 1009 * 1013, max_bits=40, window=3)
    assert table.pow(12345, release_gil=False) == pow(3, 12345, 1009 * 1013)
    assert seen == [False]
    exp = (1 << 256) - 189  # x's size: a SHA-256 hash
    assert srp_fast.g_pow(exp, release_gil=False) == gmpy2.powmod(2, exp, srp_fast.N)


def test_g_pow_many_agrees() -> None:
    exps = [1, 2, 3, (1 << 1024) - 5]
    assert srp_fast.g_pow_many(exps) == [srp_fast.g_pow(e) for e in exps]


def test_pool_hands_out_each_pair_once_and_correct() -> None:
    pool = srp_fast.EphemeralPool(target=4)
    pool.fill()
    taken = [pool.take() for _ in range(10)]  # 4 from stock, then inline
    assert (pool.hits, pool.misses) == (4, 6)
    assert len({int(e.secret) for e in taken}) == 10
    for eph in taken:
        assert eph.public == gmpy2.powmod(srp_fast.G, eph.secret, srp_fast.N)
        assert eph.secret.bit_length() <= srp_fast.CLIENT_BITS


def test_take_ready_hands_out_stock_only_and_never_computes() -> None:
    pool = srp_fast.EphemeralPool(target=2)
    assert pool.take_ready() is None
    assert (pool.hits, pool.misses, len(pool)) == (0, 0, 0)
    pool.fill()
    pairs = [pool.take_ready(), pool.take_ready(), pool.take_ready()]
    first, second, third = pairs
    assert third is None
    assert first is not None
    assert second is not None
    assert first.secret != second.secret
    assert (pool.hits, pool.misses) == (2, 0)


def test_pool_refills_in_the_background() -> None:
    executor = math_executor(1)
    pool = srp_fast.EphemeralPool(target=6, executor=executor)
    first = pool.take()  # empty: computed inline, and a refill is scheduled
    executor.shutdown(wait=True)
    assert pool.misses == 1
    assert len(pool) == 6
    assert all(pool.take().secret != first.secret for _ in range(6))
    assert pool.hits == 6


def test_pool_keeps_working_after_its_executor_shut_down() -> None:
    executor = math_executor(1)
    executor.shutdown()
    pool = srp_fast.EphemeralPool(target=2, executor=executor)
    assert pool.take().public > 1
    assert pool.take().public > 1


class CountingRandom:
    """os.urandom that records how many bytes each draw asked for."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, size: int) -> bytes:
        self.sizes.append(size)
        return bytes([0xA5]) * size


def test_the_client_secret_is_256_bits_by_default_and_128_bytes_as_the_reference_draws_it() -> None:
    rand = CountingRandom()
    short = srp_fast.new_ephemeral(rand=rand)
    reference = srp_fast.new_ephemeral(bits=srp_fast.REFERENCE_CLIENT_BITS, rand=rand)
    assert rand.sizes == [32, 128]
    assert short.secret == int.from_bytes(b"\xa5" * 32, "big")
    assert reference.secret == int.from_bytes(b"\xa5" * 128, "big")
    assert short.public == gmpy2.powmod(srp_fast.G, short.secret, srp_fast.N)


def test_a_pool_draws_its_secrets_at_its_size() -> None:
    rand = CountingRandom()
    pool = srp_fast.EphemeralPool(target=2, bits=srp_fast.REFERENCE_CLIENT_BITS, rand=rand)
    pool.fill()
    pool.take()
    pool.take()
    pool.take()  # empty: computed inline, same size
    assert rand.sizes == [128, 128, 128]


@pytest.mark.parametrize("bits", [0, 12, -8])
def test_a_secret_size_that_is_not_whole_bytes_is_refused(bits: int) -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        srp_fast.new_ephemeral(bits=bits)
    with pytest.raises(ValueError, match="multiple of 8"):
        srp_fast.EphemeralPool(bits=bits)


def test_server_bits_pool() -> None:
    pool = srp_fast.EphemeralPool(target=2, bits=srp_fast.SERVER_BITS)
    assert pool.take().secret.bit_length() <= srp_fast.SERVER_BITS


def test_verifier_cache_hits_misses_and_bound() -> None:
    cache = srp_fast.VerifierCache(maxsize=2)
    inner = srp_fast.identity_hash("Pool", "user", "pw")
    x, gx = cache.get(gmpy2.mpz(7), inner)
    assert gx == gmpy2.powmod(2, x, srp_fast.N)
    assert cache.get(gmpy2.mpz(7), inner) == (x, gx)
    other = srp_fast.identity_hash("Pool", "user", "other-password")
    assert cache.get(gmpy2.mpz(7), other)[0] != x
    cache.get(gmpy2.mpz(8), inner)
    assert (cache.hits, cache.misses, len(cache)) == (1, 3, 2)


def test_cached_and_uncached_claims_agree() -> None:
    verifier = srp_fast.make_verifier("Pool", "user", "pw")
    challenge = srp_fast.server_challenge(verifier.verifier)
    eph = srp_fast.new_ephemeral()
    cache = srp_fast.VerifierCache()
    claims = [
        srp_fast.password_claim(
            eph,
            prefix="Pool",
            identity="user",
            password="pw",
            salt_hex=verifier.salt_hex,
            srp_b_hex=challenge.srp_b_hex,
            secret_block_b64="AAAA",
            now=srp_fast.parse_timestamp("Sun Nov 22 20:00:00 UTC 2026"),
            verifiers=verifiers,
        )
        for verifiers in (None, cache, cache)
    ]
    assert claims[0] == claims[1] == claims[2]
    assert cache.hits == 1


def test_a_primed_verifier_is_a_hit_and_gives_the_same_claim() -> None:
    verifier = srp_fast.make_verifier("Pool", "user", "pw")
    challenge = srp_fast.server_challenge(verifier.verifier)
    eph = srp_fast.new_ephemeral()
    now = srp_fast.parse_timestamp("Sun Nov 22 20:00:00 UTC 2026")
    cache = srp_fast.VerifierCache()
    assert cache.prime(prefix="Pool", identity="user", password="pw", salt_hex=verifier.salt_hex)
    assert (len(cache), cache.hits, cache.misses) == (1, 0, 0)
    claims = [
        srp_fast.password_claim(
            eph, prefix="Pool", identity="user", password="pw", salt_hex=verifier.salt_hex,
            srp_b_hex=challenge.srp_b_hex, secret_block_b64="AAAA", now=now, verifiers=verifiers,
        )
        for verifiers in (None, cache)
    ]  # fmt: skip
    assert claims[0] == claims[1]
    assert (cache.hits, cache.misses) == (1, 0)


def test_priming_refuses_a_salt_that_is_not_hex_and_keeps_to_the_bound() -> None:
    cache = srp_fast.VerifierCache(maxsize=1)
    assert not cache.prime(prefix="Pool", identity="user", password="pw", salt_hex="not hex")
    assert cache.prime(prefix="Pool", identity="user", password="pw", salt_hex="0a")
    assert cache.prime(prefix="Pool", identity="user", password="pw", salt_hex="0a")  # kept
    assert not cache.prime(prefix="Pool", identity="other", password="pw", salt_hex="0a")
    assert len(cache) == 1
