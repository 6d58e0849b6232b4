"""``provision`` against the local pool over HTTP: users that really log in, secrets kept."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from loadtest.flows import Note, load_identities
from loadtest.provision.cli import main
from loadtest.target.launch import free_port
from tests.conftest import App, StartPool

from .helpers import lines, login_all, provision, secrets_of, usernames

pytestmark = pytest.mark.e2e


def test_200_users_with_totp_and_devices_all_log_in_skipping_mfa(
    pool_server: StartPool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL", device_tracking=True)
    path = tmp_path / "big.jsonl"

    assert provision(server, app, path, 200, "--no-rate-limits", "--concurrency", "12") == 0

    identities = load_identities(path)
    names = [i.username for i in identities]
    assert len(names) == 200
    assert set(names) == {f"lt-big-{i:05d}" for i in range(1, 201)}
    assert sorted(usernames(server, app, "lt-big-")) == sorted(names)
    assert all(i.totp_secret and i.device for i in identities)
    results = login_all(server, app, identities)
    assert all(Note.DEVICE_AUTH in r.notes and Note.TOTP_SENT not in r.notes for r in results)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    output = capsys.readouterr()
    assert "done: 200/200 users" in output.out
    leaked = [s for s in secrets_of(path) if s in output.out + output.err]
    assert leaked == []


def test_totp_only_users_log_in_with_a_code_at_once(pool_server: StartPool, tmp_path: Path) -> None:
    """Enrollment used the previous step's code, so the current step is free for a login."""
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL", device_tracking=True)
    path = tmp_path / "totp.jsonl"

    assert provision(server, app, path, 4, "--no-device") == 0

    identities = load_identities(path)
    assert all(i.totp_secret and i.device is None for i in identities)
    results = login_all(server, app, identities)
    assert all(r.challenges == ("PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA") for r in results)


def test_low_quotas_on_the_pool_still_complete_without_errors(
    pool_server: StartPool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Client pacing at Cognito's defaults (25-50 RPS) against a pool admitting 5 RPS: the
    throttles are retried with backoff and the limits adapt, so every user is made."""
    server = pool_server(
        "--quota", "UserCreation=5",
        "--quota", "UserResourceUpdate=5",
        "--quota", "UserAccountRecovery=5",
    )  # fmt: skip
    app = server.provision(mfa="OPTIONAL", device_tracking=True)
    path = tmp_path / "low.jsonl"

    assert provision(server, app, path, 10) == 0

    output = capsys.readouterr()
    assert "failed:" not in output.err
    assert "done: 10/10 users" in output.out
    assert sorted(usernames(server, app, "lt-low-")) == sorted(e["username"] for e in lines(path))
    results = login_all(server, app, load_identities(path))
    assert all(Note.DEVICE_AUTH in r.notes for r in results)


def test_a_pool_that_cannot_hold_the_users_is_refused_up_front(
    pool_server: StartPool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = pool_server("--no-quotas")
    no_devices = server.provision(mfa="OPTIONAL", device_tracking=False)
    no_mfa = server.provision(mfa="OFF", device_tracking=True)

    email_id = server.client().create_user_pool(PoolName="email", UsernameAttributes=["email"])
    by_email = App(pool_id=email_id["UserPool"]["Id"], client_id="unused")

    assert provision(server, no_devices, tmp_path / "a.jsonl", 3) == 2
    assert provision(server, no_mfa, tmp_path / "b.jsonl", 3) == 2
    assert provision(server, by_email, tmp_path / "c.jsonl", 3, "--no-totp", "--no-device") == 2

    err = capsys.readouterr().err
    assert "does not remember devices" in err
    assert "MFA off" in err
    assert "signs users in by email: synthetic users need plain user names" in err
    assert usernames(server, no_devices) == usernames(server, no_mfa) == []
    assert not (tmp_path / "a.jsonl").exists()  # refused before anything started


def test_an_existing_user_on_a_new_file_is_an_error_not_a_deletion(
    pool_server: StartPool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL", device_tracking=True)
    server.add_user(app, "lt-clash-00002", "Someone-else's-1")

    assert provision(server, app, tmp_path / "clash.jsonl", 3, "--no-rate-limits") == 1

    assert "lt-clash-00002: failed: UsernameExistsException" in capsys.readouterr().err
    assert sorted(e["username"] for e in lines(tmp_path / "clash.jsonl")) == [
        "lt-clash-00001",
        "lt-clash-00003",
    ]
    idp = server.client()
    assert idp.admin_get_user(UserPoolId=app.pool_id, Username="lt-clash-00002")


def test_an_app_client_with_a_secret(pool_server: StartPool, tmp_path: Path) -> None:
    """SECRET_HASH on every user-side step, from --client-secret."""
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL", device_tracking=True, secret=True)
    assert app.client_secret
    path = tmp_path / "secret.jsonl"

    assert provision(server, app, path, 3, "--client-secret", app.client_secret) == 0

    results = login_all(server, app, load_identities(path))
    assert all(Note.DEVICE_AUTH in r.notes for r in results)


def test_an_unreachable_endpoint_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/"  # a port nothing listens on
    target = ["--pool-id", "us-east-1_Nowhere1", "--endpoint-url", url]
    path = tmp_path / "nowhere.jsonl"

    provision_argv = ["provision", "-n", "1", "--identities", str(path), "--client-id", "c"]
    assert main([*provision_argv, *target]) == 2
    assert main(["teardown", "--prefix", "lt-nowhere-", *target]) == 2

    err = capsys.readouterr().err
    assert "provision: cannot read user pool us-east-1_Nowhere1: EndpointConnectionError" in err
    assert "teardown: EndpointConnectionError" in err
    assert not path.exists()


def test_a_pool_requiring_mfa_enrolls_during_the_first_sign_in(
    pool_server: StartPool, tmp_path: Path
) -> None:
    server = pool_server("--no-quotas")
    app = server.provision(mfa="ON", device_tracking=True)
    path = tmp_path / "required.jsonl"

    assert provision(server, app, path, 3) == 0

    identities = load_identities(path)
    assert all(i.totp_secret and i.device for i in identities)
    results = login_all(server, app, identities)
    assert all(Note.DEVICE_AUTH in r.notes and Note.TOTP_SENT not in r.notes for r in results)


def test_users_failed_by_server_faults_are_redone_by_running_again(
    pool_server: StartPool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """8 % of the answers of four steps are 500s: some users fail, each rerun finishes more,
    none is doubled. (Not DescribeUserPool: a fault there refuses the whole run, exit 2.)"""
    steps = ("AdminCreateUser", "AdminSetUserPassword", "ConfirmDevice", "VerifySoftwareToken")
    faults = [arg for step in steps for arg in ("--fault", f"5xx@0.08/{step}")]
    server = pool_server("--no-quotas", *faults, "--seed", "5")
    app = server.provision(mfa="OPTIONAL", device_tracking=True)
    path = tmp_path / "faulty.jsonl"

    codes = []
    for _ in range(12):
        codes.append(provision(server, app, path, 40, "--no-rate-limits"))
        if codes[-1] == 0:
            break

    assert codes[0] == 1  # 160 faultable calls at 8 %: a first run without one is ~1 in 10^6
    assert codes[-1] == 0, codes
    assert set(codes[:-1]) == {1}
    names = [entry["username"] for entry in lines(path)]
    assert len(names) == len(set(names)) == 40
    assert sorted(usernames(server, app, "lt-faulty-")) == sorted(names)
    assert "failed: InternalErrorException" in capsys.readouterr().err
