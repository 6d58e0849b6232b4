"""Target settings validation and the identity pool (no Locust process needed)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from loadtest.flows import Identity, step_of
from loadtest.flows.identities import IdentityPool, NoIdentityAvailable, partition
from loadtest.target.config import ConfigError, TargetConfig, check_reachable
from loadtest.target.launch import free_port
from loadtest.target.options import settings_from

T0 = datetime(2026, 3, 5, 9, 4, 11, tzinfo=UTC)


def settings(**overrides: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "pool_id": "us-east-1_AbCdEfGhI",
        "client_id": "1example23456789",
    }
    return base | overrides


def test_minimal_settings_default_region_and_the_local_pool() -> None:
    config = TargetConfig.from_settings(settings())
    assert config.region == "us-east-1"
    assert config.endpoint_url == "http://127.0.0.1:9229/"
    assert config.is_loopback
    assert config.app_client.pool_name == "AbCdEfGhI"


def test_aws_selects_the_regional_endpoint() -> None:
    config = TargetConfig.from_settings(settings(endpoint_url="AWS"))
    assert config.endpoint_url == "https://cognito-idp.us-east-1.amazonaws.com/"
    assert not config.is_loopback


def test_local_endpoint_and_secret(tmp_path: Path) -> None:
    ids = tmp_path / "ids.jsonl"
    ids.write_text("")
    config = TargetConfig.from_settings(
        settings(
            endpoint_url="http://127.0.0.1:9229",
            client_secret="s3cr3t",
            identities=str(ids),
        )
    )
    assert config.endpoint_url == "http://127.0.0.1:9229/"
    assert config.is_loopback
    assert config.app_client.secret_hash("u")
    assert "s3cr3t" not in repr(config)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pool_id": None}, "missing user pool id"),
        ({"pool_id": "  "}, "missing user pool id"),
        ({"pool_id": "AbCdEfGhI"}, "malformed user pool id"),
        ({"client_id": None}, "missing app client id"),
        ({"client_id": "bad id!"}, "malformed app client id"),
        ({"region": "eu-west-1"}, "does not match the pool id's region"),
        ({"region": "Mars"}, "malformed region"),
        ({"endpoint_url": "ftp://x/"}, "malformed endpoint URL"),
        ({"endpoint_url": "http://127.0.0.1:99999/"}, "bad port"),
        ({"identities": "/nonexistent/ids.jsonl"}, "does not exist"),
    ],
)
def test_bad_settings_are_named(overrides: dict[str, str | None], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TargetConfig.from_settings(settings(**overrides))


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        TargetConfig.from_settings({})
    assert "pool id" in str(caught.value)
    assert "client id" in str(caught.value)


def test_settings_come_from_options_then_environment() -> None:
    class Options:
        cognito_pool_id = "us-east-1_FromCli"
        cognito_client_id = None

    environ = {"COGNITO_POOL_ID": "us-east-1_FromEnv", "COGNITO_CLIENT_ID": "envclient"}
    found = settings_from(Options(), environ)
    assert found["pool_id"] == "us-east-1_FromCli"
    assert found["client_id"] == "envclient"
    assert settings_from(None, environ)["pool_id"] == "us-east-1_FromEnv"


def test_an_unreachable_endpoint_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unreachable"):
        check_reachable(f"http://127.0.0.1:{free_port()}/", timeout=1)


def test_a_listening_endpoint_is_reachable() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_reachable(f"http://127.0.0.1:{server.getsockname()[1]}/", timeout=1)


def people(n: int, totp: bool = False) -> list[Identity]:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" if totp else None
    return [Identity(username=f"u{i}", password="p", totp_secret=secret) for i in range(n)]


def test_an_identity_is_leased_to_one_user_at_a_time() -> None:
    pool = IdentityPool(people(2))
    first, second = pool.lease(T0), pool.lease(T0)
    assert first is not second
    with pytest.raises(NoIdentityAvailable) as caught:
        pool.lease(T0)
    assert caught.value.retry_in is not None
    pool.release(first)
    assert pool.lease(T0) is first


def test_released_identities_go_to_the_back() -> None:
    a, b = people(2)
    pool = IdentityPool([a, b])
    pool.release(pool.lease(T0))
    assert pool.lease(T0) is b


def test_a_totp_identity_waits_for_the_next_step() -> None:
    (identity,) = people(1, totp=True)
    pool = IdentityPool([identity])
    leased = pool.lease(T0)
    leased.use_totp_step(step_of(T0))
    pool.release(leased)
    with pytest.raises(NoIdentityAvailable) as caught:
        pool.lease(T0)
    wait = caught.value.retry_in
    assert wait is not None
    assert step_of(T0 + timedelta(seconds=wait)) == step_of(T0) + 1
    assert pool.lease(T0 + timedelta(seconds=wait)) is identity


def test_a_login_that_sends_no_code_does_not_wait_for_the_step() -> None:
    (identity,) = people(1, totp=True)
    identity.last_totp_step = step_of(T0)
    pool = IdentityPool([identity])
    assert pool.lease(T0, needs_step=lambda _: False) is identity


def test_a_user_class_that_fits_no_identity_is_told_never() -> None:
    pool = IdentityPool(people(2))
    with pytest.raises(NoIdentityAvailable) as caught:
        pool.lease(T0, lambda identity: identity.totp_secret is not None)
    assert caught.value.retry_in is None


def test_releasing_a_stranger_is_refused() -> None:
    pool = IdentityPool(people(1))
    with pytest.raises(ValueError, match="not leased"):
        pool.release(people(1)[0])


def test_partition_gives_each_worker_a_disjoint_share() -> None:
    everyone = people(7)
    shares = [partition(everyone, i, 3) for i in range(3)]
    assert sorted(i.username for share in shares for i in share) == sorted(
        i.username for i in everyone
    )
    assert [len(s) for s in shares] == [3, 2, 2]
    with pytest.raises(ValueError, match="out of range"):
        partition(everyone, 3, 3)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.2:9229/", "http://[::1]:9229/", "http://localhost:9229/",
     "http://10.0.0.5:9229/", "https://localhost.example.com/"],
)  # fmt: skip
def test_the_target_is_local_exactly_when_the_safety_rails_say_so(url: str) -> None:
    from loadtest.target.safety import is_local_endpoint

    config = TargetConfig.from_settings(settings(endpoint_url=url))
    assert config.is_loopback is is_local_endpoint(url)
    assert config.is_loopback is (
        url.startswith(("http://127.", "http://[::1]", "http://localhost:"))
    )
