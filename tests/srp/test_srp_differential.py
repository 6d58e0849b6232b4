"""Differential and property tests: srp_fast against pycognito, and against its own server.

pycognito (``pycognito.aws_srp.AWSSRP``) is an independent client that authenticates against real
Cognito. It reads the clock and os.urandom itself, so the tests pin both through its module's
``datetime`` and ``os`` names; everything else it computes on its own.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import gmpy2
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pycognito import aws_srp

import srp_fast

POOL_ID = "eu-west-1_Xy9Zq7Pt2"
SETTINGS = settings(max_examples=40, deadline=None)

usernames = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=":"), min_size=1, max_size=40
)
passwords = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=64)
secrets_a = st.integers(min_value=2, max_value=(1 << 1024) - 1)
salts = st.binary(min_size=16, max_size=16)
blocks = st.binary(min_size=1, max_size=256)
moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda m: m.replace(microsecond=0)
)

LEADING_ZERO_SALT = b"\x00\x00\x7f" + bytes(range(13))
HIGH_BIT_SALT = b"\xff" + bytes(range(15))


@contextmanager
def pinned(
    moment: dt.datetime, random_bytes: Callable[[int], bytes] | None = None
) -> Iterator[None]:
    """Pin pycognito's clock (and optionally its os.urandom) for one computation."""

    class FrozenDatetime(dt.datetime):
        @classmethod
        def utcnow(cls) -> FrozenDatetime:  # type: ignore[override]
            return cls.fromtimestamp(moment.replace(tzinfo=dt.UTC).timestamp(), dt.UTC).replace(
                tzinfo=None
            )

    fake_dt = types.SimpleNamespace(datetime=FrozenDatetime)
    fake_os = types.SimpleNamespace(urandom=random_bytes)
    with patch.object(aws_srp, "datetime", fake_dt):
        if random_bytes is None:
            yield
        else:
            with patch.object(aws_srp, "os", fake_os):
                yield


def server_side(identity: str, password: str, salt: bytes) -> tuple[Any, srp_fast.ServerChallenge]:
    verifier = srp_fast.make_verifier(
        srp_fast.pool_name(POOL_ID), identity, password, salt=int.from_bytes(salt, "big")
    )
    return verifier, srp_fast.server_challenge(verifier.verifier)


def pycognito_client(username: str, password: str, a: int, **device: str) -> Any:
    client = aws_srp.AWSSRP(username, password, POOL_ID, "client-id", client=object(), **device)
    client.small_a_value = a
    client.large_a_value = pow(2, a, int(srp_fast.N))
    return client


@SETTINGS
@given(usernames, passwords, secrets_a, salts, blocks, moments)
@example(
    "alice", "Passw0rd!", 12345, LEADING_ZERO_SALT, b"block", dt.datetime(2026, 3, 5, 9, 4, 11)
)
@example("bob", "pässwörd ✓", (1 << 1023) + 7, HIGH_BIT_SALT, b"\x00" * 3, dt.datetime(2018, 9, 25))
def test_claim_matches_pycognito(
    username: str, password: str, a: int, salt: bytes, block: bytes, moment: dt.datetime
) -> None:
    verifier, challenge = server_side(username, password, salt)
    params = {
        "USER_ID_FOR_SRP": username,
        "USERNAME": username,
        "SALT": verifier.salt_hex,
        "SRP_B": challenge.srp_b_hex,
        "SECRET_BLOCK": srp_fast.b64encode(block),
    }
    with pinned(moment):
        request = {"USERNAME": username}
        theirs = pycognito_client(username, password, a).process_challenge(params, request)
    ours = srp_fast.password_claim(
        srp_fast.ephemeral_from_secret(gmpy2.mpz(a)),
        prefix=srp_fast.pool_name(POOL_ID),
        identity=username,
        password=password,
        salt_hex=params["SALT"],
        srp_b_hex=params["SRP_B"],
        secret_block_b64=params["SECRET_BLOCK"],
        now=moment,
    )
    assert ours.timestamp == theirs["TIMESTAMP"]
    assert ours.signature == theirs["PASSWORD_CLAIM_SIGNATURE"]


@SETTINGS
@given(st.binary(min_size=40, max_size=40), salts, secrets_a, blocks, moments)
@example(bytes(40), LEADING_ZERO_SALT, 99, b"x", dt.datetime(2024, 2, 29, 23, 59, 59))
@example(b"\xff" * 40, HIGH_BIT_SALT, (1 << 1024) - 1, b"y", dt.datetime(2030, 1, 1))
def test_device_values_match_pycognito(
    password_bytes: bytes, salt: bytes, a: int, block: bytes, moment: dt.datetime
) -> None:
    group_key, device_key = "-wt2ha1Zd", "us-west-2_0b7c1e7e-8f7a-4d6c-9a7e-5c1d2e3f4a5b"
    stream = [password_bytes, salt]
    _, theirs_config = _pycognito_device_secret(group_key, device_key, list(stream))
    ours = srp_fast.new_device_secret(group_key, device_key, rand=lambda n: stream.pop(0))
    assert ours.verifier_config() == theirs_config

    verifier = srp_fast.Verifier(salt=ours.salt, verifier=ours.verifier)
    challenge = srp_fast.server_challenge(verifier.verifier)
    params = {
        "USERNAME": "someone",
        "SALT": verifier.salt_hex,
        "SRP_B": challenge.srp_b_hex,
        "SECRET_BLOCK": srp_fast.b64encode(block),
    }
    device = {
        "device_key": device_key,
        "device_group_key": group_key,
        "device_password": ours.device_password,
    }
    with pinned(moment):
        theirs = pycognito_client("someone", "unused", a, **device).process_device_challenge(params)
    claim = srp_fast.password_claim(
        srp_fast.ephemeral_from_secret(gmpy2.mpz(a)),
        prefix=group_key,
        identity=device_key,
        password=ours.device_password,
        salt_hex=params["SALT"],
        srp_b_hex=params["SRP_B"],
        secret_block_b64=params["SECRET_BLOCK"],
        now=moment,
    )
    assert claim.timestamp == theirs["TIMESTAMP"]
    assert claim.signature == theirs["PASSWORD_CLAIM_SIGNATURE"]


def _pycognito_device_secret(group_key: str, device_key: str, stream: list[bytes]) -> Any:
    with pinned(dt.datetime(2026, 1, 1), random_bytes=lambda n: stream.pop(0)):
        return aws_srp.generate_hash_device(group_key, device_key)


CLIENT_SIZES = st.sampled_from((srp_fast.CLIENT_BITS, srp_fast.REFERENCE_CLIENT_BITS))


@SETTINGS
@given(usernames, passwords, salts, blocks, moments, CLIENT_SIZES)
@example("ユーザー", "密码🔑", LEADING_ZERO_SALT, b"b", dt.datetime(2026, 11, 2, 3, 4, 5), 256)
@example("x", "p", HIGH_BIT_SALT, b"\xff" * 64, dt.datetime(2026, 12, 31, 23, 59, 59), 1024)
def test_client_against_own_server(
    username: str, password: str, salt: bytes, block: bytes, moment: dt.datetime, bits: int
) -> None:
    """Either size of the client's secret a verifies: the server cannot tell them apart."""
    verifier, challenge = server_side(username, password, salt)
    key, claim = _login(username, password, verifier, challenge, block, moment, bits=bits)
    srp_fast.verify_claim(
        key,
        prefix=srp_fast.pool_name(POOL_ID),
        identity=username,
        secret_block=block,
        timestamp=claim.timestamp,
        signature_b64=claim.signature,
    )


@SETTINGS
@given(usernames, passwords, passwords, salts)
def test_wrong_password_fails_verification(
    username: str, password: str, wrong: str, salt: bytes
) -> None:
    if wrong == password:
        wrong += "!"
    verifier, challenge = server_side(username, password, salt)
    key, claim = _login(username, wrong, verifier, challenge, b"block", dt.datetime(2026, 5, 1))
    try:
        srp_fast.verify_claim(
            key,
            prefix=srp_fast.pool_name(POOL_ID),
            identity=username,
            secret_block=b"block",
            timestamp=claim.timestamp,
            signature_b64=claim.signature,
        )
    except srp_fast.InvalidProof:
        return
    raise AssertionError("a wrong password verified")


def _login(
    username: str,
    password: str,
    verifier: Any,
    challenge: srp_fast.ServerChallenge,
    block: bytes,
    moment: dt.datetime,
    *,
    bits: int = srp_fast.CLIENT_BITS,
) -> tuple[bytes, srp_fast.PasswordClaim]:
    client = srp_fast.new_ephemeral(bits=bits)
    claim = srp_fast.password_claim(
        client,
        prefix=srp_fast.pool_name(POOL_ID),
        identity=username,
        password=password,
        salt_hex=verifier.salt_hex,
        srp_b_hex=challenge.srp_b_hex,
        secret_block_b64=srp_fast.b64encode(block),
        now=moment,
        verifiers=srp_fast.VerifierCache(),
    )
    key = srp_fast.server_session_key(
        srp_fast.parse_srp_a(client.public_hex), challenge, verifier.verifier
    )
    return key, claim


@given(st.integers(min_value=0, max_value=1 << 3100))
@example(0)
@example(0x80)
@example(0xEC)
@example(int(srp_fast.N))
def test_pad_bytes_is_javas_to_byte_array(value: int) -> None:
    encoded = srp_fast.pad_bytes(value)
    assert int.from_bytes(encoded, "big") == value
    assert encoded[0] < 0x80  # reads as non-negative in two's complement
    # minimal: dropping the first byte would change the value or its sign
    assert len(encoded) == 1 or encoded[0] != 0 or encoded[1] >= 0x80
    assert srp_fast.pad_hex(value) == aws_srp.pad_hex(value)
