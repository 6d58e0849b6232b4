"""The flow catalogue reaches every consumer, and its one mix parser and identity rule hold.

Walking :data:`loadtest.flows.CATALOGUE`, each entry must have: a Locust user class (checked in
a subprocess, since importing Locust monkey-patches this process), a quota profile and a place
in the quota model, a capacity kind (or the open model's refusal, with the entry's own reason),
and a parse in the one mix parser as every command reads mixes. Adding a flow is one entry plus
its flow code: a new entry that misses a consumer fails here. That each profile is what the
flow really sends is checked on the wire by ``tests/quota/test_profiles_against_pool.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from loadtest.capacity import kinds
from loadtest.flows import (
    CATALOGUE,
    Call,
    Compute,
    DeviceCredentials,
    Entry,
    Fetch,
    Identity,
    LoginResult,
    MixError,
    Need,
    Tokens,
    parse_mix,
)
from loadtest.flows.catalogue import family, user_class_name
from loadtest.locust.cli import SCENARIO_DIR
from loadtest.quota import PROFILES, category_rates, throttle_onset
from loadtest.quota.inputs import USER_FLOWS, scenario_mix
from loadtest.quota.inputs import parse_mix as quota_parse_mix
from tests.child import python_json

from .scripted import context

ENTRIES = [pytest.param(entry, id=name) for name, entry in CATALOGUE.items()]
#: The user class names scenarios, tests and users' locustfiles import.
KEPT_NAMES = {
    "SrpUser": "srp",
    "SrpTotpUser": "srp_totp",
    "DeviceUser": "device",
    "AdminUser": "admin",
    "LostPhoneUser": "lost_phone",
    "RefreshUser": "refresh",
}
LOCUST_VIEW = """
import json
from loadtest.locust import logins
from loadtest.locust import hosted
from loadtest.flows import CATALOGUE
from loadtest.flows.catalogue import user_class_name
users = {
    name: {"entry": cls.entry.name, "abstract": cls.abstract, "tasks": len(cls.tasks),
           "module": cls.__module__, "imported": getattr(logins, name) is cls}
    for name, cls in logins.USER_CLASSES.items()
}
for entry in CATALOGUE.values():
    if entry.http:  # HTTP entries' users perform Fetch effects: loadtest.locust.hosted
        cls = getattr(hosted, user_class_name(entry))
        users[cls.__name__] = {"entry": entry.name, "abstract": cls.abstract,
                               "tasks": len(cls.tasks), "module": cls.__module__,
                               "imported": True}
print(json.dumps(users))
"""


@pytest.fixture(scope="module")
def locust_users() -> dict[str, dict[str, object]]:
    """What the Locust users module makes of the catalogue, read in a process of its own."""
    users: dict[str, dict[str, object]] = python_json(LOCUST_VIEW)
    return users


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_entry_has_a_locust_user(
    entry: Entry, locust_users: dict[str, dict[str, object]]
) -> None:
    user = locust_users[user_class_name(entry)]
    assert user == {
        "entry": entry.name,
        "abstract": False,
        "tasks": 1,
        "module": "loadtest.locust.hosted" if entry.http else "loadtest.locust.logins",
        "imported": True,
    }
    assert USER_FLOWS[user_class_name(entry)] == entry.name  # how scenarios are read


def test_the_user_class_names_scenarios_use_are_kept(
    locust_users: dict[str, dict[str, object]],
) -> None:
    for name, flow in KEPT_NAMES.items():
        assert locust_users[name]["entry"] == flow
    assert len(locust_users) == len(CATALOGUE)


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_entry_has_a_quota_profile_the_model_uses(entry: Entry) -> None:
    profile = PROFILES[entry.name]
    assert dict(profile.calls) == dict(entry.calls)
    assert profile.totp_codes == entry.totp_codes
    assert profile.calls_per_login > 0
    rates = category_rates({entry.name: 1}, 10.0)
    assert sum(rates.values()) > 0
    assert throttle_onset({entry.name: 1}).logins_per_second > 0


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_entry_is_a_capacity_kind_or_refused_with_its_reason(entry: Entry) -> None:
    reason = kinds.refusal(entry)
    if reason is None:
        assert kinds.KINDS[entry.name] is entry
        kinds.check_mix({entry.name: 1})
        needs = kinds.needs_of({entry.name: 1}, 20.0, 600.0)
        group = kinds.group_of(entry)
        if group is None:  # sign-up makes its own identities, M2M takes none
            assert not entry.leases
            assert needs.total == 0
        else:
            assert needs.of(group) >= 10
            assert needs.total == needs.of(group)
        missing = entry.pool - kinds.EMBEDDED_POOL
        if missing:
            with pytest.raises(ValueError, match=sorted(missing)[0]):
                kinds.check_embedded({entry.name: 1})
        else:
            kinds.check_embedded({entry.name: 1})
            assert entry.pool <= kinds.embedded_settings({entry.name: 1})
    else:
        assert entry.name not in kinds.KINDS
        assert entry.continues is not None
        with pytest.raises(ValueError, match=reason):
            kinds.check_mix({entry.name: 1})


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_entry_parses_in_every_mix(entry: Entry, tmp_path: Path) -> None:
    assert parse_mix(f"{entry.name}=2.5") == {entry.name: 2.5}
    assert parse_mix(entry.name) == {entry.name: 1.0}
    assert quota_parse_mix(entry.name, SCENARIO_DIR) == {entry.name: 1.0}
    assert quota_parse_mix(f"{entry.name}=3", SCENARIO_DIR) == {entry.name: 3.0}
    assert kinds.parse_mix is parse_mix  # capacity and the open model: the same parser
    locustfile = tmp_path / "mine.py"
    module = "loadtest.locust.hosted" if entry.http else "loadtest.locust.logins"
    locustfile.write_text(f"from {module} import {user_class_name(entry)}\n")
    assert scenario_mix(locustfile) == {entry.name: 1.0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("srp=1,teleport=2", "unknown flow 'teleport'"),
        ("srp=abc", "not a number"),
        ("srp=-1", "must be a number >= 0"),
        ("srp=nan", "must be a number >= 0"),
        ("srp=inf", "must be a number >= 0"),
        ("srp=1,srp=2", "named twice"),
        ("srp=0,device=0", "no flow with a weight above 0"),
        ("", "no flow with a weight above 0"),
    ],
)
def test_the_mix_parser_refuses_with_one_clear_message(text: str, message: str) -> None:
    with pytest.raises(MixError, match=message):
        parse_mix(text)


def test_the_mix_parser_reads_bare_names_spaces_and_zero_weights() -> None:
    assert parse_mix(" srp=2 , device ,device_new=0") == {
        "srp": 2.0,
        "device": 1.0,
        "device_new": 0.0,
    }


def test_references_between_entries_resolve() -> None:
    names = [user_class_name(e) for e in CATALOGUE.values()]
    assert len(set(names)) == len(names)
    for entry in CATALOGUE.values():
        assert all(name in CATALOGUE for name in entry.fallbacks)
        assert entry.continues is None or CATALOGUE[entry.continues].leases
        continuing = entry.continues is not None  # a refresh is no login: named as itself
        assert entry.event == (entry.name if continuing else f"login:{entry.name}")
        assert not entry.needs & entry.refuses
        assert math.isfinite(entry.totp_codes)
        assert entry.totp_codes >= 0


def identity(*, totp: bool = False, device: bool = False) -> Identity:
    return Identity(
        username="ann",
        password="Passw0rd!",
        totp_secret="JBSWY3DPEHPK3PXP" if totp else None,
        device=DeviceCredentials(device_key="k", device_group_key="g", device_password="p")
        if device
        else None,
    )


def first_served(entry: Entry, who: Identity) -> str | None:
    found = next((e for e in family(entry) if e.accepts(who)), None)
    return None if found is None else found.name


def test_one_identity_rule_for_the_open_model_and_the_locust_users() -> None:
    plain, totp, both = identity(), identity(totp=True), identity(totp=True, device=True)
    srp = CATALOGUE["srp"]
    assert (srp.accepts(plain), srp.accepts(totp)) == (True, False)  # the open model's srp
    assert first_served(srp, totp) == "srp_totp"  # SrpUser's TOTP identity
    assert first_served(CATALOGUE["device"], totp) == "device_first"
    assert first_served(CATALOGUE["device"], both) == "device"
    assert first_served(CATALOGUE["device"], plain) is None
    assert first_served(CATALOGUE["admin"], totp) == "admin_totp"
    password, managed = CATALOGUE["managed_login_password"], CATALOGUE["managed_login"]
    assert first_served(password, plain) == "managed_login_password"  # no TOTP page
    assert first_served(password, totp) == "managed_login"  # its fallback, as srp's
    assert first_served(managed, plain) is None  # its profile counts a POST /mfa
    assert CATALOGUE["srp_totp"].accepts(both)  # no device used: the same calls
    assert not CATALOGUE["device_new"].accepts(both)
    assert CATALOGUE["srp_totp"].sends_totp(both)
    assert not CATALOGUE["device"].sends_totp(both)


def test_device_new_forgets_its_device_and_device_first_keeps_it() -> None:
    for name, kept in (("device_new", False), ("device_first", True)):
        who = identity(totp=True, device=True)
        CATALOGUE[name].after(who)
        assert (who.device is not None) is kept


def first_call(entry: Entry) -> Call | Fetch:
    """Build the entry's flow from its factory and run it to its first call (maths for real)."""
    session = LoginResult(
        tokens=Tokens(access_token="a", id_token="i", refresh_token="r", expires_in=3600),
        username="ann",
    )
    who = identity(totp=Need.TOTP in entry.needs, device=Need.DEVICE in entry.needs)
    flow = entry.flow(who if entry.leases else None, context(), session)
    effect = next(flow)
    while isinstance(effect, Compute):
        effect = flow.send(effect.fn(*effect.args))
    assert isinstance(effect, Fetch if entry.http else Call)
    return effect


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_factory_builds_a_flow_whose_first_call_is_in_its_profile(entry: Entry) -> None:
    call = first_call(entry)
    first = call.endpoint if isinstance(call, Fetch) else call.operation
    assert any(operation == first for operation, _ in entry.calls)


def test_message_rail_states_and_guards_what_sign_up_and_recovery_would_send() -> None:
    import io

    from loadtest.flows.catalogue import message_bound
    from loadtest.target.safety import UnsafeTarget, guard_messages

    srp, signup, forgot = (CATALOGUE[n] for n in ("srp", "signup", "forgot_password"))
    assert message_bound([srp], users=5, seconds=30) == 0
    assert message_bound([srp, signup, forgot], users=5, seconds=30) == 150
    assert message_bound([signup], users=5, seconds=None) is None
    real = {"endpoint_url": "aws", "region": "eu-west-1", "pool_id": "eu-west-1_Abc"}
    out = io.StringIO()
    guard_messages(**real, messages=0, confirmed=None, stream=out)
    assert out.getvalue() == ""
    with pytest.raises(UnsafeTarget, match="--confirm-messages 150"):
        guard_messages(**real, messages=150, confirmed=100, stream=out)
    assert "up to 150 SMS or e-mail messages" in out.getvalue()
    with pytest.raises(UnsafeTarget, match="bound the run"):
        guard_messages(**real, messages=None, confirmed=10**6, stream=out)
    guard_messages(**real, messages=150, confirmed=150, stream=out)
    local = io.StringIO()
    guard_messages(
        endpoint_url="http://127.0.0.1:9229/", region=None, pool_id="us-east-1_X",
        messages=None, confirmed=None, stream=local,
    )  # fmt: skip
    assert "kept in the local pool's message sink" in local.getvalue()


def test_a_code_source_is_the_users_callable_or_the_local_sink() -> None:
    from loadtest.flows import LocalSinkCodes, code_source_from

    assert code_source_from(None, local_url=None) is None
    assert code_source_from(None, local_url="http://127.0.0.1:9/") == LocalSinkCodes(
        base_url="http://127.0.0.1:9/"
    )
    assert code_source_from("json:dumps", local_url=None) is json.dumps
    with pytest.raises(ValueError, match="MODULE:CALLABLE"):
        code_source_from("json", local_url=None)
    with pytest.raises(ValueError, match="not a callable"):
        code_source_from("json:__doc__", local_url=None)
