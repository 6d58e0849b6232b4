"""Client-side steps for the pool's end-to-end tests, on srp_fast's client maths."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyotp

import srp_fast
from tests.conftest import PASSWORD, App, PoolServer


@dataclass(frozen=True, slots=True, kw_only=True)
class Remembered:
    """A confirmed device as a client keeps it."""

    key: str
    group_key: str
    password: str


def srp_responses(
    app: App,
    params: dict[str, str],
    password: str,
    *,
    now: datetime | None = None,
    eph: srp_fast.Ephemeral,
) -> dict[str, str]:
    """The PASSWORD_VERIFIER ChallengeResponses for a challenge's parameters."""
    claim = srp_fast.password_claim(
        eph,
        prefix=srp_fast.pool_name(app.pool_id),
        identity=params["USER_ID_FOR_SRP"],
        password=password,
        salt_hex=params["SALT"],
        srp_b_hex=params["SRP_B"],
        secret_block_b64=params["SECRET_BLOCK"],
        now=now or datetime.now(UTC),
    )
    return {
        "USERNAME": params["USERNAME"],
        "PASSWORD_CLAIM_SIGNATURE": claim.signature,
        "TIMESTAMP": claim.timestamp,
        "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
    }


def start_srp(idp: Any, app: App, username: str, **extra: str) -> tuple[Any, srp_fast.Ephemeral]:
    """InitiateAuth USER_SRP_AUTH; returns the response and the client's ephemeral."""
    eph = srp_fast.new_ephemeral()
    auth = {"USERNAME": username, "SRP_A": eph.public_hex, **extra}
    if app.client_secret:
        auth["SECRET_HASH"] = srp_fast.secret_hash(username, app.client_id, app.client_secret)
    response = idp.initiate_auth(
        AuthFlow="USER_SRP_AUTH", ClientId=app.client_id, AuthParameters=auth
    )
    return response, eph


def srp_login(
    idp: Any, app: App, username: str, password: str = PASSWORD, **extra: str
) -> dict[str, Any]:
    """InitiateAuth + PASSWORD_VERIFIER; returns the second response."""
    first, eph = start_srp(idp, app, username, **extra)
    responses = srp_responses(app, first["ChallengeParameters"], password, eph=eph)
    if app.client_secret:
        responses["SECRET_HASH"] = srp_fast.secret_hash(
            responses["USERNAME"], app.client_id, app.client_secret
        )
    responses.update({k: v for k, v in extra.items() if k == "DEVICE_KEY"})
    return dict(
        idp.respond_to_auth_challenge(
            ClientId=app.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
        )
    )


def tokens(idp: Any, app: App, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """A full SRP login expected to end in tokens."""
    result = srp_login(idp, app, username, password)
    assert "AuthenticationResult" in result, result.get("ChallengeName")
    return dict(result["AuthenticationResult"])


def enroll_totp(server: PoolServer, idp: Any, access_token: str) -> pyotp.TOTP:
    """Associate and verify a software token by access token, enable and prefer it."""
    secret = idp.associate_software_token(AccessToken=access_token)["SecretCode"]
    totp = pyotp.TOTP(secret)
    idp.verify_software_token(
        AccessToken=access_token, UserCode=totp.at(server.now()), FriendlyDeviceName="phone"
    )
    idp.set_user_mfa_preference(
        AccessToken=access_token,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    server.advance_clock(30)  # the verifying code may not be used again
    return totp


def confirm_device(idp: Any, access_token: str, metadata: dict[str, str]) -> Remembered:
    """ConfirmDevice with a fresh device secret; returns what the client keeps."""
    secret = srp_fast.new_device_secret(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    idp.confirm_device(
        AccessToken=access_token,
        DeviceKey=metadata["DeviceKey"],
        DeviceSecretVerifierConfig=secret.verifier_config(),
        DeviceName="test-device",
    )
    return Remembered(
        key=metadata["DeviceKey"],
        group_key=metadata["DeviceGroupKey"],
        password=secret.device_password,
    )


def device_login(idp: Any, app: App, username: str, device: Remembered, session: str) -> Any:
    """Answer DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER; returns the final response."""
    eph = srp_fast.new_ephemeral()
    challenge = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=session,
        ChallengeResponses={
            "USERNAME": username,
            "DEVICE_KEY": device.key,
            "SRP_A": eph.public_hex,
        },
    )
    assert challenge["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    return idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        ChallengeResponses=device_responses(challenge["ChallengeParameters"], device, eph),
    )


def device_responses(
    params: dict[str, str], device: Remembered, eph: srp_fast.Ephemeral, password: str | None = None
) -> dict[str, str]:
    claim = srp_fast.password_claim(
        eph,
        prefix=device.group_key,
        identity=device.key,
        password=password or device.password,
        salt_hex=params["SALT"],
        srp_b_hex=params["SRP_B"],
        secret_block_b64=params["SECRET_BLOCK"],
        now=datetime.now(UTC),
    )
    return {
        "USERNAME": params["USERNAME"],
        "DEVICE_KEY": device.key,
        "PASSWORD_CLAIM_SIGNATURE": claim.signature,
        "TIMESTAMP": claim.timestamp,
        "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
    }


def error_of(excinfo: Any) -> tuple[str, str]:
    """(code, message) of a botocore ClientError."""
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]
