"""A user-pool domain's bulk request-rate limits on the local pool, per source IP, per app client
and per domain (the quotas page's 300 / 300 / 500 requests/s; here set near zero so a bucket
holds one request and the next is throttled). Requests come from two loopback source addresses,
127.0.0.1 and 127.0.0.2, both to the pool on 127.0.0.1."""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlencode, urlparse

from loadtest.protocol.quotas import DOMAIN_LIMITS
from tests.conftest import PoolServer, StartPool
from tests.oauth.conftest import Hosted, hosted_pool

ALMOST_NONE = "0.001"


def _get(hosted: Hosted, path: str, *, source: str = "127.0.0.1") -> tuple[int, str]:
    """GET a domain path from ``source`` (a loopback address); status and body."""
    url = urlparse(hosted.server.url)
    web = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30,
                                     source_address=(source, 0))  # fmt: skip
    try:
        web.request("GET", f"/domain/{hosted.setup.domain}{path}")
        answer = web.getresponse()
        return answer.status, answer.read().decode()
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
