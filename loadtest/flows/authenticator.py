"""A software passkey authenticator: registers credentials and answers WEB_AUTHN challenges.

It stands in for a phone or a security key in load tests: one key pair per credential, made
at provisioning (P-256 for ES256 by default, RSA-2048 for RS256), signing with
``cryptography``. CBOR (the attestation object and the COSE public key) is encoded with the
WebAuthn library's own helper (``webauthn.helpers.encode_cbor``); nothing here verifies.
Attestation is ``none`` or ``packed`` self-attestation. The user-verified flag is always set,
as a platform authenticator after a biometric would set it.

The private key is a secret like a password: :class:`Passkey` hides it from ``repr`` and its
identities-file form keeps it under ``private_key`` (a key name the report redactor refuses).
A single assertion costs one signature (tens of microseconds for P-256): the point of
issue 17's capacity question.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

__all__ = [
    "Algorithm",
    "Attestation",
    "Passkey",
    "SoftwareAuthenticator",
    "b64url",
    "warm_signing",
]

#: Authenticator data flags: user present, user verified, attested credential data.
_UP, _UV, _AT = 0x01, 0x04, 0x40
_AAGUID = bytes(16)


def _cbor(value: Any) -> bytes:
    """CBOR by the WebAuthn library's own encoder, imported on first use: only registering a
    credential needs it, and importing ``webauthn`` costs every process that imports the flows
    ~0.08 s (its package imports every verifier)."""
    from webauthn.helpers import encode_cbor

    return bytes(encode_cbor(value))


class Algorithm(StrEnum):
    """The two COSE algorithms Cognito accepts (§13.1)."""

    ES256 = "ES256"
    RS256 = "RS256"

    @property
    def cose(self) -> int:
        return -7 if self is Algorithm.ES256 else -257


class Attestation(StrEnum):
    NONE = "none"
    PACKED = "packed"


def b64url(data: bytes) -> str:
    """base64url without padding, WebAuthn's JSON encoding of bytes."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True, slots=True, kw_only=True)
class Passkey:
    """One credential the authenticator holds: id, key, relying party, user handle."""

    credential_id: bytes
    rp_id: str
    user_handle: bytes
    algorithm: Algorithm
    private_key: PrivateKey = field(repr=False)

    @classmethod
    def create(cls, *, rp_id: str, user_handle: bytes, algorithm: Algorithm) -> Passkey:
        key: PrivateKey = (
            ec.generate_private_key(ec.SECP256R1())
            if algorithm is Algorithm.ES256
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        return cls(
            credential_id=secrets.token_bytes(32),
            rp_id=rp_id,
            user_handle=user_handle,
            algorithm=algorithm,
            private_key=key,
        )

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return self.private_key.sign(data, ec.ECDSA(hashes.SHA256()))
        return self.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def cose_key(self) -> bytes:
        """The COSE_Key of the public key, CBOR-encoded by the library's helper."""
        public = self.private_key.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            numbers = public.public_numbers()
            fields: dict[int, Any] = {
                1: 2, 3: -7, -1: 1,
                -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big"),
            }  # fmt: skip
        else:
            rsa_numbers = public.public_numbers()
            n = rsa_numbers.n.to_bytes((rsa_numbers.n.bit_length() + 7) // 8, "big")
            e = rsa_numbers.e.to_bytes((rsa_numbers.e.bit_length() + 7) // 8, "big")
            fields = {1: 3, 3: -257, -1: n, -2: e}
        return _cbor(fields)

    def to_json(self) -> dict[str, str]:
        """The identities-file form; ``private_key`` is a secret (redacted by key name)."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return {
            "credential_id": b64url(self.credential_id),
            "rp_id": self.rp_id,
            "user_handle": b64url(self.user_handle),
            "algorithm": str(self.algorithm),
            "private_key": pem.decode(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Passkey:
        key = serialization.load_pem_private_key(data["private_key"].encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise ValueError("a passkey's private key must be EC or RSA")
        return cls(
            credential_id=_unb64url(data["credential_id"]),
            rp_id=data["rp_id"],
            user_handle=_unb64url(data["user_handle"]),
            algorithm=Algorithm(data["algorithm"]),
            private_key=key,
        )


@dataclass(slots=True, kw_only=True)
class SoftwareAuthenticator:
    """Makes and uses passkeys for one origin; counts signatures as an authenticator does."""

    origin: str
    algorithm: Algorithm = Algorithm.ES256
    attestation: Attestation = Attestation.NONE
    sign_count: int = 0
    #: The UV flag (set unless a test plays an authenticator without user verification).
    user_verified: bool = True

    def _client_data(self, kind: str, challenge: str) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        return json.dumps(data, separators=(",", ":")).encode()

    def _auth_data(self, rp_id: str, attested: bytes = b"") -> bytes:
        self.sign_count += 1
        flags = _UP | (_UV if self.user_verified else 0) | (_AT if attested else 0)
        rp_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.sign_count) + attested

    def register(self, options: Mapping[str, Any]) -> tuple[dict[str, Any], Passkey]:
        """Answer CredentialCreationOptions: (RegistrationResponseJSON, the new passkey)."""
        passkey = Passkey.create(
            rp_id=str(options["rp"]["id"]),
            user_handle=_unb64url(str(options["user"]["id"])),
            algorithm=self.algorithm,
        )
        cid = passkey.credential_id
        attested = _AAGUID + struct.pack(">H", len(cid)) + cid + passkey.cose_key()
        auth_data = self._auth_data(passkey.rp_id, attested)
        client_data = self._client_data("webauthn.create", str(options["challenge"]))
        statement: dict[str, Any] = {}
        if self.attestation is Attestation.PACKED:
            signed = auth_data + hashlib.sha256(client_data).digest()
            statement = {"alg": passkey.algorithm.cose, "sig": passkey.sign(signed)}
        attestation_object = _cbor(
            {"fmt": str(self.attestation), "attStmt": statement, "authData": auth_data}
        )
        response = {
            "clientDataJSON": b64url(client_data),
            "attestationObject": b64url(bytes(attestation_object)),
            "transports": ["internal"],
        }
        return _credential(cid, response), passkey

    def assertion(self, passkey: Passkey, options: Mapping[str, Any] | str) -> dict[str, Any]:
        """Answer CredentialRequestOptions (a dict or Cognito's JSON string)."""
        if isinstance(options, str):
            options = json.loads(options)
        assert isinstance(options, Mapping)
        auth_data = self._auth_data(str(options.get("rpId") or passkey.rp_id))
        client_data = self._client_data("webauthn.get", str(options["challenge"]))
        signature = passkey.sign(auth_data + hashlib.sha256(client_data).digest())
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
            "userHandle": b64url(passkey.user_handle),
        }
        return _credential(passkey.credential_id, response)


def warm_signing(passkeys: Iterable[Passkey]) -> list[Algorithm]:
    """Sign a throwaway digest once per algorithm among ``passkeys``; the algorithms, in order.

    A process's first signature sets up OpenSSL's state for it: 3 to 10 ms here for ES256
    (0.03 ms after), ~1.3 ms for RS256 (0.25 ms after). Done before the clock (Locust's
    ``test_start``), it is not charged to the first passkey login's client compute. The
    signatures are discarded: nothing leaves the process.
    """
    first: dict[Algorithm, Passkey] = {}
    for passkey in passkeys:
        first.setdefault(passkey.algorithm, passkey)
    for passkey in first.values():
        passkey.sign(bytes(32))
    return list(first)


def _credential(cid: bytes, response: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": b64url(cid),
        "rawId": b64url(cid),
        "type": "public-key",
        "response": response,
        "clientExtensionResults": {},
        "authenticatorAttachment": "platform",
    }
