"""Triggers per pool: each pool's LambdaConfig names the local Lambda functions it runs.

One server registers the captcha's handlers under function names of their own and under the
triggers' names (the server-wide default), plus a failing Define; pools differ by LambdaConfig.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from scenarios.triggers import captcha
from tests.conftest import App, PoolServer
from tests.pool.helpers import error_of
from tests.pool.test_custom_auth import CAPTCHA, captcha_triggers

FUNCTIONS = {
    "captcha-define": f"{CAPTCHA}:define_auth_challenge",
    "captcha-create": f"{CAPTCHA}:create_auth_challenge",
    "captcha-verify": f"{CAPTCHA}:verify_auth_challenge_response",
    "echo-create": "tests.pool.lambda_triggers:create_names_its_function",
    "broken-define": "tests.pool.lambda_triggers:define_raises",
}


def arn(function: str, qualifier: str = "") -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:{function}{qualifier}"


def lambda_config(define: str, create: str, verify: str = "captcha-verify") -> dict[str, str]:
    return {
        "DefineAuthChallenge": arn(define),
        "CreateAuthChallenge": arn(create, ":live"),  # an alias qualifier is ignored
        "VerifyAuthChallengeResponse": arn(verify),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    state = tmp_path_factory.mktemp("lambda-config") / "pool.sqlite3"
    named = [arg for name, spec in FUNCTIONS.items() for arg in ("--trigger", f"{name}={spec}")]
    pool = PoolServer(state=state, args=("--no-quotas", *captcha_triggers(), *named)).start()
    yield pool
    pool.stop()


def pool_with(server: PoolServer, **settings: Any) -> App:
    pool_id = server.client().create_user_pool(PoolName="lambda", **settings)["UserPool"]["Id"]
    app = server.add_client(pool_id)
    server.add_user(app, "cleo")
    return app


def start(server: PoolServer, app: App) -> Any:
    return server.client().initiate_auth(
        ClientId=app.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "cleo"}
    )


def test_two_pools_run_the_functions_their_lambda_config_names(server: PoolServer) -> None:
    echo = pool_with(server, LambdaConfig=lambda_config("captcha-define", "echo-create"))
    plain = pool_with(server, LambdaConfig=lambda_config("captcha-define", "captcha-create"))
    echoed = start(server, echo)["ChallengeParameters"]
    assert echoed["function"] == "echo-create"
    assert echoed["arn"] == arn("echo-create", ":live")
    assert "function" not in start(server, plain)["ChallengeParameters"]
    described = server.client().describe_user_pool(UserPoolId=echo.pool_id)["UserPool"]
    assert described["LambdaConfig"]["CreateAuthChallenge"] == arn("echo-create", ":live")


def test_a_pool_without_lambda_config_runs_the_server_wide_triggers(server: PoolServer) -> None:
    app = pool_with(server)
    first = start(server, app)
    done = server.client().respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=first["Session"],
        ChallengeResponses={
            "USERNAME": "cleo",
            "ANSWER": captcha.solve(first["ChallengeParameters"]),
        },
    )
    assert done["ChallengeName"] == "CUSTOM_CHALLENGE"  # round two of the captcha's two


def test_an_empty_lambda_config_has_no_custom_auth(server: PoolServer) -> None:
    with pytest.raises(ClientError) as refused:
        start(server, pool_with(server, LambdaConfig={}))
    assert error_of(refused) == (
        "InvalidParameterException",
        "Custom auth lambda trigger is not configured for the user pool.",
    )


def test_a_function_that_is_not_registered_fails_at_sign_in(server: PoolServer) -> None:
    app = pool_with(server, LambdaConfig=lambda_config("nowhere", "captcha-create"))
    with pytest.raises(ClientError) as failed:
        start(server, app)
    code, message = error_of(failed)
    assert code == "UserLambdaValidationException"
    assert message.startswith("DefineAuthChallenge failed with error Function not found")


def test_update_user_pool_changes_the_functions(server: PoolServer) -> None:
    app = pool_with(server, LambdaConfig=lambda_config("captcha-define", "captcha-create"))
    server.client().update_user_pool(
        UserPoolId=app.pool_id, LambdaConfig=lambda_config("broken-define", "captcha-create")
    )
    with pytest.raises(ClientError) as failed:
        start(server, app)
    assert error_of(failed) == (
        "UserLambdaValidationException",
        "DefineAuthChallenge failed with error User does not exist.",
    )


def test_a_lambda_config_arn_must_be_an_arn(server: PoolServer) -> None:
    with pytest.raises(ClientError) as refused:
        server.client().create_user_pool(
            PoolName="bad", LambdaConfig={"DefineAuthChallenge": "function:captcha-define-x"}
        )
    assert error_of(refused)[0] == "InvalidParameterException"
