"""USER_SRP_AUTH and the password flows against the real server over HTTP (boto3)."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

import srp_fast
from tests.conftest import PASSWORD, PoolServer

from .helpers import error_of, srp_login, srp_responses, start_srp, tokens

pytestmark = pytest.mark.e2e
_MIN_HEX = re.compile(r"[1-9a-f][0-9a-f]*")


def _name() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def test_srp_login_gives_tokens_and_challenge_has_cognito_shapes(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name)
    first, eph = start_srp(idp, app, name)
    params = first["ChallengeParameters"]
    assert first["ChallengeName"] == "PASSWORD_VERIFIER"
    assert "Session" not in first
    assert set(params) == {"SALT", "SECRET_BLOCK", "SRP_B", "USERNAME", "USER_ID_FOR_SRP"}
    assert params["USERNAME"] == params["USER_ID_FOR_SRP"] == name
    assert _MIN_HEX.fullmatch(params["SALT"])
    assert _MIN_HEX.fullmatch(params["SRP_B"])
    assert (
        base64.b64encode(base64.b64decode(params["SECRET_BLOCK"])).decode()
        == params["SECRET_BLOCK"]
    )
    second = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp_responses(app, params, PASSWORD, eph=eph),
    )
    result = second["AuthenticationResult"]
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(result)
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == name
    described = idp.describe_user_pool(UserPoolId=app.pool_id)["UserPool"]
    assert described["EstimatedNumberOfUsers"] == 1


def test_salt_is_stable_and_srp_b_fresh(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name)
    one, _ = start_srp(idp, app, name)
    two, _ = start_srp(idp, app, name)
    assert one["ChallengeParameters"]["SALT"] == two["ChallengeParameters"]["SALT"]
    assert one["ChallengeParameters"]["SRP_B"] != two["ChallengeParameters"]["SRP_B"]


def test_wrong_password_is_incorrect_username_or_password(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name)
    with pytest.raises(ClientError) as excinfo:
        srp_login(idp, app, name, "Wrong-passw0rd!")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    headers = excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert headers["x-amzn-errortype"] == "NotAuthorizedException:"
    assert headers["x-amzn-errormessage"] == "Incorrect username or password."
    assert uuid.UUID(headers["x-amzn-requestid"])


def test_a_correct_proof_can_be_sent_twice(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name)
    first, eph = start_srp(idp, app, name)
    responses = srp_responses(app, first["ChallengeParameters"], PASSWORD, eph=eph)
    for _ in range(2):
        answer = idp.respond_to_auth_challenge(
            ClientId=app.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
        )
        assert "AuthenticationResult" in answer


def _verifier_error(local_pool: PoolServer, change: dict[str, str]) -> tuple[str, str]:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name)
    first, eph = start_srp(idp, app, name)
    responses = srp_responses(app, first["ChallengeParameters"], PASSWORD, eph=eph)
    responses.update(change)
    responses = {k: v for k, v in responses.items() if v}
    with pytest.raises(ClientError) as excinfo:
        idp.respond_to_auth_challenge(
            ClientId=app.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
        )
    return error_of(excinfo)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"TIMESTAMP": "Sat Sep 05 15:34:45 UTC 2026"}, "Incorrect username or password."),
        ({"TIMESTAMP": "Mon Sep 5 15:34:45 UTC 2026"}, "Incorrect username or password."),
        ({"PASSWORD_CLAIM_SECRET_BLOCK": base64.b64encode(b"x" * 64).decode()}, None),
    ],
)
def test_canonical_timestamp_and_tampering_fail_the_proof(
    local_pool: PoolServer, change: dict[str, str], expected: str | None
) -> None:
    assert _verifier_error(local_pool, change) == (
        "NotAuthorizedException",
        expected or "Incorrect username or password.",
    )


def test_malformed_timestamp_and_signature_are_invalid_parameters(local_pool: PoolServer) -> None:
    assert _verifier_error(local_pool, {"TIMESTAMP": "garbage"}) == (
        "InvalidParameterException",
        "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.",
    )
    assert _verifier_error(local_pool, {"PASSWORD_CLAIM_SIGNATURE": "not base64!"}) == (
        "InvalidParameterException",
        "Invalid PASSWORD_CLAIM_SIGNATURE format. Must be a Base64 string.",
    )


def test_missing_responses_are_named_in_cognito_order(local_pool: PoolServer) -> None:
    assert _verifier_error(local_pool, {"USERNAME": "", "TIMESTAMP": ""}) == (
        "InvalidParameterException",
        "Missing required parameter USERNAME",
    )
    assert _verifier_error(local_pool, {"TIMESTAMP": "", "PASSWORD_CLAIM_SECRET_BLOCK": ""}) == (
        "InvalidParameterException",
        "Missing required parameter TIMESTAMP",
    )


def test_initiate_auth_refusals(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name)
    cases = [
        ({"USERNAME": name}, "InvalidParameterException", "Missing required parameter SRP_A"),
        ({"USERNAME": "nobody", "SRP_A": "ab"}, "UserNotFoundException", "User does not exist."),
        (
            {"USERNAME": name, "SRP_A": srp_fast.to_hex(srp_fast.N)},
            "InvalidParameterException",
            "Illegal parameter. A mod N cannot be 0.",
        ),
    ]
    for auth, code, message in cases:
        with pytest.raises(ClientError) as excinfo:
            idp.initiate_auth(AuthFlow="USER_SRP_AUTH", ClientId=app.client_id, AuthParameters=auth)
        assert error_of(excinfo) == (code, message), auth
    with pytest.raises(ClientError) as excinfo:
        idp.initiate_auth(
            AuthFlow="USER_SRP_AUTH",
            ClientId=app.client_id,
            AuthParameters={"USERNAME": name, "SRP_A": "zzz-not-hex"},
        )
    assert error_of(excinfo)[1] == (
        "1 validation error detected: Value 'zzz-not-hex' at 'sRPA' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: ^[0-9a-fA-F]+$"
    )
    with pytest.raises(ClientError) as excinfo:
        idp.initiate_auth(
            AuthFlow="USER_SRP_AUTH",
            ClientId=app.client_id,
            AuthParameters={"USERNAME": name, "SRP_A": "f" * 5000},
        )
    assert error_of(excinfo)[1].endswith("Member must have length less than or equal to 770")


def test_disabled_user_and_srp_not_enabled(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name)
    idp.admin_disable_user(UserPoolId=app.pool_id, Username=name)
    with pytest.raises(ClientError) as excinfo:
        start_srp(idp, app, name)
    assert error_of(excinfo) == ("NotAuthorizedException", "User is disabled.")
    idp.admin_enable_user(UserPoolId=app.pool_id, Username=name)
    assert tokens(idp, app, name)
    client_id = idp.create_user_pool_client(
        UserPoolId=app.pool_id, ClientName="pw-only", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    with pytest.raises(ClientError) as excinfo:
        idp.initiate_auth(
            AuthFlow="USER_SRP_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": name, "SRP_A": "ab"},
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "USER_SRP_AUTH is not enabled for the client.",
    )


def test_prevent_user_existence_errors_simulates_a_stable_challenge(
    local_pool: PoolServer,
) -> None:
    idp, app = local_pool.client(), local_pool.provision(prevent_user_existence=True)
    one, eph = start_srp(idp, app, "ghost")
    two, _ = start_srp(idp, app, "ghost")
    p1, p2 = one["ChallengeParameters"], two["ChallengeParameters"]
    assert p1["SALT"] == p2["SALT"]
    assert p1["USER_ID_FOR_SRP"] == p2["USER_ID_FOR_SRP"]
    assert uuid.UUID(p1["USER_ID_FOR_SRP"])
    with pytest.raises(ClientError) as excinfo:
        idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=srp_responses(app, p1, PASSWORD, eph=eph),
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_secret_hash(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(secret=True), _name()
    local_pool.add_user(app, name)
    assert "AuthenticationResult" in srp_login(idp, app, name)
    for given, message in [
        (None, f"Client {app.client_id} is configured for secret but secret was not received"),
        ("AAAA", f"Unable to verify secret hash for client {app.client_id}"),
    ]:
        auth = {"USERNAME": name, "SRP_A": srp_fast.new_ephemeral().public_hex}
        if given:
            auth["SECRET_HASH"] = given
        with pytest.raises(ClientError) as excinfo:
            idp.initiate_auth(AuthFlow="USER_SRP_AUTH", ClientId=app.client_id, AuthParameters=auth)
        assert error_of(excinfo) == ("NotAuthorizedException", message)


def test_temporary_password_leads_to_new_password_required(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name, "Temp-passw0rd!", permanent=False)
    answer = srp_login(idp, app, name, "Temp-passw0rd!")
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert answer["ChallengeParameters"]["requiredAttributes"] == "[]"
    with pytest.raises(ClientError) as excinfo:
        idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=answer["Session"],
            ChallengeResponses={"USERNAME": name, "NEW_PASSWORD": "short"},
        )
    assert error_of(excinfo)[0] == "InvalidPasswordException"
    done = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": name, "NEW_PASSWORD": "New-passw0rd!"},
    )
    assert "AuthenticationResult" in done
    user = idp.admin_get_user(UserPoolId=app.pool_id, Username=name)
    assert user["UserStatus"] == "CONFIRMED"
    assert tokens(idp, app, name, "New-passw0rd!")


def test_user_password_and_admin_password_flows(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name)
    plain = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=app.client_id,
        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
    )
    assert "AccessToken" in plain["AuthenticationResult"]
    admin = idp.admin_initiate_auth(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
    )
    assert "AccessToken" in admin["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        idp.initiate_auth(
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            ClientId=app.client_id,
            AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
        )
    assert error_of(excinfo) == ("InvalidParameterException", "Initiate Auth method not supported.")


def test_admin_initiate_auth_accepts_user_srp_auth(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name)
    eph = srp_fast.new_ephemeral()
    first = idp.admin_initiate_auth(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": name, "SRP_A": eph.public_hex},
    )
    second = idp.admin_respond_to_auth_challenge(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp_responses(
            app, first["ChallengeParameters"], PASSWORD, eph=eph, now=datetime.now(UTC)
        ),
    )
    assert "AuthenticationResult" in second


def test_email_username_pool_uses_the_uuid_as_user_id_for_srp(local_pool: PoolServer) -> None:
    idp = local_pool.client()
    pool_id = idp.create_user_pool(PoolName="email", UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="c")["UserPoolClient"][
        "ClientId"
    ]
    from tests.conftest import App

    app = App(pool_id=pool_id, client_id=client_id)
    local_pool.add_user(app, "Bob@Example.com")
    first, _ = start_srp(idp, app, "bob@example.com")
    user_id = first["ChallengeParameters"]["USER_ID_FOR_SRP"]
    assert uuid.UUID(user_id)
    assert tokens(idp, app, "bob@example.com")


def test_temporary_password_expires_after_the_policy_days(local_pool: PoolServer) -> None:
    idp, app, name = local_pool.client(), local_pool.provision(), _name()
    local_pool.add_user(app, name, "Temp-passw0rd!", permanent=False)
    local_pool.advance_clock(7 * 86400 + 1)
    with pytest.raises(ClientError) as excinfo:
        srp_login(idp, app, name, "Temp-passw0rd!")
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Temporary password has expired and must be reset by an administrator.",
    )
    idp.admin_set_user_password(
        UserPoolId=app.pool_id, Username=name, Password="Temp-passw0rd2!", Permanent=False
    )
    assert srp_login(idp, app, name, "Temp-passw0rd2!")["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
