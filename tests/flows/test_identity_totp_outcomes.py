"""The identity record and file, TOTP step bookkeeping, and outcome classification."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest

import srp_fast
from loadtest.flows import (
    DeviceCredentials,
    Identity,
    MissingCredential,
    Outcome,
    TotpStepSpent,
    classify,
    dump_identities,
    load_identities,
    step_of,
    take_code,
)
from loadtest.protocol import errors

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T0 = datetime(2026, 3, 5, 9, 4, 11, tzinfo=UTC)


def test_identities_file_round_trips(tmp_path: Path) -> None:
    device = DeviceCredentials(device_key="k", device_group_key="-g", device_password="p" * 56)
    people = [
        Identity(username="a", password="pa"),
        Identity(username="b", password="pb", totp_secret=SECRET, device=device, last_totp_step=7),
    ]
    path = tmp_path / "identities.jsonl"
    dump_identities(people, path)
    assert load_identities(path) == people


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("[1]", "JSON object"),
        ('{"username": "a"}', "password"),
        ('{"username": "a", "password": "p", "device_key": "k"}', "device_group_key"),
        ("{not json", "line|Expecting|:2:"),
        ('{"username": "a", "password": "p", "last_totp_step": "7"}', "integer"),
    ],
)
def test_a_malformed_identity_names_its_line(tmp_path: Path, line: str, match: str) -> None:
    path = tmp_path / "identities.jsonl"
    path.write_text('{"username": "ok", "password": "p"}\n' + line + "\n")
    with pytest.raises(ValueError, match=":2:") as caught:
        load_identities(path)
    assert caught.match(match)


def test_identity_repr_hides_secrets() -> None:
    device = DeviceCredentials(device_key="k", device_group_key="-g", device_password="devpw")
    text = repr(Identity(username="a", password="hunter2", totp_secret=SECRET, device=device))
    assert "hunter2" not in text
    assert SECRET not in text
    assert "devpw" not in text


def test_totp_uses_the_current_step_then_the_next_then_refuses() -> None:
    identity = Identity(username="a", password="p")
    first = take_code(identity, SECRET, T0, next_step=True)
    assert first == pyotp.TOTP(SECRET).at(T0)
    second = take_code(identity, SECRET, T0, next_step=True)
    assert second == pyotp.TOTP(SECRET).at(T0, counter_offset=1)
    with pytest.raises(TotpStepSpent):
        take_code(identity, SECRET, T0, next_step=True)
    assert identity.last_totp_step == step_of(T0) + 1


def test_totp_step_of_moves_every_30_seconds() -> None:
    assert step_of(datetime(1970, 1, 1, 0, 0, 29, tzinfo=UTC)) == 0
    assert step_of(datetime(1970, 1, 1, 0, 0, 30, tzinfo=UTC)) == 1


def test_identity_refuses_to_go_back_in_totp_steps() -> None:
    identity = Identity(username="a", password="p", last_totp_step=10)
    with pytest.raises(ValueError, match="not after"):
        identity.use_totp_step(10)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (None, Outcome.OK),
        (errors.TooManyRequests(errors.Messages.RATE_EXCEEDED), Outcome.THROTTLED),
        (errors.NotAuthorized(errors.Messages.ATTEMPTS_EXCEEDED), Outcome.LOCKED_OUT),
        (errors.NotAuthorized(errors.Messages.INCORRECT_PASSWORD), Outcome.REJECTED),
        (errors.CodeMismatch(errors.Messages.TOTP_MISMATCH), Outcome.REJECTED),
        (errors.ConnectionFailed("refused"), Outcome.TRANSPORT),
        (errors.MalformedResponse("html", status=502), Outcome.TRANSPORT),
        (MissingCredential("TOTP secret", "a"), Outcome.CLIENT),
        (srp_fast.IllegalParameter("SRP_B", "B cannot be zero."), Outcome.CLIENT),
    ],
)
def test_outcomes(error: BaseException | None, outcome: Outcome) -> None:
    assert classify(error) == outcome
