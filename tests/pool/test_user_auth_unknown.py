"""USER_AUTH for unknown names under PreventUserExistenceErrors, over HTTP with boto3: each step
answers as for a real user and fails as a real one with the wrong secret (docs/user-auth.md;
cognito-facts §12.3; Developer Guide, *Managing user existence error responses*)."""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest

import srp_fast
from loadtest.flows.authenticator import SoftwareAuthenticator
from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import error_of, srp_responses, tokens

RP = "example.com"
FACTORS = ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]
DRAWN = ("EMAIL_OTP", "SMS_OTP", "WEB_AUTHN")
WRONG = ("NotAuthorizedException", "Incorrect username or password.")


def _app(server: PoolServer, prevent: str = "ENABLED") -> App:
    idp = server.client()
    policies = {"SignInPolicy": {"AllowedFirstAuthFactors": FACTORS}}
    pool_id = idp.create_user_pool(PoolName="unknown", Policies=policies)["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": RP}, MfaConfiguration="OFF"
    )
    client = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="ua",
        ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH"],
        PreventUserExistenceErrors=prevent,
    )["UserPoolClient"]
    app = App(pool_id=pool_id, client_id=client["ClientId"])
    server.add_user(app, "ann", attributes={"email": "ann@example.com"})
    return app


def _start(idp: Any, app: App, name: str, **auth: str) -> Any:
    return idp.initiate_auth(
        AuthFlow="USER_AUTH", ClientId=app.client_id, AuthParameters={"USERNAME": name, **auth}
    )


def _respond(idp: Any, app: App, name: str, session: str, challenge: str, **answers: str) -> Any:
    return idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName=challenge,
        Session=session,
        ChallengeResponses={"USERNAME": name, **answers},
    )


def _error(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        call(*args, **kwargs)
    return error_of(refused)


def _names_offering(idp: Any, app: App, factor: str) -> str:
    """An unknown name whose simulated user is offered ``factor`` (each is drawn with odds
    1/2 per name, so 64 names all missing it would be a 2^-64 event, i.e. a bug)."""
    for n in range(64):
        name = f"ghost{n}"
        if factor in _start(idp, app, name)["AvailableChallenges"]:
            return name
    raise AssertionError(f"no unknown name was offered {factor}")


def test_unknown_names_get_a_stable_select_challenge_drawn_from_the_allowed_factors(
    local_pool: PoolServer,
) -> None:
    app, idp = _app(local_pool), local_pool.client()
    real = _start(idp, app, "ann")
    seen: set[tuple[str, ...]] = set()
    for n in range(16):
        first = _start(idp, app, f"ghost{n}")
        assert set(first) == set(real)
        assert first["ChallengeName"] == "SELECT_CHALLENGE"
        assert first["ChallengeParameters"] == {}
        assert first["AvailableChallenges"][:2] == ["PASSWORD_SRP", "PASSWORD"]
        assert set(first["AvailableChallenges"][2:]) <= set(DRAWN)
        assert _start(idp, app, f"ghost{n}")["AvailableChallenges"] == first["AvailableChallenges"]
        assert 1543 <= len(first["Session"]) <= 1587  # shaped like a real one (facts §8)
        seen.add(tuple(first["AvailableChallenges"]))
    assert len(seen) > 1  # the draw differs between names


def test_an_unknown_name_fails_a_password_as_a_real_user_does(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    real = _error(_start, idp, app, "ann", PREFERRED_CHALLENGE="PASSWORD", PASSWORD="Wrong-1a")
    ghost = _error(_start, idp, app, "ghost", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert real == ghost == WRONG
    select = _start(idp, app, "ghost")
    answer = _error(
        _respond, idp, app, "ghost", select["Session"], "SELECT_CHALLENGE",
        ANSWER="PASSWORD", PASSWORD=PASSWORD,
    )  # fmt: skip
    assert answer == WRONG


def test_an_unknown_name_gets_a_simulated_password_verifier(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    eph = srp_fast.new_ephemeral()
    answer = _start(idp, app, "ghost", PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=eph.public_hex)
    assert answer["ChallengeName"] == "PASSWORD_VERIFIER"
    assert set(answer["ChallengeParameters"]) == {
        "SALT", "SECRET_BLOCK", "SRP_B", "USERNAME", "USER_ID_FOR_SRP",
    }  # fmt: skip
    again = _start(idp, app, "ghost", PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=eph.public_hex)
    assert again["ChallengeParameters"]["SALT"] == answer["ChallengeParameters"]["SALT"]
    responses = srp_responses(app, answer["ChallengeParameters"], PASSWORD, eph=eph)
    refused = _error(
        idp.respond_to_auth_challenge,
        ClientId=app.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=answer["Session"],
        ChallengeResponses=responses,
    )
    assert refused == WRONG


def test_an_unknown_name_gets_a_simulated_code_challenge_and_no_code_is_sent(
    local_pool: PoolServer,
) -> None:
    app, idp = _app(local_pool), local_pool.client()
    name = _names_offering(idp, app, "EMAIL_OTP")
    real = _start(idp, app, "ann", PREFERRED_CHALLENGE="EMAIL_OTP")
    ghost = _start(idp, app, name, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert set(ghost) == set(real)
    assert ghost["ChallengeName"] == "EMAIL_OTP"
    assert ghost["AvailableChallenges"] == ["EMAIL_OTP"]
    params = ghost["ChallengeParameters"]
    assert set(params) == set(real["ChallengeParameters"])
    assert params["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert params["CODE_DELIVERY_DESTINATION"][1:5] == "***@"
    sent = local_pool.get_json(f"/_pool/messages?username={name}&pool_id={app.pool_id}")
    assert sent["messages"] == []
    for code in ("12345678", "87654321"):  # a wrong code keeps the Session, as for a real user
        refused = _error(_respond, idp, app, name, ghost["Session"], "EMAIL_OTP",
                         EMAIL_OTP_CODE=code)  # fmt: skip
        assert refused[0] == "CodeMismatchException"


def test_an_unknown_name_gets_a_simulated_passkey_challenge_that_no_assertion_passes(
    local_pool: PoolServer,
) -> None:
    app, idp = _app(local_pool), local_pool.client()
    device = SoftwareAuthenticator(origin=f"https://{RP}")
    access = tokens(idp, app, "ann")["AccessToken"]
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    credential, passkey = device.register(options)
    idp.complete_web_authn_registration(AccessToken=access, Credential=credential)
    name = _names_offering(idp, app, "WEB_AUTHN")
    select = _start(idp, app, name)
    ghost = _respond(idp, app, name, select["Session"], "SELECT_CHALLENGE", ANSWER="WEB_AUTHN")
    assert ghost["ChallengeName"] == "WEB_AUTHN"
    request = json.loads(ghost["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert request["rpId"] == RP
    assert len(request["allowCredentials"]) == 1
    again = _start(idp, app, name, PREFERRED_CHALLENGE="WEB_AUTHN")
    repeat = json.loads(again["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert repeat["allowCredentials"] == request["allowCredentials"]
    assert repeat["challenge"] != request["challenge"]
    assertion = json.dumps(device.assertion(passkey, request))
    refused = _error(_respond, idp, app, name, ghost["Session"], "WEB_AUTHN", CREDENTIAL=assertion)
    assert refused == WRONG


def test_an_answer_the_simulated_user_was_not_offered_is_refused_as_for_a_real_one(
    local_pool: PoolServer,
) -> None:
    app, idp = _app(local_pool), local_pool.client()
    for n in range(64):
        select = _start(idp, app, f"ghost{n}")
        missing = [f for f in DRAWN if f not in select["AvailableChallenges"]]
        if missing:
            break
    else:
        raise AssertionError("every unknown name was offered every factor")
    refused = _error(_respond, idp, app, f"ghost{n}", select["Session"], "SELECT_CHALLENGE",
                     ANSWER=missing[0])  # fmt: skip
    assert refused[0] == "InvalidParameterException"


def test_under_legacy_an_unknown_name_is_user_not_found(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool, prevent="LEGACY"), local_pool.client()
    assert _error(_start, idp, app, "ghost")[0] == "UserNotFoundException"
