"""One test per pool bug the fuzzer found: each request used to get a 500 or no answer."""

from __future__ import annotations

import socket
import sqlite3
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization

from tests.conftest import PoolServer
from tests.pool.helpers import enroll_totp, srp_login, tokens

from .cases import _rs256
from .harness import Case, Sender, judge
from .world import b64url, jwt_parts

pytestmark = pytest.mark.e2e


def _answer(server: PoolServer, *cases: Case) -> list[tuple[int | None, dict[str, object]]]:
    """Send the cases one after another on ONE keep-alive connection; all must be judged ok."""
    sender = Sender(server.url, threads=1)
    try:
        answers = [sender.send(case) for case in cases]
    finally:
        sender.close()
    problems = [judge(case, answer) for case, answer in zip(cases, answers, strict=True)]
    assert [p for p in problems if p] == []
    return [(a.status, a.json()) for a in answers]


def test_deeply_nested_json_is_a_serialization_error(local_pool: PoolServer) -> None:
    """json.loads raised RecursionError, which the pool answered with a 500."""
    for body in (b"[" * 100_000, b'{"a":' * 5_000, b'{"AuthParameters":' + b"[" * 3000):
        [(status, answer)] = _answer(local_pool, Case("InitiateAuth", body))
        assert (status, answer["__type"]) == (400, "SerializationException")


def test_lone_surrogates_are_refused_before_they_reach_sqlite(local_pool: PoolServer) -> None:
    """ "\\ud800" parsed, then crashed SQLite (UnicodeEncodeError) or the error's own echo."""
    app = local_pool.provision()
    body = {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": app.client_id,
        "AuthParameters": {"USERNAME": "\ud800", "PASSWORD": "x"},
    }
    [(status, answer)] = _answer(local_pool, Case.of("InitiateAuth", body))
    assert (status, answer["__type"]) == (400, "SerializationException")


def test_undecodable_body_answers_and_closes_the_connection_cleanly(
    local_pool: PoolServer,
) -> None:
    """Content-Encoding: gzip on a plain body: a 500, then the next call on the connection died."""
    gzip = Case("GetUser", b'{"AccessToken": "x"}', headers=(("Content-Encoding", "gzip"),))
    oversized = Case("GetUser", b'{"AccessToken": "' + b"x" * 300_000 + b'"}')
    after = Case.of("GetUser", {"AccessToken": "x"})
    answers = _answer(local_pool, gzip, after, oversized, after)
    assert [(s, a["__type"]) for s, a in answers] == [
        (400, "SerializationException"),
        (400, "NotAuthorizedException"),
        (400, "InvalidParameterException"),
        (400, "NotAuthorizedException"),
    ]


def test_malformed_access_tokens_are_invalid_not_a_crash(local_pool: PoolServer) -> None:
    """Nested JSON in a token part, or our own signature over missing or mistyped claims."""
    app = local_pool.provision()
    local_pool.add_user(app, "claims")
    real = tokens(local_pool.client(), app, "claims")["AccessToken"]
    header, claims, signature = jwt_parts(real)
    with sqlite3.connect(local_pool.state) as db:
        pem = db.execute("SELECT value FROM meta WHERE key = 'access-key'").fetchone()[0]
    key = serialization.load_pem_private_key(bytes(pem), password=None)
    nested = b64url(b"[" * 2000 + b"]" * 2000)
    odd = [
        {k: v for k, v in claims.items() if k != "sub"},
        {k: v for k, v in claims.items() if k != "username"},
        {**claims, "exp": "soon"},
        {**claims, "iat": "x"},
        {**claims, "iss": 5},
        {**claims, "device_key": ["x"]},
    ]
    forged = [
        nested + "." + real.split(".")[1] + "." + signature,
        real.split(".")[0] + "." + nested + "." + signature,
        *(_rs256(c, key, header["kid"]) for c in odd),
    ]
    cases = [Case.of("GetUser", {"AccessToken": token}) for token in forged]
    for status, answer in _answer(local_pool, *cases):
        assert (status, answer) == (
            400,
            {"__type": "NotAuthorizedException", "message": "Invalid Access Token"},
        )
    [(status, user)] = _answer(local_pool, Case.of("GetUser", {"AccessToken": real}))
    assert status == 200
    assert user["Username"] == "claims"


@pytest.mark.parametrize(
    ("operation", "settings"),
    [
        # AdminCreateUser then built a temporary password of 10**30 characters: the worker hung
        ("CreateUserPool", {"Policies": {"PasswordPolicy": {"MinimumLength": 10**30}}}),
        # these were stored, then every later call on the pool or client was a 500
        ("CreateUserPool", {"Policies": "strict"}),
        ("CreateUserPool", {"UsernameAttributes": 5}),
        ("CreateUserPool", {"DeviceConfiguration": "on"}),
        ("CreateUserPoolClient", {"AccessTokenValidity": "x"}),
        ("CreateUserPoolClient", {"AccessTokenValidity": 10**20}),
        (
            "CreateUserPoolClient",
            {"AccessTokenValidity": 1, "TokenValidityUnits": {"AccessToken": "weeks"}},
        ),
        ("CreateUserPoolClient", {"ExplicitAuthFlows": [{}]}),
    ],
)
def test_unusable_settings_are_refused_when_set(
    local_pool: PoolServer, operation: str, settings: dict[str, object]
) -> None:
    app = local_pool.provision()
    body = {"PoolName": "p", "ClientName": "c", "UserPoolId": app.pool_id, **settings}
    [(status, answer)] = _answer(local_pool, Case.of(operation, body))
    assert (status, answer["__type"]) == (400, "InvalidParameterException")
    user = {"UserPoolId": app.pool_id, "Username": "after", "MessageAction": "SUPPRESS"}
    [(status, _)] = _answer(local_pool, Case.of("AdminCreateUser", user))
    assert status == 200


HTTP_GARBAGE = (
    b"GARBAGE\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " + b"A" * 100_000 + b"\r\n\r\n",
    b"POST / HTTP/1.1\r\n" + b"X-H: y\r\n" * 10_000 + b"\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}",  # body never completes
    b"POST /\x00 HTTP/1.1\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64),  # a TLS ClientHello
)


@pytest.mark.parametrize("raw", HTTP_GARBAGE, ids=range(len(HTTP_GARBAGE)))
def test_http_level_garbage_gets_a_4xx_or_a_close_and_the_pool_serves_on(
    local_pool: PoolServer, raw: bytes
) -> None:
    """Below the API: broken HTTP is aiohttp's to refuse (plain 4xx, not Cognito's shape)."""
    parts = urlsplit(local_pool.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)  # a half-sent request must not hold the worker
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    if answer:
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, answer[:200]
    [(status, _)] = _answer(local_pool, Case.of("GetUser", {"AccessToken": "x"}))
    assert status == 400


#: Six characters for which ``str.isdigit()`` holds but that are not ASCII digits.
UNICODE_DIGITS = ("١٢٣٤٥٦", "１２３４５６", "12345²")


def test_non_ascii_digits_in_a_totp_code_are_a_wrong_code(local_pool: PoolServer) -> None:
    """``"١٢٣٤٥٦".isdigit()`` is True, so the code reached ``hmac.compare_digest``, which raises
    TypeError on non-ASCII text: a 500 for SOFTWARE_TOKEN_MFA and VerifySoftwareToken (seen
    in CI as 3 x InternalErrorException with a genuine SOFTWARE_TOKEN_MFA Session)."""
    app = local_pool.provision(mfa="OPTIONAL")
    local_pool.add_user(app, "digits")
    idp = local_pool.client()
    access = tokens(idp, app, "digits")["AccessToken"]
    enroll_totp(local_pool, idp, access)
    session = srp_login(idp, app, "digits")["Session"]
    answers = _answer(
        local_pool,
        *(
            Case.of(
                "RespondToAuthChallenge",
                {
                    "ChallengeName": "SOFTWARE_TOKEN_MFA",
                    "ClientId": app.client_id,
                    "Session": session,
                    "ChallengeResponses": {"USERNAME": "digits", "SOFTWARE_TOKEN_MFA_CODE": code},
                },
            )
            for code in UNICODE_DIGITS
        ),
    )
    assert [(s, a["__type"]) for s, a in answers] == [(400, "CodeMismatchException")] * 3
    idp.associate_software_token(AccessToken=access)  # a pending secret to verify against
    verify = [
        Case.of("VerifySoftwareToken", {"AccessToken": access, "UserCode": code})
        for code in UNICODE_DIGITS
    ]
    answers = _answer(local_pool, *verify)
    assert [(s, a["__type"]) for s, a in answers] == [(400, "EnableSoftwareTokenMFAException")] * 3


def test_non_ascii_digits_in_a_pagination_token_are_refused(local_pool: PoolServer) -> None:
    """``"²".isdigit()`` is True but ``int("²")`` raises ValueError: ListUserPools, ListUsers
    and ListDevices answered such a token with a 500."""
    app = local_pool.provision()
    local_pool.add_user(app, "pages")
    access = tokens(local_pool.client(), app, "pages")["AccessToken"]
    for token in ("²", "١"):
        pools, users, devices = _answer(
            local_pool,
            Case.of("ListUserPools", {"MaxResults": 5, "NextToken": token}),
            Case.of("ListUsers", {"UserPoolId": app.pool_id, "PaginationToken": token}),
            Case.of("ListDevices", {"AccessToken": access, "PaginationToken": token}),
        )
        assert [(s, a.get("__type")) for s, a in (pools, users)] == [
            (400, "InvalidParameterException")
        ] * 2
        assert devices == (200, {"Devices": []})  # an unreadable token starts from the top


@pytest.mark.parametrize(
    "policies", [None, {"SignInPolicy": None}, {"PasswordPolicy": None, "SignInPolicy": {}}]
)
def test_null_sign_in_policy_members_read_as_unset(
    local_pool: PoolServer, policies: object
) -> None:
    """Validation took a null Policies or SignInPolicy as unset, but the pool description read
    it with ``.get(name, {})``, got None and answered CreateUserPool with a 500."""
    [(status, created)] = _answer(
        local_pool, Case.of("CreateUserPool", {"PoolName": "nulls", "Policies": policies})
    )
    assert status == 200
    pool = created["UserPool"]
    assert isinstance(pool, dict)
    [(status, described)] = _answer(
        local_pool, Case.of("DescribeUserPool", {"UserPoolId": pool["Id"]})
    )
    assert status == 200
    for answer in (pool, described["UserPool"]):
        assert isinstance(answer, dict)
        assert answer["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}
