"""EMAIL_OTP as a second factor, and SELECT_MFA_TYPE choosing it, against scripted replies."""

from __future__ import annotations

from typing import Any

import pytest

from loadtest.flows import CATALOGUE, CodeRequest, Identity, LoginOptions, Note, srp_login
from loadtest.flows.catalogue import Need, PoolSetting

from .scripted import POOL_ID, SrpServer, Step, Transcript, challenge, context, run, tokens

INIT = "InitiateAuth:USER_SRP_AUTH"
VERIFY = "RespondToAuthChallenge:PASSWORD_VERIFIER"
EMAIL = "RespondToAuthChallenge:EMAIL_OTP"
SELECT = "RespondToAuthChallenge:SELECT_MFA_TYPE"
PASSWORD = "Passw0rd!"


def eve(**kwargs: Any) -> Identity:
    return Identity(username="eve", password=PASSWORD, email="eve@example.com", **kwargs)


def email_challenge(session: str) -> dict[str, Any]:
    return challenge(
        "EMAIL_OTP",
        session,
        CODE_DELIVERY_DELIVERY_MEDIUM="EMAIL",
        CODE_DELIVERY_DESTINATION="e***@e***",
        USER_ID_FOR_SRP="eve-id",
    )


def test_email_mfa_reads_the_code_from_the_code_source() -> None:
    asked: list[CodeRequest] = []

    def source(request: CodeRequest) -> str:
        asked.append(request)
        return "654321"

    server, seen = SrpServer.for_user("eve-id", PASSWORD), Transcript()
    result = run(
        srp_login(eve(), context(codes=source)),
        [
            Step(INIT, server.password_verifier()),
            Step(VERIFY, server.then(email_challenge("S1"))),
            Step(EMAIL, tokens()),
        ],
        seen,
    )
    assert asked == [
        CodeRequest(
            pool_id=POOL_ID,
            username="eve-id",
            medium="EMAIL",
            destination="e***@e***",
            purpose="EMAIL_OTP",
        )
    ]
    responses = seen.body(EMAIL)["ChallengeResponses"]
    assert responses["EMAIL_OTP_CODE"] == "654321"
    assert "SMS_MFA_CODE" not in responses
    assert seen.body(EMAIL)["Session"] == "S1"
    assert "code:EMAIL_OTP" in seen.computes
    assert Note.CODE_READ in result.notes
    assert result.challenges == ("PASSWORD_VERIFIER", "EMAIL_OTP")


@pytest.mark.parametrize(
    ("choice", "seed", "offered", "expected"),
    [
        (
            "EMAIL_OTP",
            "JBSWY3DPEHPK3PXP",
            '["SMS_MFA","SOFTWARE_TOKEN_MFA","EMAIL_OTP"]',
            "EMAIL_OTP",
        ),
        (None, None, '["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]', "EMAIL_OTP"),  # no seed: by message
        (None, None, '["SMS_MFA","EMAIL_OTP"]', "SMS_MFA"),  # SMS before e-mail
        (None, "JBSWY3DPEHPK3PXP", '["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]', "SOFTWARE_TOKEN_MFA"),
    ],
)
def test_select_mfa_type_can_choose_email(
    choice: str | None, seed: str | None, offered: str, expected: str
) -> None:
    server, seen = SrpServer.for_user("eve-id", PASSWORD), Transcript()
    select = challenge("SELECT_MFA_TYPE", "S1", MFAS_CAN_CHOOSE=offered)
    run(
        srp_login(
            eve(totp_secret=seed), context(codes=lambda r: "1"), LoginOptions(mfa_choice=choice)
        ),
        [
            Step(INIT, server.password_verifier()),
            Step(VERIFY, server.then(select)),
            Step(SELECT, tokens()),
        ],
        seen,
    )
    assert seen.body(SELECT)["ChallengeResponses"]["ANSWER"] == expected


def test_the_email_mfa_entry_declares_its_message_and_needs() -> None:
    entry = CATALOGUE["email_mfa"]
    assert entry.messages == 1
    assert entry.needs == {Need.PASSWORD, Need.EMAIL, Need.EMAIL_MFA}
    assert entry.pool == {PoolSetting.EMAIL_MFA}
    assert entry.accepts(eve(email_mfa=True))
    assert not entry.accepts(eve())  # an e-mail address alone: a USER_AUTH (EMAIL_OTP) user
    assert not entry.accepts(eve(email_mfa=True, totp_secret="JBSWY3DPEHPK3PXP"))
    assert not entry.accepts(Identity(username="x", password=PASSWORD))
