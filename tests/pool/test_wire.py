"""Errors on the wire: Cognito-shaped for every kind of bad request, never HTML or a crash."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from tests.conftest import PoolServer

pytestmark = pytest.mark.e2e

_SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/cognito-idp"}


def _post(
    server: PoolServer, target: str | None, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], dict[str, Any]]:
    all_headers = {"Content-Type": "application/x-amz-json-1.1", **(headers or {})}
    if target is not None:
        all_headers["X-Amz-Target"] = f"AWSCognitoIdentityProviderService.{target}"
    request = urllib.request.Request(server.url + "/", data=body, headers=all_headers)
    return _open(request)


def _open(request: urllib.request.Request) -> tuple[int, dict[str, str], dict[str, Any]]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def _assert_error(answer: tuple[int, dict[str, str], dict[str, Any]], error_type: str) -> str:
    status, headers, body = answer
    assert status == 400
    assert body["__type"] == error_type
    assert headers["x-amzn-ErrorType"] == f"{error_type}:"
    assert headers["x-amzn-ErrorMessage"] == body["message"]
    assert headers["Content-Type"] == "application/x-amz-json-1.1"
    assert uuid.UUID(headers["x-amzn-RequestId"])
    return str(body["message"])


def test_malformed_json(local_pool: PoolServer) -> None:
    _assert_error(_post(local_pool, "InitiateAuth", b"{not json"), "SerializationException")
    _assert_error(_post(local_pool, "InitiateAuth", b"[1, 2]"), "SerializationException")


def test_unknown_and_missing_targets(local_pool: PoolServer) -> None:
    message = _assert_error(_post(local_pool, "FlyToTheMoon", b"{}"), "UnknownOperationException")
    assert "FlyToTheMoon" in message
    _assert_error(_post(local_pool, None, b"{}"), "UnknownOperationException")
    _assert_error(_post(local_pool, "TagResource", b"{}", _SIGNED), "UnknownOperationException")


def test_unsigned_admin_calls_are_refused(local_pool: PoolServer) -> None:
    body = json.dumps({"PoolName": "x"}).encode()
    message = _assert_error(
        _post(local_pool, "CreateUserPool", body), "MissingAuthenticationTokenException"
    )
    assert message == "Missing Authentication Token"
    status, _, created = _post(local_pool, "CreateUserPool", body, _SIGNED)
    assert status == 200
    assert created["UserPool"]["Id"].startswith("us-east-1_")


def test_missing_and_mistyped_members(local_pool: PoolServer) -> None:
    body = json.dumps({"AuthFlow": "USER_SRP_AUTH"}).encode()
    message = _assert_error(_post(local_pool, "InitiateAuth", body), "InvalidParameterException")
    assert message == (
        "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: "
        "Member must not be null"
    )
    body = json.dumps({"ClientId": 42, "AuthFlow": "USER_SRP_AUTH"}).encode()
    _assert_error(_post(local_pool, "InitiateAuth", body), "InvalidParameterException")
    body = json.dumps({"ClientId": "x" * 500, "AuthFlow": "USER_SRP_AUTH"}).encode()
    message = _assert_error(_post(local_pool, "InitiateAuth", body), "InvalidParameterException")
    assert "length less than or equal to 128" in message


def test_unknown_client_and_pool(local_pool: PoolServer) -> None:
    body = json.dumps({"ClientId": "nope", "AuthFlow": "USER_SRP_AUTH"}).encode()
    message = _assert_error(_post(local_pool, "InitiateAuth", body), "ResourceNotFoundException")
    assert message == "User pool client nope does not exist."
    body = json.dumps({"UserPoolId": "us-east-1_nothere"}).encode()
    message = _assert_error(
        _post(local_pool, "DescribeUserPool", body, _SIGNED), "ResourceNotFoundException"
    )
    assert message == "User pool us-east-1_nothere does not exist."


def test_oversized_body(local_pool: PoolServer) -> None:
    body = json.dumps({"ClientId": "x", "Pad": "y" * 400_000}).encode()
    _assert_error(_post(local_pool, "InitiateAuth", body), "InvalidParameterException")


def test_other_paths_and_methods_answer_json(local_pool: PoolServer) -> None:
    for path in ("/", "/nowhere"):
        answer = _open(urllib.request.Request(local_pool.url + path, method="GET"))
        _assert_error(answer, "UnknownOperationException")
    assert local_pool.get_json("/health")["status"] == "ok"


def test_cors_for_browser_sdks(local_pool: PoolServer) -> None:
    preflight = urllib.request.Request(
        local_pool.url + "/",
        method="OPTIONS",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-amz-target,content-type,x-amz-user-agent",
        },
    )
    with urllib.request.urlopen(preflight, timeout=30) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        allowed = response.headers["Access-Control-Allow-Headers"]
        assert allowed == "x-amz-target,content-type,x-amz-user-agent"
    _, headers, _ = _post(local_pool, "InitiateAuth", b"{}")
    assert "x-amzn-ErrorType" in headers["Access-Control-Expose-Headers"]
