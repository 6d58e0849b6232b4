"""Rejections: malformed and hostile input raises a typed error, never returns None."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import patch

import gmpy2
import pytest

import srp_fast
from srp_fast import client as client_module
from srp_fast import server as server_module

N = int(srp_fast.N)


@pytest.mark.parametrize(
    "text", ["0", "00", format(N, "x"), format(2 * N, "x"), format(5 * N, "X")]
)
def test_server_rejects_a_congruent_to_zero(text: str) -> None:
    with pytest.raises(srp_fast.IllegalParameter) as info:
        srp_fast.parse_srp_a(text)
    assert info.value.parameter == "SRP_A"


@pytest.mark.parametrize(
    "text", ["", "zzz-not-hex", "12 34", "0x1234", "+1f", "１２", "f" * 771, None, 12345, b"ab"]
)
def test_server_rejects_malformed_or_oversized_a(text: object) -> None:
    with pytest.raises(srp_fast.MalformedInput) as info:
        srp_fast.parse_srp_a(text)
    assert info.value.field == "SRP_A"


def test_server_accepts_uppercase_and_leading_zeros() -> None:
    assert srp_fast.parse_srp_a("00AbC") == 0xABC


@pytest.mark.parametrize("big_b", [0, N, 3 * N])
def test_client_rejects_b_congruent_to_zero(big_b: int) -> None:
    with pytest.raises(srp_fast.IllegalParameter, match="B cannot be zero"):
        srp_fast.client_session_key(srp_fast.new_ephemeral(), gmpy2.mpz(big_b), 1, 2)


def test_client_rejects_u_zero() -> None:
    with (
        patch.object(client_module, "compute_u", return_value=gmpy2.mpz(0)),
        pytest.raises(srp_fast.IllegalParameter, match="U cannot be zero"),
    ):
        srp_fast.client_session_key(srp_fast.new_ephemeral(), gmpy2.mpz(12345), 1, 2)


def test_server_rejects_u_zero() -> None:
    verifier = srp_fast.make_verifier("Pool", "user", "pw")
    challenge = srp_fast.server_challenge(verifier.verifier)
    with (
        patch.object(server_module, "compute_u", return_value=gmpy2.mpz(0)),
        pytest.raises(srp_fast.IllegalParameter, match="U cannot be zero"),
    ):
        srp_fast.server_session_key(gmpy2.mpz(5), challenge, verifier.verifier)


@pytest.mark.parametrize("field", ["salt_hex", "srp_b_hex", "secret_block_b64"])
@pytest.mark.parametrize("bad", ["", "not hex!", "ab-_", "f" * 801])
def test_client_rejects_malformed_challenge(field: str, bad: str) -> None:
    params = {"salt_hex": "abcd", "srp_b_hex": "1234", "secret_block_b64": "AAAA"}
    params[field] = bad
    with pytest.raises(srp_fast.MalformedInput):
        srp_fast.password_claim(
            srp_fast.new_ephemeral(),
            prefix="Pool",
            identity="user",
            password="pw",
            now=datetime(2026, 1, 1, tzinfo=UTC),
            **params,
        )


class TestVerifyClaim:
    key = bytes(16)
    block = b"secret-block"

    def verify(self, *, timestamp: object, signature: object) -> None:
        srp_fast.verify_claim(
            self.key,
            prefix="Pool",
            identity="user",
            secret_block=self.block,
            timestamp=timestamp,
            signature_b64=signature,
        )

    def signature_for(self, timestamp: str) -> str:
        return srp_fast.b64encode(
            srp_fast.claim_signature(self.key, "Pool", "user", self.block, timestamp)
        )

    def test_accepts_a_correct_signature(self) -> None:
        stamp = "Thu Mar 5 09:04:11 UTC 2026"
        self.verify(timestamp=stamp, signature=self.signature_for(stamp))

    @pytest.mark.parametrize(
        "stamp", ["thu mar 5 09:04:11 utc 2026", "Thu Mar 5 09:04:11 GMT 2026"]
    )
    def test_accepts_what_java_parses_and_verifies_over_canonical(self, stamp: str) -> None:
        self.verify(timestamp=stamp, signature=self.signature_for("Thu Mar 5 09:04:11 UTC 2026"))

    @pytest.mark.parametrize(
        "stamp", ["Thu Mar 05 09:04:11 UTC 2026", "Mon Mar 5 09:04:11 UTC 2026"]
    )
    def test_zero_padded_day_or_wrong_weekday_parse_but_fail(self, stamp: str) -> None:
        with pytest.raises(srp_fast.InvalidProof):
            self.verify(timestamp=stamp, signature=self.signature_for(stamp))

    @pytest.mark.parametrize(
        "stamp",
        [
            "garbage",
            "Thu Mar 015 09:04:11 UTC 2026",
            "Thu Mar 5 09:04:11 CEST 2026",
            "Thu Mar 5 09:04:11 Z 2026",
            "Thu Mar 5 9:04:11 UTC 2026",
            "Thu Mar 32 09:04:11 UTC 2026",
            "Thu Foo 5 09:04:11 UTC 2026",
            "",
            None,
        ],
    )
    def test_rejects_malformed_timestamps(self, stamp: object) -> None:
        with pytest.raises(srp_fast.MalformedTimestamp) as info:
            self.verify(timestamp=stamp, signature=self.signature_for("x"))
        assert str(info.value).endswith(srp_fast.MalformedTimestamp.MESSAGE)

    @pytest.mark.parametrize("signature", ["not base64!", "a-b_" * 11, "abc", "", 42, "A" * 80])
    def test_rejects_undecodable_signatures(self, signature: object) -> None:
        with pytest.raises(srp_fast.MalformedInput) as info:
            self.verify(timestamp="Thu Mar 5 09:04:11 UTC 2026", signature=signature)
        assert info.value.field == "PASSWORD_CLAIM_SIGNATURE"

    def test_rejects_a_flipped_bit(self) -> None:
        stamp = "Thu Mar 5 09:04:11 UTC 2026"
        raw = bytearray(srp_fast.b64decode_strict(self.signature_for(stamp), field="s"))
        raw[-1] ^= 1
        with pytest.raises(srp_fast.InvalidProof):
            self.verify(timestamp=stamp, signature=srp_fast.b64encode(bytes(raw)))


@pytest.mark.parametrize(
    ("salt", "verifier"),
    [("", "AQ=="), ("AQ==", ""), ("AA==", "AQ=="), ("AQ==", "AA=="), ("AQ==", "AQ-_")],
)
def test_device_verifier_config_rejections(salt: str, verifier: str) -> None:
    with pytest.raises(srp_fast.MalformedInput):
        srp_fast.verifier_from_config(salt, verifier)


def test_device_verifier_of_n_or_more_is_rejected() -> None:
    too_big = srp_fast.b64encode(srp_fast.pad_bytes(srp_fast.N))
    with pytest.raises(srp_fast.MalformedInput):
        srp_fast.verifier_from_config("AQ==", too_big)


@pytest.mark.parametrize("pool_id", ["nounderscore", "_abc", "us-east-1_", ""])
def test_pool_name_rejects_malformed_ids(pool_id: str) -> None:
    with pytest.raises(srp_fast.MalformedInput):
        srp_fast.pool_name(pool_id)


def test_errors_share_one_root() -> None:
    for cls in (
        srp_fast.MalformedInput,
        srp_fast.MalformedTimestamp,
        srp_fast.IllegalParameter,
        srp_fast.InvalidProof,
    ):
        assert issubclass(cls, srp_fast.SrpError)


def test_secrets_stay_out_of_reprs() -> None:
    eph = srp_fast.new_ephemeral()
    device = srp_fast.new_device_secret("-grp", "us-east-1_dev")
    assert srp_fast.to_hex(eph.secret) not in repr(eph)
    assert device.device_password not in repr(device)
