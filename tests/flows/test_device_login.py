"""Remembered devices: registration, DEVICE_SRP_AUTH with real maths, and a forgotten device."""

from __future__ import annotations

from typing import Any

import pytest

from loadtest.flows import (
    DeviceCredentials,
    Identity,
    LoginOptions,
    Note,
    srp_login,
)
from loadtest.protocol import errors

from .scripted import SrpServer, Step, Transcript, challenge, context, device_server, run, tokens

INIT = "InitiateAuth:USER_SRP_AUTH"
PV = "RespondToAuthChallenge:PASSWORD_VERIFIER"
DSRP = "RespondToAuthChallenge:DEVICE_SRP_AUTH"
DPV = "RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER"
USER_ID = "bob"
KEY = "us-east-1_a1b2c3d4-5678-90ab-cdef-000000000001"
GROUP = "-wt2ha1Zd"
REMEMBER = LoginOptions(remember_device=True)


def bob() -> Identity:
    return Identity(username=USER_ID, password="Passw0rd!")


def first_login(
    identity: Identity, confirmation: bool, seen: Transcript, key: str = KEY
) -> dict[str, str]:
    """Run a first login that registers a device; return the verifier config sent."""
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    sent: dict[str, str] = {}

    def confirm(body: Any) -> dict[str, Any]:
        assert body["AccessToken"] == "access.token.x"
        assert body["DeviceKey"] == key
        sent.update(body["DeviceSecretVerifierConfig"])
        return {"UserConfirmationNecessary": confirmation}

    metadata = {"NewDeviceMetadata": {"DeviceKey": key, "DeviceGroupKey": GROUP}}
    script = [
        Step(INIT, server.password_verifier()),
        Step(PV, server.then(tokens(**metadata))),
        Step("ConfirmDevice", confirm),
    ]
    if confirmation:
        script.append(Step("UpdateDeviceStatus", {}))
    result = run(srp_login(identity, context(), REMEMBER), script, seen)
    assert result.device_key == key
    return sent


@pytest.mark.parametrize("confirmation", [False, True])
def test_first_login_registers_the_device(confirmation: bool) -> None:
    identity, seen = bob(), Transcript()
    config = first_login(identity, confirmation, seen)
    assert identity.device is not None
    assert identity.device.device_key == KEY
    assert identity.device.device_group_key == GROUP
    assert len(identity.device.device_password) == 56
    assert set(config) == {"PasswordVerifier", "Salt"}
    if confirmation:
        status = seen.body("UpdateDeviceStatus")
        assert status["DeviceRememberedStatus"] == "remembered"
        assert status["DeviceKey"] == KEY


def test_new_device_metadata_is_not_confirmed_unless_asked() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = bob()
    metadata = {"NewDeviceMetadata": {"DeviceKey": KEY, "DeviceGroupKey": GROUP}}
    result = run(
        srp_login(identity, context()),
        [Step(INIT, server.password_verifier()), Step(PV, server.then(tokens(**metadata)))],
    )
    assert identity.device is None
    assert result.device_key == KEY  # tokens are bound to it, for refresh


def device_script(user: SrpServer, device: SrpServer, seen_session: list[str]) -> list[Step]:
    def device_srp(body: Any) -> dict[str, Any]:
        answers = body["ChallengeResponses"]
        assert answers["DEVICE_KEY"] == KEY
        assert answers["USERNAME"] == USER_ID
        seen_session.append(body.get("Session", ""))
        params = device.parameters(answers["SRP_A"]) | {"USERNAME": USER_ID}
        return challenge("DEVICE_PASSWORD_VERIFIER", **params)

    def device_proof(body: Any) -> dict[str, Any]:
        assert body["ChallengeResponses"]["DEVICE_KEY"] == KEY
        device.verify(body["ChallengeResponses"])
        return tokens()

    return [
        Step(INIT, user.password_verifier()),
        Step(PV, user.then(challenge("DEVICE_SRP_AUTH", "S-dev"))),
        Step(DSRP, device_srp),
        Step(DPV, device_proof),
    ]


def test_later_login_completes_device_srp_and_skips_mfa() -> None:
    identity, seen = bob(), Transcript()
    config = first_login(identity, False, Transcript())
    user = SrpServer.for_user(USER_ID, "Passw0rd!")
    sessions: list[str] = []
    result = run(
        srp_login(identity, context(), REMEMBER),
        device_script(user, device_server(config, group=GROUP, key=KEY), sessions),
        seen,
    )
    assert seen.body(INIT)["AuthParameters"]["DEVICE_KEY"] == KEY
    assert seen.body(PV)["ChallengeResponses"]["DEVICE_KEY"] == KEY
    assert sessions == ["S-dev"]
    assert result.challenges == ("PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER")
    assert Note.DEVICE_AUTH in result.notes
    assert result.device_key == KEY


def test_a_wrong_device_password_is_refused() -> None:
    identity = bob()
    config = first_login(identity, False, Transcript())
    assert identity.device is not None
    identity.device = DeviceCredentials(
        device_key=KEY, device_group_key=GROUP, device_password="not-the-device-password"
    )
    user = SrpServer.for_user(USER_ID, "Passw0rd!")
    with pytest.raises(errors.NotAuthorized):
        run(
            srp_login(identity, context()),
            device_script(user, device_server(config, group=GROUP, key=KEY), []),
        )


@pytest.mark.parametrize("where", [INIT, PV, DSRP])
def test_a_forgotten_device_falls_back_to_a_full_login_and_reregisters(where: str) -> None:
    identity = bob()
    first_login(identity, False, Transcript())
    user = SrpServer.for_user(USER_ID, "Passw0rd!")
    gone = errors.ResourceNotFound(errors.Messages.DEVICE_NOT_FOUND)
    new_key = "us-east-1_a1b2c3d4-5678-90ab-cdef-000000000002"
    metadata = {"NewDeviceMetadata": {"DeviceKey": new_key, "DeviceGroupKey": GROUP}}
    failing = {
        INIT: [Step(INIT, gone)],
        PV: [Step(INIT, user.password_verifier()), Step(PV, gone)],
        DSRP: [
            Step(INIT, user.password_verifier()),
            Step(PV, user.then(challenge("DEVICE_SRP_AUTH"))),
            Step(DSRP, gone),
        ],
    }[where]
    seen = Transcript()
    result = run(
        srp_login(identity, context(), REMEMBER),
        [
            *failing,
            Step(INIT, user.password_verifier()),
            Step(PV, user.then(tokens(**metadata))),
            Step("ConfirmDevice", {"UserConfirmationNecessary": False}),
        ],
        seen,
    )
    retry = [c.body for c in seen.calls if c.label == INIT][-1]
    assert "DEVICE_KEY" not in retry["AuthParameters"]
    assert Note.DEVICE_FORGOTTEN in result.notes
    assert Note.DEVICE_CONFIRMED in result.notes
    assert identity.device is not None
    assert identity.device.device_key == new_key


def test_other_resource_errors_are_not_mistaken_for_a_forgotten_device() -> None:
    identity = bob()
    first_login(identity, False, Transcript())
    gone = errors.ResourceNotFound("User pool client 1example23456789 does not exist.")
    with pytest.raises(errors.ResourceNotFound):
        run(srp_login(identity, context()), [Step(INIT, gone)])
    assert identity.device is not None


def test_a_device_is_forgotten_only_once_per_login() -> None:
    identity = bob()
    first_login(identity, False, Transcript())
    gone = errors.ResourceNotFound(errors.Messages.DEVICE_NOT_FOUND)
    user = SrpServer.for_user(USER_ID, "Passw0rd!")
    with pytest.raises(errors.ResourceNotFound):
        run(
            srp_login(identity, context()),
            [Step(INIT, gone), Step(INIT, user.password_verifier()), Step(PV, gone)],
        )
    assert identity.device is None


def test_use_device_false_leaves_the_device_out() -> None:
    identity, seen = bob(), Transcript()
    first_login(identity, False, Transcript())
    user = SrpServer.for_user(USER_ID, "Passw0rd!")
    run(
        srp_login(identity, context(), LoginOptions(use_device=False)),
        [Step(INIT, user.password_verifier()), Step(PV, user.then(tokens()))],
        seen,
    )
    assert "DEVICE_KEY" not in seen.body(INIT)["AuthParameters"]
    assert "DEVICE_KEY" not in seen.body(PV)["ChallengeResponses"]
    assert identity.device is not None


def test_confirm_device_refusal_passes_through_and_remembers_nothing() -> None:
    server = SrpServer.for_user(USER_ID, "Passw0rd!")
    identity = bob()
    metadata = {"NewDeviceMetadata": {"DeviceKey": KEY, "DeviceGroupKey": GROUP}}
    with pytest.raises(errors.TooManyRequests):
        run(
            srp_login(identity, context(), REMEMBER),
            [
                Step(INIT, server.password_verifier()),
                Step(PV, server.then(tokens(**metadata))),
                Step("ConfirmDevice", errors.TooManyRequests(errors.Messages.RATE_EXCEEDED)),
            ],
        )
    assert identity.device is None
