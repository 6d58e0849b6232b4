"""Malformed input to every operation: always a Cognito-shaped 4xx answer, never a 500."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

import pytest

from loadtest.pool.operations import HANDLERS
from tests.conftest import PoolServer

pytestmark = pytest.mark.e2e

_MEMBERS = (
    "UserPoolId", "ClientId", "Username", "AuthFlow", "AuthParameters", "ChallengeName",
    "ChallengeResponses", "Session", "AccessToken", "UserCode", "DeviceKey", "PoolName",
    "ClientName", "Password", "Permanent", "MaxResults", "Limit", "UserAttributes",
    "SoftwareTokenMfaSettings", "DeviceSecretVerifierConfig", "DeviceRememberedStatus",
    "ExplicitAuthFlows", "MfaConfiguration", "Filter", "PaginationToken", "NextToken",
)  # fmt: skip
_VALUES: tuple[Any, ...] = (None, 1, -1, True, "", "x", "us-east-1_abc", [], {}, [1], {"a": 1})


def _bodies() -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = [{}]
    for member in _MEMBERS:
        bodies.extend({member: value} for value in _VALUES)
    bodies.append({m: "us-east-1_abc" for m in _MEMBERS})
    bodies.append({"ClientId": "x", "AuthFlow": "USER_SRP_AUTH", "AuthParameters": {"SRP_A": 1}})
    bodies.append(
        {"ClientId": "x", "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": {"a": []}}
    )
    return bodies


class _Client:
    """One keep-alive connection to the pool for the ~22,000 requests (a connection each cost
    this test more client CPU than the pool spent answering)."""

    def __init__(self, url: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        self._connection = http.client.HTTPConnection(parsed.netloc, timeout=30)

    def status(self, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        headers = {
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/cognito-idp",
        }
        self._connection.request("POST", "/", body=json.dumps(body).encode(), headers=headers)
        response = self._connection.getresponse()
        answer = json.loads(response.read())
        if response.will_close:
            self._connection.close()  # the next request opens a new one
        return response.status, answer

    def close(self) -> None:
        self._connection.close()


def test_no_operation_crashes_on_malformed_members(local_pool: PoolServer) -> None:
    bodies = _bodies()
    crashes = []
    client = _Client(local_pool.url)
    try:
        for operation in sorted(HANDLERS):
            for body in bodies:
                status, answer = client.status(str(operation), body)
                if status >= 500 or (status != 200 and "__type" not in answer):
                    crashes.append((str(operation), body, status, answer))
    finally:
        client.close()
    assert crashes == []
