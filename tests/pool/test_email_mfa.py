"""EMAIL_OTP as a second factor (e-mail MFA) against the local pool, through boto3.

Codes are read back from the pool's message sink, as the toolkit's code source does. Also the
rule that a newer sign-in's code supersedes an older Session's, for SMS and e-mail alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.email_mfa import (
    EMAIL_MFA,
    SES,
    email_app,
    email_user,
    last_message,
    other_code,
)
from tests.pool.helpers import enroll_totp, error_of, srp_login, tokens

PHONE = "+15550100123"  # NANP's fictional 555-01XX range


def answer(idp: Any, app: App, name: str, code: str, session: str) -> Any:
    return idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="EMAIL_OTP",
        Session=session,
        ChallengeResponses={"USERNAME": name, "EMAIL_OTP_CODE": code},
    )


def test_email_mfa_needs_ses_mfa_on_and_a_tier_above_lite(local_pool: PoolServer) -> None:
    idp = local_pool.client()
    plain = idp.create_user_pool(PoolName="no-ses")["UserPool"]["Id"]
    with pytest.raises(ClientError) as no_ses:
        idp.set_user_pool_mfa_config(
            UserPoolId=plain, EmailMfaConfiguration=EMAIL_MFA, MfaConfiguration="OPTIONAL"
        )
    assert error_of(no_ses)[0] == "InvalidParameterException"
    assert "DEVELOPER" in error_of(no_ses)[1]
    ses = idp.create_user_pool(PoolName="ses", EmailConfiguration=SES)["UserPool"]["Id"]
    with pytest.raises(ClientError) as off:
        idp.set_user_pool_mfa_config(
            UserPoolId=ses, EmailMfaConfiguration=EMAIL_MFA, MfaConfiguration="OFF"
        )
    assert error_of(off)[1] == (
        "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
    )
    lite = idp.create_user_pool(PoolName="lite", EmailConfiguration=SES, UserPoolTier="LITE")
    with pytest.raises(ClientError) as lite_refused:
        idp.set_user_pool_mfa_config(
            UserPoolId=lite["UserPool"]["Id"],
            EmailMfaConfiguration=EMAIL_MFA,
            MfaConfiguration="OPTIONAL",
        )
    assert error_of(lite_refused)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as no_placeholder:
        idp.set_user_pool_mfa_config(
            UserPoolId=ses,
            EmailMfaConfiguration={"Message": "no code here"},
            MfaConfiguration="OPTIONAL",
        )
    assert "{####}" in error_of(no_placeholder)[1]
    done = idp.set_user_pool_mfa_config(
        UserPoolId=ses, EmailMfaConfiguration=EMAIL_MFA, MfaConfiguration="OPTIONAL"
    )
    assert done["EmailMfaConfiguration"] == EMAIL_MFA
    assert idp.get_user_pool_mfa_config(UserPoolId=ses)["EmailMfaConfiguration"] == EMAIL_MFA


def test_email_mfa_sends_a_masked_code_to_the_sink_and_signs_in(local_pool: PoolServer) -> None:
    idp, app = email_app(local_pool)
    email_user(local_pool, idp, app, "eve")
    settings = idp.admin_get_user(UserPoolId=app.pool_id, Username="eve")
    assert settings["UserMFASettingList"] == ["EMAIL_OTP"]
    assert settings["PreferredMfaSetting"] == "EMAIL_OTP"
    first = srp_login(idp, app, "eve")
    assert first["ChallengeName"] == "EMAIL_OTP"
    params = first["ChallengeParameters"]
    assert params["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert params["CODE_DELIVERY_DESTINATION"] == "e***@e***"
    message = last_message(local_pool, app, "eve")
    assert (message["medium"], message["purpose"]) == ("EMAIL", "EMAIL_OTP")
    assert message["destination"] == "e***@e***"
    assert len(message["code"]) == 6
    assert message["code"].isdigit()
    with pytest.raises(ClientError) as mismatch:
        answer(idp, app, "eve", other_code(message["code"]), first["Session"])
    assert error_of(mismatch) == (
        "CodeMismatchException",
        "Invalid code or auth state for the user.",
    )
    done = answer(idp, app, "eve", message["code"], first["Session"])  # the Session survived
    assert "AccessToken" in done["AuthenticationResult"]
    with pytest.raises(ClientError) as reused:
        answer(idp, app, "eve", message["code"], first["Session"])
    assert "only be used once" in error_of(reused)[1]
    user = idp.admin_get_user(UserPoolId=app.pool_id, Username="eve")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email_verified"] == "true"  # the first MFA verifies the address


def test_email_mfa_through_the_admin_flow(local_pool: PoolServer) -> None:
    idp, app = email_app(local_pool)
    email_user(local_pool, idp, app, "ada")
    first = idp.admin_initiate_auth(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": PASSWORD},
    )
    assert first["ChallengeName"] == "EMAIL_OTP"
    done = idp.admin_respond_to_auth_challenge(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        ChallengeName="EMAIL_OTP",
        Session=first["Session"],
        ChallengeResponses={
            "USERNAME": "ada",
            "EMAIL_OTP_CODE": last_message(local_pool, app, "ada")["code"],
        },
    )
    assert "IdToken" in done["AuthenticationResult"]


def test_wrong_email_codes_lock_the_user_after_five(pool_server: Any) -> None:
    server: PoolServer = pool_server("--freeze-clock", "--no-quotas")
    idp, app = email_app(server)
    email_user(server, idp, app, "lea")
    first = srp_login(idp, app, "lea")
    code = last_message(server, app, "lea")["code"]
    errors = []
    for _ in range(6):
        with pytest.raises(ClientError) as failed:
            answer(idp, app, "lea", other_code(code), first["Session"])
        errors.append(error_of(failed)[1])
    assert errors[:5] == ["Invalid code or auth state for the user."] * 5
    assert errors[5] == "Password attempts exceeded"
    with pytest.raises(ClientError) as locked:
        answer(idp, app, "lea", code, first["Session"])
    assert error_of(locked)[1] == "Password attempts exceeded"


def test_select_mfa_type_offers_email_and_can_choose_it(local_pool: PoolServer) -> None:
    idp, app = email_app(local_pool, sms=True)
    email_user(local_pool, idp, app, "tri", preferred=False, phone_number=PHONE)
    enroll_totp(local_pool, idp, tokens_after_email(local_pool, idp, app, "tri"))
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id,
        Username="tri",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    first = srp_login(idp, app, "tri")
    assert first["ChallengeName"] == "SELECT_MFA_TYPE"
    choices = json.loads(first["ChallengeParameters"]["MFAS_CAN_CHOOSE"])
    assert choices == ["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    chosen = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="SELECT_MFA_TYPE",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": "tri", "ANSWER": "EMAIL_OTP"},
    )
    assert chosen["ChallengeName"] == "EMAIL_OTP"
    assert last_message(local_pool, app, "tri")["medium"] == "EMAIL"
    code = last_message(local_pool, app, "tri")["code"]
    assert "AuthenticationResult" in answer(idp, app, "tri", code, chosen["Session"])
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id,
        Username="tri",
        EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    assert srp_login(idp, app, "tri")["ChallengeName"] == "EMAIL_OTP"  # the preferred factor
    listed = idp.admin_get_user(UserPoolId=app.pool_id, Username="tri")
    assert set(listed["UserMFASettingList"]) == {"SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"}
    assert listed["PreferredMfaSetting"] == "EMAIL_OTP"


def tokens_after_email(server: PoolServer, idp: Any, app: App, name: str) -> str:
    """An access token for a user whose sign-in asks for e-mail MFA."""
    first = srp_login(idp, app, name)
    code = last_message(server, app, name)["code"]
    access: str = answer(idp, app, name, code, first["Session"])["AuthenticationResult"][
        "AccessToken"
    ]
    return access


def test_email_mfa_needs_an_email_address(local_pool: PoolServer) -> None:
    idp, app = email_app(local_pool)
    local_pool.add_user(app, "nomail")
    with pytest.raises(ClientError) as refused:
        idp.admin_set_user_mfa_preference(
            UserPoolId=app.pool_id, Username="nomail", EmailMfaSettings={"Enabled": True}
        )
    assert error_of(refused)[0] == "InvalidParameterException"
    assert "EMAIL_OTP" in error_of(refused)[1]
    assert "AuthenticationResult" in tokens_of(idp, app, "nomail")


def tokens_of(idp: Any, app: App, name: str) -> dict[str, Any]:
    return {"AuthenticationResult": tokens(idp, app, name)}


@pytest.mark.parametrize("medium", ["SMS", "EMAIL"])
def test_a_newer_sign_in_makes_the_older_sessions_code_fail(
    local_pool: PoolServer, medium: str
) -> None:
    """The older Session's own code no longer signs in once a newer sign-in sent a code (a
    guess that follows aws-sdk-java #2018, docs/challenges.md)."""
    idp, app = email_app(local_pool, sms=True)
    name = f"old-{medium.lower()}"
    if medium == "SMS":
        local_pool.add_user(app, name, attributes={"phone_number": PHONE})
        idp.admin_set_user_mfa_preference(
            UserPoolId=app.pool_id, Username=name, SMSMfaSettings={"Enabled": True}
        )
    else:
        email_user(local_pool, idp, app, name)
    challenge, key = (
        ("SMS_MFA", "SMS_MFA_CODE") if medium == "SMS" else ("EMAIL_OTP", "EMAIL_OTP_CODE")
    )

    def respond(code: str, session: str) -> Any:
        return idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName=challenge,
            Session=session,
            ChallengeResponses={"USERNAME": name, key: code},
        )

    older = srp_login(idp, app, name)
    older_code = last_message(local_pool, app, name)["code"]
    newer = srp_login(idp, app, name)
    newer_code = last_message(local_pool, app, name)["code"]
    with pytest.raises(ClientError) as superseded:
        respond(older_code, older["Session"])
    assert error_of(superseded)[0] == "CodeMismatchException"
    assert "AuthenticationResult" in respond(newer_code, newer["Session"])
