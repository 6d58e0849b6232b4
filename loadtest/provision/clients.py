"""The two ways provisioning talks to a pool, both paced by one :class:`Limiter`.

- :class:`Admin`: Admin* calls (AdminCreateUser, AdminSetUserPassword, AdminDeleteUser,
  ListUsers, DescribeUserPool) through an aioboto3 client, signed with the usual AWS
  credentials chain (dummy credentials for a loopback endpoint, so real ones never reach the
  local pool). botocore's ``ClientError`` becomes the typed error of
  :mod:`loadtest.protocol.errors` at this boundary.
- :class:`PacedTransport`: wraps the asyncio transport the :class:`~loadtest.drivers.AsyncDriver`
  uses for the user-side flows (sign-in, TOTP enrollment, devices), so each call waits for its
  category's slot and a throttled one is retried: the flows and drivers stay unchanged.

SDK retries are off (``total_max_attempts=1``): the limiter retries throttles itself, and
counts them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from loadtest.drivers import AsyncTransport, RawResponse
from loadtest.protocol.errors import (
    CognitoError,
    ConnectionFailed,
    TooManyRequests,
    TransportError,
    error_class,
)
from loadtest.protocol.names import TARGET_PREFIX, Operation
from loadtest.protocol.quotas import CHALLENGE_OPERATIONS, QuotaCategory, category_of
from loadtest.protocol.wire import decode_response
from loadtest.target.config import TargetConfig
from loadtest.target.launch import LOCAL_CREDENTIALS

from .ratelimit import Limiter

__all__ = ["LOCAL_CREDENTIALS", "Admin", "PacedTransport", "admin_client"]

CALL_TIMEOUT = 30.0


@asynccontextmanager
async def admin_client(target: TargetConfig, *, connections: int) -> AsyncIterator[Any]:
    """An aioboto3 ``cognito-idp`` client for the target, SDK retries off, bounded timeouts."""
    import aioboto3
    from botocore.config import Config

    credentials = LOCAL_CREDENTIALS if target.is_loopback else {}
    session = aioboto3.Session(region_name=target.region, **credentials)
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=10,
        read_timeout=CALL_TIMEOUT,
        max_pool_connections=max(10, connections),
    )
    async with session.client(
        "cognito-idp", endpoint_url=target.endpoint_url, config=config
    ) as client:
        yield client


class Admin:
    """Admin* calls on one user pool, paced by category, throttles retried, errors typed."""

    def __init__(self, client: Any, limiter: Limiter, pool_id: str) -> None:
        self._client, self._limiter, self.pool_id = client, limiter, pool_id

    async def call(self, operation: Operation, **params: Any) -> dict[str, Any]:
        """Call ``operation`` with ``UserPoolId`` and ``params``; returns its answer."""
        from botocore import xform_name

        method = getattr(self._client, xform_name(str(operation)))

        async def attempt() -> dict[str, Any]:
            return await _typed(method(UserPoolId=self.pool_id, **params))

        return await self._limiter.run(category_of(operation), attempt)


async def _typed(pending: Any) -> dict[str, Any]:
    """Await a botocore call; its errors become :mod:`loadtest.protocol.errors` types."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer: dict[str, Any] = await pending
    except ClientError as exc:
        error = exc.response.get("Error", {})
        request_id = exc.response.get("ResponseMetadata", {}).get("RequestId")
        kind = error_class(str(error.get("Code", "CognitoException")))
        raise kind(str(error.get("Message", "")), request_id=request_id) from None
    except BotoCoreError as exc:
        raise ConnectionFailed(f"{type(exc).__name__}: {exc}") from None
    return answer


class PacedTransport:
    """An :class:`AsyncTransport` that paces each call by its quota category and retries
    throttled ones (the answer's ``TooManyRequestsException``), via the shared limiter."""

    def __init__(self, inner: AsyncTransport, limiter: Limiter) -> None:
        self._inner, self._limiter = inner, limiter
        self.url = inner.url

    async def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse:
        async def attempt() -> RawResponse:
            raw = await self._inner.post(headers, body)
            if raw.status == 400 and _is_throttle(raw):
                raise TooManyRequests("Rate exceeded")
            return raw

        return await self._limiter.run(_category(headers, body), attempt)

    async def close(self) -> None:
        await self._inner.close()


def _is_throttle(raw: RawResponse) -> bool:
    try:
        decode_response(raw.status, raw.headers, raw.body)
    except TooManyRequests:
        return True
    except (CognitoError, TransportError):
        return False
    return False


def _category(headers: Mapping[str, str], body: bytes) -> QuotaCategory | None:
    """The quota category of a request, from its target header (and ChallengeName)."""
    target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), "")
    try:
        operation = Operation(target.removeprefix(TARGET_PREFIX + "."))
    except ValueError:
        return None
    challenge = None
    if operation in CHALLENGE_OPERATIONS:
        challenge = json.loads(body).get("ChallengeName")
    try:
        return category_of(operation, challenge)
    except KeyError:
        return None
