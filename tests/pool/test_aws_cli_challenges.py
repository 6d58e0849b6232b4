"""SMS_MFA, SELECT_MFA_TYPE and CUSTOM_AUTH with the real ``aws`` command against the pool.

Setup goes through boto3 (faster); every sign-in step goes through the AWS CLI, codes are read
from the pool's message sink and custom answers computed by the example trigger's ``solve``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import srp_fast
from scenarios.triggers import captcha
from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import enroll_totp, srp_responses, tokens
from tests.pool.test_aws_cli import Aws, aws_command  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e

PHONE = "+15550100177"


def sms_pool(server: PoolServer) -> tuple[Any, App]:
    idp, app = server.client(), server.provision(mfa="OPTIONAL")
    idp.set_user_pool_mfa_config(
        UserPoolId=app.pool_id, SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"}
    )
    return idp, app


def last_code(server: PoolServer, app: App, name: str) -> str:
    found = server.get_json(f"/_pool/messages?username={name}&pool_id={app.pool_id}")
    return str(found["messages"][-1]["code"])


def responses(**values: str) -> str:
    return json.dumps(values)


def test_sms_mfa_through_the_aws_cli(
    aws_command: Path,  # noqa: F811
    local_pool: PoolServer,
    tmp_path: Path,
) -> None:
    aws = Aws(aws_command, local_pool, tmp_path)
    _, app = sms_pool(local_pool)
    local_pool.add_user(app, "cli-sms", attributes={"phone_number": PHONE})
    aws(
        "admin-set-user-mfa-preference", "--user-pool-id", app.pool_id, "--username", "cli-sms",
        "--sms-mfa-settings", "Enabled=true,PreferredMfa=true",
    )  # fmt: skip
    login = [
        "admin-initiate-auth", "--user-pool-id", app.pool_id, "--client-id", app.client_id,
        "--auth-flow", "ADMIN_NO_SRP_AUTH",
        "--auth-parameters", f"USERNAME=cli-sms,PASSWORD={PASSWORD}",
    ]  # fmt: skip
    challenge = aws(*login)
    assert challenge["ChallengeName"] == "SMS_MFA"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0177"
    code = last_code(local_pool, app, "cli-sms")
    respond = [
        "admin-respond-to-auth-challenge", "--user-pool-id", app.pool_id,
        "--client-id", app.client_id, "--challenge-name", "SMS_MFA",
        "--session", challenge["Session"],
    ]  # fmt: skip
    wrong = aws.run(*respond, "--challenge-responses", responses(
        USERNAME="cli-sms", SMS_MFA_CODE=f"{(int(code) + 1) % 1_000_000:06d}"
    ))  # fmt: skip
    assert wrong.returncode != 0
    assert "CodeMismatchException" in wrong.stderr
    done = aws(*respond, "--challenge-responses", responses(USERNAME="cli-sms", SMS_MFA_CODE=code))
    assert "AccessToken" in done["AuthenticationResult"]


def test_select_mfa_type_through_the_aws_cli(
    aws_command: Path,  # noqa: F811
    local_pool: PoolServer,
    tmp_path: Path,
) -> None:
    aws = Aws(aws_command, local_pool, tmp_path)
    idp, app = sms_pool(local_pool)
    local_pool.add_user(app, "cli-two", attributes={"phone_number": PHONE})
    enroll_totp(local_pool, idp, tokens(idp, app, "cli-two")["AccessToken"])
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id,
        Username="cli-two",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    select = aws(
        "admin-initiate-auth", "--user-pool-id", app.pool_id, "--client-id", app.client_id,
        "--auth-flow", "ADMIN_USER_PASSWORD_AUTH",
        "--auth-parameters", f"USERNAME=cli-two,PASSWORD={PASSWORD}",
    )  # fmt: skip
    assert select["ChallengeName"] == "SELECT_MFA_TYPE"
    assert json.loads(select["ChallengeParameters"]["MFAS_CAN_CHOOSE"]) == [
        "SMS_MFA",
        "SOFTWARE_TOKEN_MFA",
    ]
    respond = [
        "admin-respond-to-auth-challenge", "--user-pool-id", app.pool_id,
        "--client-id", app.client_id,
    ]  # fmt: skip
    sms = aws(
        *respond, "--challenge-name", "SELECT_MFA_TYPE", "--session", select["Session"],
        "--challenge-responses", responses(USERNAME="cli-two", ANSWER="SMS_MFA"),
    )  # fmt: skip
    assert sms["ChallengeName"] == "SMS_MFA"
    code = last_code(local_pool, app, "cli-two")
    done = aws(
        *respond, "--challenge-name", "SMS_MFA", "--session", sms["Session"],
        "--challenge-responses", responses(USERNAME="cli-two", SMS_MFA_CODE=code),
    )  # fmt: skip
    assert "IdToken" in done["AuthenticationResult"]


def test_custom_auth_with_srp_two_rounds_and_a_wrong_answer_through_the_aws_cli(
    aws_command: Path,  # noqa: F811
    local_pool: PoolServer,
    tmp_path: Path,
) -> None:
    aws = Aws(aws_command, local_pool, tmp_path)
    app = local_pool.provision()
    local_pool.add_user(app, "cli-custom")
    eph = srp_fast.new_ephemeral()
    first = aws(
        "initiate-auth", "--client-id", app.client_id, "--auth-flow", "CUSTOM_AUTH",
        "--auth-parameters", json.dumps(
            {"USERNAME": "cli-custom", "CHALLENGE_NAME": "SRP_A", "SRP_A": eph.public_hex}
        ),
    )  # fmt: skip
    assert first["ChallengeName"] == "PASSWORD_VERIFIER"
    respond = ["respond-to-auth-challenge", "--client-id", app.client_id]
    proof = srp_responses(app, first["ChallengeParameters"], PASSWORD, eph=eph)
    step = aws(
        *respond, "--challenge-name", "PASSWORD_VERIFIER", "--session", first["Session"],
        "--challenge-responses", json.dumps(proof),
    )  # fmt: skip
    assert step["ChallengeName"] == "CUSTOM_CHALLENGE"
    answers = ["-1", None, None]  # a wrong answer, then two right ones (ROUNDS = 2)
    for answer in answers:
        given = answer or captcha.solve(step["ChallengeParameters"])
        step = aws(
            *respond, "--challenge-name", "CUSTOM_CHALLENGE", "--session", step["Session"],
            "--challenge-responses", responses(USERNAME="cli-custom", ANSWER=given),
        )  # fmt: skip
    assert "AccessToken" in step["AuthenticationResult"]


def test_custom_auth_failure_through_the_aws_cli(
    aws_command: Path,  # noqa: F811
    local_pool: PoolServer,
    tmp_path: Path,
) -> None:
    aws = Aws(aws_command, local_pool, tmp_path)
    app = local_pool.provision()
    local_pool.add_user(app, "cli-fail")
    step = aws(
        "initiate-auth", "--client-id", app.client_id, "--auth-flow", "CUSTOM_AUTH",
        "--auth-parameters", "USERNAME=cli-fail",
    )  # fmt: skip
    respond = [
        "respond-to-auth-challenge", "--client-id", app.client_id,
        "--challenge-name", "CUSTOM_CHALLENGE",
        "--challenge-responses", responses(USERNAME="cli-fail", ANSWER="-1"),
    ]  # fmt: skip
    for _ in range(captcha.MAX_WRONG - 1):
        step = aws(*respond, "--session", step["Session"])
    failed = aws.run(*respond, "--session", step["Session"])
    assert failed.returncode != 0
    assert "NotAuthorizedException" in failed.stderr
    assert "Incorrect username or password." in failed.stderr
