"""Attributes as Cognito has them, over HTTP with boto3 (issue 19): the pool's schema (required,
immutable, typed and bounded custom attributes, AddCustomAttributes), sign-in aliases and their
uniqueness, e-mail usernames, verification before an update, and group roles in the ID token
(from the API and from managed login).

Codes are read back from the pool's message sink.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import PASSWORD, App, PoolServer
from tests.oauth.conftest import hosted_pool
from tests.oauth.test_managed_login import _pkce, _redeem, _sign_in, _through_mfa
from tests.pool.helpers import srp_login
from tests.pool.test_account_journey import _claims, _codes, _error

SCHEMA = [
    {"Name": "name", "AttributeDataType": "String", "Required": True, "Mutable": True},
    {
        "Name": "tier",
        "AttributeDataType": "String",
        "Mutable": False,
        "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "5"},
    },
    {
        "Name": "age",
        "AttributeDataType": "Number",
        "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "150"},
    },
]
NOT_CONFORM = "Attributes did not conform to the schema: "


def _pool(server: PoolServer, **settings: Any) -> App:
    idp = server.client()
    pool_id = idp.create_user_pool(
        PoolName="attributes",
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 8}},
        **settings,
    )["UserPool"]["Id"]
    return server.add_client(pool_id)


def _name(prefix: str = "lt-attr") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _attrs(**values: str) -> list[dict[str, str]]:
    return [{"Name": k.replace("__", ":"), "Value": v} for k, v in values.items()]


def _sign_up(server: PoolServer, app: App, username: str, **values: str) -> dict[str, Any]:
    return dict(
        server.client().sign_up(
            ClientId=app.client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=_attrs(**values),
        )
    )


def _refused(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    code, message = _error(excinfo)
    assert code == "InvalidParameterException", (code, message)
    return message


def _attributes(idp: Any, app: App, username: str) -> dict[str, str]:
    user = idp.admin_get_user(UserPoolId=app.pool_id, Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def _confirm(server: PoolServer, app: App, username: str, **extra: Any) -> None:
    """ConfirmSignUp with the last code sent (the sink knows users by their real username)."""
    real = server.client().admin_get_user(UserPoolId=app.pool_id, Username=username)["Username"]
    code = _codes(server, app, real, "SIGN_UP")[-1]
    server.client().confirm_sign_up(
        ClientId=app.client_id, Username=username, ConfirmationCode=code, **extra
    )


def test_the_schema_is_described_and_enforced_at_sign_up(local_pool: PoolServer) -> None:
    schema = [*SCHEMA, {"Name": "family_name", "AttributeDataType": "String", "Required": True}]
    app, idp = _pool(local_pool, Schema=schema), local_pool.client()
    described = idp.describe_user_pool(UserPoolId=app.pool_id)["UserPool"]["SchemaAttributes"]
    by_name = {a["Name"]: a for a in described}
    assert by_name["custom:tier"]["Mutable"] is False
    assert by_name["custom:tier"]["StringAttributeConstraints"] == {
        "MinLength": "2", "MaxLength": "5",
    }  # fmt: skip
    assert by_name["custom:age"]["AttributeDataType"] == "Number"
    assert by_name["name"]["Required"] is True
    assert (by_name["sub"]["Required"], by_name["sub"]["Mutable"]) == (True, False)
    cases = {
        "required attributes missing": (
            {},
            f"{NOT_CONFORM}name: The attribute is required\nfamily_name: The attribute is required",
        ),
        "one required attribute missing": (
            {"name": "N"},
            f"{NOT_CONFORM}family_name: The attribute is required",
        ),
        "an unknown attribute": (
            {"name": "N", "custom__nope": "x"},
            f"{NOT_CONFORM}Type for attribute {{custom:nope}} could not be determined",
        ),
        "a string too long": (
            {"name": "N", "custom__tier": "platinum"},
            f"{NOT_CONFORM}custom:tier: String must be no longer than 5 characters",
        ),
        "a string too short": (
            {"name": "N", "custom__tier": "x"},
            f"{NOT_CONFORM}custom:tier: String must be no shorter than 2 characters",
        ),
        "not a number": ({"name": "N", "custom__age": "old"}, f"{NOT_CONFORM}custom:age: "),
        "a number out of range": ({"name": "N", "custom__age": "151"}, "out of range"),
        "a malformed address": ({"name": "N", "email": "nowhere"}, "Invalid email address"),
        "a verified flag": ({"name": "N", "email_verified": "true"}, "email_verified"),
    }
    for case, (values, message) in cases.items():
        with pytest.raises(ClientError) as refused:
            _sign_up(local_pool, app, _name(), **values)
        assert message in _refused(refused), case
    name = _name()
    _sign_up(local_pool, app, name, name="N", family_name="F", custom__tier="gold",
             custom__age="42", email=f"{name}@example.com")  # fmt: skip
    stored = _attributes(idp, app, name)
    assert (stored["custom:tier"], stored["custom:age"]) == ("gold", "42")
    with pytest.raises(ClientError) as unknown:
        idp.admin_get_user(UserPoolId=app.pool_id, Username=_name())
    assert _error(unknown)[0] == "UserNotFoundException"


def test_administrators_may_skip_required_but_nobody_changes_an_immutable_attribute(
    local_pool: PoolServer,
) -> None:
    app, idp, name = _pool(local_pool, Schema=SCHEMA), local_pool.client(), _name()
    local_pool.add_user(app, name, attributes={"custom:tier": "gold"})  # no name: allowed
    with pytest.raises(ClientError) as typed:
        idp.admin_create_user(
            UserPoolId=app.pool_id, Username=_name(), UserAttributes=_attrs(custom__age="x")
        )
    assert "custom:age" in _refused(typed)
    token = srp_login(idp, app, name)["AuthenticationResult"]["AccessToken"]
    immutable = "Cannot modify an immutable attribute: custom:tier"
    with pytest.raises(ClientError) as by_user:
        idp.update_user_attributes(AccessToken=token, UserAttributes=_attrs(custom__tier="none"))
    assert _refused(by_user) == immutable
    with pytest.raises(ClientError) as by_admin:
        idp.admin_update_user_attributes(
            UserPoolId=app.pool_id, Username=name, UserAttributes=_attrs(custom__tier="none")
        )
    assert _refused(by_admin) == immutable
    with pytest.raises(ClientError) as flag:
        idp.update_user_attributes(AccessToken=token, UserAttributes=_attrs(email_verified="true"))
    assert "email_verified" in _refused(flag)
    idp.update_user_attributes(AccessToken=token, UserAttributes=_attrs(name="Named"))
    with pytest.raises(ClientError) as required:
        idp.delete_user_attributes(AccessToken=token, UserAttributeNames=["name"])
    assert _refused(required) == f"{NOT_CONFORM}name: The attribute is required"
    assert _attributes(idp, app, name)["custom:tier"] == "gold"


def test_add_custom_attributes_extends_the_schema_and_reaches_the_id_token(
    local_pool: PoolServer,
) -> None:
    app, idp, name = _pool(local_pool), local_pool.client(), _name()
    local_pool.add_user(app, name)
    token = srp_login(idp, app, name)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as before:
        idp.update_user_attributes(AccessToken=token, UserAttributes=_attrs(custom__plan="pro"))
    assert "could not be determined" in _refused(before)
    plan = {"Name": "plan", "AttributeDataType": "String", "Mutable": True}
    idp.add_custom_attributes(UserPoolId=app.pool_id, CustomAttributes=[plan])
    with pytest.raises(ClientError) as again:
        idp.add_custom_attributes(UserPoolId=app.pool_id, CustomAttributes=[plan])
    assert _refused(again) == "Existing attribute already has name custom:plan."
    with pytest.raises(ClientError) as required:
        idp.add_custom_attributes(
            UserPoolId=app.pool_id, CustomAttributes=[{"Name": "must", "Required": True}]
        )
    assert _refused(required) == "Required custom attributes are not supported currently."
    idp.update_user_attributes(AccessToken=token, UserAttributes=_attrs(custom__plan="pro"))
    tokens = srp_login(idp, app, name)["AuthenticationResult"]
    assert _claims(tokens["IdToken"])["custom:plan"] == "pro"
    described = idp.describe_user_pool(UserPoolId=app.pool_id)["UserPool"]["SchemaAttributes"]
    assert "custom:plan" in {a["Name"] for a in described}
    with pytest.raises(ClientError) as custom_required:
        idp.create_user_pool(
            PoolName="bad", Schema=[{"Name": "x", "AttributeDataType": "String", "Required": True}]
        )
    assert _refused(custom_required) == "Required custom attributes are not supported currently."


# -- aliases --------------------------------------------------------------------------------------
def test_a_verified_alias_signs_in_and_belongs_to_one_user(local_pool: PoolServer) -> None:
    app, idp = _pool(local_pool, AliasAttributes=["email"]), local_pool.client()
    address = f"{_name('shared')}@example.com"
    with pytest.raises(ClientError) as shaped:
        _sign_up(local_pool, app, address, email=address)
    assert "email format" in _refused(shaped)
    first, second = _name(), _name()
    _sign_up(local_pool, app, first, email=address)
    with pytest.raises(ClientError) as unverified:  # not an alias until verified
        srp_login(idp, app, address)
    assert _error(unverified)[0] == "UserNotFoundException"
    _confirm(local_pool, app, first)
    by_alias = srp_login(idp, app, address)["AuthenticationResult"]
    assert _claims(by_alias["IdToken"])["cognito:username"] == first
    _sign_up(local_pool, app, second, email=address.upper())  # unverified: allowed
    with pytest.raises(ClientError) as exists:
        _confirm(local_pool, app, second)
    assert _error(exists)[0] == "AliasExistsException"
    assert idp.admin_get_user(UserPoolId=app.pool_id, Username=second)["UserStatus"] == (
        "UNCONFIRMED"
    )
    idp.resend_confirmation_code(ClientId=app.client_id, Username=second)
    _confirm(local_pool, app, second, ForceAliasCreation=True)
    moved = srp_login(idp, app, address)["AuthenticationResult"]
    assert _claims(moved["IdToken"])["cognito:username"] == second
    assert _attributes(idp, app, first)["email_verified"] == "false"  # the older holder lost it
    assert "AuthenticationResult" in srp_login(idp, app, first)  # still by its username


def test_verifying_or_an_administrator_moves_an_alias_and_force_alias_creation(
    local_pool: PoolServer,
) -> None:
    app, idp = _pool(local_pool, AliasAttributes=["email", "phone_number"]), local_pool.client()
    address = f"{_name('alias')}@example.com"
    holder, taker, admin_made = _name(), _name(), _name()
    local_pool.add_user(app, holder, attributes={"email": address, "email_verified": "true"})
    local_pool.add_user(app, taker)
    token = srp_login(idp, app, taker)["AuthenticationResult"]["AccessToken"]
    changed = idp.update_user_attributes(AccessToken=token, UserAttributes=_attrs(email=address))
    assert changed["CodeDeliveryDetailsList"][0]["AttributeName"] == "email"
    code = _codes(local_pool, app, taker, "VERIFY_ATTRIBUTE")[-1]
    idp.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    assert (
        _claims(srp_login(idp, app, address)["AuthenticationResult"]["IdToken"])["cognito:username"]
        == taker
    )
    assert _attributes(idp, app, holder)["email_verified"] == "false"
    verified = _attrs(email=address, email_verified="true")
    with pytest.raises(ClientError) as exists:
        idp.admin_create_user(UserPoolId=app.pool_id, Username=admin_made,
                              UserAttributes=verified, MessageAction="SUPPRESS")  # fmt: skip
    assert _error(exists) == (
        "AliasExistsException", "An account with the given email already exists.",
    )  # fmt: skip
    idp.admin_create_user(UserPoolId=app.pool_id, Username=admin_made, UserAttributes=verified,
                          MessageAction="SUPPRESS", ForceAliasCreation=True)  # fmt: skip
    assert _attributes(idp, app, taker)["email_verified"] == "false"
    idp.admin_update_user_attributes(UserPoolId=app.pool_id, Username=holder,
                                     UserAttributes=verified)  # fmt: skip
    assert _attributes(idp, app, admin_made)["email_verified"] == "false"
    found = idp.admin_get_user(UserPoolId=app.pool_id, Username=address)  # an alias names a user
    assert found["Username"] == holder


def test_an_email_username_moves_its_sign_in_key_and_stays_unique(local_pool: PoolServer) -> None:
    app, idp = _pool(local_pool, UsernameAttributes=["email"]), local_pool.client()
    old, new = (f"{_name(p)}@example.com" for p in ("old", "new"))
    other = f"{_name('other')}@example.com"
    _sign_up(local_pool, app, old)
    with pytest.raises(ClientError) as taken:
        _sign_up(local_pool, app, old.upper())
    assert _error(taken)[0] == "UsernameExistsException"
    _confirm(local_pool, app, old)
    token = srp_login(idp, app, old)["AuthenticationResult"]["AccessToken"]
    idp.update_user_attributes(AccessToken=token, UserAttributes=_attrs(email=new))
    assert "AuthenticationResult" in srp_login(idp, app, new)  # unverified, still the key
    with pytest.raises(ClientError) as gone:
        srp_login(idp, app, old)
    assert _error(gone)[0] == "UserNotFoundException"
    _sign_up(local_pool, app, other)
    with pytest.raises(ClientError) as clash:
        idp.admin_update_user_attributes(
            UserPoolId=app.pool_id, Username=other, UserAttributes=_attrs(email=new)
        )
    assert _error(clash) == (
        "AliasExistsException", "An account with the given email already exists.",
    )  # fmt: skip
    with pytest.raises(ClientError) as again:
        _sign_up(local_pool, app, new)
    assert _error(again)[0] == "UsernameExistsException"


def test_a_change_waits_for_verification_when_the_pool_requires_it(
    local_pool: PoolServer,
) -> None:
    settings = {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    app = _pool(local_pool, UsernameAttributes=["email"], UserAttributeUpdateSettings=settings)
    idp = local_pool.client()
    old, new = (f"{_name(p)}@example.com" for p in ("was", "now"))
    _sign_up(local_pool, app, old)
    _confirm(local_pool, app, old)
    token = srp_login(idp, app, old)["AuthenticationResult"]["AccessToken"]
    sent = idp.update_user_attributes(AccessToken=token, UserAttributes=_attrs(email=new))
    assert sent["CodeDeliveryDetailsList"][0]["Destination"].startswith(new[0])
    held = {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=token)["UserAttributes"]}
    assert (held["email"], held["email_verified"]) == (old, "true")  # the old value stays
    assert "AuthenticationResult" in srp_login(idp, app, old)
    with pytest.raises(ClientError) as not_yet:
        srp_login(idp, app, new)
    assert _error(not_yet)[0] == "UserNotFoundException"
    username = idp.get_user(AccessToken=token)["Username"]
    resent = idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    assert resent["CodeDeliveryDetails"]["Destination"].startswith(new[0])
    code = _codes(local_pool, app, username, "VERIFY_ATTRIBUTE")[-1]
    idp.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    held = {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=token)["UserAttributes"]}
    assert (held["email"], held["email_verified"]) == (new, "true")
    assert "AuthenticationResult" in srp_login(idp, app, new)
    with pytest.raises(ClientError) as refused:
        idp.create_user_pool(PoolName="bad", UserAttributeUpdateSettings=settings)
    assert _refused(refused).startswith("AttributesRequireVerificationBeforeUpdate")


# -- group roles ----------------------------------------------------------------------------------
def _role(name: str) -> str:
    return f"arn:aws:iam::123456789012:role/{name}"


def test_group_roles_reach_the_id_token_as_cognito_issues_them(local_pool: PoolServer) -> None:
    app, idp, name = _pool(local_pool), local_pool.client(), _name()
    local_pool.add_user(app, name)
    groups = {
        "ops": {"Precedence": 1, "RoleArn": _role("ops")},
        "dev": {"Precedence": 2, "RoleArn": _role("dev")},
        "plain": {"Precedence": 0},
        "loose": {"RoleArn": _role("loose")},
    }
    for group, settings in groups.items():
        idp.create_group(UserPoolId=app.pool_id, GroupName=group, **settings)
        idp.admin_add_user_to_group(UserPoolId=app.pool_id, Username=name, GroupName=group)
    tokens = srp_login(idp, app, name)["AuthenticationResult"]
    id_claims, access = _claims(tokens["IdToken"]), _claims(tokens["AccessToken"])
    assert id_claims["cognito:groups"] == ["plain", "ops", "dev", "loose"]
    assert id_claims["cognito:roles"] == [_role("ops"), _role("dev"), _role("loose")]
    assert id_claims["cognito:preferred_role"] == _role("ops")
    assert "cognito:roles" not in access
    assert "cognito:preferred_role" not in access
    idp.update_group(UserPoolId=app.pool_id, GroupName="dev", Precedence=1)  # a tie, two roles
    tied = _claims(srp_login(idp, app, name)["AuthenticationResult"]["IdToken"])
    assert "cognito:preferred_role" not in tied
    assert len(tied["cognito:roles"]) == 3
    idp.update_group(UserPoolId=app.pool_id, GroupName="dev", Precedence=1, RoleArn=_role("ops"))
    same = _claims(srp_login(idp, app, name)["AuthenticationResult"]["IdToken"])
    assert same["cognito:preferred_role"] == _role("ops")  # tied on the same role: it is set
    assert same["cognito:roles"] == [_role("ops"), _role("loose")]


def test_managed_login_tokens_carry_the_group_claims_too(local_pool: PoolServer) -> None:
    hosted = hosted_pool(local_pool)
    idp, pool_id = local_pool.client(), hosted.setup.pool_id
    idp.create_group(UserPoolId=pool_id, GroupName="staff", Precedence=3, RoleArn=_role("staff"))
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username=hosted.username, GroupName="staff")
    web, (verifier, challenge) = requests.Session(), _pkce()
    callback = _through_mfa(hosted, web, _sign_in(hosted, web, "st-groups", challenge))
    answer = _redeem(hosted, parse_qs(urlparse(callback).query)["code"][0], verifier).json()
    ident, access = _claims(answer["id_token"]), _claims(answer["access_token"])
    assert ident["cognito:groups"] == access["cognito:groups"] == ["staff"]
    assert ident["cognito:preferred_role"] == _role("staff")
    assert ident["cognito:roles"] == [_role("staff")]
