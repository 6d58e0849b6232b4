"""Which user classes an identities file can serve (:mod:`loadtest.locust.fit`): pure, no Locust."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadtest.flows import CATALOGUE, Identity
from loadtest.flows.catalogue import Entry, family
from loadtest.locust.fit import unfit_classes, wants


def user(name: str, *, leased: str | None = None, entry: str | None = None) -> Any:
    """A stand-in user class: ``leased`` like the catalogue users, or a bare ``entry``."""
    body: dict[str, Any] = {}
    if leased is not None:
        body["entry"] = CATALOGUE[leased]
        body["leased"] = classmethod(lambda cls: family(cls.entry))
    elif entry is not None:
        body["entry"] = CATALOGUE[entry]
    return type(name, (), body)


PLAIN = Identity(username="plain", password="p")
TOTP = Identity(username="totp", password="p", totp_secret="JBSWY3DPEHPK3PXP")
SMS = Identity(username="sms", password="p", phone="+12025550100", sms_mfa=True)


def test_a_class_fits_when_one_of_its_entries_accepts_an_identity() -> None:
    classes = [user("SrpUser", leased="srp"), user("SmsMfaUser", leased="sms_mfa")]
    assert unfit_classes(classes, [TOTP]) == unfit_classes(classes, [TOTP, PLAIN])
    [unfit] = unfit_classes(classes, [TOTP, PLAIN])  # srp falls back to srp_totp
    assert (unfit.name, unfit.entry.name) == ("SmsMfaUser", "sms_mfa")
    assert unfit_classes(classes, [TOTP, SMS]) == []


def test_sms_mfa_users_fit_only_the_classes_that_answer_sms_mfa() -> None:
    classes = [user(n, leased=e) for n, e in (("SrpUser", "srp"), ("UserAuthSmsUser",
               "user_auth_sms"), ("AdminUser", "admin"))]  # fmt: skip
    assert [u.name for u in unfit_classes(classes, [SMS])] == [
        "SrpUser", "UserAuthSmsUser", "AdminUser"
    ]  # fmt: skip


def test_classes_that_lease_nothing_always_fit() -> None:
    classes = [user("SignupUser", leased="signup"), user("ClientCredentialsUser"),
               user("ManagedLoginUser", entry="managed_login")]  # fmt: skip
    [unfit] = unfit_classes(classes, [PLAIN])
    assert unfit.name == "ManagedLoginUser"


def test_the_message_names_the_class_what_it_needs_and_the_provision_command() -> None:
    [unfit] = unfit_classes([user("UserAuthPasskeyUser", leased="user_auth_passkey")], [TOTP])
    line = unfit.message(Path("ids.jsonl"))
    assert "\n" not in line
    assert line.startswith("UserAuthPasskeyUser (user_auth_passkey) fits no identity in ids.jsonl")
    assert "it needs a passkey, and no e-mail MFA, SMS MFA or TOTP" in line
    assert "provision -n 10 --identities user_auth_passkey.jsonl --no-totp" in line
    assert "--no-device --passkeys'" in line
    assert "pool serve --bootstrap" in line


def test_every_entry_that_leases_says_what_it_needs() -> None:
    entries: list[Entry] = [e for e in CATALOGUE.values() if e.leases]
    assert all(wants(e) for e in entries)
    assert wants(CATALOGUE["sms_mfa"]) == "a phone number and SMS MFA, and no e-mail MFA or TOTP"
    assert wants(CATALOGUE["srp_totp"]) == "TOTP, and no e-mail MFA or SMS MFA"
