"""Transports: POST one AWS JSON 1.1 request, return the raw answer.

A transport knows sockets and nothing of Cognito beyond "POST bytes to the endpoint"; the
drivers encode, decode and time. The gevent transport is Locust's
(:mod:`loadtest.locust.driver`). Every failure before a complete answer is translated here into
:class:`~loadtest.protocol.errors.ConnectionFailed`. No transport retries.

- :class:`Urllib3Transport`: blocking, for the sync driver (urllib3 comes with botocore);
- :class:`AiohttpTransport`: for the asyncio driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import urllib3

from loadtest.protocol.errors import ConnectionFailed

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "AiohttpTransport",
    "AsyncTransport",
    "RawResponse",
    "Transport",
    "Urllib3Transport",
]

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RawResponse:
    """An HTTP answer: status, headers, full body."""

    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)


class Transport(Protocol):
    """A blocking (or gevent-cooperative) transport."""

    url: str

    def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    """An asyncio transport."""

    url: str

    async def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse: ...

    async def close(self) -> None: ...


class Urllib3Transport:
    """Plain blocking HTTP(S) through a urllib3 pool, retries and redirects off."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT, maxsize: int = 10) -> None:
        self.url = url
        self._pool = urllib3.PoolManager(
            maxsize=maxsize, retries=False, timeout=urllib3.Timeout(total=timeout)
        )

    def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse:
        try:
            answer = self._pool.request(
                "POST", self.url, body=body, headers=dict(headers), redirect=False
            )
        except urllib3.exceptions.HTTPError as exc:
            raise ConnectionFailed(f"POST {self.url}: {exc}") from exc
        return RawResponse(status=answer.status, headers=dict(answer.headers), body=answer.data)

    def close(self) -> None:
        self._pool.clear()


class AiohttpTransport:
    """aiohttp's client session (created lazily inside the running loop)."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT, limit: int = 100) -> None:
        self.url = url
        self._timeout, self._limit = timeout, limit
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
        return self._session

    async def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse:
        import aiohttp

        session = self._open()
        try:
            async with session.post(
                self.url, data=body, headers=dict(headers), allow_redirects=False
            ) as answer:
                data = await answer.read()
                return RawResponse(status=answer.status, headers=dict(answer.headers), body=data)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ConnectionFailed(f"POST {self.url}: {exc!r}") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
