"""The server side of Cognito SRP, for the local pool: verifiers, B, and proof verification.

- :func:`make_verifier` at password set (or :func:`verifier_from_config` for ConfirmDevice);
- :func:`server_challenge`: B = (k·v + g^b) mod N, from a precomputed (b, g^b);
- :func:`parse_srp_a` rejects malformed, oversized and ≡ 0 (mod N) values of A;
- :func:`server_session_key`: S = (A·v^u)^b mod N and the HKDF key;
- :func:`verify_claim` checks PASSWORD_CLAIM_SIGNATURE in constant time and raises on mismatch.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field
from typing import Any

from ._encoding import b64decode_strict, from_hex, to_hex
from ._ephemeral import SERVER_BITS, Ephemeral, RandomBytes, new_ephemeral
from ._errors import IllegalParameter, InvalidProof, MalformedInput
from ._group import K, N
from ._kdf import claim_signature, compute_u, compute_x, hkdf_key, identity_hash
from ._powmod import g_pow, powmod
from ._timestamp import canonical_timestamp

__all__ = [
    "ServerChallenge",
    "Verifier",
    "make_verifier",
    "parse_srp_a",
    "server_challenge",
    "server_session_key",
    "verifier_from_config",
    "verify_claim",
]

#: SRP_A longer than this many hex digits is refused before any maths (N has 768).
MAX_SRP_A_DIGITS = 770
#: PASSWORD_CLAIM_SIGNATURE is a 32-byte HMAC: 44 base64 characters.
_SIGNATURE_CHARS = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class Verifier:
    """A stored password verifier: the salt and v = g^x mod N."""

    salt: Any
    verifier: Any = field(repr=False)

    @property
    def salt_hex(self) -> str:
        """SALT as the challenge carries it: minimal lowercase hex."""
        return to_hex(self.salt)


def make_verifier(
    prefix: str,
    identity: str,
    password: str,
    *,
    salt: int | None = None,
    rand: RandomBytes = os.urandom,
) -> Verifier:
    """Salt (16 random bytes unless given) and verifier for a new password.

    Use exactly the identity later returned as USER_ID_FOR_SRP (the canonical username).
    """
    salt_value = int.from_bytes(rand(16), "big") if salt is None else salt
    x = compute_x(salt_value, identity_hash(prefix, identity, password))
    return Verifier(salt=salt_value, verifier=g_pow(x))


def verifier_from_config(salt_b64: object, verifier_b64: object) -> Verifier:
    """Decode ConfirmDevice's DeviceSecretVerifierConfig (base64 of unsigned big-endian bytes)."""
    salt = int.from_bytes(b64decode_strict(salt_b64, field="Salt", max_chars=1024), "big")
    raw = b64decode_strict(verifier_b64, field="PasswordVerifier", max_chars=1024)
    verifier = int.from_bytes(raw, "big")
    if not 0 < verifier < N:
        raise MalformedInput("PasswordVerifier", "must be a value between 1 and N - 1")
    if salt == 0:
        raise MalformedInput("Salt", "must not be empty or zero")
    return Verifier(salt=salt, verifier=verifier)


def parse_srp_a(text: object) -> Any:
    """A from the client's SRP_A; raises on malformed or oversized hex and on A ≡ 0 (mod N)."""
    big_a = from_hex(text, field="SRP_A", max_digits=MAX_SRP_A_DIGITS)
    if big_a % N == 0:
        raise IllegalParameter("SRP_A", "A mod N cannot be 0.")
    return big_a


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerChallenge:
    """The server's half of one exchange: its secret b and the B it sends."""

    secret: Any = field(repr=False)
    public: Any

    @property
    def srp_b_hex(self) -> str:
        """SRP_B as the challenge carries it: minimal lowercase hex."""
        return to_hex(self.public)


def server_challenge(verifier: Any, ephemeral: Ephemeral | None = None) -> ServerChallenge:
    """B = (k·v + g^b) mod N, from a precomputed pair when given; redrawn if B ≡ 0."""
    pair = ephemeral or new_ephemeral(bits=SERVER_BITS)
    while True:
        big_b = (K * verifier + pair.public) % N
        if big_b:
            return ServerChallenge(secret=pair.secret, public=big_b)
        pair = new_ephemeral(bits=SERVER_BITS)  # pragma: no cover - probability ~2^-3072


def server_session_key(big_a: Any, challenge: ServerChallenge, verifier: Any) -> bytes:
    """The HKDF key K from the server's side: S = (A·v^u)^b mod N."""
    u = compute_u(big_a, challenge.public)
    if u == 0:
        raise IllegalParameter("u", "U cannot be zero.")
    big_s = powmod(big_a * powmod(verifier, u) % N, challenge.secret)
    return hkdf_key(big_s, u)


def verify_claim(
    key: bytes,
    *,
    prefix: str,
    identity: str,
    secret_block: bytes,
    timestamp: object,
    signature_b64: object,
) -> None:
    """Check a PASSWORD_CLAIM_SIGNATURE; return nothing on success, raise otherwise.

    TIMESTAMP is parsed and re-rendered canonically before the HMAC (a zero-padded day or a
    wrong weekday parses but does not verify, as on Cognito). Raises :class:`MalformedTimestamp`
    or :class:`MalformedInput` for undecodable input and :class:`InvalidProof` on mismatch; the
    comparison takes constant time.
    """
    canonical = canonical_timestamp(timestamp)
    given = b64decode_strict(
        signature_b64, field="PASSWORD_CLAIM_SIGNATURE", max_chars=_SIGNATURE_CHARS
    )
    expected = claim_signature(key, prefix, identity, secret_block, canonical)
    if not hmac.compare_digest(given, expected):
        raise InvalidProof("PASSWORD_CLAIM_SIGNATURE does not match")
