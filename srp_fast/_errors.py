"""The srp_fast exception hierarchy: one root, split by what went wrong.

Every failed safety check or verification raises; nothing returns ``None``.
"""

from __future__ import annotations

__all__ = [
    "IllegalParameter",
    "InvalidProof",
    "MalformedInput",
    "MalformedTimestamp",
    "SrpError",
]


class SrpError(Exception):
    """Root of every error srp_fast raises."""


class MalformedInput(SrpError, ValueError):
    """A value could not be decoded: bad hex or base64, oversized, wrong type.

    ``field`` names the offending parameter (e.g. ``"SRP_A"``) so that a server can answer with a
    validation error that names it.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class MalformedTimestamp(MalformedInput):
    """TIMESTAMP does not parse as ``EEE MMM d HH:mm:ss z yyyy`` in English."""

    MESSAGE = "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."

    def __init__(self, value: str) -> None:
        super().__init__("TIMESTAMP", self.MESSAGE)
        self.value = value


class IllegalParameter(SrpError):
    """An SRP safety check failed: A ≡ 0 or B ≡ 0 (mod N), or u = 0.

    Continuing would let a peer force a known session key, so the exchange must be aborted.
    """

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"{parameter}: {reason}")
        self.parameter = parameter
        self.reason = reason


class InvalidProof(SrpError):
    """The peer's PASSWORD_CLAIM_SIGNATURE does not match: wrong password or tampered input."""
