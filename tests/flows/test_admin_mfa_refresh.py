"""The admin path, TOTP enrollment by access token, the lost-phone case and refresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pyotp
import pytest

import srp_fast
from loadtest.flows import (
    FlowError,
    Identity,
    InvalidTotpSecret,
    LoginResult,
    Note,
    Tokens,
    UnexpectedResponse,
    admin_login,
    enroll_totp,
    lost_phone,
    refresh,
    refresh_after,
    reset_mfa,
    step_of,
)
from loadtest.protocol import errors

from .scripted import (
    CLIENT_ID,
    NOW,
    POOL_ID,
    SrpServer,
    Step,
    Transcript,
    challenge,
    context,
    run,
    tokens,
    totp_ok,
)

ADMIN_INIT = "AdminInitiateAuth:ADMIN_USER_PASSWORD_AUTH"
ADMIN_MFA = "AdminRespondToAuthChallenge:SOFTWARE_TOKEN_MFA"
SECRET = pyotp.random_base32()


def bob(**kwargs: Any) -> Identity:
    return Identity(username="Bob", password="Passw0rd!", **kwargs)


def test_admin_login_answers_totp_through_admin_respond() -> None:
    seen = Transcript()

    def check(body: Any) -> dict[str, Any]:
        assert totp_ok(SECRET)(body["ChallengeResponses"]["SOFTWARE_TOKEN_MFA_CODE"])
        return tokens()

    mfa = challenge(
        "SOFTWARE_TOKEN_MFA", "S1", FRIENDLY_DEVICE_NAME="BobPhone", USER_ID_FOR_SRP="bob-id"
    )
    result = run(
        admin_login(bob(totp_secret=SECRET), context(secret="s3cr3t")),
        [Step(ADMIN_INIT, mfa), Step(ADMIN_MFA, check)],
        seen,
    )
    init = seen.body(ADMIN_INIT)
    assert init["UserPoolId"] == POOL_ID
    assert init["AuthParameters"]["PASSWORD"] == "Passw0rd!"
    assert init["AuthParameters"]["SECRET_HASH"] == srp_fast.secret_hash("Bob", CLIENT_ID, "s3cr3t")
    respond = seen.body(ADMIN_MFA)
    assert respond["UserPoolId"] == POOL_ID
    assert respond["Session"] == "S1"
    assert respond["ChallengeResponses"]["USERNAME"] == "bob-id"
    assert respond["ChallengeResponses"]["SECRET_HASH"] == srp_fast.secret_hash(
        "bob-id", CLIENT_ID, "s3cr3t"
    )
    assert result.username == "bob-id"


def test_admin_login_without_mfa_returns_tokens_directly() -> None:
    result = run(admin_login(bob(), context()), [Step(ADMIN_INIT, tokens())])
    assert result.challenges == ()


def test_admin_login_wrong_password_surfaces_not_authorized() -> None:
    refusal = errors.NotAuthorized(errors.Messages.INCORRECT_PASSWORD)
    with pytest.raises(errors.NotAuthorized):
        run(admin_login(bob(), context()), [Step(ADMIN_INIT, refusal)])


def enroll_steps(secret: str, status: str = "SUCCESS") -> list[Step]:
    def verify(body: Any) -> dict[str, Any]:
        assert body["AccessToken"] == "access.token.x"
        assert totp_ok(secret)(body["UserCode"])
        return {"Status": status}

    def preference(body: Any) -> dict[str, Any]:
        assert body["SoftwareTokenMfaSettings"] == {"Enabled": True, "PreferredMfa": True}
        return {}

    return [
        Step("AssociateSoftwareToken", {"SecretCode": secret}),
        Step("VerifySoftwareToken", verify),
        Step("SetUserMFAPreference", preference),
    ]


def test_enroll_by_access_token_keeps_the_new_secret() -> None:
    identity = bob()
    secret = pyotp.random_base32()
    assert run(enroll_totp(identity, context(), "access.token.x"), enroll_steps(secret)) == secret
    assert identity.totp_secret == secret
    assert identity.last_totp_step == step_of(NOW)


@pytest.mark.parametrize(
    "steps",
    [
        [Step("AssociateSoftwareToken", {})],
        enroll_steps(SECRET, status="ERROR")[:2],
    ],
)
def test_enroll_by_access_token_unexpected_answers(steps: list[Step]) -> None:
    identity = bob()
    with pytest.raises(UnexpectedResponse):
        run(enroll_totp(identity, context(), "access.token.x"), steps)
    assert identity.totp_secret is None


def test_enroll_with_a_malformed_secret_fails_typed_and_spends_no_step() -> None:
    identity = bob()
    with pytest.raises(InvalidTotpSecret):
        run(
            enroll_totp(identity, context(), "access.token.x"),
            [Step("AssociateSoftwareToken", {"SecretCode": "JBSWY3DP"})],
        )
    assert identity.last_totp_step is None


def test_enroll_wrong_code_surfaces_enable_software_token_error() -> None:
    steps = enroll_steps(pyotp.random_base32())[:1]
    steps.append(Step("VerifySoftwareToken", errors.EnableSoftwareTokenMFA("mismatch")))
    with pytest.raises(errors.EnableSoftwareTokenMFA):
        run(enroll_totp(bob(), context(), "access.token.x"), steps)


def _verify_with(codes: list[str], answer: Any) -> Step:
    def verify(body: Any) -> Any:
        codes.append(body["UserCode"])
        if isinstance(answer, Exception):
            raise answer
        return answer

    return Step("VerifySoftwareToken", verify)


#: A refusal under clock skew (the retry in the same step), and one whose code crossed a step
#: boundary on its way (the retry a step later).
_SKEW = (NOW, NOW)
_CROSSED = (NOW.replace(second=29, microsecond=999000), NOW.replace(second=30))


@pytest.mark.parametrize("clock", [_SKEW, _CROSSED], ids=["skew", "crossed"])
def test_enroll_with_the_previous_step_keeps_the_current_step_free(
    clock: tuple[datetime, datetime],
) -> None:
    """The first code is the previous step's. Refused once, it goes again as the previous
    step's of that moment: the current step's under skew; the new previous step's after a
    step boundary, so the step a sign-in uses then stays unspent (the current step's code,
    as before, spent it)."""
    secret = pyotp.random_base32()
    times = iter(clock)
    ctx = replace(context(), clock=lambda: next(times))
    codes: list[str] = []
    steps = [
        Step("AssociateSoftwareToken", {"SecretCode": secret}),
        _verify_with(codes, errors.EnableSoftwareTokenMFA("mismatch")),
        _verify_with(codes, {"Status": "SUCCESS"}),
        Step("SetUserMFAPreference", {}),
    ]
    identity = bob()
    run(enroll_totp(identity, ctx, "access.token.x", previous_step=True), steps)
    first, then = step_of(clock[0]), step_of(clock[1])
    totp = pyotp.TOTP(secret)
    assert codes == [totp.at((first - 1) * 30), totp.at(first * 30)]
    assert identity.last_totp_step == first
    assert identity.last_totp_step < then if clock is _CROSSED else then == first


def test_enroll_with_the_previous_step_gives_up_after_a_second_refusal() -> None:
    steps = enroll_steps(pyotp.random_base32())[:1]
    codes: list[str] = []
    refused = errors.EnableSoftwareTokenMFA("mismatch")
    steps += [_verify_with(codes, refused), _verify_with(codes, refused)]
    with pytest.raises(errors.EnableSoftwareTokenMFA):
        run(enroll_totp(bob(), context(), "access.token.x", previous_step=True), steps)
    assert len(set(codes)) == 2


def test_reset_mfa_disables_totp_and_drops_the_secret() -> None:
    identity, seen = bob(totp_secret=SECRET), Transcript()
    run(reset_mfa(identity, context()), [Step("AdminSetUserMFAPreference", {})], seen)
    body = seen.body("AdminSetUserMFAPreference")
    assert body == {
        "UserPoolId": POOL_ID,
        "Username": "Bob",
        "SoftwareTokenMfaSettings": {"Enabled": False, "PreferredMfa": False},
    }
    assert identity.totp_secret is None


INIT = "InitiateAuth:USER_SRP_AUTH"
PV = "RespondToAuthChallenge:PASSWORD_VERIFIER"


def test_lost_phone_with_optional_mfa_enrolls_by_token_then_signs_in_with_it() -> None:
    identity = bob(totp_secret=SECRET)
    server = SrpServer.for_user("Bob", "Passw0rd!")
    new_secret = pyotp.random_base32()
    codes: list[str] = []

    def mfa(body: Any) -> dict[str, Any]:
        codes.append(body["ChallengeResponses"]["SOFTWARE_TOKEN_MFA_CODE"])
        assert totp_ok(new_secret)(codes[-1])
        return tokens()

    result = run(
        lost_phone(identity, context()),
        [
            Step("AdminSetUserMFAPreference", {}),
            Step(INIT, server.password_verifier()),
            Step(PV, server.then(tokens())),
            *enroll_steps(new_secret),
            Step(INIT, server.password_verifier()),
            Step(PV, server.then(challenge("SOFTWARE_TOKEN_MFA", "S"))),
            Step("RespondToAuthChallenge:SOFTWARE_TOKEN_MFA", mfa),
        ],
    )
    assert identity.totp_secret == new_secret
    assert identity.last_totp_step == step_of(NOW) + 1  # enrollment spent the current step
    assert result.calls == (
        "AdminSetUserMFAPreference",
        INIT,
        PV,
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "SetUserMFAPreference",
        INIT,
        PV,
        "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA",
    )
    assert {Note.MFA_RESET, Note.MFA_ENROLLED, Note.TOTP_SENT} <= result.notes


def test_lost_phone_with_required_mfa_enrolls_through_mfa_setup() -> None:
    identity = bob(totp_secret=SECRET)
    server = SrpServer.for_user("Bob", "Passw0rd!")
    new_secret = pyotp.random_base32()
    setup = challenge("MFA_SETUP", "S1", MFAS_CAN_SETUP='["SOFTWARE_TOKEN_MFA"]')
    result = run(
        lost_phone(identity, context()),
        [
            Step("AdminSetUserMFAPreference", {}),
            Step(INIT, server.password_verifier()),
            Step(PV, server.then(setup)),
            Step("AssociateSoftwareToken:MFA_SETUP", {"SecretCode": new_secret, "Session": "S2"}),
            Step("VerifySoftwareToken:MFA_SETUP", {"Status": "SUCCESS", "Session": "S3"}),
            Step("RespondToAuthChallenge:MFA_SETUP", tokens()),
            Step(INIT, server.password_verifier()),
            Step(PV, server.then(challenge("SOFTWARE_TOKEN_MFA", "S"))),
            Step("RespondToAuthChallenge:SOFTWARE_TOKEN_MFA", tokens()),
        ],
    )
    assert identity.totp_secret == new_secret
    assert result.challenges[-1] == "SOFTWARE_TOKEN_MFA"


REFRESH = "InitiateAuth:REFRESH_TOKEN_AUTH"


def test_refresh_sends_device_key_and_secret_hash_and_keeps_the_refresh_token() -> None:
    seen = Transcript()
    answer = {"AuthenticationResult": {"AccessToken": "a2", "IdToken": "i2", "ExpiresIn": 300}}
    new = run(
        refresh(context(secret="s3cr3t"), "refresh-token", username="bob-id", device_key="dk"),
        [Step(REFRESH, answer)],
        seen,
    )
    params = seen.body(REFRESH)["AuthParameters"]
    assert params["REFRESH_TOKEN"] == "refresh-token"
    assert params["DEVICE_KEY"] == "dk"
    assert params["SECRET_HASH"] == srp_fast.secret_hash("bob-id", CLIENT_ID, "s3cr3t")
    assert new.access_token == "a2"
    assert new.refresh_token == "refresh-token"
    assert new.expires_in == 300


def test_refresh_after_a_login_uses_its_username_and_device() -> None:
    seen = Transcript()
    login = LoginResult(
        tokens=Tokens(access_token="a", id_token="i", refresh_token="r"),
        username="bob-id",
        device_key="dk",
    )
    run(refresh_after(context(), login), [Step(REFRESH, tokens())], seen)
    params = seen.body(REFRESH)["AuthParameters"]
    assert params == {"REFRESH_TOKEN": "r", "DEVICE_KEY": "dk"}


def test_refresh_without_a_refresh_token_is_a_flow_error() -> None:
    login = LoginResult(tokens=Tokens(access_token="a", id_token="i"), username="bob")
    with pytest.raises(FlowError):
        run(refresh_after(context(), login), [])


def test_refresh_refused_surfaces_not_authorized() -> None:
    with pytest.raises(errors.NotAuthorized):
        run(
            refresh(context(), "r", username="bob"),
            [Step(REFRESH, errors.NotAuthorized("Invalid Refresh Token"))],
        )
