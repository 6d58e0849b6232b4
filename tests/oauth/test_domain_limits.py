"""A user-pool domain's bulk request-rate limits on the local pool, per source IP, per app client
and per domain (the quotas page's 300 / 300 / 500 requests/s; here set near zero so a bucket
holds one request and the next is throttled). Requests come from two loopback source addresses,
127.0.0.1 and 127.0.0.2, both to the pool on 127.0.0.1."""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlencode, urlparse

import pytest

from loadtest.drivers.events import call_event
from loadtest.drivers.fetch import page_of, step_error
from loadtest.flows.effects import Fetch
from loadtest.protocol.errors import TooManyRequests
from loadtest.protocol.names import Endpoint
from loadtest.protocol.quotas import (
    DOMAIN_LIMIT_HEADER,
    DOMAIN_LIMITS,
    DomainLimit,
    DomainThrottled,
)
from loadtest.report.aggregate import Aggregate
from loadtest.report.events import steps_of
from tests.conftest import PoolServer, StartPool
from tests.oauth.conftest import Hosted, hosted_pool

ALMOST_NONE = "0.001"


def _get(hosted: Hosted, path: str, *, source: str = "127.0.0.1") -> tuple[int, str]:
    """GET a domain path from ``source`` (a loopback address); status and body."""
    status, body, _ = _get_named(hosted, path, source=source)
    return status, body


def _get_named(
    hosted: Hosted, path: str, *, source: str = "127.0.0.1"
) -> tuple[int, str, str | None]:
    """GET a domain path; status, body and the domain limit the answer names."""
    url = urlparse(hosted.server.url)
    web = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30,
                                     source_address=(source, 0))  # fmt: skip
    try:
        web.request("GET", f"/domain/{hosted.setup.domain}{path}")
        answer = web.getresponse()
        return answer.status, answer.read().decode(), answer.getheader(DOMAIN_LIMIT_HEADER)
    finally:
        web.close()


def _login_page(hosted: Hosted) -> str:
    query = {
        "response_type": "code",
        "client_id": hosted.setup.code_client_id,
        "redirect_uri": hosted.setup.callback_url,
    }
    return f"/login?{urlencode(query)}"


def _client_credentials(hosted: Hosted) -> tuple[int, dict[str, str]]:
    url = urlparse(hosted.server.url)
    pair = f"{hosted.setup.m2m_client_id}:{hosted.setup.m2m_client_secret}".encode()
    web = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    try:
        web.request(
            "POST",
            f"/domain/{hosted.setup.domain}/oauth2/token",
            body="grant_type=client_credentials",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "Basic " + base64.b64encode(pair).decode(),
            },
        )
        answer = web.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        web.close()


def test_the_documented_limits_are_the_defaults() -> None:
    assert (DOMAIN_LIMITS.per_ip, DOMAIN_LIMITS.per_client, DOMAIN_LIMITS.per_domain) == (
        300,
        300,
        500,
    )


def test_one_app_client_is_limited_in_a_domain_and_others_are_not(
    pool_server: StartPool,
) -> None:
    hosted = hosted_pool(pool_server("--domain-client-rps", ALMOST_NONE), totp=False)
    assert _get(hosted, _login_page(hosted))[0] == 200
    status, body = _get(hosted, _login_page(hosted))
    assert status == 429
    assert "Rate exceeded" in body
    assert _client_credentials(hosted)[0] == 200  # another client of the same domain
    assert _client_credentials(hosted) == (429, {"error": "too_many_requests"})


def test_one_source_ip_is_limited_and_another_is_not(pool_server: StartPool) -> None:
    hosted = hosted_pool(pool_server("--domain-ip-rps", ALMOST_NONE), totp=False)
    assert _get(hosted, _login_page(hosted))[0] == 200
    assert _get(hosted, _login_page(hosted))[0] == 429
    assert _get(hosted, _login_page(hosted), source="127.0.0.2")[0] == 200


def test_the_domain_is_limited_whatever_the_source_and_another_domain_is_not(
    pool_server: StartPool,
) -> None:
    server: PoolServer = pool_server("--domain-rps", ALMOST_NONE)
    hosted, other = hosted_pool(server, totp=False), hosted_pool(server, totp=False)
    assert _get(hosted, _login_page(hosted))[0] == 200
    assert _get(hosted, _login_page(hosted), source="127.0.0.2")[0] == 429
    assert _get(other, _login_page(other))[0] == 200


@pytest.mark.parametrize(
    ("option", "limit"),
    [
        ("--domain-ip-rps", DomainLimit.PER_IP),
        ("--domain-client-rps", DomainLimit.PER_CLIENT),
        ("--domain-rps", DomainLimit.PER_DOMAIN),
    ],
)
def test_a_throttle_names_its_limit_and_a_report_counts_it_there(
    pool_server: StartPool, option: str, limit: DomainLimit
) -> None:
    """The limit is named in the answer's header, so a report counts the throttle under the
    limit, not under the call's quota category (or ``unknown`` for a page view)."""
    hosted = hosted_pool(pool_server(option, ALMOST_NONE), totp=False)
    assert _get_named(hosted, _login_page(hosted))[0] == 200
    status, _, named = _get_named(hosted, _login_page(hosted))
    assert (status, named) == (429, limit.value)
    fetch = Fetch(method="GET", endpoint=Endpoint.LOGIN, label="GET /login", detail="page")
    error = step_error(fetch, page_of(429, [(DOMAIN_LIMIT_HEADER, named)], b"Rate exceeded"))
    assert isinstance(error, DomainThrottled)
    assert error.limit is limit
    steps = steps_of([call_event("POST /login", "login", 3.0, 0, error)])
    assert steps[0]["quota"] == limit.value
    aggregate = Aggregate()
    aggregate.add_login(
        {"flow": "login:managed_login", "outcome": "throttled", "total_ms": 3.0,
         "server_ms": 3.0, "compute_ms": 0.0, "steps": steps}
    )  # fmt: skip
    assert dict(aggregate.counts["throttles"]) == {limit.value: 1}


def test_a_throttle_without_a_named_limit_stays_a_category_throttle() -> None:
    fetch = Fetch(method="POST", endpoint=Endpoint.LOGIN, label="POST /login")
    for headers in ([], [(DOMAIN_LIMIT_HEADER, "not a limit")]):
        error = step_error(fetch, page_of(429, headers, b""))
        assert isinstance(error, TooManyRequests)
        assert not isinstance(error, DomainThrottled)
        assert "quota" not in steps_of([call_event("POST /login", "login", 1.0, 0, error)])[0]
