"""E-mail MFA with the real ``aws`` command against the pool: the pool configured through the
CLI (EmailConfiguration with SES, set-user-pool-mfa-config --email-mfa-configuration), and the
sign-in's every step through the CLI: EMAIL_OTP with a wrong and a right code, and
SELECT_MFA_TYPE answered EMAIL_OTP. Codes are read from the pool's message sink."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.email_mfa import SES, last_message, other_code
from tests.pool.helpers import enroll_totp, srp_login
from tests.pool.test_aws_cli import Aws, aws_command  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e


def email_pool(aws: Aws, server: PoolServer) -> App:
    """A pool made and set up for e-mail MFA entirely through the CLI."""
    made = aws(
        "create-user-pool", "--pool-name", "cli-email",
        "--email-configuration", json.dumps(SES),
    )  # fmt: skip
    pool_id = made["UserPool"]["Id"]
    config = aws(
        "set-user-pool-mfa-config", "--user-pool-id", pool_id, "--mfa-configuration", "OPTIONAL",
        "--software-token-mfa-configuration", "Enabled=true",
        "--email-mfa-configuration", "Message='Your code is {####}',Subject=Code",
    )  # fmt: skip
    assert config["EmailMfaConfiguration"] == {"Message": "Your code is {####}", "Subject": "Code"}
    return server.add_client(pool_id)


def add_email_user(aws: Aws, server: PoolServer, app: App, name: str, preferred: bool) -> None:
    server.add_user(app, name, attributes={"email": f"{name}@example.com"})
    aws(
        "admin-set-user-mfa-preference", "--user-pool-id", app.pool_id, "--username", name,
        "--email-mfa-settings", f"Enabled=true,PreferredMfa={str(preferred).lower()}",
    )  # fmt: skip


def respond(app: App) -> list[str]:
    return [
        "admin-respond-to-auth-challenge", "--user-pool-id", app.pool_id,
        "--client-id", app.client_id,
    ]  # fmt: skip


def test_email_mfa_through_the_aws_cli(
    aws_command: Path,  # noqa: F811
    local_pool: PoolServer,
    tmp_path: Path,
) -> None:
    aws = Aws(aws_command, local_pool, tmp_path)
    app = email_pool(aws, local_pool)
    add_email_user(aws, local_pool, app, "cli-mail", preferred=True)
    user = aws("admin-get-user", "--user-pool-id", app.pool_id, "--username", "cli-mail")
    assert user["UserMFASettingList"] == ["EMAIL_OTP"]
    challenge = aws(
        "admin-initiate-auth", "--user-pool-id", app.pool_id, "--client-id", app.client_id,
        "--auth-flow", "ADMIN_USER_PASSWORD_AUTH",
        "--auth-parameters", f"USERNAME=cli-mail,PASSWORD={PASSWORD}",
    )  # fmt: skip
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "c***@e***"
    code = last_message(local_pool, app, "cli-mail")["code"]
    answer = [*respond(app), "--challenge-name", "EMAIL_OTP", "--session", challenge["Session"]]
    wrong = aws.run(*answer, "--challenge-responses", json.dumps(
        {"USERNAME": "cli-mail", "EMAIL_OTP_CODE": other_code(code)}
    ))  # fmt: skip
    assert wrong.returncode != 0
    assert "CodeMismatchException" in wrong.stderr
    done = aws(*answer, "--challenge-responses", json.dumps(
        {"USERNAME": "cli-mail", "EMAIL_OTP_CODE": code}
    ))  # fmt: skip
    assert "AccessToken" in done["AuthenticationResult"]


def test_select_mfa_type_chooses_email_through_the_aws_cli(
    aws_command: Path,  # noqa: F811
    local_pool: PoolServer,
    tmp_path: Path,
) -> None:
    aws = Aws(aws_command, local_pool, tmp_path)
    app = email_pool(aws, local_pool)
    add_email_user(aws, local_pool, app, "cli-pick", preferred=False)
    idp = local_pool.client()
    first = srp_login(idp, app, "cli-pick")  # e-mail MFA only, for now
    code = last_message(local_pool, app, "cli-pick")["code"]
    access = idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName="EMAIL_OTP", Session=first["Session"],
        ChallengeResponses={"USERNAME": "cli-pick", "EMAIL_OTP_CODE": code},
    )["AuthenticationResult"]["AccessToken"]  # fmt: skip
    enroll_totp(local_pool, idp, access)
    aws(
        "admin-set-user-mfa-preference", "--user-pool-id", app.pool_id, "--username", "cli-pick",
        "--software-token-mfa-settings", "Enabled=true,PreferredMfa=false",
        "--email-mfa-settings", "Enabled=true,PreferredMfa=false",
    )  # fmt: skip
    select = aws(
        "admin-initiate-auth", "--user-pool-id", app.pool_id, "--client-id", app.client_id,
        "--auth-flow", "ADMIN_USER_PASSWORD_AUTH",
        "--auth-parameters", f"USERNAME=cli-pick,PASSWORD={PASSWORD}",
    )  # fmt: skip
    assert select["ChallengeName"] == "SELECT_MFA_TYPE"
    choices = json.loads(select["ChallengeParameters"]["MFAS_CAN_CHOOSE"])
    assert choices == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    chosen = aws(
        *respond(app), "--challenge-name", "SELECT_MFA_TYPE", "--session", select["Session"],
        "--challenge-responses", json.dumps({"USERNAME": "cli-pick", "ANSWER": "EMAIL_OTP"}),
    )  # fmt: skip
    assert chosen["ChallengeName"] == "EMAIL_OTP"
    code = last_message(local_pool, app, "cli-pick")["code"]
    done = aws(
        *respond(app), "--challenge-name", "EMAIL_OTP", "--session", chosen["Session"],
        "--challenge-responses", json.dumps({"USERNAME": "cli-pick", "EMAIL_OTP_CODE": code}),
    )  # fmt: skip
    assert "IdToken" in done["AuthenticationResult"]
