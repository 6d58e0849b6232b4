"""TOTP as Cognito applies it: RFC 6238 with SHA1, 6 digits, 30 s steps, ±1 step accepted.

Replay (a code whose step was already accepted, including the one that verified enrolment) is
rejected by the store's atomic "last accepted step" update, not here: this module is pure.
"""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Callable

import pyotp

__all__ = ["STEP_SECONDS", "matching_step", "new_secret"]

STEP_SECONDS = 30
_WINDOW = 1


def new_secret(rand: Callable[[int], bytes] = os.urandom) -> str:
    """A fresh base32 secret of 32 random bytes (52 characters, no padding)."""
    return base64.b32encode(rand(32)).decode("ascii").rstrip("=")


def matching_step(secret: str, code: object, now: float) -> int | None:
    """The time step (within ±1 of ``now``) whose code equals ``code``, or None.

    Only six ASCII digits can match: ``str.isdigit`` also holds for "١٢٣٤٥٦" or "12345²",
    and ``hmac.compare_digest`` raises TypeError on non-ASCII text.
    """
    if not isinstance(code, str) or len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    hotp = pyotp.HOTP(secret)
    current = int(now // STEP_SECONDS)
    found: int | None = None
    for step in range(current - _WINDOW, current + _WINDOW + 1):
        if hmac.compare_digest(hotp.at(step), code):
            found = step
    return found
