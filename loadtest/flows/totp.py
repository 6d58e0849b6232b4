"""TOTP codes for SOFTWARE_TOKEN_MFA and enrollment, never the same step twice.

RFC 6238 defaults as Cognito uses them: HMAC-SHA1, 6 digits, 30 s steps. Cognito rejects a code
that was already accepted (``Your software token has already been used once.``) and accepts one
step of skew either way, so when the current step is spent the next step's code may be used.
"""

from __future__ import annotations

import binascii
import hmac
from datetime import UTC, datetime
from functools import lru_cache

import pyotp

from .effects import FlowError
from .identity import Identity

__all__ = [
    "STEP_SECONDS",
    "InvalidTotpSecret",
    "TotpStepSpent",
    "code_at",
    "step_of",
    "take_code",
]

STEP_SECONDS = 30
DIGITS = 6


class InvalidTotpSecret(FlowError):
    """A TOTP secret that is not base32 of at least 112 bits."""

    def __init__(self, username: str, reason: str) -> None:
        super().__init__(f"TOTP secret of {username!r} is not usable: {reason}")
        self.username = username


class TotpStepSpent(FlowError):
    """Every code this identity may send now was already sent; ``retry_at`` is when one frees."""

    def __init__(self, username: str, retry_at: datetime) -> None:
        super().__init__(f"TOTP codes of {username!r} are spent until {retry_at.isoformat()}")
        self.username = username
        self.retry_at = retry_at


def step_of(now: datetime) -> int:
    """The 30 s step number of a moment."""
    return int(now.timestamp()) // STEP_SECONDS


def take_code(identity: Identity, secret: str, now: datetime, *, next_step: bool) -> str:
    """The code to send now, recorded as used on the identity.

    Uses the current step unless the identity already used it; then the next step if
    ``next_step`` allows; otherwise raises :class:`TotpStepSpent`.
    """
    step = _free_step(identity, step_of(now), next_step=next_step)
    try:
        code = code_at(secret, step)
    except (ValueError, binascii.Error) as exc:
        raise InvalidTotpSecret(identity.username, str(exc)) from exc
    identity.use_totp_step(step)
    return code


def code_at(secret: str, step: int) -> str:
    """The RFC 6238 code of ``secret`` for a step: pyotp's ``TOTP(secret).generate_otp(step)``
    (HMAC-SHA1, dynamic truncation, 6 digits) with the decoded key kept per secret, since a
    login would otherwise build a TOTP object and decode its base32 every time."""
    digest = hmac.digest(_key(secret), step.to_bytes(8, "big"), "sha1")
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


@lru_cache(maxsize=4096)
def _key(secret: str) -> bytes:
    """The secret's key bytes, decoded (and refused) by pyotp itself."""
    return pyotp.TOTP(secret).byte_secret()


def _free_step(identity: Identity, current: int, *, next_step: bool) -> int:
    last = identity.last_totp_step
    if last is None or last < current:
        return current
    if next_step and last == current:
        return current + 1
    # The first moment a step is free: with ``next_step``, when ``last`` is the current step
    # (its next one is free then); else when it is over.
    free = last if next_step else last + 1
    raise TotpStepSpent(identity.username, datetime.fromtimestamp(free * STEP_SECONDS, UTC))
