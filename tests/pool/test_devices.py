"""Remembered devices: NewDeviceMetadata, ConfirmDevice, device SRP skipping MFA, management."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError

import srp_fast
from loadtest.protocol.errors import Messages
from tests.conftest import App, PoolServer

from .helpers import (
    Remembered,
    confirm_device,
    device_login,
    device_responses,
    enroll_totp,
    error_of,
    srp_login,
    tokens,
)

pytestmark = pytest.mark.e2e


def _device_user(
    server: PoolServer, *, mfa: bool = True, prompt: bool = False
) -> tuple[Any, App, str, Remembered]:
    """A user with TOTP enabled (optional) and one confirmed device."""
    idp = server.client()
    app = server.provision(mfa="OPTIONAL", device_tracking=True, remember_on_prompt=prompt)
    name = f"dev-{uuid.uuid4().hex[:8]}"
    server.add_user(app, name)
    result = tokens(idp, app, name)
    metadata = result["NewDeviceMetadata"]
    claims = jwt.decode(result["AccessToken"], options={"verify_signature": False})
    assert claims["device_key"] == metadata["DeviceKey"]
    device = confirm_device(idp, result["AccessToken"], metadata)
    if mfa:
        enroll_totp(server, idp, result["AccessToken"])
    return idp, app, name, device


def test_remembered_device_skips_mfa_through_device_srp(local_pool: PoolServer) -> None:
    idp, app, name, device = _device_user(local_pool)
    first = srp_login(idp, app, name, DEVICE_KEY=device.key)
    assert first["ChallengeName"] == "DEVICE_SRP_AUTH"
    done = device_login(idp, app, name, device, first["Session"])
    result = done["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result
    claims = jwt.decode(result["AccessToken"], options={"verify_signature": False})
    assert claims["device_key"] == device.key
    listed = idp.admin_list_devices(UserPoolId=app.pool_id, Username=name)["Devices"]
    assert [d["DeviceKey"] for d in listed] == [device.key]
    ids = {"UserPoolId": app.pool_id, "Username": name, "DeviceKey": device.key}
    idp.admin_update_device_status(**ids, DeviceRememberedStatus="not_remembered")
    shown = idp.admin_get_device(**ids)["Device"]
    status = {a["Name"]: a["Value"] for a in shown["DeviceAttributes"]}
    assert status["dev:device_remembered_status"] == "not_remembered"


def test_device_srp_works_without_a_session(local_pool: PoolServer) -> None:
    idp, app, name, device = _device_user(local_pool)
    srp_login(idp, app, name, DEVICE_KEY=device.key)
    eph = srp_fast.new_ephemeral()
    challenge = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        ChallengeResponses={"USERNAME": name, "DEVICE_KEY": device.key, "SRP_A": eph.public_hex},
    )
    params = challenge["ChallengeParameters"]
    assert {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME"} <= set(params)
    done = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        ChallengeResponses=device_responses(params, device, eph),
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_device_srp_without_a_session_needs_a_verified_password(local_pool: PoolServer) -> None:
    """The device secret alone is no sign-in: a Session-less DEVICE_SRP_AUTH continues only the
    sign-in whose password was just verified, once."""
    idp, app, name, device = _device_user(local_pool)
    responses = {
        "USERNAME": name,
        "DEVICE_KEY": device.key,
        "SRP_A": srp_fast.new_ephemeral().public_hex,
    }
    ask = {
        "ClientId": app.client_id,
        "ChallengeName": "DEVICE_SRP_AUTH",
        "ChallengeResponses": responses,
    }
    with pytest.raises(ClientError) as excinfo:
        idp.respond_to_auth_challenge(**ask)
    assert error_of(excinfo) == ("InvalidParameterException", "Missing required parameter Session")
    step = srp_login(idp, app, name, DEVICE_KEY=device.key)
    assert idp.respond_to_auth_challenge(**ask)["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    for again in (ask, {**ask, "Session": step["Session"]}):  # the same sign-in, used already
        with pytest.raises(ClientError) as excinfo:
            idp.respond_to_auth_challenge(**again)
        assert error_of(excinfo) == ("NotAuthorizedException", Messages.SESSION_USED)


def test_wrong_device_secret_is_refused(local_pool: PoolServer) -> None:
    idp, app, name, device = _device_user(local_pool)
    srp_login(idp, app, name, DEVICE_KEY=device.key)
    eph = srp_fast.new_ephemeral()
    challenge = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        ChallengeResponses={"USERNAME": name, "DEVICE_KEY": device.key, "SRP_A": eph.public_hex},
    )
    wrong = device_responses(challenge["ChallengeParameters"], device, eph, password="nope")
    with pytest.raises(ClientError) as excinfo:
        idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            ChallengeResponses=wrong,
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_unknown_device_key_does_not_exist(local_pool: PoolServer) -> None:
    idp, app, name, _ = _device_user(local_pool)
    unknown = f"us-east-1_{uuid.uuid4()}"
    with pytest.raises(ClientError) as excinfo:
        srp_login(idp, app, name, DEVICE_KEY=unknown)
    assert error_of(excinfo) == ("ResourceNotFoundException", "Device does not exist.")
    with pytest.raises(ClientError) as excinfo:
        idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            ChallengeResponses={"USERNAME": name, "DEVICE_KEY": unknown, "SRP_A": "ab"},
        )
    assert error_of(excinfo) == ("ResourceNotFoundException", "Device does not exist.")


def test_forgotten_device_needs_mfa_again(local_pool: PoolServer) -> None:
    idp, app, name, device = _device_user(local_pool)
    access = tokens_via_device(idp, app, name, device)
    idp.forget_device(AccessToken=access, DeviceKey=device.key)
    with pytest.raises(ClientError) as excinfo:
        srp_login(idp, app, name, DEVICE_KEY=device.key)
    assert error_of(excinfo) == ("ResourceNotFoundException", "Device does not exist.")
    assert srp_login(idp, app, name)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def tokens_via_device(idp: Any, app: App, name: str, device: Remembered) -> str:
    first = srp_login(idp, app, name, DEVICE_KEY=device.key)
    done = device_login(idp, app, name, device, first["Session"])
    return str(done["AuthenticationResult"]["AccessToken"])


def test_user_opt_in_and_device_management(local_pool: PoolServer) -> None:
    idp, app, name, device = _device_user(local_pool, mfa=False, prompt=True)
    access = tokens(idp, app, name)["AccessToken"]
    got = idp.get_device(AccessToken=access, DeviceKey=device.key)["Device"]
    attributes = {a["Name"]: a["Value"] for a in got["DeviceAttributes"]}
    assert attributes["device_name"] == "test-device"
    assert attributes["dev:device_remembered_status"] == "not_remembered"
    idp.update_device_status(
        AccessToken=access, DeviceKey=device.key, DeviceRememberedStatus="remembered"
    )
    devices = idp.list_devices(AccessToken=access)["Devices"]
    attributes = {a["Name"]: a["Value"] for a in devices[0]["DeviceAttributes"]}
    assert attributes["dev:device_remembered_status"] == "remembered"
    idp.admin_forget_device(UserPoolId=app.pool_id, Username=name, DeviceKey=device.key)
    assert idp.list_devices(AccessToken=access)["Devices"] == []
    with pytest.raises(ClientError) as excinfo:
        idp.get_device(AccessToken=access, DeviceKey=device.key)
    assert error_of(excinfo) == ("ResourceNotFoundException", "Device does not exist.")


def test_confirm_device_answers_user_confirmation_necessary(local_pool: PoolServer) -> None:
    idp = local_pool.client()
    for prompt in (False, True):
        app = local_pool.provision(device_tracking=True, remember_on_prompt=prompt)
        local_pool.add_user(app, "c")
        result = tokens(idp, app, "c")
        metadata = result["NewDeviceMetadata"]
        secret = srp_fast.new_device_secret(metadata["DeviceGroupKey"], metadata["DeviceKey"])
        answer = idp.confirm_device(
            AccessToken=result["AccessToken"],
            DeviceKey=metadata["DeviceKey"],
            DeviceSecretVerifierConfig=secret.verifier_config(),
        )
        assert answer["UserConfirmationNecessary"] is prompt
        with pytest.raises(ClientError) as excinfo:
            idp.confirm_device(
                AccessToken=result["AccessToken"],
                DeviceKey=f"us-east-1_{uuid.uuid4()}",
                DeviceSecretVerifierConfig=secret.verifier_config(),
            )
        assert error_of(excinfo)[0] == "ResourceNotFoundException"
