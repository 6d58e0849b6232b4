"""TOTP enrolment (by access token and through MFA_SETUP) and SOFTWARE_TOKEN_MFA sign-in."""

from __future__ import annotations

import uuid
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

import srp_fast
from tests.conftest import App, PoolServer

from .helpers import enroll_totp, error_of, srp_login, tokens

pytestmark = pytest.mark.e2e


def _mfa_user(server: PoolServer, **provision: Any) -> tuple[Any, App, str, pyotp.TOTP]:
    idp, app = server.client(), server.provision(mfa="OPTIONAL", **provision)
    name = f"mfa-{uuid.uuid4().hex[:8]}"
    server.add_user(app, name)
    totp = enroll_totp(server, idp, tokens(idp, app, name)["AccessToken"])
    return idp, app, name, totp


def _answer(idp: Any, app: App, name: str, code: str, session: str) -> Any:
    return idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=session,
        ChallengeResponses={"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": code},
    )


def test_software_token_mfa_sign_in(local_pool: PoolServer) -> None:
    idp, app, name, totp = _mfa_user(local_pool)
    challenge = srp_login(idp, app, name)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert challenge["ChallengeParameters"] == {
        "USER_ID_FOR_SRP": name,
        "FRIENDLY_DEVICE_NAME": "phone",
    }
    done = _answer(idp, app, name, totp.at(local_pool.now()), challenge["Session"])
    assert "AccessToken" in done["AuthenticationResult"]
    settings = idp.admin_get_user(UserPoolId=app.pool_id, Username=name)
    assert settings["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert settings["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"


def test_wrong_code_keeps_the_session_then_replay_and_reuse_fail(local_pool: PoolServer) -> None:
    idp, app, name, totp = _mfa_user(local_pool)
    session = srp_login(idp, app, name)["Session"]
    code = totp.at(local_pool.now())
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(ClientError) as excinfo:
        _answer(idp, app, name, wrong, session)
    assert error_of(excinfo) == ("CodeMismatchException", "Invalid code received for user")
    assert "AuthenticationResult" in _answer(idp, app, name, code, session)
    with pytest.raises(ClientError) as excinfo:
        _answer(idp, app, name, code, session)
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )
    fresh = srp_login(idp, app, name)["Session"]
    with pytest.raises(ClientError) as excinfo:
        _answer(idp, app, name, code, fresh)
    assert error_of(excinfo) == (
        "ExpiredCodeException",
        "Your software token has already been used once.",
    )
    local_pool.advance_clock(30)
    assert "AuthenticationResult" in _answer(idp, app, name, totp.at(local_pool.now()), fresh)


def test_adjacent_steps_are_accepted(local_pool: PoolServer) -> None:
    idp, app, name, totp = _mfa_user(local_pool)
    session = srp_login(idp, app, name)["Session"]
    local_pool.advance_clock(30)  # the enrolment's step is used; its successor is not
    previous = totp.at(local_pool.now() - 30)
    assert "AuthenticationResult" in _answer(idp, app, name, previous, session)


def test_session_expires_after_auth_session_validity(local_pool: PoolServer) -> None:
    idp, app, name, totp = _mfa_user(local_pool)
    session = srp_login(idp, app, name)["Session"]
    local_pool.advance_clock(3 * 60 + 1)
    with pytest.raises(ClientError) as excinfo:
        _answer(idp, app, name, totp.at(local_pool.now()), session)
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


def test_garbage_session_is_invalid(local_pool: PoolServer) -> None:
    idp, app, name, _ = _mfa_user(local_pool)
    with pytest.raises(ClientError) as excinfo:
        _answer(idp, app, name, "123456", "A" * 40)
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")


def test_enrolment_errors(local_pool: PoolServer) -> None:
    idp, app = local_pool.client(), local_pool.provision(mfa="OPTIONAL")
    local_pool.add_user(app, "enrol")
    access = tokens(idp, app, "enrol")["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        idp.set_user_mfa_preference(
            AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA",
    )
    secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
    assert len(secret) >= 16
    assert "Session" not in idp.associate_software_token(AccessToken=access)
    with pytest.raises(ClientError) as excinfo:
        idp.verify_software_token(AccessToken=access, UserCode="000000")
    assert error_of(excinfo) == (
        "EnableSoftwareTokenMFAException",
        "Code mismatch and fail enable Software Token MFA",
    )


def test_totp_not_enabled_by_the_pool(local_pool: PoolServer) -> None:
    idp = local_pool.client()
    pool_id = idp.create_user_pool(PoolName="no-totp")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="c")["UserPoolClient"][
        "ClientId"
    ]
    app = App(pool_id=pool_id, client_id=client_id)
    local_pool.add_user(app, "plain")
    access = tokens(idp, app, "plain")["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        idp.associate_software_token(AccessToken=access)
    assert error_of(excinfo) == (
        "SoftwareTokenMFANotFoundException",
        "Software Token MFA has not been enabled by the userPool",
    )


def test_mfa_setup_challenge_when_the_pool_requires_mfa(local_pool: PoolServer) -> None:
    idp, app = local_pool.client(), local_pool.provision(mfa="ON")
    local_pool.add_user(app, "setup")
    first = srp_login(idp, app, "setup")
    assert first["ChallengeName"] == "MFA_SETUP"
    assert first["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    associated = idp.associate_software_token(Session=first["Session"])
    totp = pyotp.TOTP(associated["SecretCode"])
    with pytest.raises(ClientError) as excinfo:
        idp.associate_software_token(Session=first["Session"])
    assert error_of(excinfo)[1].endswith("session can only be used once.")
    verified = idp.verify_software_token(
        Session=associated["Session"], UserCode=totp.at(local_pool.now())
    )
    assert verified["Status"] == "SUCCESS"
    assert verified["Session"] != associated["Session"]
    done = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": "setup"},
    )
    assert "AccessToken" in done["AuthenticationResult"]
    local_pool.advance_clock(30)
    again = srp_login(idp, app, "setup")
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" in _answer(
        idp, app, "setup", totp.at(local_pool.now()), again["Session"]
    )


def test_select_mfa_type_when_two_factors_are_enabled(local_pool: PoolServer) -> None:
    idp, app = local_pool.client(), local_pool.provision(mfa="OPTIONAL")
    idp.set_user_pool_mfa_config(
        UserPoolId=app.pool_id, SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"}
    )
    local_pool.add_user(app, "both", attributes={"phone_number": "+15555550100"})
    access = tokens(idp, app, "both")["AccessToken"]
    totp = enroll_totp(local_pool, idp, access)
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id,
        Username="both",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    first = srp_login(idp, app, "both")
    assert first["ChallengeName"] == "SELECT_MFA_TYPE"
    assert first["ChallengeParameters"]["MFAS_CAN_CHOOSE"] == '["SMS_MFA","SOFTWARE_TOKEN_MFA"]'
    chosen = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="SELECT_MFA_TYPE",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": "both", "ANSWER": "SOFTWARE_TOKEN_MFA"},
    )
    assert chosen["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = _answer(idp, app, "both", totp.at(local_pool.now()), chosen["Session"])
    assert "AuthenticationResult" in done


def test_admin_flow_with_totp_as_in_the_seed_walkthrough(local_pool: PoolServer) -> None:
    idp, app, name, totp = _mfa_user(local_pool, device_tracking=True)
    first = idp.admin_initiate_auth(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": "Passw0rd!"},
    )
    assert first["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert first["Session"]
    done = idp.admin_respond_to_auth_challenge(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        ChallengeResponses={"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": totp.at(local_pool.now())},
        Session=first["Session"],
    )
    result = done["AuthenticationResult"]
    assert done["ChallengeParameters"] == {}
    assert result["NewDeviceMetadata"]["DeviceKey"].startswith("us-east-1_")
    assert result["NewDeviceMetadata"]["DeviceGroupKey"].startswith("-")


def test_secret_hash_is_required_at_every_step(local_pool: PoolServer) -> None:
    idp, app, name, totp = _mfa_user(local_pool, secret=True)
    session = srp_login(idp, app, name)["Session"]
    code = totp.at(local_pool.now())
    with pytest.raises(ClientError) as excinfo:
        _answer(idp, app, name, code, session)
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        f"Client {app.client_id} is configured for secret but secret was not received",
    )
    assert app.client_secret is not None
    done = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=session,
        ChallengeResponses={
            "USERNAME": name,
            "SOFTWARE_TOKEN_MFA_CODE": code,
            "SECRET_HASH": srp_fast.secret_hash(name, app.client_id, app.client_secret),
        },
    )
    assert "AccessToken" in done["AuthenticationResult"]
