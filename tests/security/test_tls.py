"""TLS certificate verification stays on for real endpoints, in every client we build.

Each client is built for AWS's regional https endpoint and inspected, never connected: the
urllib3 pool (sync driver), geventhttpclient (the Locust users), aiohttp (asyncio driver: the
provisioning flows and the lockout probe) and the aioboto3 admin client (provision, teardown).
A source scan backs them up: no code path may turn verification off.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from pathlib import Path
from typing import Any

import pytest

from loadtest.drivers import AiohttpTransport, Urllib3Transport
from loadtest.locust.driver import GeventTransport
from loadtest.provision.clients import admin_client
from loadtest.target.config import TargetConfig

AWS = "https://cognito-idp.eu-west-1.amazonaws.com/"
ROOT = Path(__file__).resolve().parents[2]


def assert_verifying(context: ssl.SSLContext) -> None:
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_the_urllib3_transport_verifies_certificates_and_hostnames() -> None:
    transport = Urllib3Transport(AWS)
    pool: Any = transport._pool.connection_from_url(AWS)
    connection: Any = pool._new_conn()  # not connected: only its settings are read
    assert connection.cert_reqs in (None, "CERT_REQUIRED", ssl.CERT_REQUIRED)
    assert connection.assert_hostname is not False
    assert connection.ssl_context is None or connection.ssl_context.verify_mode == ssl.CERT_REQUIRED
    transport.close()


def test_the_gevent_transport_of_the_locust_users_verifies() -> None:
    transport = GeventTransport(AWS)
    pool: Any = transport._client._connection_pool
    assert pool.insecure is False
    assert pool.ssl_options["cert_reqs"] == ssl.CERT_REQUIRED
    assert_verifying(pool.ssl_context)
    transport.close()


def test_the_aiohttp_transport_verifies() -> None:
    async def connector_ssl() -> Any:
        transport = AiohttpTransport(AWS)
        session = transport._open()
        try:
            return session.connector._ssl  # type: ignore[union-attr]
        finally:
            await transport.close()

    setting = asyncio.run(connector_ssl())
    assert setting is True or (isinstance(setting, ssl.SSLContext) and setting.check_hostname)


def test_the_admin_client_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    # credentials from the environment, so building the client asks no metadata service
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    target = TargetConfig.from_settings(
        {"pool_id": "eu-west-1_AbC", "client_id": "c1", "endpoint_url": "aws"}
    )

    async def verify_setting() -> Any:
        async with admin_client(target, connections=4) as client:
            assert client.meta.endpoint_url == AWS
            return client._endpoint.http_session._verify

    verify = asyncio.run(verify_setting())
    assert verify is True or (isinstance(verify, str) and Path(verify).is_file())  # a CA bundle


#: Ways to turn verification off, in any library we use.
_INSECURE = re.compile(
    r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context"
    r"|insecure\s*=\s*True|ssl\s*=\s*False|verify_ssl\s*=\s*False|cert_reqs\s*=\s*['\"]?CERT_NONE"
    r"|PYTHONHTTPSVERIFY|disable_warnings"
)


def test_no_code_path_turns_verification_off() -> None:
    sources = [*ROOT.glob("loadtest/**/*.py"), *ROOT.glob("scenarios/*.py")]
    sources += [*ROOT.glob("srp_fast/**/*.py")]
    assert len(sources) > 50
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if _INSECURE.search(line)
    ]
    assert hits == []
