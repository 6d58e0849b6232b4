"""The gevent driver and transport: the drivers' blocking loop, made cooperative for Locust.

:class:`GeventTransport` is geventhttpclient (the client under Locust's FastHttpUser): it
yields to the hub while it waits for the network. :class:`GeventDriver` is the sync driver with
Compute effects on native threads (:func:`srp_fast.offload.gevent_math_executor`) and a
cooperative sleep between retries, so the hub keeps serving sockets while maths runs.
:class:`GeventFetchDriver` runs the HTTP flows (Fetch effects) over :class:`GeventFetcher`.
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from concurrent.futures import Executor
from typing import TypeVar
from urllib.parse import urlencode, urlsplit

import gevent
from geventhttpclient import HTTPClient

from loadtest.drivers.common import NO_RETRY, RetryPolicy, Signer
from loadtest.drivers.events import Reporter
from loadtest.drivers.fetch import page_of, run_fetches
from loadtest.drivers.sync import SyncDriver
from loadtest.drivers.transport import DEFAULT_TIMEOUT, RawResponse, Transport
from loadtest.flows.effects import Flow, Page
from loadtest.protocol.errors import ConnectionFailed
from srp_fast.offload import gevent_math_executor

__all__ = ["GeventDriver", "GeventFetchDriver", "GeventFetcher", "GeventTransport"]

T = TypeVar("T")


class GeventTransport:
    """geventhttpclient, the client under Locust's FastHttpUser: cheap and cooperative."""

    def __init__(
        self, url: str, *, timeout: float = DEFAULT_TIMEOUT, concurrency: int = 10
    ) -> None:
        self.url = url
        parts = urlsplit(url)
        self._path = parts.path or "/"
        self._client = HTTPClient(
            parts.hostname or "127.0.0.1",
            port=parts.port,
            ssl=parts.scheme == "https",
            connection_timeout=timeout,
            network_timeout=timeout,
            concurrency=concurrency,
        )

    def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse:
        try:
            answer = self._client.request("POST", self._path, body=body, headers=dict(headers))
            data = answer.read()
            status, answer_headers = answer.status_code, dict(answer.items())
            answer.release()
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # HTTPException: geventhttpclient's HTTPConnectionClosed / HTTPParseError, i.e. a
            # connection dropped before a whole answer; without it a drop escaped uncounted.
            # Not gevent.Timeout: the client's own timeouts are socket.timeout (an OSError),
            # so a Timeout here came from outside the login and stops it (``stopped``)
            raise ConnectionFailed(f"POST {self.url}: {exc!r}") from exc
        return RawResponse(status=status, headers=answer_headers, body=data)

    def close(self) -> None:
        self._client.close()


class GeventFetcher:
    """Performs the HTTP flows' Fetch effects over geventhttpclient (a ``FetchSend``): no
    redirects followed and no cookie jar, since the flows keep their cookies themselves."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        parts = urlsplit(url)
        self._client = HTTPClient(
            parts.hostname or "127.0.0.1",
            port=parts.port,
            ssl=parts.scheme == "https",
            connection_timeout=timeout,
            network_timeout=timeout,
            concurrency=1,
        )

    def __call__(
        self, method: str, url: str, headers: dict[str, str], form: dict[str, str] | None
    ) -> Page:
        body = None if form is None else urlencode(form).encode()
        if body is not None:
            headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        try:
            answer = self._client.request(method, path, body=body, headers=headers)
            data = answer.read()
            page = page_of(answer.status_code, list(answer.items()), data)
            answer.release()
        except (OSError, ValueError, http.client.HTTPException) as exc:  # not gevent.Timeout
            raise ConnectionFailed(f"{method} {url}: {exc!r}") from exc
        return page

    def close(self) -> None:
        self._client.close()


class GeventFetchDriver:
    """Runs an HTTP flow (managed login, client credentials) against a user-pool domain: its
    Fetch effects over a :class:`GeventFetcher`, each timed and reported like an API call
    (:func:`loadtest.drivers.fetch.run_fetches`). The HTTP counterpart of
    :meth:`GeventDriver.run`, so a user runs either kind of flow the same way."""

    def __init__(self, domain_url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.domain_url = domain_url.rstrip("/")
        self.fetcher = GeventFetcher(self.domain_url, timeout=timeout)

    def run(self, flow: Flow[T], *, reporter: Reporter | None = None) -> T:
        """Perform the flow's Fetches, one after the other; the flow's result."""
        return run_fetches(flow, self.fetcher, self.domain_url, reporter or _ignore)

    def close(self) -> None:
        self.fetcher.close()


def _ignore(_event: object) -> None:
    """A reporter that keeps nothing."""


class GeventDriver(SyncDriver):
    """The sync driver with gevent defaults: native-thread maths and a cooperative sleep."""

    def __init__(
        self,
        transport: Transport,
        *,
        reporter: Reporter | None = None,
        executor: Executor | None = None,
        signer: Signer | None = None,
        retry: RetryPolicy = NO_RETRY,
    ) -> None:

        super().__init__(
            transport,
            reporter=reporter,
            executor=executor if executor is not None else gevent_math_executor(),
            signer=signer,
            retry=retry,
            sleep=gevent.sleep,
        )
