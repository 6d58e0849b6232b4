"""srp_fast against every known-answer value in ../shared/vectors/cognito_srp.json."""

from __future__ import annotations

from datetime import datetime

import gmpy2
import pytest

import srp_fast
from srp_fast._kdf import claim_signature

from .vectors import vectors

USER = vectors()["user_srp"]
DEVICE = vectors()["device_srp"]


def mpz(hex_text: str) -> object:
    return gmpy2.mpz(hex_text, 16)


def test_group_constants() -> None:
    group = vectors()["group"]
    assert group["k"] == srp_fast.K_HEX
    assert len(srp_fast.pad_bytes(srp_fast.N)) == group["pad_N_bytes"]
    assert srp_fast.pad_hex(srp_fast.G) == group["pad_g_hex"]


def test_pool_name() -> None:
    assert srp_fast.pool_name(USER["pool_id"]) == USER["pool_name"]


def test_user_x_and_verifier() -> None:
    inner = srp_fast.identity_hash(USER["pool_name"], USER["user_id_for_srp"], USER["password"])
    assert srp_fast.to_hex(srp_fast.compute_x(mpz(USER["salt"]), inner)) == USER["x"]
    verifier = srp_fast.make_verifier(
        USER["pool_name"], USER["user_id_for_srp"], USER["password"], salt=int(USER["salt"], 16)
    )
    assert srp_fast.to_hex(verifier.verifier) == USER["verifier"]
    assert verifier.salt_hex == USER["salt"]


def test_user_public_values_and_u() -> None:
    client = srp_fast.ephemeral_from_secret(mpz(USER["a"]))
    server = srp_fast.server_challenge(
        mpz(USER["verifier"]), srp_fast.ephemeral_from_secret(mpz(USER["b"]))
    )
    assert client.public_hex == USER["srp_a"]
    assert server.srp_b_hex == USER["srp_b"]
    assert srp_fast.to_hex(srp_fast.compute_u(client.public, server.public)) == USER["u"]


def test_user_session_key_both_sides() -> None:
    client = srp_fast.ephemeral_from_secret(mpz(USER["a"]))
    x = mpz(USER["x"])
    client_key = srp_fast.client_session_key(client, mpz(USER["srp_b"]), x, srp_fast.g_pow(x))
    server = srp_fast.ServerChallenge(secret=mpz(USER["b"]), public=mpz(USER["srp_b"]))
    server_key = srp_fast.server_session_key(mpz(USER["srp_a"]), server, mpz(USER["verifier"]))
    assert client_key.hex() == USER["hkdf_key"] == server_key.hex()


def test_user_s_value() -> None:
    u, x = mpz(USER["u"]), mpz(USER["x"])
    base = (mpz(USER["srp_b"]) - srp_fast.K * srp_fast.g_pow(x)) % srp_fast.N
    assert srp_fast.to_hex(srp_fast.powmod(base, mpz(USER["a"]) + u * x)) == USER["S"]
    assert srp_fast.hkdf_key(mpz(USER["S"]), u).hex() == USER["hkdf_key"]


@pytest.mark.parametrize("case", USER["signatures"], ids=lambda c: c["timestamp"])
def test_user_password_claim(case: dict[str, str]) -> None:
    moment = srp_fast.parse_timestamp(case["timestamp"])
    claim = srp_fast.password_claim(
        srp_fast.ephemeral_from_secret(mpz(USER["a"])),
        prefix=USER["pool_name"],
        identity=USER["user_id_for_srp"],
        password=USER["password"],
        salt_hex=USER["salt"],
        srp_b_hex=USER["srp_b"],
        secret_block_b64=USER["secret_block"],
        now=moment,
    )
    assert claim.timestamp == case["timestamp"]
    assert claim.signature == case["password_claim_signature"]


def test_user_claim_verifies_on_server_side() -> None:
    case = USER["signatures"][1]
    server = srp_fast.ServerChallenge(secret=mpz(USER["b"]), public=mpz(USER["srp_b"]))
    key = srp_fast.server_session_key(mpz(USER["srp_a"]), server, mpz(USER["verifier"]))
    srp_fast.verify_claim(
        key,
        prefix=USER["pool_name"],
        identity=USER["user_id_for_srp"],
        secret_block=srp_fast.b64decode_strict(USER["secret_block"], field="SECRET_BLOCK"),
        timestamp=case["timestamp"],
        signature_b64=case["password_claim_signature"],
    )


def test_zero_padded_day_is_what_a_wrong_client_signs_and_is_rejected() -> None:
    wrong = USER["zero_padded_day_is_invalid"]
    key = bytes.fromhex(USER["hkdf_key"])
    block = srp_fast.b64decode_strict(USER["secret_block"], field="SECRET_BLOCK")
    signed = claim_signature(
        key, USER["pool_name"], USER["user_id_for_srp"], block, wrong["timestamp"]
    )
    assert srp_fast.b64encode(signed) == wrong["signature_a_wrong_client_would_send"]
    with pytest.raises(srp_fast.InvalidProof):
        srp_fast.verify_claim(
            key,
            prefix=USER["pool_name"],
            identity=USER["user_id_for_srp"],
            secret_block=block,
            timestamp=wrong["timestamp"],
            signature_b64=wrong["signature_a_wrong_client_would_send"],
        )


def test_secret_hash() -> None:
    case = vectors()["secret_hash"]
    assert (
        srp_fast.secret_hash(case["username"], case["client_id"], case["client_secret"])
        == case["secret_hash"]
    )


def test_device_confirm_config() -> None:
    salt = int(DEVICE["salt"], 16)
    inner = srp_fast.identity_hash(
        DEVICE["device_group_key"], DEVICE["device_key"], DEVICE["device_password"]
    )
    assert srp_fast.to_hex(srp_fast.compute_x(salt, inner)) == DEVICE["x"]
    secret = srp_fast.DeviceSecret(
        device_key=DEVICE["device_key"],
        device_group_key=DEVICE["device_group_key"],
        device_password=DEVICE["device_password"],
        salt=salt,
        verifier=srp_fast.g_pow(mpz(DEVICE["x"])),
    )
    config = secret.verifier_config()
    assert config["Salt"] == DEVICE["confirm_device_salt_b64"]
    assert config["PasswordVerifier"] == DEVICE["confirm_device_password_verifier_b64"]


def test_new_device_secret_with_the_vector_randomness() -> None:
    stream = iter([bytes(range(40)), bytes.fromhex(DEVICE["salt"])])
    secret = srp_fast.new_device_secret(
        DEVICE["device_group_key"], DEVICE["device_key"], rand=lambda n: next(stream)
    )
    assert secret.device_password == DEVICE["device_password"]
    assert secret.verifier_config() == {
        "PasswordVerifier": DEVICE["confirm_device_password_verifier_b64"],
        "Salt": DEVICE["confirm_device_salt_b64"],
    }


def test_device_session_and_signature() -> None:
    client = srp_fast.ephemeral_from_secret(mpz(DEVICE["a"]))
    assert client.public_hex == DEVICE["srp_a"]
    verifier = srp_fast.verifier_from_config(
        DEVICE["confirm_device_salt_b64"], DEVICE["confirm_device_password_verifier_b64"]
    )
    server = srp_fast.server_challenge(
        verifier.verifier, srp_fast.ephemeral_from_secret(mpz(DEVICE["b"]))
    )
    assert server.srp_b_hex == DEVICE["srp_b"]
    assert srp_fast.to_hex(srp_fast.compute_u(client.public, server.public)) == DEVICE["u"]
    key = srp_fast.server_session_key(client.public, server, verifier.verifier)
    assert key.hex() == DEVICE["hkdf_key"]
    claim = srp_fast.password_claim(
        client,
        prefix=DEVICE["device_group_key"],
        identity=DEVICE["device_key"],
        password=DEVICE["device_password"],
        salt_hex=verifier.salt_hex,
        srp_b_hex=DEVICE["srp_b"],
        secret_block_b64=DEVICE["secret_block"],
        now=srp_fast.parse_timestamp(DEVICE["timestamp"]),
    )
    assert claim.signature == DEVICE["password_claim_signature"]


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2018, 9, 25, 0, 9, 40), "Tue Sep 25 00:09:40 UTC 2018"),
        (datetime(2026, 3, 5, 9, 4, 11), "Thu Mar 5 09:04:11 UTC 2026"),
    ],
)
def test_timestamp_format(moment: datetime, text: str) -> None:
    assert srp_fast.format_timestamp(moment) == text
