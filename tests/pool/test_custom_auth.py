"""CUSTOM_AUTH with local Lambda-style triggers, through boto3 against a real pool server.

The triggers are scenarios/triggers/captcha.py, a module written as Lambda handlers and run
in the pool unchanged, and the failing ones in tests/pool/lambda_triggers.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

import srp_fast
from scenarios.triggers import captcha
from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import enroll_totp, srp_responses, tokens

CAPTCHA = "scenarios.triggers.captcha"


def captcha_triggers(module: str = CAPTCHA, **override: str) -> list[str]:
    handlers = {
        "define_auth_challenge": f"{module}:define_auth_challenge",
        "create_auth_challenge": f"{module}:create_auth_challenge",
        "verify_auth_challenge_response": f"{module}:verify_auth_challenge_response",
        **override,
    }
    return [arg for name, spec in handlers.items() for arg in ("--trigger", f"{name}={spec}")]


@pytest.fixture(scope="module")
def custom_pool(tmp_path_factory: pytest.TempPathFactory) -> Any:
    state = tmp_path_factory.mktemp("custom-pool") / "pool.sqlite3"
    args = ("--freeze-clock", "--no-quotas", *captcha_triggers())
    server = PoolServer(state=state, args=args).start()
    yield server
    server.stop()


def respond(idp: Any, app: App, name: str, session: str, answer: str, **extra: Any) -> Any:
    return idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=session,
        ChallengeResponses={"USERNAME": name, "ANSWER": answer},
        **extra,
    )


def test_custom_auth_without_srp_two_rounds_and_a_wrong_answer(custom_pool: PoolServer) -> None:
    idp, app = custom_pool.client(), custom_pool.provision()
    custom_pool.add_user(app, "cara")
    first = idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "cara"}
    )
    assert first["ChallengeName"] == "CUSTOM_CHALLENGE"
    params = first["ChallengeParameters"]
    assert params["USERNAME"] == "cara"
    assert params["question"].startswith("What is ")
    assert "answer" not in params  # private parameters stay in the pool
    wrong = respond(idp, app, "cara", first["Session"], "-1")
    assert wrong["ChallengeName"] == "CUSTOM_CHALLENGE"  # the captcha allows retries
    assert wrong["Session"] != first["Session"]
    with pytest.raises(ClientError) as spent:  # the old Session is spent, right or wrong
        respond(idp, app, "cara", first["Session"], captcha.solve(params))
    assert spent.value.response["Error"]["Code"] == "NotAuthorizedException"
    second = respond(
        idp, app, "cara", wrong["Session"], captcha.solve(wrong["ChallengeParameters"])
    )
    assert second["ChallengeName"] == "CUSTOM_CHALLENGE"  # round two of ROUNDS = 2
    done = respond(
        idp, app, "cara", second["Session"], captcha.solve(second["ChallengeParameters"])
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_custom_auth_with_srp_first(custom_pool: PoolServer) -> None:
    idp, app = custom_pool.client(), custom_pool.provision()
    custom_pool.add_user(app, "sid")
    eph = srp_fast.new_ephemeral()
    first = idp.initiate_auth(
        ClientId=app.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": "sid", "CHALLENGE_NAME": "SRP_A", "SRP_A": eph.public_hex},
    )
    assert first["ChallengeName"] == "PASSWORD_VERIFIER"
    assert first["Session"].startswith("AYAB")  # shown here, unlike USER_SRP_AUTH (§16.1)
    verified = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=first["Session"],
        ChallengeResponses=srp_responses(app, first["ChallengeParameters"], PASSWORD, eph=eph),
    )
    assert verified["ChallengeName"] == "CUSTOM_CHALLENGE"
    session, params = verified["Session"], verified["ChallengeParameters"]
    for _ in range(2):
        answer = respond(idp, app, "sid", session, captcha.solve(params))
        session, params = answer.get("Session", ""), answer["ChallengeParameters"]
    assert "IdToken" in answer["AuthenticationResult"]


def test_custom_auth_with_srp_first_and_a_wrong_password_counts_toward_the_lockout(
    custom_pool: PoolServer,
) -> None:
    idp, app = custom_pool.client(), custom_pool.provision()
    custom_pool.add_user(app, "pat")
    messages = []
    for _ in range(6):
        eph = srp_fast.new_ephemeral()
        first = idp.initiate_auth(
            ClientId=app.client_id,
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": "pat", "CHALLENGE_NAME": "SRP_A", "SRP_A": eph.public_hex},
        )
        responses = srp_responses(app, first["ChallengeParameters"], "Wr0ng!pass", eph=eph)
        with pytest.raises(ClientError) as failed:
            idp.respond_to_auth_challenge(
                ClientId=app.client_id,
                ChallengeName="PASSWORD_VERIFIER",
                ChallengeResponses=responses,
            )
        messages.append(failed.value.response["Error"]["Message"])
    assert messages[:5] == ["Incorrect username or password."] * 5
    assert messages[5] == "Password attempts exceeded"


def test_wrong_custom_answers_fail_the_sign_in_but_do_not_lock(custom_pool: PoolServer) -> None:
    idp, app = custom_pool.client(), custom_pool.provision()
    custom_pool.add_user(app, "wes")
    for _ in range(3):  # 3 sign-ins x MAX_WRONG wrong answers: 9 failures, no lockout
        step = idp.initiate_auth(
            ClientId=app.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "wes"}
        )
        for _ in range(captcha.MAX_WRONG - 1):
            step = respond(idp, app, "wes", step["Session"], "-1")
        with pytest.raises(ClientError) as failed:
            respond(idp, app, "wes", step["Session"], "-1")
        assert failed.value.response["Error"]["Message"] == "Incorrect username or password."
    admin = idp.admin_initiate_auth(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "wes", "PASSWORD": PASSWORD},
    )
    assert "AuthenticationResult" in admin


def test_admin_initiate_auth_custom_auth(custom_pool: PoolServer) -> None:
    idp, app = custom_pool.client(), custom_pool.provision()
    custom_pool.add_user(app, "ada")
    step = idp.admin_initiate_auth(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": "ada"},
    )
    for _ in range(2):
        step = idp.admin_respond_to_auth_challenge(
            UserPoolId=app.pool_id,
            ClientId=app.client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=step["Session"],
            ChallengeResponses={
                "USERNAME": "ada",
                "ANSWER": captcha.solve(step["ChallengeParameters"]),
            },
        )
    assert "AccessToken" in step["AuthenticationResult"]


def test_custom_auth_without_triggers_is_refused(pool_server: Any) -> None:
    server: PoolServer = pool_server("--no-quotas")
    idp, app = server.client(), server.provision()
    server.add_user(app, "nat")
    with pytest.raises(ClientError) as refused:
        idp.initiate_auth(
            ClientId=app.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "nat"}
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "not configured" in refused.value.response["Error"]["Message"]


def test_trigger_failures_are_reported_as_cognito_reports_them(pool_server: Any) -> None:
    module = "tests.pool.lambda_triggers"
    server: PoolServer = pool_server(
        "--no-quotas",
        *captcha_triggers(
            define_auth_challenge=f"{module}:define_raises",
            create_auth_challenge=f"{module}:create_returns_garbage",
        ),
    )
    idp, app = server.client(), server.provision()
    server.add_user(app, "tia")
    with pytest.raises(ClientError) as raised:
        idp.initiate_auth(
            ClientId=app.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "tia"}
        )
    error = raised.value.response["Error"]
    assert error["Code"] == "UserLambdaValidationException"
    assert error["Message"] == "DefineAuthChallenge failed with error User does not exist."


def test_garbage_from_a_trigger_is_unrecognizable_output(pool_server: Any) -> None:
    module = "tests.pool.lambda_triggers"
    server: PoolServer = pool_server(
        "--no-quotas",
        *captcha_triggers(
            define_auth_challenge=f"{module}:define_echo_metadata",
            create_auth_challenge=f"{module}:create_returns_garbage",
        ),
    )
    idp, app = server.client(), server.provision()
    server.add_user(app, "ula")
    with pytest.raises(ClientError) as garbage:
        idp.initiate_auth(
            ClientId=app.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "ula"}
        )
    assert garbage.value.response["Error"]["Code"] == "InvalidLambdaResponseException"
    assert garbage.value.response["Error"]["Message"] == "Unrecognizable lambda output"


def test_client_metadata_reaches_the_triggers_from_respond_only(pool_server: Any) -> None:
    module = "tests.pool.lambda_triggers"
    server: PoolServer = pool_server(
        "--no-quotas", *captcha_triggers(define_auth_challenge=f"{module}:define_echo_metadata")
    )
    idp, app = server.client(), server.provision()
    server.add_user(app, "vic")
    first = idp.initiate_auth(
        ClientId=app.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": "vic"},
        ClientMetadata={"finish": "yes"},  # not passed from InitiateAuth
    )
    assert first["ChallengeName"] == "CUSTOM_CHALLENGE"
    done = respond(idp, app, "vic", first["Session"], "anything", ClientMetadata={"finish": "yes"})
    assert "AuthenticationResult" in done


def test_a_bad_trigger_option_stops_serve_with_one_line(tmp_path: Any) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "loadtest.cli", "pool", "serve", "--port", "0",
         "--state", str(tmp_path / "s.sqlite3"), "--trigger", "define_auth_challenge=no.such:fn"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "cannot import 'no.such'" in result.stderr


def custom_srp_to_verifier(idp: Any, app: App, name: str) -> Any:
    """CUSTOM_AUTH with SRP first, through PASSWORD_VERIFIER; what the pool answers next."""
    eph = srp_fast.new_ephemeral()
    first = idp.initiate_auth(
        ClientId=app.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": name, "CHALLENGE_NAME": "SRP_A", "SRP_A": eph.public_hex},
    )
    return idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=first["Session"],
        ChallengeResponses=srp_responses(app, first["ChallengeParameters"], PASSWORD, eph=eph),
    )


def sms_mfa_user(server: PoolServer, name: str) -> tuple[Any, App]:
    idp, app = server.client(), server.provision(mfa="OPTIONAL")
    idp.set_user_pool_mfa_config(
        UserPoolId=app.pool_id, SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"}
    )
    server.add_user(app, name, attributes={"phone_number": "+15550100144"})
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id, Username=name, SMSMfaSettings={"Enabled": True}
    )
    return idp, app


def test_custom_auth_with_srp_asks_for_sms_mfa_then_define_continues(
    custom_pool: PoolServer,
) -> None:
    idp, app = sms_mfa_user(custom_pool, "mia")
    verified = custom_srp_to_verifier(idp, app, "mia")
    assert verified["ChallengeName"] == "SMS_MFA"  # MFA right after the password
    messages = custom_pool.get_json(f"/_pool/messages?username=mia&pool_id={app.pool_id}")
    code = messages["messages"][-1]["code"]
    after = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="SMS_MFA",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": "mia", "SMS_MFA_CODE": code},
    )
    assert after["ChallengeName"] == "CUSTOM_CHALLENGE"  # Define saw [SRP_A, PV, SMS_MFA]
    session, params = after["Session"], after["ChallengeParameters"]
    for _ in range(captcha.ROUNDS):
        answer = respond(idp, app, "mia", session, captcha.solve(params))
        session, params = answer.get("Session", ""), answer["ChallengeParameters"]
    assert "AccessToken" in answer["AuthenticationResult"]


def test_custom_auth_with_srp_and_totp_ends_with_tokens_after_the_code(
    custom_pool: PoolServer,
) -> None:
    idp, app = custom_pool.client(), custom_pool.provision(mfa="OPTIONAL")
    custom_pool.add_user(app, "tom")
    totp = enroll_totp(custom_pool, idp, tokens(idp, app, "tom")["AccessToken"])
    verified = custom_srp_to_verifier(idp, app, "tom")
    assert verified["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=verified["Session"],
        ChallengeResponses={
            "USERNAME": "tom",
            "SOFTWARE_TOKEN_MFA_CODE": totp.at(custom_pool.now()),
        },
    )
    assert "IdToken" in done["AuthenticationResult"]  # as measured: Define is not asked again


def test_custom_auth_without_srp_asks_no_mfa(custom_pool: PoolServer) -> None:
    idp, app = sms_mfa_user(custom_pool, "noa")
    first = idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "noa"}
    )
    assert first["ChallengeName"] == "CUSTOM_CHALLENGE"  # MFA follows only a verified password
