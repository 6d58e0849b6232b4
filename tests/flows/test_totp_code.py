"""TOTP codes computed with the key kept per secret are pyotp's codes, bit for bit."""

from __future__ import annotations

import base64
import binascii

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.flows.totp import code_at

_SECRETS = st.binary(min_size=14, max_size=40).map(lambda key: base64.b32encode(key).decode())


@settings(deadline=None)
@given(_SECRETS, st.integers(0, 2**40))
def test_codes_are_pyotps(secret: str, step: int) -> None:
    assert code_at(secret, step) == pyotp.TOTP(secret).generate_otp(step)


def test_a_code_with_leading_zeros_keeps_six_digits() -> None:
    secret = pyotp.random_base32()
    codes = [code_at(secret, step) for step in range(2000)]
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert any(code.startswith("0") for code in codes)


def test_a_secret_pyotp_refuses_is_refused_alike() -> None:
    with pytest.raises((ValueError, binascii.Error)):
        pyotp.TOTP("not base32 !").generate_otp(1)
    with pytest.raises((ValueError, binascii.Error)):
        code_at("not base32 !", 1)
