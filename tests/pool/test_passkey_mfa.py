"""Passkeys as MFA (docs/user-auth.md): ``WebAuthnConfiguration.FactorConfiguration`` and
``WebAuthnMfaSettings``, in the Cognito API reference but not yet in the installed botocore's
model, so those two settings go over plain JSON 1.1 and everything else through boto3."""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest
import requests

from loadtest.flows.authenticator import Passkey, SoftwareAuthenticator
from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import enroll_totp, error_of

RP = "example.com"
MULTI = "MULTI_FACTOR_WITH_USER_VERIFICATION"
_SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/cognito-idp"}


def _call(server: PoolServer, target: str, body: dict[str, Any], *, admin: bool) -> tuple[int, Any]:
    """One JSON 1.1 request, as an SDK whose model has the new members would send it."""
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}",
        **(_SIGNED if admin else {}),
    }
    answer = requests.post(server.url + "/", data=json.dumps(body), headers=headers, timeout=30)
    return answer.status_code, answer.json()


def _app(server: PoolServer, factor: str) -> App:
    idp = server.client()
    policies = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}
    pool_id = idp.create_user_pool(PoolName="passkey-mfa", Policies=policies)["UserPool"]["Id"]
    config = {
        "UserPoolId": pool_id,
        "MfaConfiguration": "OPTIONAL",
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
        "WebAuthnConfiguration": {"RelyingPartyId": RP, "FactorConfiguration": factor},
    }
    status, answer = _call(server, "SetUserPoolMfaConfig", config, admin=True)
    assert status == 200
    assert answer["WebAuthnConfiguration"]["FactorConfiguration"] == factor
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="pk", ExplicitAuthFlows=["ALLOW_USER_AUTH"]
    )["UserPoolClient"]
    app = App(pool_id=pool_id, client_id=client["ClientId"])
    server.add_user(app, "ann")
    return app


def _passkey_and_totp(server: PoolServer, app: App, device: SoftwareAuthenticator) -> Any:
    """Register a passkey, then enroll TOTP (which hides a single-factor passkey, §12.1)."""
    idp = server.client()
    access = _password_tokens(idp, app)["AccessToken"]
    options = idp.start_web_authn_registration(AccessToken=access)["CredentialCreationOptions"]
    credential, passkey = device.register(options)
    idp.complete_web_authn_registration(AccessToken=access, Credential=credential)
    enroll_totp(server, idp, access)
    return access, passkey


def _password_tokens(idp: Any, app: App) -> dict[str, Any]:
    answer = _start(idp, app, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    return dict(answer["AuthenticationResult"])


def _start(idp: Any, app: App, **auth: str) -> Any:
    return idp.initiate_auth(
        AuthFlow="USER_AUTH", ClientId=app.client_id, AuthParameters={"USERNAME": "ann", **auth}
    )


def _passkey_mfa(server: PoolServer, access: str, enabled: bool) -> tuple[int, Any]:
    body = {"AccessToken": access, "WebAuthnMfaSettings": {"Enabled": enabled}}
    status, answer = _call(server, "SetUserMFAPreference", body, admin=False)
    return status, answer


def _sign_in_with(idp: Any, app: App, device: SoftwareAuthenticator, passkey: Passkey) -> Any:
    challenge = _start(idp, app, PREFERRED_CHALLENGE="WEB_AUTHN")
    assert challenge["ChallengeName"] == "WEB_AUTHN"
    options = json.loads(challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert options["userVerification"] == "required"  # the pool's own setting is "preferred"
    return idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="WEB_AUTHN",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": "ann",
            "CREDENTIAL": json.dumps(device.assertion(passkey, options)),
        },
    )


def test_a_verified_passkey_satisfies_mfa_once_the_user_turns_it_on(
    local_pool: PoolServer,
) -> None:
    app, idp = _app(local_pool, MULTI), local_pool.client()
    device = SoftwareAuthenticator(origin=f"https://{RP}")
    access, passkey = _passkey_and_totp(local_pool, app, device)
    assert _start(idp, app)["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD"]
    assert _passkey_mfa(local_pool, access, True) == (200, {})
    assert "WEB_AUTHN" in _start(idp, app)["AvailableChallenges"]
    done = _sign_in_with(idp, app, device, passkey)
    assert "AccessToken" in done["AuthenticationResult"]  # no SOFTWARE_TOKEN_MFA after it
    after_password = _start(idp, app, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert after_password["ChallengeName"] == "SOFTWARE_TOKEN_MFA"  # a password still needs it


def test_a_passkey_without_user_verification_does_not_satisfy_mfa(
    local_pool: PoolServer,
) -> None:
    app, idp = _app(local_pool, MULTI), local_pool.client()
    device = SoftwareAuthenticator(origin=f"https://{RP}")
    access, passkey = _passkey_and_totp(local_pool, app, device)
    _passkey_mfa(local_pool, access, True)
    device.user_verified = False
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _sign_in_with(idp, app, device, passkey)
    assert error_of(refused) == ("NotAuthorizedException", "Incorrect username or password.")


def test_single_factor_passkeys_stay_hidden_from_a_user_with_mfa(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool, "SINGLE_FACTOR"), local_pool.client()
    access, _passkey = _passkey_and_totp(
        local_pool, app, SoftwareAuthenticator(origin=f"https://{RP}")
    )
    assert _passkey_mfa(local_pool, access, True) == (200, {})
    assert "WEB_AUTHN" not in _start(idp, app)["AvailableChallenges"]


def test_passkey_mfa_needs_another_mfa_method(local_pool: PoolServer) -> None:
    app, idp = _app(local_pool, MULTI), local_pool.client()
    access = _password_tokens(idp, app)["AccessToken"]
    status, answer = _passkey_mfa(local_pool, access, True)
    assert (status, answer["__type"]) == (400, "InvalidParameterException")


def test_an_unknown_factor_configuration_is_refused(local_pool: PoolServer) -> None:
    pool_id = local_pool.client().create_user_pool(PoolName="bad")["UserPool"]["Id"]
    body = {"UserPoolId": pool_id, "WebAuthnConfiguration": {"FactorConfiguration": "TWO"}}
    status, answer = _call(local_pool, "SetUserPoolMfaConfig", body, admin=True)
    assert (status, answer["__type"]) == (400, "InvalidParameterException")
