"""SMS_MFA, SELECT_MFA_TYPE, CUSTOM_AUTH and ADMIN_NO_SRP_AUTH flows against scripted replies.

Codes come from a code source (a plain function here) and custom answers from an answerer,
each through a Compute effect, so the flows stay sans-I/O. The same flows run over HTTP
against the local pool in tests/quota/test_profiles_against_pool.py and tests/e2e.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from loadtest.flows import (
    CodeRequest,
    Identity,
    LoginOptions,
    Note,
    UnsupportedChallenge,
    admin_login,
    srp_login,
)
from loadtest.flows.login import custom_login
from loadtest.protocol.names import AuthFlow

from .scripted import POOL_ID, SrpServer, Step, Transcript, challenge, context, run, tokens

INIT = "InitiateAuth:USER_SRP_AUTH"
VERIFY = "RespondToAuthChallenge:PASSWORD_VERIFIER"
SMS = "RespondToAuthChallenge:SMS_MFA"
SELECT = "RespondToAuthChallenge:SELECT_MFA_TYPE"
CUSTOM = "RespondToAuthChallenge:CUSTOM_CHALLENGE"
PASSWORD = "Passw0rd!"


def ann(**kwargs: Any) -> Identity:
    return Identity(username="ann", password=PASSWORD, phone="+15550100001", **kwargs)


def sms_challenge(session: str) -> dict[str, Any]:
    return challenge(
        "SMS_MFA",
        session,
        CODE_DELIVERY_DELIVERY_MEDIUM="SMS",
        CODE_DELIVERY_DESTINATION="+*******0001",
        USER_ID_FOR_SRP="ann-id",
    )


def test_sms_mfa_reads_the_code_from_the_code_source() -> None:
    asked: list[CodeRequest] = []

    def source(request: CodeRequest) -> str:
        asked.append(request)
        return "123456"

    server, seen = SrpServer.for_user("ann-id", PASSWORD), Transcript()
    result = run(
        srp_login(ann(), context(codes=source)),
        [
            Step(INIT, server.password_verifier()),
            Step(VERIFY, server.then(sms_challenge("S1"))),
            Step(SMS, tokens()),
        ],
        seen,
    )
    assert asked == [
        CodeRequest(
            pool_id=POOL_ID,
            username="ann-id",
            medium="SMS",
            destination="+*******0001",
            purpose="SMS_MFA",
        )
    ]
    assert seen.body(SMS)["ChallengeResponses"]["SMS_MFA_CODE"] == "123456"
    assert seen.body(SMS)["Session"] == "S1"
    assert "code:SMS_MFA" in seen.computes
    assert Note.CODE_READ in result.notes
    assert result.challenges == ("PASSWORD_VERIFIER", "SMS_MFA")


def test_sms_mfa_without_a_code_source_is_unsupported() -> None:
    server = SrpServer.for_user("ann-id", PASSWORD)
    with pytest.raises(UnsupportedChallenge):
        run(
            srp_login(ann(), context()),
            [Step(INIT, server.password_verifier()), Step(VERIFY, server.then(sms_challenge("S")))],
        )


@pytest.mark.parametrize(
    ("choice", "seed", "expected"),
    [
        (None, None, "SMS_MFA"),  # no seed: SMS
        (None, "JBSWY3DPEHPK3PXP", "SOFTWARE_TOKEN_MFA"),  # a seed: TOTP
        ("SMS_MFA", "JBSWY3DPEHPK3PXP", "SMS_MFA"),  # the options decide
    ],
)
def test_select_mfa_type_answers_by_options_then_credentials(
    choice: str | None, seed: str | None, expected: str
) -> None:
    server, seen = SrpServer.for_user("ann-id", PASSWORD), Transcript()
    select = challenge("SELECT_MFA_TYPE", "S1", MFAS_CAN_CHOOSE='["SMS_MFA","SOFTWARE_TOKEN_MFA"]')
    run(
        srp_login(
            ann(totp_secret=seed), context(codes=lambda r: "1"), LoginOptions(mfa_choice=choice)
        ),
        [
            Step(INIT, server.password_verifier()),
            Step(VERIFY, server.then(select)),
            Step(SELECT, tokens()),
        ],
        seen,
    )
    assert seen.body(SELECT)["ChallengeResponses"]["ANSWER"] == expected


def test_custom_auth_with_srp_first_answers_each_round_from_the_answerer() -> None:
    given: list[Mapping[str, str]] = []

    def answerer(params: Mapping[str, str]) -> str:
        given.append(dict(params))
        return str(len(given))

    server, seen = SrpServer.for_user("ann-id", PASSWORD), Transcript()

    def srp_reply(body: Mapping[str, Any]) -> dict[str, Any]:
        assert body["AuthFlow"] == "CUSTOM_AUTH"
        assert body["AuthParameters"]["CHALLENGE_NAME"] == "SRP_A"
        return server.password_verifier()(body) | {"Session": "S0"}

    result = run(
        custom_login(ann(), context(custom_answers=answerer)),
        [
            Step("InitiateAuth:CUSTOM_AUTH", srp_reply),
            Step(
                VERIFY, server.then(challenge("CUSTOM_CHALLENGE", "S1", USERNAME="ann-id", q="a"))
            ),
            Step(CUSTOM, challenge("CUSTOM_CHALLENGE", "S2", USERNAME="ann-id", q="b")),
            Step(CUSTOM, tokens()),
        ],
        seen,
    )
    assert given == [{"USERNAME": "ann-id", "q": "a"}, {"USERNAME": "ann-id", "q": "b"}]
    assert seen.body(CUSTOM, 0)["ChallengeResponses"] == {"USERNAME": "ann-id", "ANSWER": "1"}
    assert seen.body(CUSTOM, 1)["Session"] == "S2"
    assert seen.body(VERIFY)["Session"] == "S0"
    assert result.challenges == ("PASSWORD_VERIFIER", "CUSTOM_CHALLENGE", "CUSTOM_CHALLENGE")
    assert seen.computes.count("answer:CUSTOM_CHALLENGE") == 2


def test_custom_auth_without_srp_sends_only_the_username() -> None:
    seen = Transcript()
    run(
        custom_login(ann(), context(custom_answers=lambda p: "x"), LoginOptions(custom_srp=False)),
        [
            Step("InitiateAuth:CUSTOM_AUTH", challenge("CUSTOM_CHALLENGE", "S1")),
            Step(CUSTOM, tokens()),
        ],
        seen,
    )
    assert seen.body("InitiateAuth:CUSTOM_AUTH")["AuthParameters"] == {"USERNAME": "ann"}


def test_admin_no_srp_auth_is_named_by_its_flow() -> None:
    seen = Transcript()
    options = LoginOptions(use_device=False, admin_flow=AuthFlow.ADMIN_NO_SRP_AUTH)
    run(
        admin_login(ann(), context(), options),
        [Step("AdminInitiateAuth:ADMIN_NO_SRP_AUTH", tokens())],
        seen,
    )
    assert seen.body("AdminInitiateAuth:ADMIN_NO_SRP_AUTH")["AuthFlow"] == "ADMIN_NO_SRP_AUTH"


def test_identity_keeps_its_phone_and_email_in_the_identities_file() -> None:
    identity = ann(email="ann@example.com")
    assert Identity.from_json(identity.to_json()) == identity


def test_the_message_budget_stops_a_run_at_the_confirmed_count() -> None:
    """The start-of-run check is target.safety.guard_messages (tests/flows/test_catalogue.py);
    the budget stops logins once the confirmed messages are spent."""
    from loadtest.flows import CATALOGUE, MessageBudget, MessagesNotConfirmed

    assert CATALOGUE["sms_mfa"].messages == CATALOGUE["select_mfa"].messages == 1
    budget = MessageBudget(limit=2)
    for _ in range(2):
        budget.take(CATALOGUE["sms_mfa"].messages, "eu-west-1_X")
    budget.take(CATALOGUE["srp"].messages, "eu-west-1_X")  # sends none: always allowed
    # issue 17's passwordless codes go through the same rail
    assert CATALOGUE["user_auth_email"].messages == CATALOGUE["user_auth_sms"].messages == 1
    with pytest.raises(MessagesNotConfirmed, match="spent"):
        budget.take(CATALOGUE["select_mfa"].messages, "eu-west-1_X")
    assert budget.sent == 2
