"""USER_SRP_AUTH and what follows it, driven by scripted replies with real SRP maths."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pyotp
import pytest

import srp_fast
from loadtest.flows import (
    FlowError,
    Identity,
    LoginOptions,
    MissingCredential,
    Note,
    TotpStepSpent,
    UnexpectedResponse,
    UnsupportedChallenge,
    srp_login,
    step_of,
)
from loadtest.protocol import errors

from .scripted import (
    CLIENT_ID,
    NOW,
    SrpServer,
    Step,
    Transcript,
    challenge,
    context,
    run,
    tokens,
    totp_ok,
)

INIT = "InitiateAuth:USER_SRP_AUTH"
PV = "RespondToAuthChallenge:PASSWORD_VERIFIER"
MFA = "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA"
USER_ID = "5f8c1d2e-alice"
TOTP_SECRET = pyotp.random_base32()


def alice(**kwargs: Any) -> Identity:
    return Identity(username="alice@example.com", password="Passw0rd!", **kwargs)


def test_plain_login_proves_the_password_and_returns_tokens() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    seen = Transcript()
    result = run(
        srp_login(alice(), context()),
        [
            Step(INIT, server.password_verifier("alice@example.com")),
            Step(PV, server.then(tokens())),
        ],
        seen,
    )
    assert result.tokens.access_token == "access.token.x"
    assert result.username == USER_ID
    assert result.challenges == ("PASSWORD_VERIFIER",)
    assert result.calls == (INIT, PV)
    init = seen.body(INIT)
    assert init["AuthFlow"] == "USER_SRP_AUTH"
    assert init["ClientId"] == CLIENT_ID
    assert init["AuthParameters"]["USERNAME"] == "alice@example.com"
    assert "SECRET_HASH" not in init["AuthParameters"]
    assert "DEVICE_KEY" not in init["AuthParameters"]
    answers = seen.body(PV)["ChallengeResponses"]
    assert answers["USERNAME"] == USER_ID
    assert answers["TIMESTAMP"] == "Thu Mar 5 09:04:11 UTC 2026"
    assert seen.computes == ["ephemeral", "PASSWORD_VERIFIER"]


def test_wrong_password_surfaces_not_authorized() -> None:
    server = SrpServer.for_user(USER_ID, "another password")
    with pytest.raises(errors.NotAuthorized, match="Incorrect username or password"):
        run(
            srp_login(alice(), context()),
            [Step(INIT, server.password_verifier()), Step(PV, server.then(tokens()))],
        )


def test_secret_hash_covers_the_username_sent_in_each_step() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    seen = Transcript()
    run(
        srp_login(alice(), context(secret="s3cr3t")),
        [Step(INIT, server.password_verifier()), Step(PV, server.then(tokens()))],
        seen,
    )
    sent = seen.body(INIT)["AuthParameters"]["SECRET_HASH"]
    assert sent == srp_fast.secret_hash("alice@example.com", CLIENT_ID, "s3cr3t")
    answered = seen.body(PV)["ChallengeResponses"]["SECRET_HASH"]
    assert answered == srp_fast.secret_hash(USER_ID, CLIENT_ID, "s3cr3t")


@pytest.mark.parametrize(
    "error",
    [
        errors.TooManyRequests(errors.Messages.RATE_EXCEEDED),
        errors.NotAuthorized(errors.Messages.ATTEMPTS_EXCEEDED),
        errors.UserNotFound(errors.Messages.USER_NOT_FOUND),
    ],
)
def test_errors_at_initiate_auth_pass_through_typed(error: errors.CognitoError) -> None:
    with pytest.raises(type(error)) as caught:
        run(srp_login(alice(), context()), [Step(INIT, error)])
    assert caught.value is error


def test_totp_login_sends_a_valid_code_and_records_its_step() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = alice(totp_secret=TOTP_SECRET)
    codes: list[str] = []

    def check_code(body: Any) -> dict[str, Any]:
        assert body["Session"] == "S-mfa"
        codes.append(body["ChallengeResponses"]["SOFTWARE_TOKEN_MFA_CODE"])
        assert totp_ok(TOTP_SECRET)(codes[-1])
        return tokens()

    script = [
        Step(INIT, server.password_verifier()),
        Step(PV, server.then(challenge("SOFTWARE_TOKEN_MFA", "S-mfa", USER_ID_FOR_SRP=USER_ID))),
        Step(MFA, check_code),
    ]
    result = run(srp_login(identity, context()), script)
    assert result.challenges == ("PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA")
    assert Note.TOTP_SENT in result.notes
    assert identity.last_totp_step == step_of(NOW)
    run(srp_login(identity, context()), script)  # same step: the next step's code
    assert identity.last_totp_step == step_of(NOW) + 1
    assert codes[0] != codes[1]


def test_totp_codes_spent_raise_with_the_time_they_free() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = alice(totp_secret=TOTP_SECRET, last_totp_step=step_of(NOW) + 1)
    with pytest.raises(TotpStepSpent) as caught:
        run(
            srp_login(identity, context()),
            [
                Step(INIT, server.password_verifier()),
                Step(PV, server.then(challenge("SOFTWARE_TOKEN_MFA", "S"))),
            ],
        )
    # Free when step + 1 is the current step: its next step's code may be sent then.
    assert caught.value.retry_at.timestamp() == (step_of(NOW) + 1) * 30


def test_totp_next_step_can_be_refused() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = alice(totp_secret=TOTP_SECRET, last_totp_step=step_of(NOW))
    with pytest.raises(TotpStepSpent) as caught:
        run(
            srp_login(identity, context(totp_next_step=False)),
            [
                Step(INIT, server.password_verifier()),
                Step(PV, server.then(challenge("SOFTWARE_TOKEN_MFA", "S"))),
            ],
        )
    assert caught.value.retry_at.timestamp() == (step_of(NOW) + 1) * 30  # when this one ends


def test_totp_challenge_without_a_secret_is_a_missing_credential() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    with pytest.raises(MissingCredential, match="TOTP secret"):
        run(
            srp_login(alice(), context()),
            [
                Step(INIT, server.password_verifier()),
                Step(PV, server.then(challenge("SOFTWARE_TOKEN_MFA", "S"))),
            ],
        )


@pytest.mark.parametrize(
    "error",
    [
        errors.CodeMismatch(errors.Messages.TOTP_MISMATCH),
        errors.ExpiredCode(errors.Messages.TOTP_REPLAYED),
        errors.NotAuthorized(errors.Messages.SESSION_EXPIRED),
    ],
)
def test_mfa_refusals_pass_through_and_the_code_stays_spent(error: errors.CognitoError) -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = alice(totp_secret=TOTP_SECRET)
    with pytest.raises(type(error)):
        run(
            srp_login(identity, context()),
            [
                Step(INIT, server.password_verifier()),
                Step(PV, server.then(challenge("SOFTWARE_TOKEN_MFA", "S"))),
                Step(MFA, error),
            ],
        )
    assert identity.last_totp_step == step_of(NOW)


def test_select_mfa_type_answers_software_token() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    seen = Transcript()
    choose = challenge("SELECT_MFA_TYPE", "S1", MFAS_CAN_CHOOSE='["SMS_MFA","SOFTWARE_TOKEN_MFA"]')
    result = run(
        srp_login(alice(totp_secret=TOTP_SECRET), context()),
        [
            Step(INIT, server.password_verifier()),
            Step(PV, server.then(choose)),
            Step("RespondToAuthChallenge:SELECT_MFA_TYPE", challenge("SOFTWARE_TOKEN_MFA", "S2")),
            Step(MFA, tokens()),
        ],
        seen,
    )
    assert seen.body("RespondToAuthChallenge:SELECT_MFA_TYPE")["ChallengeResponses"]["ANSWER"] == (
        "SOFTWARE_TOKEN_MFA"
    )
    assert seen.body(MFA)["Session"] == "S2"
    assert result.challenges == ("PASSWORD_VERIFIER", "SELECT_MFA_TYPE", "SOFTWARE_TOKEN_MFA")


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ('["SMS_MFA"]', UnsupportedChallenge),
        ("not json", UnexpectedResponse),
        ('{"a": 1}', UnexpectedResponse),
    ],
)
def test_select_mfa_type_without_totp_choice_fails_typed(
    choices: str, expected: type[Exception]
) -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    choose = challenge("SELECT_MFA_TYPE", "S1", MFAS_CAN_CHOOSE=choices)
    with pytest.raises(expected):
        run(
            srp_login(alice(totp_secret=TOTP_SECRET), context()),
            [Step(INIT, server.password_verifier()), Step(PV, server.then(choose))],
        )


def test_select_mfa_type_without_a_secret_is_a_missing_credential() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    choose = challenge("SELECT_MFA_TYPE", "S1", MFAS_CAN_CHOOSE='["SOFTWARE_TOKEN_MFA"]')
    with pytest.raises(MissingCredential):
        run(
            srp_login(alice(), context()),
            [Step(INIT, server.password_verifier()), Step(PV, server.then(choose))],
        )


ASSOCIATE = "AssociateSoftwareToken:MFA_SETUP"
VERIFY = "VerifySoftwareToken:MFA_SETUP"
SETUP = "RespondToAuthChallenge:MFA_SETUP"


def setup_script(server: SrpServer, secret: str, **verify: Any) -> list[Step]:
    def associate(body: Any) -> dict[str, Any]:
        assert body == {"Session": "S1"}
        return {"SecretCode": secret, "Session": "S2"}

    def check(body: Any) -> dict[str, Any]:
        assert body["Session"] == "S2"
        assert totp_ok(secret)(body["UserCode"])
        return verify or {"Status": "SUCCESS", "Session": "S3"}

    setup = challenge("MFA_SETUP", "S1", MFAS_CAN_SETUP='["SOFTWARE_TOKEN_MFA"]')
    return [
        Step(INIT, server.password_verifier()),
        Step(PV, server.then(setup)),
        Step(ASSOCIATE, associate),
        Step(VERIFY, check),
    ]


def test_mfa_setup_challenge_enrolls_through_three_sessions() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    secret = pyotp.random_base32()
    identity = alice()
    seen = Transcript()
    result = run(
        srp_login(identity, context()),
        [*setup_script(server, secret), Step(SETUP, tokens())],
        seen,
    )
    assert identity.totp_secret == secret
    assert identity.last_totp_step == step_of(NOW)
    assert seen.body(SETUP)["Session"] == "S3"
    assert seen.body(SETUP)["ChallengeResponses"] == {"USERNAME": USER_ID}
    assert Note.MFA_ENROLLED in result.notes


def test_mfa_setup_with_an_error_status_fails_and_keeps_no_secret() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = alice()
    with pytest.raises(UnexpectedResponse, match="ERROR"):
        run(
            srp_login(identity, context()),
            setup_script(server, pyotp.random_base32(), Status="ERROR"),
        )
    assert identity.totp_secret is None


def test_mfa_setup_wrong_code_surfaces_enable_software_token_error() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    script = setup_script(server, pyotp.random_base32())
    script[-1] = Step(VERIFY, errors.EnableSoftwareTokenMFA(errors.Messages.VERIFY_TOTP_MISMATCH))
    with pytest.raises(errors.EnableSoftwareTokenMFA):
        run(srp_login(alice(), context()), script)


def test_mfa_setup_without_software_token_is_unsupported() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    setup = challenge("MFA_SETUP", "S1", MFAS_CAN_SETUP='["SMS_MFA"]')
    with pytest.raises(UnsupportedChallenge):
        run(
            srp_login(alice(), context()),
            [Step(INIT, server.password_verifier()), Step(PV, server.then(setup))],
        )


def test_mfa_setup_answer_without_secret_code_is_unexpected() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    script = setup_script(server, "x")[:3]
    script[-1] = Step(ASSOCIATE, {"Session": "S2"})
    with pytest.raises(UnexpectedResponse, match="SecretCode"):
        run(srp_login(alice(), context()), script)


NEWPW = "RespondToAuthChallenge:NEW_PASSWORD_REQUIRED"


def new_password_script(server: SrpServer, required: list[str]) -> list[Step]:
    params = {"requiredAttributes": json.dumps(required), "userAttributes": "{}"}
    return [
        Step(INIT, server.password_verifier()),
        Step(PV, server.then(challenge("NEW_PASSWORD_REQUIRED", "S1", **params))),
    ]


def test_new_password_required_sets_the_new_password() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = alice()
    options = LoginOptions(
        new_password="N3w-Passw0rd!", user_attributes=MappingProxyType({"name": "Alice"})
    )
    seen = Transcript()
    result = run(
        srp_login(identity, context(), options),
        [*new_password_script(server, ["userAttributes.name"]), Step(NEWPW, tokens())],
        seen,
    )
    answers = seen.body(NEWPW)["ChallengeResponses"]
    assert answers["NEW_PASSWORD"] == "N3w-Passw0rd!"
    assert answers["userAttributes.name"] == "Alice"
    assert seen.body(NEWPW)["Session"] == "S1"
    assert identity.password == "N3w-Passw0rd!"
    assert Note.PASSWORD_CHANGED in result.notes


@pytest.mark.parametrize(
    ("options", "required", "match"),
    [
        (LoginOptions(), [], "new password"),
        (LoginOptions(new_password="N3w-Passw0rd!"), ["userAttributes.name"], "attribute name"),
    ],
)
def test_new_password_required_without_what_it_needs(
    options: LoginOptions, required: list[str], match: str
) -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = alice()
    with pytest.raises(MissingCredential, match=match):
        run(srp_login(identity, context(), options), new_password_script(server, required))
    assert identity.password == "Passw0rd!"


def test_new_password_refused_keeps_the_old_password() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = alice()
    refusal = errors.InvalidPassword("Password does not conform to policy")
    with pytest.raises(errors.InvalidPassword):
        run(
            srp_login(identity, context(), LoginOptions(new_password="weak")),
            [*new_password_script(server, []), Step(NEWPW, refusal)],
        )
    assert identity.password == "Passw0rd!"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({}, UnexpectedResponse),
        (challenge("SMS_MFA", "S"), UnsupportedChallenge),
        (challenge("CUSTOM_CHALLENGE", "S"), UnsupportedChallenge),
        ({"AuthenticationResult": {"IdToken": "x"}}, UnexpectedResponse),
        ({"AuthenticationResult": "nope"}, UnexpectedResponse),
        (challenge("DEVICE_SRP_AUTH", "S"), UnexpectedResponse),
        (challenge("DEVICE_PASSWORD_VERIFIER", "S"), UnexpectedResponse),
    ],
)
def test_unexpected_answers_after_the_proof_fail_typed(
    answer: dict[str, Any], expected: type[Exception]
) -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    with pytest.raises(expected):
        run(
            srp_login(alice(), context()),
            [Step(INIT, server.password_verifier()), Step(PV, server.then(answer))],
        )


@pytest.mark.parametrize("missing", ["SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP"])
def test_password_verifier_without_a_parameter_is_unexpected(missing: str) -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")

    def reply(body: Any) -> dict[str, Any]:
        answer = server.password_verifier()(body)
        del answer["ChallengeParameters"][missing]
        return answer

    with pytest.raises(UnexpectedResponse, match=missing):
        run(srp_login(alice(), context()), [Step(INIT, reply)])


def test_a_zero_srp_b_is_refused_by_the_client_maths() -> None:
    bad = challenge(
        "PASSWORD_VERIFIER",
        SALT="a3f1",
        SRP_B=srp_fast.N_HEX.lower(),
        SECRET_BLOCK="AAAA",
        USER_ID_FOR_SRP=USER_ID,
    )
    with pytest.raises(srp_fast.IllegalParameter):
        run(srp_login(alice(), context()), [Step(INIT, bad)])


def test_an_endless_chain_of_challenges_is_cut_off() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    select = challenge("SELECT_MFA_TYPE", "S", MFAS_CAN_CHOOSE='["SOFTWARE_TOKEN_MFA"]')
    options = LoginOptions(max_challenges=3)
    with pytest.raises(FlowError, match="more than 3 challenges"):
        run(
            srp_login(alice(totp_secret=TOTP_SECRET), context(), options),
            [
                Step(INIT, server.password_verifier()),
                Step(PV, server.then(select)),
                Step("RespondToAuthChallenge:SELECT_MFA_TYPE", select),
                Step("RespondToAuthChallenge:SELECT_MFA_TYPE", select),
            ],
        )
