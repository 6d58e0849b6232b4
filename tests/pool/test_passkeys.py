"""Passkeys over HTTP with boto3: registration, WEB_AUTHN sign-in, and each refusal (§13)."""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest

from loadtest.flows.authenticator import (
    Algorithm,
    Attestation,
    Passkey,
    SoftwareAuthenticator,
)
from tests.conftest import App, PoolServer
from tests.pool.helpers import error_of, tokens

RP = "example.com"
ORIGIN = "https://example.com"


def _app(server: PoolServer, *, verification: str = "required") -> App:
    idp = server.client()
    policies = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}
    pool_id = idp.create_user_pool(PoolName="passkeys", Policies=policies)["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        WebAuthnConfiguration={"RelyingPartyId": RP, "UserVerification": verification},
    )
    client = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="pk",
        ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH"],
    )["UserPoolClient"]
    app = App(pool_id=pool_id, client_id=client["ClientId"])
    server.add_user(app, "ann")
    return app


def _register(idp: Any, app: App, device: SoftwareAuthenticator) -> Passkey:
    access = tokens(idp, app, "ann")["AccessToken"]
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    credential, passkey = device.register(options)
    assert idp.complete_web_authn_registration(AccessToken=access, Credential=credential)
    return passkey


def _challenge(idp: Any, app: App) -> Any:
    return idp.initiate_auth(
        AuthFlow="USER_AUTH",
        ClientId=app.client_id,
        AuthParameters={"USERNAME": "ann", "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    )


def _answer(idp: Any, app: App, session: str, credential: dict[str, Any]) -> Any:
    return idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="WEB_AUTHN",
        Session=session,
        ChallengeResponses={"USERNAME": "ann", "CREDENTIAL": json.dumps(credential)},
    )


@pytest.mark.parametrize(
    ("algorithm", "attestation"),
    [
        (Algorithm.ES256, Attestation.NONE),
        (Algorithm.ES256, Attestation.PACKED),
        (Algorithm.RS256, Attestation.PACKED),
        (Algorithm.RS256, Attestation.NONE),
    ],
)
def test_a_passkey_registered_and_used(
    local_pool: PoolServer, algorithm: Algorithm, attestation: Attestation
) -> None:
    app, idp = _app(local_pool), local_pool.client()
    device = SoftwareAuthenticator(origin=ORIGIN, algorithm=algorithm, attestation=attestation)
    assert "WEB_AUTHN" not in _challenge(idp, app).get("AvailableChallenges", [])
    passkey = _register(idp, app, device)
    challenge = _challenge(idp, app)
    assert challenge["ChallengeName"] == "WEB_AUTHN"
    options = json.loads(challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert options["rpId"] == RP
    assert options["userVerification"] == "required"
    assert options["allowCredentials"][0]["id"] == passkey.to_json()["credential_id"]
    done = _answer(idp, app, challenge["Session"], device.assertion(passkey, options))
    assert "AccessToken" in done["AuthenticationResult"]


def test_registration_options_and_the_credential_list_are_cognito_shaped(
    local_pool: PoolServer,
) -> None:
    app, idp = _app(local_pool), local_pool.client()
    access = tokens(idp, app, "ann")["AccessToken"]
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    assert options["rp"] == {"id": RP, "name": RP}
    assert options["timeout"] == 60000
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -257]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    credential, _ = SoftwareAuthenticator(origin=ORIGIN).register(options)
    idp.complete_web_authn_registration(AccessToken=access, Credential=credential)
    listed = idp.list_web_authn_credentials(AccessToken=access)["Credentials"]
    assert [c["CredentialId"] for c in listed] == [credential["id"]]
    assert listed[0]["RelyingPartyId"] == RP
    idp.delete_web_authn_credential(AccessToken=access, CredentialId=credential["id"])
    assert idp.list_web_authn_credentials(AccessToken=access)["Credentials"] == []
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        idp.delete_web_authn_credential(AccessToken=access, CredentialId=credential["id"])
    assert error_of(missing)[0] == "ResourceNotFoundException"


def test_a_signature_from_another_key_is_refused(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    device = SoftwareAuthenticator(origin=ORIGIN)
    passkey = _register(idp, app, device)
    impostor = Passkey.create(rp_id=RP, user_handle=passkey.user_handle, algorithm=Algorithm.ES256)
    forged = Passkey(
        credential_id=passkey.credential_id,
        rp_id=RP,
        user_handle=passkey.user_handle,
        algorithm=Algorithm.ES256,
        private_key=impostor.private_key,
    )
    challenge = _challenge(idp, app)
    options = challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _answer(idp, app, challenge["Session"], device.assertion(forged, options))
    assert error_of(refused) == ("NotAuthorizedException", "Incorrect username or password.")


def test_a_replayed_assertion_is_refused(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    device = SoftwareAuthenticator(origin=ORIGIN)
    passkey = _register(idp, app, device)
    first = _challenge(idp, app)
    options = first["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]
    answer = device.assertion(passkey, options)
    _answer(idp, app, first["Session"], answer)
    second = _challenge(idp, app)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _answer(idp, app, second["Session"], answer)
    assert error_of(refused) == ("NotAuthorizedException", "Incorrect username or password.")
    with pytest.raises(botocore.exceptions.ClientError) as reused:
        _answer(idp, app, first["Session"], answer)
    assert error_of(reused)[0] == "NotAuthorizedException"


def test_a_wrong_origin_is_refused_at_sign_in_and_registration(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    passkey = _register(idp, app, SoftwareAuthenticator(origin=ORIGIN))
    phisher = SoftwareAuthenticator(origin="https://example.com.evil.test", sign_count=10)
    challenge = _challenge(idp, app)
    options = challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _answer(idp, app, challenge["Session"], phisher.assertion(passkey, options))
    assert error_of(refused)[0] == "WebAuthnOriginNotAllowedException"
    access = tokens(idp, app, "ann")["AccessToken"]
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    credential, _ = phisher.register(options)
    with pytest.raises(botocore.exceptions.ClientError) as refused_registration:
        idp.complete_web_authn_registration(AccessToken=access, Credential=credential)
    assert error_of(refused_registration)[0] == "WebAuthnOriginNotAllowedException"


def test_completing_without_a_started_registration_is_refused(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    access = tokens(idp, app, "ann")["AccessToken"]
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    credential, _ = SoftwareAuthenticator(origin=ORIGIN).register(options)
    idp.complete_web_authn_registration(AccessToken=access, Credential=credential)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        idp.complete_web_authn_registration(AccessToken=access, Credential=credential)
    assert error_of(refused)[0] == "WebAuthnChallengeNotFoundException"


def test_a_wrong_relying_party_is_refused(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool), local_pool.client()
    access = tokens(idp, app, "ann")["AccessToken"]
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    options["rp"]["id"] = "other.example.org"
    credential, _ = SoftwareAuthenticator(origin="https://login.example.com").register(options)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        idp.complete_web_authn_registration(AccessToken=access, Credential=credential)
    assert error_of(refused)[0] == "WebAuthnRelyingPartyMismatchException"
