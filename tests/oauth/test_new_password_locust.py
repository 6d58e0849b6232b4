"""End to end: the Locust user of managed login without a second factor
(``ManagedLoginPasswordUser``) completes it for users with a temporary password
(AdminCreateUser's), as an administrator-created user's first sign-in does: the new-password
page takes a generated password, the identity keeps it, and its later sign-ins go straight
through the form with it. Bounded in users and seconds, against a local pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.flows import Identity, dump_identities
from loadtest.flows.account import GENERATED_PASSWORD
from loadtest.provision.oauth import provision_oauth
from tests.conftest import StartPool
from tests.e2e.locust_runs import PASSWORD, run_locust

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "managed_login_password.py"
USERS = 4
NEW_PASSWORD_STEP = "POST /forceChangePassword"

pytestmark = pytest.mark.e2e


def test_the_locust_user_sets_a_new_password_once_per_identity_and_keeps_it(
    pool_server: StartPool, tmp_path: Path
) -> None:
    server = pool_server("--no-quotas")
    app = server.provision(mfa="OPTIONAL")
    setup = provision_oauth(server.client(), app.pool_id, domain="lt-temporary")
    names = [f"temporary{index}" for index in range(USERS)]
    for name in names:
        server.add_user(app, name, PASSWORD, permanent=False)
    identities = tmp_path / "ids.jsonl"
    dump_identities([Identity(username=name, password=PASSWORD) for name in names], identities)
    env = {
        "COGNITO_DOMAIN_URL": f"{server.url}/domain/{setup.domain}",
        "COGNITO_OAUTH_CLIENT_ID": setup.code_client_id,
        "COGNITO_OAUTH_IDENTITIES": str(identities),
    }
    run = run_locust(str(SCENARIO), env, tmp_path, users=2, seconds=4,
                     extra=("--host", server.url))  # fmt: skip
    assert run.failures == {}, run.output[-3000:]
    # each identity met the page once; every later sign-in used the password it set there
    # (the temporary one would now be refused: no failure says none was sent again)
    assert run.final_count("cognito", NEW_PASSWORD_STEP) == USERS, run.output[-3000:]
    logins = run.logins("login:managed_login_password", "ok")
    assert logins > USERS, run.output[-3000:]
    assert run.logins("login:managed_login_password") == logins  # no other outcome
    first = [e for e in run.login_events() if NEW_PASSWORD_STEP in _labels(e)]
    assert len(first) == USERS
    assert _labels(first[0]) == [
        "GET /oauth2/authorize",
        "GET /login",
        "POST /login",
        NEW_PASSWORD_STEP,
        "POST /oauth2/token:authorization_code",
    ]
    idp = server.client()
    for name in names:
        user = idp.admin_get_user(UserPoolId=app.pool_id, Username=name)
        assert user["UserStatus"] == "CONFIRMED"
    reports = [
        f
        for f in tmp_path.rglob("*")
        if f.is_file() and f != identities and f.suffix in {".csv", ".json", ".jsonl", ".html"}
    ]
    written = run.output + "".join(f.read_text() for f in reports)
    assert GENERATED_PASSWORD.findall(written) == []  # the new passwords stay in memory
    assert PASSWORD not in written


def _labels(event: dict[str, object]) -> list[str]:
    steps = event["steps"]
    assert isinstance(steps, list)
    return [str(step["label"]) for step in steps if "label" in step]
