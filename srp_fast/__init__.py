"""srp_fast: Cognito's SRP-6a, exact and fast, on gmpy2.

Cognito's variant of SRP-6a (RFC 5054 3072-bit group, g = 2, SHA-256, the minimal two's-complement
"padHex" encoding, HKDF with info "Caldera Derived Key"), as Amplify, pycognito and the AWS Java
sample compute it, for both the client (USER_SRP_AUTH, DEVICE_SRP_AUTH) and a server (the local
pool). Pure maths and encodings: no I/O and no clock (time and randomness are passed in).

Client, one login::

    from datetime import UTC, datetime
    import srp_fast

    ephemerals = srp_fast.EphemeralPool()      # (a, A) pairs ahead of need
    verifiers = srp_fast.VerifierCache()       # (x, g^x) per user and salt
    eph = ephemerals.take()
    # InitiateAuth(USER_SRP_AUTH, SRP_A=eph.public_hex) -> PASSWORD_VERIFIER challenge `params`
    claim = srp_fast.password_claim(
        eph,
        prefix=srp_fast.pool_name("us-east-1_AbCdEfGhI"),
        identity=params["USER_ID_FOR_SRP"],
        password="Passw0rd!",
        salt_hex=params["SALT"],
        srp_b_hex=params["SRP_B"],
        secret_block_b64=params["SECRET_BLOCK"],
        now=datetime.now(UTC),
        verifiers=verifiers,
    )
    # RespondToAuthChallenge(PASSWORD_VERIFIER): PASSWORD_CLAIM_SIGNATURE=claim.signature,
    # TIMESTAMP=claim.timestamp, PASSWORD_CLAIM_SECRET_BLOCK=params["SECRET_BLOCK"]

Remembered devices: :func:`new_device_secret` gives the device password and ConfirmDevice's
``verifier_config()``; DEVICE_PASSWORD_VERIFIER is answered by :func:`password_claim` with
``prefix=DeviceGroupKey``, ``identity=DeviceKey`` and ``password=device_password``.
:func:`secret_hash` computes SECRET_HASH for app clients with a secret.

Server (the local pool): :func:`make_verifier`, :func:`parse_srp_a`, :func:`server_challenge`,
:func:`server_session_key`, :func:`verify_claim` (raises :class:`InvalidProof`).

Keeping maths off the critical path: A and g^b come precomputed from an :class:`EphemeralPool`
refilled on a native thread; g^x is cached; what is left, one exponentiation, runs with the GIL
released, so it can be handed to a native thread (:mod:`srp_fast.offload`) while an asyncio loop
or the gevent hub keeps serving sockets.

Every failure is a typed exception under :class:`SrpError`: :class:`MalformedInput` (and
:class:`MalformedTimestamp`), :class:`IllegalParameter` (A ≡ 0, B ≡ 0, u = 0),
:class:`InvalidProof`.
"""

from __future__ import annotations

from ._encoding import b64decode_strict, b64encode, from_hex, pad_bytes, pad_hex, to_hex
from ._ephemeral import (
    CLIENT_BITS,
    REFERENCE_CLIENT_BITS,
    SERVER_BITS,
    Ephemeral,
    EphemeralPool,
    ephemeral_from_secret,
    new_ephemeral,
)
from ._errors import IllegalParameter, InvalidProof, MalformedInput, MalformedTimestamp, SrpError
from ._group import K_HEX, N_HEX, G, K, N
from ._kdf import claim_signature, compute_u, compute_x, hkdf_key, identity_hash, secret_hash
from ._powmod import FixedBase, g_pow, g_pow_many, g_table, powmod
from ._timestamp import canonical_timestamp, format_timestamp, parse_timestamp
from .client import (
    DeviceSecret,
    PasswordClaim,
    VerifierCache,
    client_session_key,
    new_device_secret,
    password_claim,
    pool_name,
)
from .server import (
    ServerChallenge,
    Verifier,
    make_verifier,
    parse_srp_a,
    server_challenge,
    server_session_key,
    verifier_from_config,
    verify_claim,
)

__all__ = [
    "CLIENT_BITS",
    "K_HEX",
    "N_HEX",
    "REFERENCE_CLIENT_BITS",
    "SERVER_BITS",
    "DeviceSecret",
    "Ephemeral",
    "EphemeralPool",
    "FixedBase",
    "G",
    "IllegalParameter",
    "InvalidProof",
    "K",
    "MalformedInput",
    "MalformedTimestamp",
    "N",
    "PasswordClaim",
    "ServerChallenge",
    "SrpError",
    "Verifier",
    "VerifierCache",
    "b64decode_strict",
    "b64encode",
    "canonical_timestamp",
    "claim_signature",
    "client_session_key",
    "compute_u",
    "compute_x",
    "ephemeral_from_secret",
    "format_timestamp",
    "from_hex",
    "g_pow",
    "g_pow_many",
    "g_table",
    "hkdf_key",
    "identity_hash",
    "make_verifier",
    "new_device_secret",
    "new_ephemeral",
    "pad_bytes",
    "pad_hex",
    "parse_srp_a",
    "parse_timestamp",
    "password_claim",
    "pool_name",
    "powmod",
    "secret_hash",
    "server_challenge",
    "server_session_key",
    "to_hex",
    "verifier_from_config",
    "verify_claim",
]
