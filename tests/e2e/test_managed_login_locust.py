"""End to end: Locust runs of the managed-login and client-credentials users against a local
pool with a domain, bounded in users and seconds; no unexpected failure, every step named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from loadtest.provision.oauth import provision_oauth
from tests.conftest import StartPool
from tests.e2e.locust_runs import PASSWORD, LocustRun, provision, run_locust
from tests.security.scan import JWT

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

pytestmark = pytest.mark.e2e


def _run(
    name: str, env: dict[str, str], workdir: Path, users: int, seconds: int, host: str
) -> LocustRun:
    """run_locust on a locustfile by path (the scenario table lists API flows only)."""
    run_dir = workdir / name
    run_dir.mkdir()
    return run_locust(
        str(SCENARIOS / f"{name}.py"),
        env,
        run_dir,
        users=users,
        seconds=seconds,
        extra=("--host", host),
    )


STEPS = (
    "GET /oauth2/authorize",
    "GET /login",
    "POST /login",
    "POST /mfa",
    "POST /oauth2/token:authorization_code",
)


def test_managed_login_and_m2m_users_run_without_failures(
    pool_server: StartPool, tmp_path: Path
) -> None:
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL")
    setup = provision_oauth(server.client(), app.pool_id, domain="lt-locust")
    identities = tmp_path / "ids.jsonl"
    ids = provision(server, app, 12, identities, totp=True)
    env = {
        "COGNITO_DOMAIN_URL": f"{server.url}/domain/{setup.domain}",
        "COGNITO_OAUTH_CLIENT_ID": setup.code_client_id,
        "COGNITO_OAUTH_IDENTITIES": str(identities),
        "COGNITO_M2M_CLIENT_ID": setup.m2m_client_id,
        "COGNITO_M2M_CLIENT_SECRET": setup.m2m_client_secret,
    }
    hosted = _run("managed_login", env, tmp_path, 3, 6, server.url)
    assert hosted.failures == {}, hosted.output[-3000:]
    logins = hosted.logins("login:managed_login", "ok")
    assert logins >= 3, hosted.output[-3000:]
    assert hosted.logins("login:managed_login") == logins  # no other outcome
    for step in STEPS:  # each step a request event named by it, never a whole login
        assert logins <= hosted.count("cognito", step) <= logins + 3, step
        # Locust's last count is the report's: the ok logins' steps and those of a login the
        # stop cut short (recorded as stopped)
        steps = _steps(hosted, step)
        assert (
            hosted.final_count("cognito", step)
            == steps
            == hosted.summary["requests"][step]["count"]
        )
    assert hosted.count("login", "login:managed_login") == 0
    event = hosted.login_events()[0]
    assert [s["label"] for s in event["steps"]] == list(STEPS)
    assert 0 < event["server_ms"] <= event["total_ms"]
    summary = hosted.summary
    assert summary["requests"]["POST /login"]["quota_category"] == "UserAuthentication"
    m2m = _run("client_credentials", env, tmp_path, 2, 4, server.url)
    assert m2m.failures == {}, m2m.output[-3000:]
    uncached = m2m.logins("login:client_credentials", "ok")
    cached = m2m.logins("login:client_credentials:cached", "ok")
    posted = m2m.count("cognito", "POST /oauth2/token:client_credentials")
    assert uncached > 10
    assert cached > 10
    cached_calls = [e["calls"] for e in m2m.login_events() if e["flow"].endswith(":cached")]
    assert sum(cached_calls) == 1  # the cached user asked once, then reused its token
    # Locust's table and the report close apart by the logins in flight at the stop; its last
    # count is the report's (a login the stop cut short is recorded as stopped)
    assert abs(posted - (uncached + 1)) <= 4
    token = "POST /oauth2/token:client_credentials"
    assert (
        m2m.final_count("cognito", token)
        == _steps(m2m, token)
        == m2m.summary["requests"][token]["count"]
    )
    assert m2m.summary["requests"]["POST /oauth2/token:client_credentials"]["quota_category"] == (
        "ClientAuthentication"
    )
    secrets = [setup.m2m_client_secret, PASSWORD] + [i.totp_secret or "" for i in ids]
    files = [
        f
        for f in tmp_path.rglob("*")
        if f.is_file() and f != identities and f.suffix in {".csv", ".json", ".jsonl", ".html"}
    ]
    written = hosted.output + m2m.output + "".join(f.read_text() for f in files)
    assert not [s for s in secrets if s and s in written]  # no secret in output or reports
    # nor a token: the scan's JWT pattern (header and payload), not a bare "eyJ", which a
    # random base64 blob such as an encoded histogram can hold
    assert JWT.findall(written) == []


def _steps(run: LocustRun, label: str) -> int:
    """How many calls labelled ``label`` the run's login events hold (stopped ones included)."""
    return sum(s.get("label") == label for e in run.login_events() for s in e["steps"])


def _mixed(server: Any, app: Any, folder: Path, name: str) -> Path:
    """An identities file of three TOTP users and three with no second factor."""
    parts = [folder / f"{name}-{kind}.jsonl" for kind in ("totp", "plain")]
    provision(server, app, 3, parts[0], totp=True, prefix=f"{name}-totp")
    provision(server, app, 3, parts[1], totp=False, prefix=f"{name}-plain")
    path = folder / f"{name}.jsonl"
    path.write_text("".join(p.read_text() for p in parts))
    path.chmod(0o600)
    return path


def _labels(event: dict[str, Any]) -> list[str]:
    return [str(step["label"]) for step in event["steps"] if "label" in step]


def test_each_sign_in_user_runs_its_entry_or_its_fallback_by_the_catalogue_rule(
    pool_server: StartPool, tmp_path: Path
) -> None:
    """One file of TOTP and no-MFA identities: ManagedLoginUser signs in only the TOTP ones
    (each sign-in passes the TOTP page its profile counts); ManagedLoginPasswordUser signs in
    the others without it and, by its fallback, the TOTP ones with it, all under its event."""
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL")
    setup = provision_oauth(server.client(), app.pool_id, domain="lt-rule")
    env = {
        "COGNITO_DOMAIN_URL": f"{server.url}/domain/{setup.domain}",
        "COGNITO_OAUTH_CLIENT_ID": setup.code_client_id,
    }
    runs = {}
    for scenario in ("managed_login", "managed_login_password"):  # files apart: steps unspent
        ids = _mixed(server, app, tmp_path, scenario)
        runs[scenario] = _run(scenario, env | {"COGNITO_OAUTH_IDENTITIES": str(ids)},
                              tmp_path, 2, 4, server.url)  # fmt: skip
    for scenario, ran in runs.items():
        assert ran.failures == {}, ran.output[-3000:]
        assert {e["flow"] for e in ran.login_events()} == {f"login:{scenario}"}
    totp = [_labels(e) for e in runs["managed_login"].login_events()]
    assert totp
    assert all(labels == list(STEPS) for labels in totp)  # no sign-in without the TOTP page
    both = [_labels(e) for e in runs["managed_login_password"].login_events()]
    plain = [s for s in STEPS if s != "POST /mfa"]
    assert any(labels == plain for labels in both)
    assert any(labels == list(STEPS) for labels in both)  # the fallback: managed_login
    assert all(labels in (plain, list(STEPS)) for labels in both)
