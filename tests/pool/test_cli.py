"""``pool serve`` options: parsing into settings, loopback-only binding."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from loadtest.cli import build_parser, main
from loadtest.pool.cli import settings_from_args
from loadtest.pool.faults import FaultKind
from loadtest.pool.server import LoopbackOnly, check_host
from loadtest.protocol.quotas import QuotaCategory


def test_options_become_settings(tmp_path: object) -> None:
    args = build_parser().parse_args(
        [
            "pool", "serve", "--port", "0", "--state", f"{tmp_path}/s.db", "--workers", "2",
            "--time-scale", "0.01", "--lockout-threshold", "3", "--lockout-cap", "60",
            "--quota", "UserAuthentication=200", "--fault", "throttle@0.1",
            "--fault", "stall:1s+2s", "--freeze-clock",
        ]
    )  # fmt: skip
    settings = settings_from_args(args)
    assert settings.workers == 2
    assert settings.lockout.threshold == 3
    assert settings.lockout.cap == 60.0
    assert settings.lockout.scale.seconds(900) == pytest.approx(9.0)
    assert settings.quotas.rps[QuotaCategory.USER_AUTHENTICATION] == 200
    assert settings.quotas.rps[QuotaCategory.USER_RESOURCE_UPDATE] == 25
    assert settings.faults[0].kind is FaultKind.THROTTLE
    assert settings.stalls[0].duration == 2.0
    assert settings.test_clock
    assert settings.freeze_clock


def test_bad_quota_is_refused(tmp_path: object) -> None:
    args = build_parser().parse_args(["pool", "serve", "--quota", "Nope=3"])
    with pytest.raises(ValueError, match="CATEGORY=RPS"):
        settings_from_args(args)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_hosts_are_allowed(host: str) -> None:
    check_host(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_other_hosts_need_allow_remote(host: str) -> None:
    with pytest.raises(LoopbackOnly):
        check_host(host, allow_remote=False)
    check_host(host, allow_remote=True)


def test_serve_refuses_a_public_bind(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["pool", "serve", "--host", "0.0.0.0", "--state", f"{tmp_path}/s.db"])
    assert code == 2
    assert "not a loopback address" in capsys.readouterr().err


def test_the_state_and_its_log_are_private_even_if_made_loose_before(tmp_path: Path) -> None:
    from loadtest.target.launch import local_admin_client, local_pool

    state = tmp_path / "pool.sqlite"
    state.touch(mode=0o644)
    state.chmod(0o644)
    with local_pool(state) as pool:
        admin = local_admin_client(pool.url)
        admin.create_user_pool(PoolName="private")  # a write, so the WAL files exist
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert {"pool.sqlite", "pool.sqlite-wal", "pool.log"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


def test_a_pool_with_no_user_pool_says_where_to_get_one(tmp_path: Path) -> None:
    """A plain ``pool serve`` on a new state only said it listened, and the next command
    failed on a missing pool id: it now says, on stderr, how to get a pool. Once the state
    holds one, it says nothing more than its readiness line."""
    from loadtest.target.launch import local_admin_client, local_pool

    state = tmp_path / "pool.sqlite"
    log = tmp_path / "pool.log"
    with local_pool(state) as pool:
        admin = local_admin_client(pool.url)
        assert admin.list_user_pools(MaxResults=10)["UserPools"] == []  # answered: announced
        first = log.read_text()
        assert f"no user pool in {state} yet: 'cognito-loadtest pool serve --bootstrap DIR'" in (
            first
        )
        assert f"or create yours at {pool.url.rstrip('/')} (CreateUserPool" in first
        admin.create_user_pool(PoolName="mine")
    seen = len(log.read_text())
    with local_pool(state) as pool:
        assert len(local_admin_client(pool.url).list_user_pools(MaxResults=10)["UserPools"]) == 1
        assert "no user pool" not in log.read_text()[seen:]


def test_a_port_in_use_is_said_in_one_line_with_the_way_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        state = str(tmp_path / "pool.sqlite3")
        assert main(["pool", "serve", "--port", str(port), "--state", state]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"cognito-loadtest pool serve: 127.0.0.1:{port} is in use (another pool serve?): "
        "--port N serves on another, --port 0 on a free one"
    ]
