"""What ``capacity`` runs and on what: every catalogue entry but the session-continuing ones is a
kind; identity groups come from the catalogue; the embedded pool's settings are the mix's union
or a refusal with its reason; the message rail counts what the schedule could send."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from loadtest.capacity import kinds
from loadtest.capacity.cli import scheduled_messages
from loadtest.capacity.schedule import Stage
from loadtest.capacity.target import PoolShape, plan_of
from loadtest.cli import main
from loadtest.flows import Identity, dump_identities
from loadtest.flows.catalogue import CATALOGUE, PoolSetting

REMOTE = "http://192.0.2.10:9229/"  # TEST-NET-1: never routed, never contacted here
POOL = "us-east-1_Prod0001"


@pytest.fixture(autouse=True)
def _no_cognito_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("COGNITO_"):
            monkeypatch.delenv(name)


def test_http_and_identity_free_entries_are_kinds_and_sessions_are_not() -> None:
    http = ("client_credentials", "managed_login", "managed_login_password")
    for name in (*http, "signup", "custom_auth", "sms_mfa"):
        assert name in kinds.KINDS
    for name in ("refresh", "refresh_rotation"):
        assert name not in kinds.KINDS
        with pytest.raises(ValueError, match="continues the session"):
            kinds.check_mix({name: 1})


def test_an_sms_mfa_user_is_in_a_group_of_its_own() -> None:
    """An SMS-MFA user holds what an srp or user_auth_sms identity may hold (a phone, no TOTP)
    but every sign-in of it asks SMS_MFA: its group tag keeps it for sms_mfa arrivals."""
    group = {name: kinds.group_of(CATALOGUE[name]) for name in kinds.KINDS}
    sms, srp, otp = group["sms_mfa"], group["srp"], group["user_auth_sms"]
    assert sms is not None
    assert srp is not None
    assert otp is not None
    assert len({sms, srp, otp}) == 3
    user = Identity(username="lt-x-00001", password="x", phone="+12025550100", group=sms.name)
    assert CATALOGUE["srp"].accepts(user)  # the catalogue alone would let srp lease it
    assert user.group != srp.name
    assert group["srp"] == group["user_auth_password"] == group["change_password"]
    assert group["client_credentials"] is None
    assert group["signup"] is None
    assert kinds.groups_of({"srp": 1, "admin": 2, "sms_mfa": 1, "signup": 1}) == sorted(
        [srp, sms], key=lambda g: g.name
    )


def test_each_group_is_provisioned_with_what_it_holds() -> None:
    shape = PoolShape(settings=kinds.embedded_settings({"select_mfa": 1, "user_auth_passkey": 1}))
    select = plan_of(kinds.group_of(CATALOGUE["select_mfa"]) or kinds.Group(), shape)
    assert (select.totp, select.phone, select.sms, select.passkey) == (True, True, True, False)
    passkey = plan_of(kinds.group_of(CATALOGUE["user_auth_passkey"]) or kinds.Group(), shape)
    assert (passkey.totp, passkey.passkey, passkey.phone) == (False, True, False)
    recovery = plan_of(kinds.group_of(CATALOGUE["forgot_password"]) or kinds.Group(), shape)
    assert recovery.email
    assert not recovery.totp
    device = plan_of(kinds.group_of(CATALOGUE["device"]) or kinds.Group(), shape)
    assert (device.totp, device.device) == (True, True)


def test_the_embedded_pool_takes_the_union_of_the_mix_settings() -> None:
    settings = kinds.embedded_settings(
        {"user_auth_passkey": 1, "sms_mfa": 1, "custom_auth": 1, "srp": 3}
    )
    assert {PoolSetting.USER_AUTH, PoolSetting.SMS_MFA, PoolSetting.CUSTOM_TRIGGERS} <= settings
    assert PoolSetting.DEVICE_TRACKING in settings
    assert PoolShape(settings=settings).triggers.count("--trigger") == 3


@pytest.mark.parametrize(
    ("mix", "reason"),
    [
        ({"srp": 1, "mfa_setup": 1}, "mfa_on"),
        ({"new_password": 1}, "temporary_password"),
        ({"device_new_prompt": 1, "device": 1}, "remembered on the user's prompt"),
    ],
)
def test_the_embedded_pool_refuses_settings_that_would_change_other_flows(
    mix: dict[str, float], reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        kinds.check_embedded(mix)


def test_the_messages_of_a_schedule_are_counted_per_arrival() -> None:
    stages = [
        Stage(start_rate=10, end_rate=10, seconds=3),
        Stage(start_rate=20, end_rate=20, seconds=2),
    ]
    assert scheduled_messages(stages, {"srp": 1}) == 0
    assert scheduled_messages(stages, {"sms_mfa": 1}) == 70  # one code each
    assert scheduled_messages(stages, {"sms_mfa": 1, "srp": 1}) == 35


def test_a_ramp_of_a_real_pool_that_would_send_messages_needs_them_confirmed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = [
        "--cognito-pool-id", POOL, "--cognito-client-id", "abc", "--cognito-endpoint-url",
        REMOTE, "--confirm-pool-id", POOL, "--mix", "sms_mfa=1,srp=1",
        "--start", "10", "--step", "10", "--ceiling", "20", "--step-seconds", "2", "--warmup", "0",
    ]  # fmt: skip
    assert main(["capacity", *target]) == 2
    err = capsys.readouterr().err
    assert "may cause up to 30 SMS or e-mail messages" in err  # 60 arrivals, half of them SMS
    assert "--confirm-messages 30" in err
    assert main(["capacity", *target, "--confirm-messages", "29"]) == 2
    assert "--confirm-messages 30" in capsys.readouterr().err


def test_the_open_model_drops_an_arrival_once_the_confirmed_messages_are_spent() -> None:
    """The per-login budget (a real pool: no sink keeps the codes) stops the open model too.
    In a child process, since the open model imports Locust, which monkey-patches its process;
    the user is built without Locust's runner around it, with the budget a run would have."""
    code = textwrap.dedent(
        """
        from types import SimpleNamespace
        from loadtest.flows.codes import MessageBudget
        from loadtest.capacity.kinds import KINDS
        from loadtest.locust.open_model import OpenLoginUser

        drops = []
        user = OpenLoginUser.__new__(OpenLoginUser)
        user.runtime = SimpleNamespace(
            messages=MessageBudget(limit=2), config=SimpleNamespace(pool_id="us-east-1_X")
        )
        user.dispatcher = SimpleNamespace(drop=lambda ticket, reason: drops.append(reason))
        sms, srp = KINDS["sms_mfa"], KINDS["srp"]
        print([user._messages_confirmed(None, k) for k in (sms, srp, sms, sms, srp)], drops)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[True, True, True, False, True] ['messages']"


def test_a_real_pools_identities_are_counted_per_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Untagged identities (a real pool's file) fit a group when its entries accept them; a
    tagged one only its own group."""
    from loadtest.capacity.cli import _check_identities  # the real-pool path's check

    mix = {"srp": 1, "sms_mfa": 1}
    sms = kinds.group_of(CATALOGUE["sms_mfa"])
    assert sms is not None
    people = [
        Identity(username="lt-a-00001", password="x"),
        Identity(username="lt-a-00002", password="x", phone="+12025550100", sms_mfa=True),
        Identity(
            username="lt-a-00003", password="x", phone="+12025550101", sms_mfa=True, group=sms.name
        ),
    ]
    path = tmp_path / "ids.jsonl"
    dump_identities(people, path)
    _check_identities(path, mix, kinds.needs_of(mix, 4.0, 0.0))
    err = capsys.readouterr().err
    sms_group = "phone-sms_mfa-no_email_mfa-no_totp"
    assert f"has 2 identities for sms_mfa ({sms_group}), the ramp needs 13" in err
    # an SMS-MFA user (it says so) is no srp user, tagged or not
    assert "has 1 identities for srp (no_email_mfa-no_sms_mfa-no_totp), the ramp needs 12" in err
