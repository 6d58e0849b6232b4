"""Hypothesis strategies for requests to the local pool, each with its oracle.

A :class:`~tests.fuzz.harness.Case` says whether tokens may legitimately come back
(``may_sign_in``). It is True only for requests that carry the right proof: the user's
password, a genuine refresh token, an unmodified SRP answer (sending a correct proof twice is
allowed, as on Cognito, cognito-facts §11), a genuine NEW_PASSWORD_REQUIRED session. Every
mutation that breaks the proof leaves it False.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import strategies as st

import srp_fast
from loadtest.pool.operations import HANDLERS
from tests.conftest import PASSWORD

from .harness import Case
from .world import Exchange, World, b64url, jwt_parts

N = int(srp_fast.N)
OPERATIONS = tuple(sorted(str(op) for op in HANDLERS))
#: Operations that would change the world's users or pools if given its real ids.
DESTRUCTIVE = frozenset(
    {
        "DeleteUserPool", "DeleteUserPoolClient", "AdminDeleteUser", "AdminDisableUser",
        "AdminSetUserPassword", "AdminUserGlobalSignOut", "AdminForgetDevice",
        "SetUserPoolMFAConfig", "GlobalSignOut", "ForgetDevice", "AdminSetUserMFAPreference",
        "SetUserMFAPreference", "UpdateDeviceStatus", "AssociateSoftwareToken",
        "VerifySoftwareToken", "ConfirmDevice", "AdminEnableUser",
    }
)  # fmt: skip
MEMBERS = (
    "UserPoolId", "ClientId", "Username", "AuthFlow", "AuthParameters", "ChallengeName",
    "ChallengeResponses", "Session", "AccessToken", "UserCode", "DeviceKey", "PoolName",
    "ClientName", "Password", "Permanent", "MaxResults", "Limit", "UserAttributes",
    "SoftwareTokenMfaSettings", "SMSMfaSettings", "DeviceSecretVerifierConfig",
    "DeviceRememberedStatus", "ExplicitAuthFlows", "MfaConfiguration", "Filter",
    "PaginationToken", "NextToken", "TemporaryPassword", "MessageAction", "DeviceName",
    "FriendlyDeviceName", "AuthSessionValidity", "GenerateSecret", "ClientMetadata",
)  # fmt: skip
AUTH_KEYS = (
    "USERNAME", "SRP_A", "PASSWORD", "SECRET_HASH", "DEVICE_KEY", "REFRESH_TOKEN",
    "TIMESTAMP", "PASSWORD_CLAIM_SIGNATURE", "PASSWORD_CLAIM_SECRET_BLOCK", "SESSION",
    "SOFTWARE_TOKEN_MFA_CODE", "NEW_PASSWORD", "ANSWER", "REFRESH_TOKEN",
)  # fmt: skip
FLOWS = (
    "USER_SRP_AUTH", "USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN", "CUSTOM_AUTH", "ADMIN_NO_SRP_AUTH", "USER_AUTH", "user_srp_auth", "",
)  # fmt: skip
CHALLENGES = (
    "PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA",
    "SELECT_MFA_TYPE", "MFA_SETUP", "NEW_PASSWORD_REQUIRED", "SMS_MFA", "CUSTOM_CHALLENGE",
    "password_verifier", "",
)  # fmt: skip

# -- values -------------------------------------------------------------------------------------
SURROGATE = "\ud800"
ODD_TEXT = (
    "", " ", "\x00", "\n\r", "a\r\nX-Injected: 1", SURROGATE, "x" * 129, "x" * 2049, "x" * 9000,
    "é", "ö" * 300, "\U0001f600", "../../etc/passwd", "' OR 1=1 --", "%s%n", "null", "-1", "0",
    "us-east-1_", "_", "us-east-1_abc", "a" * 55 + "_0",
    "²", "١٢٣٤٥٦", "１２３４５６",  # str.isdigit() holds, yet not ASCII digits
)  # fmt: skip
SRP_A_TEXT = (
    "0", "00", "0" * 768, format(N, "x"), format(2 * N, "x"), format(3 * N, "x"),
    format(N, "X"), "0" + format(N, "x"), format(N + 1, "x"), format(N - 1, "x"), "1",
    "f" * 770, "f" * 771, "1" + "0" * 5000, "-1", "0x1234", "zzz-not-hex", " ab", "ab ",
    "١٢٣", "g" * 10, "",
)  # fmt: skip


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(ODD_TEXT),
        st.text(max_size=12),
    )


def json_values() -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=6,
    )


def world_text(world: World) -> st.SearchStrategy[str]:
    """Strings from the world: real ids and names, so requests get past the first checks."""
    apps = (world.app, world.secret_app, world.hidden_app, world.other_app)
    return st.sampled_from(
        (
            *(a.pool_id for a in apps),
            *(a.client_id for a in apps),
            *world.users, "temp", "off", "gone", "nobody", "ALICE", PASSWORD, "wrong-Passw0rd!",
            world.devices["bob"].key, world.access["alice"], world.expired_access,
            world.mfa_sessions[0], world.expired_session, world.refresh,
        )
    )  # fmt: skip


# -- raw bodies and headers ----------------------------------------------------------------------
def _deep(depth: int, opener: bytes) -> bytes:
    return opener * depth


RAW_BODIES: tuple[bytes, ...] = (
    b"", b"{", b"}", b"[]", b"null", b"1", b'"x"', b"{}" * 2, b"\xff\xfe{\x00}\x00",
    b"\x00" * 16, b'{"a": NaN}', b'{"Limit": Infinity}', b'{"Limit": 1' + b"0" * 5000 + b"}",
    b'{"Limit": 1e999}', b'{"ClientId": "a", "ClientId": "b"}', b'{"ClientId": "\\ud800"}',
    b'{"ClientId": "\\u0000"}', b'{"UserPoolId": "' + b"x" * 300_000 + b'"}',
    _deep(100_000, b"["), _deep(5_000, b'{"a":'), _deep(20_000, b"[") + _deep(20_000, b"]"),
    b'{"AuthParameters": ' + _deep(3_000, b"[") + _deep(3_000, b"]") + b"}",
)  # fmt: skip


def raw_bodies() -> st.SearchStrategy[Case]:
    return st.builds(
        lambda op, body: Case(op, body, label="raw"),
        st.sampled_from(OPERATIONS),
        st.one_of(st.sampled_from(RAW_BODIES), st.binary(max_size=40)),
    )


HEADER_CHANGES: tuple[tuple[tuple[str, str | None], ...], ...] = (
    (("X-Amz-Target", None),),
    (("X-Amz-Target", "AWSCognitoIdentityProviderService"),),
    (("X-Amz-Target", "AWSCognitoIdentityProviderService.NoSuchOperation"),),
    (("X-Amz-Target", "DynamoDB_20120810.GetItem"),),
    (("X-Amz-Target", "awscognitoidentityproviderservice.InitiateAuth"),),
    (("X-Amz-Target", "AWSCognitoIdentityProviderService.initiateauth"),),
    (("X-Amz-Target", "AWSCognitoIdentityProviderService.InitiateAuth.Extra"),),
    (("X-Amz-Target", "AWSCognitoIdentityProviderService." + "A" * 4000),),
    (("Content-Type", None),),
    (("Content-Type", "text/plain"),),
    (("Content-Type", "application/json"),),
    (("Content-Type", "application/x-www-form-urlencoded"),),
    (("Content-Type", "multipart/form-data; boundary=x"),),
    (("Authorization", None),),
    (("Authorization", "Bearer x"),),
    (("Authorization", "AWS4-HMAC-SHA256"),),
    (("Content-Encoding", "gzip"),),
)


def header_cases(world: World) -> st.SearchStrategy[Case]:
    def build(op: str, headers: tuple[tuple[str, str | None], ...], user: str) -> Case:
        body = {
            "UserPoolId": world.app.pool_id,
            "ClientId": world.app.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": user, "PASSWORD": PASSWORD},
            "Username": user,
        }
        may = op == "InitiateAuth" and user in world.users
        # without a signature an admin call must be refused, so no tokens may come back
        return Case.of(op, body, may_sign_in=may, label="headers", headers=headers)

    return st.builds(
        build,
        st.sampled_from(("InitiateAuth", "AdminInitiateAuth", "AdminGetUser", "GetUser")),
        st.sampled_from(HEADER_CHANGES),
        st.sampled_from(("alice", "victim", "nobody")),
    )


# -- members of every operation --------------------------------------------------------------------
def member_cases(world: World) -> st.SearchStrategy[Case]:
    values = st.one_of(json_values(), world_text(world))
    string_maps = st.dictionaries(
        st.sampled_from(AUTH_KEYS),
        st.one_of(world_text(world), st.sampled_from(ODD_TEXT)),
        max_size=5,
    )
    member_values = st.one_of(values, string_maps)

    def build(op: str, body: dict[str, Any], flow: str | None, challenge: str | None) -> Case:
        if flow is not None:
            body["AuthFlow"] = flow
        if challenge is not None:
            body["ChallengeName"] = challenge
        text = json.dumps(body)
        if op in DESTRUCTIVE:
            for app in (world.app, world.secret_app, world.hidden_app, world.other_app):
                text = text.replace(app.pool_id, "us-east-1_Fuzzed000")
            for token in (world.access["alice"], world.access["victim"]):
                text = text.replace(token, token[:-8] + "AAAAAAAA")
        may = any(proof in text for proof in world.proofs)
        return Case(op, text.encode(), may_sign_in=may, label="members")

    return st.builds(
        build,
        st.sampled_from(OPERATIONS),
        st.dictionaries(st.sampled_from(MEMBERS), member_values, max_size=6),
        st.one_of(st.none(), st.sampled_from(FLOWS)),
        st.one_of(st.none(), st.sampled_from(CHALLENGES)),
    )


# -- USER_SRP_AUTH ------------------------------------------------------------------------------
def srp_start_cases(world: World) -> st.SearchStrategy[Case]:
    def build(admin: bool, app_index: int, user: str, srp_a: str, device: str | None) -> Case:
        app = (world.app, world.secret_app, world.hidden_app, world.other_app)[app_index]
        auth = {"USERNAME": user, "SRP_A": srp_a}
        if app.client_secret:
            auth["SECRET_HASH"] = srp_fast.secret_hash(user, app.client_id, app.client_secret)
        if device is not None:
            auth["DEVICE_KEY"] = device
        body: dict[str, Any] = {
            "AuthFlow": "USER_SRP_AUTH",
            "ClientId": app.client_id,
            "AuthParameters": auth,
        }
        if admin:
            body["UserPoolId"] = app.pool_id
        return Case.of("AdminInitiateAuth" if admin else "InitiateAuth", body, label="srp-a")

    valid_a = srp_fast.new_ephemeral().public_hex
    return st.builds(
        build,
        st.booleans(),
        st.integers(0, 3),
        st.sampled_from((*world.users, "nobody", "off", "temp", "ALICE", "")),
        st.one_of(
            st.sampled_from((*SRP_A_TEXT, valid_a)),
            st.integers(min_value=0, max_value=2**3100).map(lambda n: format(n, "x")),
            st.integers(min_value=0, max_value=40).map(lambda k: format(k * N, "x")),
        ),
        st.one_of(
            st.none(),
            st.sampled_from((world.devices["bob"].key, world.devices["dave"].key, "x_1", "")),
        ),
    )


def _flip(text: str, index: int) -> str:
    """One character of a base64 string changed (still base64, different bytes): the one at
    ``index``, or the next whose change reaches the bytes. The last character before ``=``
    padding also carries unused bits: changing only those decodes to the same bytes, so such
    a "flip" is no tampering at all (a 32-byte signature ending in A-D, flipped there)."""
    body = max(1, len(text.rstrip("=")))
    original = base64.b64decode(text)
    for shift in range(body):
        at = (index + shift) % body
        flipped = text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]
        if base64.b64decode(flipped) != original:
            return flipped
    raise ValueError(f"no one-character change alters the bytes of {text!r}")


def _urlsafe(text: str) -> str:
    return text.replace("+", "-").replace("/", "_")


#: name -> (mutation of the ChallengeResponses, whether the proof still holds)
Mutation = Callable[[dict[str, str], Exchange, World, int], None]


def _set(key: str, value: Callable[[dict[str, str], Exchange, World, int], str]) -> Mutation:
    def apply(r: dict[str, str], ex: Exchange, world: World, i: int) -> None:
        r[key] = value(r, ex, world, i)

    return apply


def _drop(key: str) -> Mutation:
    def apply(r: dict[str, str], ex: Exchange, world: World, i: int) -> None:
        r.pop(key, None)

    return apply


def _other(world: World, ex: Exchange, i: int, *, same_user: bool) -> Exchange:
    pool = [e for e in world.exchanges[ex.user if same_user else "bob"] if e is not ex]
    if not same_user and ex.user == "bob":
        pool = world.exchanges["alice"]
    return pool[i % len(pool)]


def _foreign(world: World, ex: Exchange, key: str, i: int) -> Exchange:
    """An exchange of ``key`` (another client or pool), never ``ex`` itself: an exchange's own
    block is not foreign to it, and its proof would rightly hold."""
    pool = [e for e in world.exchanges[key] if e is not ex]
    if len(pool) < len(world.exchanges[key]):  # ex is one of them: take the main pool's instead
        pool = world.exchanges["alice"]
    return pool[i % len(pool)]


SIG, TS, BLOCK = "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP", "PASSWORD_CLAIM_SECRET_BLOCK"
VERIFIER_MUTATIONS: dict[str, tuple[Mutation, bool]] = {
    "none": (lambda r, ex, w, i: None, True),
    "extra-key": (_set("CLIENT_NOISE", lambda r, ex, w, i: "x" * (i % 50)), True),
    "username-upper": (_set("USERNAME", lambda r, ex, w, i: r["USERNAME"].upper()), False),
    "username-other": (_set("USERNAME", lambda r, ex, w, i: "victim" if ex.user != "victim" else "alice"), False),  # noqa: E501
    "username-unknown": (_set("USERNAME", lambda r, ex, w, i: "nobody"), False),
    "username-empty": (_set("USERNAME", lambda r, ex, w, i: ""), False),
    "sig-flip": (_set(SIG, lambda r, ex, w, i: _flip(r[SIG], i)), False),
    "sig-other-exchange": (_set(SIG, lambda r, ex, w, i: _other(w, ex, i, same_user=True).responses[SIG]), False),  # noqa: E501
    "sig-urlsafe": (_set(SIG, lambda r, ex, w, i: _urlsafe(r[SIG]) + "-_"), False),
    "sig-unpadded": (_set(SIG, lambda r, ex, w, i: r[SIG].rstrip("=")), False),
    "sig-truncated": (_set(SIG, lambda r, ex, w, i: r[SIG][: i % 40]), False),
    "sig-not-base64": (_set(SIG, lambda r, ex, w, i: "!!not base64!!"), False),
    "sig-long": (_set(SIG, lambda r, ex, w, i: "A" * 4000), False),
    "sig-zero": (_set(SIG, lambda r, ex, w, i: base64.b64encode(bytes(32)).decode()), False),
    "sig-drop": (_drop(SIG), False),
    "ts-padded-day": (_set(TS, lambda r, ex, w, i: "Sun Nov 01 10:00:00 UTC 2026"), False),
    # the proof is over the canonical TIMESTAMP, whose weekday is the date's: a client that signed
    # the right one and sends another still proves the password (a wrong weekday it signed fails)
    "ts-weekday": (_set(TS, lambda r, ex, w, i: "Mon " + r[TS][4:]), True),
    "ts-garbage": (_set(TS, lambda r, ex, w, i: ["", "now", "Sep 015", r[TS] + "x"][i % 4]), False),
    "ts-drop": (_drop(TS), False),
    "block-flip": (_set(BLOCK, lambda r, ex, w, i: _flip(r[BLOCK], i)), False),
    "block-truncated": (_set(BLOCK, lambda r, ex, w, i: r[BLOCK][: (i % 60) * 4]), False),
    "block-urlsafe": (_set(BLOCK, lambda r, ex, w, i: _urlsafe(r[BLOCK]).rstrip("=")), False),
    "block-other-exchange": (_set(BLOCK, lambda r, ex, w, i: _other(w, ex, i, same_user=True).responses[BLOCK]), False),  # noqa: E501
    "block-other-user": (_set(BLOCK, lambda r, ex, w, i: _other(w, ex, i, same_user=False).responses[BLOCK]), False),  # noqa: E501
    "block-expired": (_set(BLOCK, lambda r, ex, w, i: w.expired_block), False),
    "block-simulated": (_set(BLOCK, lambda r, ex, w, i: w.simulated_block), False),
    "block-device": (_set(BLOCK, lambda r, ex, w, i: w.device_exchanges[i % 8].responses[BLOCK]), False),  # noqa: E501
    "block-other-client": (_set(BLOCK, lambda r, ex, w, i: _foreign(w, ex, "alice@secret", i).responses[BLOCK]), False),  # noqa: E501
    "block-other-pool": (_set(BLOCK, lambda r, ex, w, i: _foreign(w, ex, "alice@other", i).responses[BLOCK]), False),  # noqa: E501
    "block-drop": (_drop(BLOCK), False),
    "device-key-other-user": (_set("DEVICE_KEY", lambda r, ex, w, i: w.devices["bob" if ex.user != "bob" else "dave"].key), False),  # noqa: E501
    "secret-hash-junk": (_set("SECRET_HASH", lambda r, ex, w, i: "junk"), True),
}  # fmt: skip


def verifier_cases(world: World) -> st.SearchStrategy[Case]:
    def build(user: str, index: int, mutation: str, variant: int) -> Case:
        exchange = world.exchanges[user][index % len(world.exchanges[user])]
        responses = dict(exchange.responses)
        mutate, proof_holds = VERIFIER_MUTATIONS[mutation]
        mutate(responses, exchange, world, variant)
        body: dict[str, Any] = {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ClientId": exchange.client_id,
            "ChallengeResponses": responses,
        }
        op = "RespondToAuthChallenge"
        if variant % 5 == 0:
            op, body["UserPoolId"] = "AdminRespondToAuthChallenge", world.app.pool_id
        if variant % 7 == 0 and exchange.client_id != world.secret_app.client_id:
            body["ClientId"] = world.secret_app.client_id  # another client of the same pool
            proof_holds = False
        if variant % 11 == 0:
            body["Session"] = world.mfa_sessions[variant % len(world.mfa_sessions)]
        if mutation == "secret-hash-junk" and exchange.client_id == world.app.client_id:
            proof_holds = True  # a client without a secret ignores SECRET_HASH
        return Case.of(op, body, may_sign_in=proof_holds, label=f"verifier:{mutation}")

    return st.builds(
        build,
        st.sampled_from(("alice", "bob", "victim", "alice@secret", "alice@other")),
        st.integers(0, 50),
        st.sampled_from(tuple(VERIFIER_MUTATIONS)),
        st.integers(0, 10_000),
    )


# -- devices ------------------------------------------------------------------------------------
def device_cases(world: World) -> st.SearchStrategy[Case]:
    bob, dave = world.devices["bob"], world.devices["dave"]

    def srp_auth(user: str, key: str, srp_a: str, session: str | None, variant: int) -> Case:
        responses = {"USERNAME": user, "DEVICE_KEY": key, "SRP_A": srp_a}
        body: dict[str, Any] = {
            "ChallengeName": "DEVICE_SRP_AUTH",
            "ClientId": world.app.client_id,
            "ChallengeResponses": responses,
        }
        if session is not None:
            body["Session"] = session
        if variant % 4 == 0:
            body["ClientId"] = world.secret_app.client_id
        return Case.of("RespondToAuthChallenge", body, label="device-srp-auth")

    def verifier(index: int, mutation: str, variant: int) -> Case:
        exchange = world.device_exchanges[index % len(world.device_exchanges)]
        responses = dict(exchange.responses)
        holds = True
        if mutation == "sig-flip":
            responses[SIG], holds = _flip(responses[SIG], variant), False
        elif mutation == "other-device-key":
            responses["DEVICE_KEY"] = (dave if exchange.user == "bob" else bob).key
            holds = False
        elif mutation == "other-user":
            responses["USERNAME"] = "dave" if exchange.user == "bob" else "bob"
            holds = False
        elif mutation == "user-block":
            responses[BLOCK] = world.exchanges["bob"][variant % 5].responses[BLOCK]
            holds = False
        elif mutation == "other-device-block":
            others = [e for e in world.device_exchanges if e.user != exchange.user]
            responses[BLOCK], holds = others[variant % len(others)].responses[BLOCK], False
        elif mutation == "drop-device-key":
            responses.pop("DEVICE_KEY")
            holds = False
        body = {
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
            "ClientId": exchange.client_id,
            "ChallengeResponses": responses,
        }
        return Case.of(
            "RespondToAuthChallenge", body, may_sign_in=holds, label=f"device:{mutation}"
        )

    sessions = st.one_of(
        st.none(),
        st.sampled_from(
            (
                *world.device_sessions, world.mfa_sessions[0], world.expired_session,
                world.used_session, world.new_password_sessions[0], "A" * 40,
            )
        ),
    )  # fmt: skip
    return st.one_of(
        st.builds(
            srp_auth,
            st.sampled_from(("bob", "dave", "alice", "nobody")),
            st.sampled_from((bob.key, dave.key, "us-east-1_" + "0" * 36, "")),
            st.sampled_from((srp_fast.new_ephemeral().public_hex, "0", format(N, "x"), "zz")),
            sessions,
            st.integers(0, 100),
        ),
        st.builds(
            verifier,
            st.integers(0, 50),
            st.sampled_from(
                (
                    "none", "sig-flip", "other-device-key", "other-user", "user-block",
                    "other-device-block", "drop-device-key",
                )
            ),
            st.integers(0, 1000),
        ),
    )  # fmt: skip


# -- tokens -------------------------------------------------------------------------------------
@cache
def _stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pool_key(world: World, name: str) -> Any:
    with sqlite3.connect(world.server.state) as db:
        pem = db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()[0]
    return serialization.load_pem_private_key(bytes(pem), password=None)


def forged_tokens(world: World) -> tuple[tuple[str, str], ...]:
    """(label, token): access tokens nobody with only the JWKS could sign, and odd shapes."""
    real = world.access["victim"]
    header, claims, signature = jwt_parts(real)
    kid = header["kid"]
    none_token = b64url(b'{"alg":"none","typ":"JWT"}') + "." + real.split(".")[1] + "."
    bob_claims = {**claims, "username": "bob"}
    public_pem = (
        _stranger_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    pool_access, pool_id_key = _pool_key(world, "access-key"), _pool_key(world, "id-key")
    nested = b64url(b"[" * 2000 + b"]" * 2000)
    odd_claims: list[dict[str, Any]] = [
        {k: v for k, v in claims.items() if k != "sub"},
        {k: v for k, v in claims.items() if k != "username"},
        {**claims, "exp": "soon"},
        {**claims, "exp": 10**30},
        {**claims, "iat": "x"},
        {**claims, "iss": 5},
        {**claims, "token_use": "id"},
        {**claims, "origin_jti": None},
        {**claims, "sub": ["x"]},
    ]
    tokens = [
        ("alg-none", none_token),
        ("alg-none-sig", none_token + signature),
        ("stranger-key", _rs256(claims, _stranger_key(), kid)),
        ("hs256-confusion", _hs256(claims, public_pem, kid)),
        ("tampered-username", ".".join([real.split(".")[0], b64url(json.dumps(bob_claims).encode()), signature])),  # noqa: E501
        ("id-token", world.id_token),
        ("id-key-access", _rs256(claims, pool_id_key, kid)),
        ("expired", world.expired_access),
        ("revoked", world.revoked_access),
        ("two-parts", ".".join(real.split(".")[:2])),
        ("four-parts", real + ".x"),
        ("nested-header", nested + "." + real.split(".")[1] + "." + signature),
        ("nested-payload", real.split(".")[0] + "." + nested + "." + signature),
        ("truncated", real[:-10]),
        ("empty", ""),
        ("refresh-as-access", world.refresh),
    ]  # fmt: skip
    tokens += [(f"key-holder-{i}", _rs256(c, pool_access, kid)) for i, c in enumerate(odd_claims)]
    return tuple(tokens)


def _rs256(claims: dict[str, Any], key: Any, kid: str) -> str:
    """A compact RS256 JWS over any claims (PyJWT refuses some of the odd ones)."""
    header = b64url(json.dumps({"alg": "RS256", "kid": kid}).encode())
    payload = b64url(json.dumps(claims).encode())
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url(signature)}"


def _hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    import hashlib
    import hmac

    header = b64url(json.dumps({"alg": "HS256", "kid": kid}).encode())
    payload = b64url(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(mac)}"


TOKEN_OPERATIONS = (
    "GetUser", "GetDevice", "ListDevices", "ConfirmDevice", "UpdateDeviceStatus", "ForgetDevice",
    "GlobalSignOut", "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference",
)  # fmt: skip


def token_cases(world: World) -> st.SearchStrategy[Case]:
    forged = forged_tokens(world)
    real = world.refresh

    def access(op: str, index: int, device: str) -> Case:
        label, token = forged[index % len(forged)]
        body = {
            "AccessToken": token,
            "DeviceKey": device,
            "UserCode": "123456",
            "DeviceSecretVerifierConfig": {"Salt": "AAAA", "PasswordVerifier": "AAAA"},
            "SoftwareTokenMfaSettings": {"Enabled": False},
        }
        return Case.of(op, body, label=f"token:{label}")

    def refresh(app_index: int, mutation: int) -> Case:
        app = (world.app, world.secret_app, world.other_app)[app_index]
        token = [
            real, real[:-4], real.replace(".local", ".other"), real + "x", "a.b.c.d.local",
            world.other_refresh, real.upper(), "", "." * 4 + "local", world.access["alice"],
            real.split(".")[0] + "...." + "A" * 60 + ".local",
        ][mutation]  # fmt: skip
        auth = {"REFRESH_TOKEN": token}
        genuine = (token == real and app is world.app) or (
            token == world.other_refresh and app is world.other_app
        )
        body = {"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": app.client_id, "AuthParameters": auth}
        return Case.of("InitiateAuth", body, may_sign_in=genuine, label=f"refresh:{mutation}")

    return st.one_of(
        st.builds(
            access,
            st.sampled_from(TOKEN_OPERATIONS),
            st.integers(0, 100),
            st.sampled_from((world.devices["bob"].key, world.devices["dave"].key, "x")),
        ),
        st.builds(refresh, st.integers(0, 2), st.integers(0, 10)),
    )


# -- session-bound challenges ------------------------------------------------------------------
def session_cases(world: World) -> st.SearchStrategy[Case]:
    sessions = (
        *world.mfa_sessions, world.expired_session, world.used_session,
        *world.device_sessions[:2], world.setup_session, "A" * 40, "A" * 2049, "!" * 30,
        world.mfa_sessions[0][:-4], world.mfa_sessions[0] + "AA",
    )  # fmt: skip
    forbidden = world.valid_codes("carol")
    codes = st.one_of(
        st.sampled_from(("", "12345", "1234567", "abcdef", "12 456", "١٢٣٤٥٦", "12345²")),
        st.integers(0, 999_999).map(lambda n: f"{n:06d}"),
    ).filter(lambda code: code not in forbidden)

    def challenge(name: str, session: str, user: str, code: str, extra: str) -> Case:
        responses = {
            "USERNAME": user,
            "SOFTWARE_TOKEN_MFA_CODE": code,
            "ANSWER": extra,
            "NEW_PASSWORD": extra,
        }
        body = {
            "ChallengeName": name,
            "ClientId": world.app.client_id,
            "Session": session,
            "ChallengeResponses": responses,
        }
        return Case.of("RespondToAuthChallenge", body, label=f"session:{name}")

    def enrol(op: str, session: str, code: str) -> Case:
        return Case.of(op, {"Session": session, "UserCode": code}, label=f"enrol:{op}")

    def new_password(index: int, user: str, password: str) -> Case:
        session = world.new_password_sessions[index % len(world.new_password_sessions)]
        body = {
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "ClientId": world.app.client_id,
            "Session": session,
            "ChallengeResponses": {"USERNAME": user, "NEW_PASSWORD": password},
        }
        # a genuine session of this user is the proof; the new password is not
        return Case.of(
            "RespondToAuthChallenge", body, may_sign_in=user == "temp", label="new-password"
        )

    return st.one_of(
        st.builds(
            challenge,
            st.sampled_from(CHALLENGES),
            st.sampled_from(sessions),
            st.sampled_from(("carol", "alice", "bob", "nobody", "")),
            codes,
            st.sampled_from(("SOFTWARE_TOKEN_MFA", "SMS_MFA", "", "Passw0rd!2", "x" * 300)),
        ),
        st.builds(
            enrol,
            st.sampled_from(("AssociateSoftwareToken", "VerifySoftwareToken")),
            st.sampled_from(sessions),
            codes,
        ),
        st.builds(
            new_password,
            st.integers(0, 5),
            st.sampled_from(("carol", "alice", "nobody")),
            st.sampled_from(("short", "NoDigits!!", "Passw0rd!2")),
        ),
    )


def password_cases(world: World) -> st.SearchStrategy[Case]:
    def build(admin: bool, user: str, password: str, app_index: int) -> Case:
        app = (world.app, world.secret_app, world.other_app)[app_index]
        auth = {"USERNAME": user, "PASSWORD": password}
        body: dict[str, Any] = {"ClientId": app.client_id, "AuthParameters": auth}
        if admin:
            body |= {"AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "UserPoolId": app.pool_id}
        else:
            body["AuthFlow"] = "USER_PASSWORD_AUTH"
        may = password == PASSWORD
        return Case.of(
            "AdminInitiateAuth" if admin else "InitiateAuth", body, may_sign_in=may, label="pw"
        )

    return st.builds(
        build,
        st.booleans(),
        st.sampled_from((*world.users, "ALICE", "nobody", "off", "gone", SURROGATE, "")),
        st.sampled_from((PASSWORD, PASSWORD.lower(), PASSWORD + " ", "", "x" * 300, SURROGATE)),
        st.integers(0, 2),
    )


def all_cases(world: World) -> st.SearchStrategy[Case]:
    return st.one_of(
        raw_bodies(),
        header_cases(world),
        member_cases(world),
        srp_start_cases(world),
        verifier_cases(world),
        device_cases(world),
        token_cases(world),
        session_cases(world),
        password_cases(world),
    )
