"""Choice-based sign-in (USER_AUTH) over HTTP with boto3 against the local pool (§12)."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest

import srp_fast
from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import enroll_totp, error_of, srp_responses, tokens

EMAIL = "ann@example.com"
PHONE = "+15550100042"
PASSWORDLESS = ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]


def _app(
    server: PoolServer,
    *,
    factors: list[str] | None = None,
    mfa: str = "OFF",
    flows: tuple[str, ...] = ("ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
) -> App:
    """A pool allowing ``factors`` first (all three by default) and a USER_AUTH client."""
    idp = server.client()
    policies = {"SignInPolicy": {"AllowedFirstAuthFactors": factors or PASSWORDLESS}}
    pool_id = idp.create_user_pool(PoolName="user-auth", Policies=policies)["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration=mfa
    )
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="ua", ExplicitAuthFlows=list(flows)
    )["UserPoolClient"]
    return App(pool_id=pool_id, client_id=client["ClientId"])


def _user(server: PoolServer, app: App, name: str, **attributes: str) -> None:
    server.add_user(app, name, attributes=attributes or {"email": EMAIL, "phone_number": PHONE})


def _start(idp: Any, app: App, name: str, **auth: str) -> Any:
    return idp.initiate_auth(
        AuthFlow="USER_AUTH", ClientId=app.client_id, AuthParameters={"USERNAME": name, **auth}
    )


def _respond(idp: Any, app: App, name: str, session: str, **responses: str) -> Any:
    return idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName=responses.pop("challenge", "SELECT_CHALLENGE"),
        Session=session,
        ChallengeResponses={"USERNAME": name, **responses},
    )


def _code(server: PoolServer, app: App, name: str) -> str:
    found = server.get_json(f"/_pool/messages?username={name}&pool_id={app.pool_id}")
    return str(found["messages"][-1]["code"])


def test_without_a_preference_the_user_gets_select_challenge_with_their_own_factors(
    local_pool: PoolServer,
) -> None:
    app, idp = _app(local_pool), local_pool.client()
    _user(local_pool, app, "ann")
    _user(local_pool, app, "bob", email="bob@example.com")
    _user(local_pool, app, "cat", locale="en")
    answer = _start(idp, app, "ann")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP", "SMS_OTP"]
    assert _start(idp, app, "bob")["AvailableChallenges"][2:] == ["EMAIL_OTP"]
    assert _start(idp, app, "cat")["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD"]


def test_preferred_password_signs_in_at_once(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    _user(local_pool, app, "ann")
    answer = _start(idp, app, "ann", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert set(answer["AuthenticationResult"]) >= {"AccessToken", "IdToken", "RefreshToken"}


def test_preferred_password_srp_is_answered_with_the_same_srp_maths(
    local_pool: PoolServer,
) -> None:
    app, idp = _app(local_pool), local_pool.client()
    _user(local_pool, app, "ann")
    eph = srp_fast.new_ephemeral()
    answer = _start(idp, app, "ann", PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=eph.public_hex)
    assert answer["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = srp_responses(app, answer["ChallengeParameters"], PASSWORD, eph=eph)
    done = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=answer["Session"],
        ChallengeResponses=responses,
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_email_otp_sends_an_eight_digit_code_and_a_wrong_one_keeps_the_session(
    local_pool: PoolServer,
) -> None:
    app, idp = _app(local_pool), local_pool.client()
    _user(local_pool, app, "ann")
    answer = _start(idp, app, "ann", PREFERRED_CHALLENGE="EMAIL_OTP")
    assert answer["ChallengeName"] == "EMAIL_OTP"
    assert answer["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "a***@e***"
    code = _code(local_pool, app, "ann")
    assert len(code) == 8
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    session = answer["Session"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _respond(idp, app, "ann", session, challenge="EMAIL_OTP", EMAIL_OTP_CODE=wrong)
    assert error_of(refused)[0] == "CodeMismatchException"
    done = _respond(idp, app, "ann", session, challenge="EMAIL_OTP", EMAIL_OTP_CODE=code)
    assert "AccessToken" in done["AuthenticationResult"]
    with pytest.raises(botocore.exceptions.ClientError) as again:
        _respond(idp, app, "ann", session, challenge="EMAIL_OTP", EMAIL_OTP_CODE=code)
    assert error_of(again) == (
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )


def test_sms_otp_through_select_challenge(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    _user(local_pool, app, "ann")
    select = _start(idp, app, "ann")
    sent = _respond(idp, app, "ann", select["Session"], ANSWER="SMS_OTP")
    assert sent["ChallengeName"] == "SMS_OTP"
    assert sent["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0042"
    code = _code(local_pool, app, "ann")
    done = _respond(idp, app, "ann", sent["Session"], challenge="SMS_OTP", SMS_OTP_CODE=code)
    assert "AccessToken" in done["AuthenticationResult"]


@pytest.mark.parametrize("form", ["ANSWER", "ChallengeName"])
def test_select_challenge_takes_the_password_in_both_documented_forms(
    local_pool: PoolServer, form: str
) -> None:
    app, idp = _app(local_pool), local_pool.client()
    _user(local_pool, app, "ann")
    select = _start(idp, app, "ann")
    extra = {"ANSWER": "PASSWORD"} if form == "ANSWER" else {"challenge": "PASSWORD"}
    done = _respond(idp, app, "ann", select["Session"], PASSWORD=PASSWORD, **extra)
    assert "AccessToken" in done["AuthenticationResult"]


def test_select_challenge_with_password_srp_then_the_verifier(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    _user(local_pool, app, "ann")
    select = _start(idp, app, "ann")
    eph = srp_fast.new_ephemeral()
    verifier = _respond(
        idp, app, "ann", select["Session"], ANSWER="PASSWORD_SRP", SRP_A=eph.public_hex
    )
    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = srp_responses(app, verifier["ChallengeParameters"], PASSWORD, eph=eph)
    done = idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_an_answer_not_offered_is_refused(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    _user(local_pool, app, "cat", locale="en")
    select = _start(idp, app, "cat")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _respond(idp, app, "cat", select["Session"], ANSWER="EMAIL_OTP")
    assert error_of(refused)[0] == "InvalidParameterException"


def test_wrong_passwords_count_toward_the_lockout(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    _user(local_pool, app, "ann")
    messages = []
    for _ in range(8):
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            _start(idp, app, "ann", PREFERRED_CHALLENGE="PASSWORD", PASSWORD="Wr0ng!pass")
        messages.append(error_of(refused))
    assert messages[0] == ("NotAuthorizedException", "Incorrect username or password.")
    assert messages[-1] == ("NotAuthorizedException", "Password attempts exceeded")
    with pytest.raises(botocore.exceptions.ClientError) as locked:
        tokens(idp, app, "ann")
    assert error_of(locked)[1] == "Password attempts exceeded"


def test_mfa_follows_the_password_and_hides_passwordless_factors(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool, mfa="OPTIONAL"), local_pool.client()
    _user(local_pool, app, "ann")
    assert "EMAIL_OTP" in _start(idp, app, "ann")["AvailableChallenges"]
    enroll_totp(local_pool, idp, tokens(idp, app, "ann")["AccessToken"])
    assert _start(idp, app, "ann")["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD"]
    answer = _start(idp, app, "ann", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_a_client_without_allow_user_auth_is_refused(local_pool: PoolServer) -> None:
    app = _app(local_pool, flows=("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"))
    _user(local_pool, app, "ann")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _start(local_pool.client(), app, "ann")
    assert error_of(refused) == (
        "InvalidParameterException",
        "USER_AUTH flow not enabled for this client",
    )


def test_pools_must_keep_password_as_a_first_factor(local_pool: PoolServer) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _app(local_pool, factors=["EMAIL_OTP"])
    assert error_of(refused) == (
        "InvalidParameterException",
        "Password should be configured as one of the allowed first auth factors.",
    )


def test_factors_the_pool_does_not_allow_are_not_offered(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool, factors=["PASSWORD", "SMS_OTP"]), local_pool.client()
    _user(local_pool, app, "ann")
    answer = _start(idp, app, "ann", PREFERRED_CHALLENGE="EMAIL_OTP")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "SMS_OTP"]


def test_an_address_verified_by_a_passwordless_code_is_a_sign_in_alias_at_once(
    local_pool: PoolServer,
) -> None:
    """In a pool with an e-mail alias, the EMAIL_OTP code verifies the address; Cognito then
    signs the user in by it, and the address moves from an older holder as a verification
    moves it."""
    idp = local_pool.client()
    policies = {"SignInPolicy": {"AllowedFirstAuthFactors": PASSWORDLESS}}
    pool_id = idp.create_user_pool(
        PoolName="user-auth-alias", Policies=policies, AliasAttributes=["email"]
    )["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="ua", ExplicitAuthFlows=["ALLOW_USER_AUTH"]
    )["UserPoolClient"]
    app = App(pool_id=pool_id, client_id=client["ClientId"])
    address = "alias-otp@example.com"
    for name in ("old", "new"):
        local_pool.add_user(app, name, attributes={"email": address, "email_verified": "false"})
    with pytest.raises(botocore.exceptions.ClientError) as unknown:
        _start(idp, app, address, PREFERRED_CHALLENGE="PASSWORD")
    assert error_of(unknown)[0] == "UserNotFoundException"
    for name in ("old", "new"):
        answer = _start(idp, app, name, PREFERRED_CHALLENGE="EMAIL_OTP")
        code = _code(local_pool, app, name)
        session = answer["Session"]
        _respond(idp, app, name, session, challenge="EMAIL_OTP", EMAIL_OTP_CODE=code)
    by_alias = _start(idp, app, address, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert by_alias["ChallengeName"] == "EMAIL_OTP"
    sent = local_pool.get_json(f"/_pool/messages?pool_id={pool_id}")["messages"]
    assert [m["username"] for m in sent] == ["old", "new", "new"]
    attributes = {
        a["Name"]: a["Value"]
        for a in idp.admin_get_user(UserPoolId=pool_id, Username="old")["UserAttributes"]
    }
    assert attributes["email_verified"] == "false"
