"""The account journey over HTTP with boto3: sign-up, confirmation, recovery, password change,
attributes, groups in tokens, RevokeToken, client updates (issue 19).

Codes are read back from the pool's message sink, as a load run reads them.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import srp_login

NEW_PASSWORD = "N3w-Passw0rd!"


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _journey_pool(server: PoolServer, *, prevent: bool = False) -> App:
    idp = server.client()
    pool_id = idp.create_user_pool(
        PoolName="journey",
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 8}},
    )["UserPool"]["Id"]
    return server.add_client(pool_id, prevent_user_existence=prevent)


def _codes(server: PoolServer, app: App, username: str, purpose: str) -> list[str]:
    found = server.get_json(f"/_pool/messages?username={username}&pool_id={app.pool_id}")
    return [m["code"] for m in found["messages"] if m["purpose"] == purpose]


def _name() -> str:
    return f"lt-journey-{uuid.uuid4().hex[:8]}"


def _sign_up(server: PoolServer, app: App, username: str) -> dict[str, Any]:
    return dict(
        server.client().sign_up(
            ClientId=app.client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
        )
    )


def test_sign_up_sends_a_code_to_the_sink_and_confirming_it_lets_the_user_sign_in(
    local_pool: PoolServer,
) -> None:
    app, idp, name = _journey_pool(local_pool), local_pool.client(), _name()
    answer = _sign_up(local_pool, app, name)
    assert answer["UserConfirmed"] is False
    assert uuid.UUID(answer["UserSub"])
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "l***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
    }  # fmt: skip
    with pytest.raises(ClientError) as unconfirmed:
        srp_login(idp, app, name)
    assert _error(unconfirmed)[0] == "UserNotConfirmedException"
    (code,) = _codes(local_pool, app, name, "SIGN_UP")
    idp.confirm_sign_up(ClientId=app.client_id, Username=name, ConfirmationCode=code)
    user = idp.admin_get_user(UserPoolId=app.pool_id, Username=name)
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]
    assert "AuthenticationResult" in srp_login(idp, app, name)
    with pytest.raises(ClientError) as again:
        idp.confirm_sign_up(ClientId=app.client_id, Username=name, ConfirmationCode=code)
    assert _error(again) == (
        "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED",
    )  # fmt: skip


def test_sign_up_errors_existing_user_weak_password_wrong_and_expired_code(
    local_pool: PoolServer,
) -> None:
    app, idp, name = _journey_pool(local_pool), local_pool.client(), _name()
    _sign_up(local_pool, app, name)
    with pytest.raises(ClientError) as exists:
        _sign_up(local_pool, app, name)
    assert _error(exists) == ("UsernameExistsException", "User already exists")
    with pytest.raises(ClientError) as weak:
        idp.sign_up(ClientId=app.client_id, Username=_name(), Password="short")
    assert _error(weak) == (
        "InvalidPasswordException",
        "Password did not conform with policy: Password not long enough",
    )
    (code,) = _codes(local_pool, app, name, "SIGN_UP")
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ClientError) as mismatch:
        idp.confirm_sign_up(ClientId=app.client_id, Username=name, ConfirmationCode=wrong)
    assert _error(mismatch) == (
        "CodeMismatchException", "Invalid verification code provided, please try again.",
    )  # fmt: skip
    idp.resend_confirmation_code(ClientId=app.client_id, Username=name)
    old, new = _codes(local_pool, app, name, "SIGN_UP")
    assert old == code
    local_pool.advance_clock(24 * 3600 + 1)
    with pytest.raises(ClientError) as expired:
        idp.confirm_sign_up(ClientId=app.client_id, Username=name, ConfirmationCode=new)
    assert _error(expired) == (
        "ExpiredCodeException", "Invalid code provided, please request a code again.",
    )  # fmt: skip


def test_forgot_password_with_a_code_from_the_sink_and_a_reused_code(
    local_pool: PoolServer,
) -> None:
    app, idp, name = _journey_pool(local_pool), local_pool.client(), _name()
    _sign_up(local_pool, app, name)
    idp.confirm_sign_up(
        ClientId=app.client_id, Username=name,
        ConfirmationCode=_codes(local_pool, app, name, "SIGN_UP")[-1],
    )  # fmt: skip
    sent = idp.forgot_password(ClientId=app.client_id, Username=name)
    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    (code,) = _codes(local_pool, app, name, "FORGOT_PASSWORD")
    with pytest.raises(ClientError) as weak:
        idp.confirm_forgot_password(
            ClientId=app.client_id, Username=name, ConfirmationCode=code, Password="weak"
        )
    assert _error(weak)[0] == "InvalidPasswordException"
    idp.confirm_forgot_password(
        ClientId=app.client_id, Username=name, ConfirmationCode=code, Password=NEW_PASSWORD
    )
    assert "AuthenticationResult" in srp_login(idp, app, name, NEW_PASSWORD)
    with pytest.raises(ClientError) as reused:
        idp.confirm_forgot_password(
            ClientId=app.client_id, Username=name, ConfirmationCode=code, Password=PASSWORD
        )
    assert _error(reused)[0] == "ExpiredCodeException"


def test_prevent_user_existence_errors_hides_unknown_users_in_recovery_and_confirmation(
    local_pool: PoolServer,
) -> None:
    idp = local_pool.client()
    hidden, legacy = _journey_pool(local_pool, prevent=True), _journey_pool(local_pool)
    ghost = _name()
    simulated = idp.forgot_password(ClientId=hidden.client_id, Username=ghost)
    assert simulated["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert idp.resend_confirmation_code(ClientId=hidden.client_id, Username=ghost)
    with pytest.raises(ClientError) as mismatch:
        idp.confirm_sign_up(ClientId=hidden.client_id, Username=ghost, ConfirmationCode="123456")
    assert _error(mismatch)[0] == "CodeMismatchException"
    with pytest.raises(ClientError) as not_found:
        idp.forgot_password(ClientId=legacy.client_id, Username=ghost)
    assert _error(not_found) == (
        "UserNotFoundException", "Username/client id combination not found.",
    )  # fmt: skip


def test_a_code_dies_after_too_many_wrong_guesses(local_pool: PoolServer) -> None:
    app, idp, name = _journey_pool(local_pool), local_pool.client(), _name()
    _sign_up(local_pool, app, name)
    (code,) = _codes(local_pool, app, name, "SIGN_UP")
    wrong = "000000" if code != "000000" else "111111"
    seen = []
    for _ in range(5):
        with pytest.raises(ClientError) as excinfo:
            idp.confirm_sign_up(ClientId=app.client_id, Username=name, ConfirmationCode=wrong)
        seen.append(_error(excinfo)[0])
    assert seen == ["CodeMismatchException"] * 4 + ["LimitExceededException"]
    with pytest.raises(ClientError) as gone:
        idp.confirm_sign_up(ClientId=app.client_id, Username=name, ConfirmationCode=code)
    assert _error(gone)[0] == "ExpiredCodeException"


def test_change_password_and_attributes_with_verification(local_pool: PoolServer) -> None:
    app, idp, name = _journey_pool(local_pool), local_pool.client(), _name()
    local_pool.add_user(app, name, attributes={"email": "a@example.com", "email_verified": "true"})
    token = srp_login(idp, app, name)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as wrong:
        idp.change_password(PreviousPassword="Wr0ng!pass", ProposedPassword=NEW_PASSWORD,
                            AccessToken=token)  # fmt: skip
    assert _error(wrong) == ("NotAuthorizedException", "Incorrect username or password.")
    idp.change_password(PreviousPassword=PASSWORD, ProposedPassword=NEW_PASSWORD, AccessToken=token)
    changed = idp.update_user_attributes(
        AccessToken=token,
        UserAttributes=[
            {"Name": "email", "Value": "b@example.com"},
            {"Name": "name", "Value": "B"},
        ],
    )
    assert changed["CodeDeliveryDetailsList"][0]["Destination"] == "b***@e***"
    attributes = {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=token)["UserAttributes"]}
    assert (attributes["email"], attributes["email_verified"], attributes["name"]) == (
        "b@example.com", "false", "B",
    )  # fmt: skip
    (code,) = _codes(local_pool, app, name, "VERIFY_ATTRIBUTE")
    idp.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    idp.delete_user_attributes(AccessToken=token, UserAttributeNames=["name"])
    attributes = {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=token)["UserAttributes"]}
    assert attributes["email_verified"] == "true"
    assert "name" not in attributes
    with pytest.raises(ClientError) as immutable:
        idp.admin_update_user_attributes(
            UserPoolId=app.pool_id, Username=name, UserAttributes=[{"Name": "sub", "Value": "x"}]
        )
    assert _error(immutable)[0] == "InvalidParameterException"
    idp.delete_user(AccessToken=token)
    with pytest.raises(ClientError) as deleted:
        idp.admin_get_user(UserPoolId=app.pool_id, Username=name)
    assert _error(deleted)[0] == "UserNotFoundException"


def test_admin_reset_requires_a_new_password_before_sign_in(local_pool: PoolServer) -> None:
    app, idp, name = _journey_pool(local_pool), local_pool.client(), _name()
    local_pool.add_user(app, name, attributes={"email": "r@example.com", "email_verified": "true"})
    idp.admin_reset_user_password(UserPoolId=app.pool_id, Username=name)
    with pytest.raises(ClientError) as required:
        srp_login(idp, app, name)
    assert _error(required)[0] == "PasswordResetRequiredException"
    (code,) = _codes(local_pool, app, name, "FORGOT_PASSWORD")
    idp.confirm_forgot_password(
        ClientId=app.client_id, Username=name, ConfirmationCode=code, Password=NEW_PASSWORD
    )
    assert "AuthenticationResult" in srp_login(idp, app, name, NEW_PASSWORD)


def test_an_administrator_confirms_without_verifying_the_address(local_pool: PoolServer) -> None:
    app, idp, name = _journey_pool(local_pool), local_pool.client(), _name()
    _sign_up(local_pool, app, name)
    idp.admin_confirm_sign_up(UserPoolId=app.pool_id, Username=name)
    user = idp.admin_get_user(UserPoolId=app.pool_id, Username=name)
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} not in user["UserAttributes"]
    with pytest.raises(ClientError) as again:
        idp.admin_confirm_sign_up(UserPoolId=app.pool_id, Username=name)
    assert _error(again)[0] == "NotAuthorizedException"


def test_groups_reach_the_tokens_by_precedence(local_pool: PoolServer) -> None:
    app, idp, name = _journey_pool(local_pool), local_pool.client(), _name()
    local_pool.add_user(app, name)
    idp.create_group(UserPoolId=app.pool_id, GroupName="readers", Precedence=5)
    idp.create_group(UserPoolId=app.pool_id, GroupName="admins", Precedence=1, Description="d")
    with pytest.raises(ClientError) as exists:
        idp.create_group(UserPoolId=app.pool_id, GroupName="admins")
    assert _error(exists)[0] == "GroupExistsException"
    for group in ("readers", "admins"):
        idp.admin_add_user_to_group(UserPoolId=app.pool_id, Username=name, GroupName=group)
    tokens = srp_login(idp, app, name)["AuthenticationResult"]
    assert _claims(tokens["AccessToken"])["cognito:groups"] == ["admins", "readers"]
    assert _claims(tokens["IdToken"])["cognito:groups"] == ["admins", "readers"]
    listed = idp.admin_list_groups_for_user(UserPoolId=app.pool_id, Username=name)
    assert [g["GroupName"] for g in listed["Groups"]] == ["admins", "readers"]
    members = idp.list_users_in_group(UserPoolId=app.pool_id, GroupName="readers")
    assert [u["Username"] for u in members["Users"]] == [name]
    idp.update_group(UserPoolId=app.pool_id, GroupName="readers", Precedence=0)
    assert idp.get_group(UserPoolId=app.pool_id, GroupName="readers")["Group"]["Precedence"] == 0
    idp.admin_remove_user_from_group(UserPoolId=app.pool_id, Username=name, GroupName="admins")
    idp.delete_group(UserPoolId=app.pool_id, GroupName="readers")
    assert [g["GroupName"] for g in idp.list_groups(UserPoolId=app.pool_id)["Groups"]] == ["admins"]
    tokens = srp_login(idp, app, name)["AuthenticationResult"]
    assert "cognito:groups" not in _claims(tokens["AccessToken"])


def test_revoke_token_refuses_the_refresh_token_and_its_access_tokens(
    local_pool: PoolServer,
) -> None:
    app, idp, name = _journey_pool(local_pool), local_pool.client(), _name()
    local_pool.add_user(app, name)
    first = srp_login(idp, app, name)["AuthenticationResult"]
    other = srp_login(idp, app, name)["AuthenticationResult"]
    with pytest.raises(ClientError) as jwt:
        idp.revoke_token(Token=first["AccessToken"], ClientId=app.client_id)
    assert _error(jwt)[0] == "UnsupportedTokenTypeException"
    idp.revoke_token(Token=first["RefreshToken"], ClientId=app.client_id)
    idp.revoke_token(Token=first["RefreshToken"], ClientId=app.client_id)  # idempotent
    with pytest.raises(ClientError) as revoked:
        idp.get_user(AccessToken=first["AccessToken"])
    assert _error(revoked) == ("NotAuthorizedException", "Access Token has been revoked")
    with pytest.raises(ClientError) as refresh:
        idp.initiate_auth(ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})  # fmt: skip
    assert _error(refresh)[0] == "NotAuthorizedException"
    assert idp.get_user(AccessToken=other["AccessToken"])["Username"] == name
    idp.update_user_pool_client(
        UserPoolId=app.pool_id, ClientId=app.client_id, EnableTokenRevocation=False,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )  # fmt: skip
    with pytest.raises(ClientError) as disabled:
        idp.revoke_token(Token=other["RefreshToken"], ClientId=app.client_id)
    assert _error(disabled)[0] == "UnsupportedOperationException"


def test_update_and_list_clients_and_update_the_pool(local_pool: PoolServer) -> None:
    app, idp = _journey_pool(local_pool), local_pool.client()
    second = local_pool.add_client(app.pool_id, name="second")
    updated = idp.update_user_pool_client(
        UserPoolId=app.pool_id, ClientId=second.client_id, ClientName="renamed",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]  # fmt: skip
    assert updated["ClientName"] == "renamed"
    assert updated["PreventUserExistenceErrors"] == "ENABLED"
    listed = idp.list_user_pool_clients(UserPoolId=app.pool_id, MaxResults=1)
    assert [c["ClientId"] for c in listed["UserPoolClients"]] == [app.client_id]
    rest = idp.list_user_pool_clients(UserPoolId=app.pool_id, NextToken=listed["NextToken"])
    assert [c["ClientName"] for c in rest["UserPoolClients"]] == ["renamed"]
    idp.update_user_pool(UserPoolId=app.pool_id, AutoVerifiedAttributes=["phone_number"])
    pool = idp.describe_user_pool(UserPoolId=app.pool_id)["UserPool"]
    assert pool["AutoVerifiedAttributes"] == ["phone_number"]
