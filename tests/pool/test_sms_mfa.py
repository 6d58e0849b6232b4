"""SMS_MFA, SELECT_MFA_TYPE and ADMIN_NO_SRP_AUTH against the local pool, through boto3.

Codes are read back from the pool's message sink (``GET /_pool/messages``), as the toolkit's
code source does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import enroll_totp, srp_login, tokens

PHONE = "+15550100123"  # NANP's fictional 555-01XX range (see docs/challenges.md)


def sms_app(server: PoolServer, mfa: str = "OPTIONAL") -> tuple[Any, App]:
    idp, app = server.client(), server.provision(mfa=mfa)
    idp.set_user_pool_mfa_config(
        UserPoolId=app.pool_id,
        SmsMfaConfiguration={"SmsAuthenticationMessage": "Your code is {####}"},
    )
    return idp, app


def sms_user(server: PoolServer, idp: Any, app: App, name: str) -> None:
    server.add_user(app, name, attributes={"phone_number": PHONE, "phone_number_verified": "true"})
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id,
        Username=name,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )


def last_code(server: PoolServer, app: App, name: str) -> dict[str, Any]:
    messages = server.get_json(f"/_pool/messages?username={name}&pool_id={app.pool_id}")
    message: dict[str, Any] = messages["messages"][-1]
    return message


def answer(idp: Any, app: App, name: str, code: str, session: str) -> Any:
    return idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="SMS_MFA",
        Session=session,
        ChallengeResponses={"USERNAME": name, "SMS_MFA_CODE": code},
    )


def test_sms_mfa_sends_a_masked_code_to_the_sink_and_signs_in(local_pool: PoolServer) -> None:
    idp, app = sms_app(local_pool)
    sms_user(local_pool, idp, app, "sam")
    first = srp_login(idp, app, "sam")
    assert first["ChallengeName"] == "SMS_MFA"
    params = first["ChallengeParameters"]
    assert params["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert params["CODE_DELIVERY_DESTINATION"] == "+*******0123"
    message = last_code(local_pool, app, "sam")
    assert message["purpose"] == "SMS_MFA"
    assert message["destination"] == "+*******0123"
    wrong = "000000" if message["code"] != "000000" else "111111"
    with pytest.raises(ClientError) as mismatch:
        answer(idp, app, "sam", wrong, first["Session"])
    assert mismatch.value.response["Error"]["Code"] == "CodeMismatchException"
    assert mismatch.value.response["Error"]["Message"] == "Invalid code or auth state for the user."
    done = answer(idp, app, "sam", message["code"], first["Session"])  # the Session survived
    assert "AccessToken" in done["AuthenticationResult"]
    with pytest.raises(ClientError) as reused:
        answer(idp, app, "sam", message["code"], first["Session"])
    assert "only be used once" in reused.value.response["Error"]["Message"]


def test_a_new_sign_in_sends_a_new_code_and_the_old_one_does_not_match_it(
    local_pool: PoolServer,
) -> None:
    idp, app = sms_app(local_pool)
    sms_user(local_pool, idp, app, "sue")
    srp_login(idp, app, "sue")
    old = last_code(local_pool, app, "sue")["code"]
    second = srp_login(idp, app, "sue")
    new = last_code(local_pool, app, "sue")["code"]
    if old != new:  # one draw in a million repeats
        with pytest.raises(ClientError):
            answer(idp, app, "sue", old, second["Session"])
    assert "AuthenticationResult" in answer(idp, app, "sue", new, second["Session"])


def test_wrong_sms_codes_lock_the_user_after_five(pool_server: Any) -> None:
    server: PoolServer = pool_server("--freeze-clock", "--no-quotas")
    idp, app = sms_app(server)
    sms_user(server, idp, app, "lou")
    first = srp_login(idp, app, "lou")
    code = last_code(server, app, "lou")["code"]
    wrong = "000000" if code != "000000" else "111111"
    errors = []
    for _ in range(6):
        with pytest.raises(ClientError) as failed:
            answer(idp, app, "lou", wrong, first["Session"])
        errors.append(failed.value.response["Error"]["Message"])
    assert errors[:5] == ["Invalid code or auth state for the user."] * 5
    assert errors[5] == "Password attempts exceeded"  # locked: even the right code is refused
    with pytest.raises(ClientError) as locked:
        answer(idp, app, "lou", code, first["Session"])
    assert locked.value.response["Error"]["Message"] == "Password attempts exceeded"


def test_select_mfa_type_can_choose_sms(local_pool: PoolServer) -> None:
    idp, app = sms_app(local_pool)
    local_pool.add_user(app, "duo", attributes={"phone_number": PHONE})
    totp = enroll_totp(local_pool, idp, tokens(idp, app, "duo")["AccessToken"])
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id,
        Username="duo",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    first = srp_login(idp, app, "duo")
    assert first["ChallengeName"] == "SELECT_MFA_TYPE"
    choices = json.loads(first["ChallengeParameters"]["MFAS_CAN_CHOOSE"])
    assert choices == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    chosen = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="SELECT_MFA_TYPE",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": "duo", "ANSWER": "SMS_MFA"},
    )
    assert chosen["ChallengeName"] == "SMS_MFA"
    code = last_code(local_pool, app, "duo")["code"]
    assert "AuthenticationResult" in answer(idp, app, "duo", code, chosen["Session"])
    assert totp is not None
    with pytest.raises(ClientError) as bad:
        idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="SELECT_MFA_TYPE",
            Session=srp_login(idp, app, "duo")["Session"],
            ChallengeResponses={"USERNAME": "duo", "ANSWER": "VOICE"},
        )
    assert bad.value.response["Error"]["Code"] == "InvalidParameterException"


def test_admin_no_srp_auth_is_admin_user_password_auth(local_pool: PoolServer) -> None:
    idp, app = sms_app(local_pool)
    local_pool.add_user(app, "adm")
    done = idp.admin_initiate_auth(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": "adm", "PASSWORD": PASSWORD},
    )
    assert "IdToken" in done["AuthenticationResult"]
    sms_user(local_pool, idp, app, "adm2")
    challenged = idp.admin_initiate_auth(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": "adm2", "PASSWORD": PASSWORD},
    )
    assert challenged["ChallengeName"] == "SMS_MFA"
    code = last_code(local_pool, app, "adm2")["code"]
    finished = idp.admin_respond_to_auth_challenge(
        UserPoolId=app.pool_id,
        ClientId=app.client_id,
        ChallengeName="SMS_MFA",
        Session=challenged["Session"],
        ChallengeResponses={"USERNAME": "adm2", "SMS_MFA_CODE": code},
    )
    assert "AccessToken" in finished["AuthenticationResult"]
    with pytest.raises(ClientError) as public:
        idp.initiate_auth(
            ClientId=app.client_id,
            AuthFlow="ADMIN_NO_SRP_AUTH",
            AuthParameters={"USERNAME": "adm", "PASSWORD": PASSWORD},
        )
    assert public.value.response["Error"]["Message"] == "Initiate Auth method not supported."


def test_messages_file_gets_every_code(pool_server: Any, tmp_path: Path) -> None:
    path = tmp_path / "sent.jsonl"
    server: PoolServer = pool_server("--no-quotas", "--messages-file", str(path))
    idp, app = sms_app(server)
    sms_user(server, idp, app, "fay")
    srp_login(idp, app, "fay")
    line = json.loads(path.read_text().splitlines()[-1])
    assert line == last_code(server, app, "fay")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
