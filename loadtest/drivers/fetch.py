"""Performing Fetch effects (managed login, the OAuth endpoints) over a transport, recorded.

The HTTP flows (:mod:`loadtest.flows.hosted`) yield :class:`~loadtest.flows.effects.Fetch`
effects; :func:`run_fetches` performs each with a blocking (or gevent-cooperative) ``send`` and
reports it as a :class:`~loadtest.drivers.events.CallEvent` named by its step (``POST /login``),
so a managed-login sign-in gives the same :class:`~loadtest.drivers.LoginRecord` as an API login:
server time per step, outcomes, and throttles by quota category (the report reads the label).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from typing import TypeVar, cast
from urllib.parse import urlencode

from loadtest.flows.effects import Effect, Fetch, Flow, Page, UnexpectedResponse
from loadtest.protocol.errors import TooManyRequests, TransportError
from loadtest.protocol.quotas import DOMAIN_LIMIT_HEADER, DomainLimit, DomainThrottled

from .events import Reporter, call_event

__all__ = ["FetchSend", "fetch_url", "page_of", "run_fetches", "step_error"]

T = TypeVar("T")
#: Sends one request: (method, url, headers, form body or None) -> the Page that came back.
FetchSend = Callable[[str, str, dict[str, str], dict[str, str] | None], Page]
_LIMIT_HEADER = DOMAIN_LIMIT_HEADER.lower()
_DOMAIN_LIMITS = frozenset(limit.value for limit in DomainLimit)


def fetch_url(base_url: str, fetch: Fetch) -> str:
    """The absolute URL of a Fetch on the domain at ``base_url``."""
    url = f"{base_url.rstrip('/')}/{fetch.endpoint}"
    return f"{url}?{urlencode(fetch.query)}" if fetch.query else url


def page_of(status: int, headers: Iterable[tuple[str, str]], body: bytes) -> Page:
    """A Page from an answer's status, header pairs (repeated Set-Cookie kept) and body."""
    cookies: SimpleCookie = SimpleCookie()
    location = limit = None
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookies.load(value)
        elif name.lower() == "location":
            location = value
        elif name.lower() == _LIMIT_HEADER:
            limit = value
    return Page(
        status=status,
        location=location,
        cookies={key: morsel.value for key, morsel in cookies.items()},
        body=body.decode("utf-8", "replace"),
        domain_limit=limit,
    )


def step_error(fetch: Fetch, page: Page) -> BaseException | None:
    """How a step's answer counts: 429 is a throttle (by the domain limit it names, if any),
    another 4xx/5xx a failed step."""
    if page.status == 429:
        if page.domain_limit in _DOMAIN_LIMITS:
            return DomainThrottled(DomainLimit(page.domain_limit))
        return TooManyRequests("Rate exceeded")
    if page.status >= 400:
        return UnexpectedResponse(fetch.label, f"HTTP {page.status}")
    return None


def run_fetches(flow: Flow[T], send: FetchSend, base_url: str, reporter: Reporter) -> T:
    """Drive an HTTP flow, timing and reporting each Fetch (see the module's docstring).

    Any flow is accepted (a catalogue entry's, typed as one) but its effects must all be
    Fetches: a Call or Compute here is a bug, a :class:`TypeError`."""

    def perform(effect: Effect) -> Page:
        if not isinstance(effect, Fetch):
            raise TypeError(f"an HTTP flow yielded a {type(effect).__name__}, not a Fetch")
        form = None if effect.form is None else dict(effect.form)
        start = time.perf_counter()
        try:
            page = send(effect.method, fetch_url(base_url, effect), dict(effect.headers), form)
        except TransportError as exc:
            elapsed = (time.perf_counter() - start) * 1000
            reporter(call_event(effect.label, str(effect.endpoint), elapsed, 0, exc))
            raise
        elapsed = (time.perf_counter() - start) * 1000
        error = step_error(effect, page)
        reporter(call_event(effect.label, str(effect.endpoint), elapsed, len(page.body), error))
        return page

    try:
        page = perform(next(flow))
        while True:
            page = perform(flow.send(page))
    except StopIteration as done:
        return cast(T, done.value)
