"""The flows the open model and ``capacity`` run: the view of the flow catalogue
(:data:`loadtest.flows.CATALOGUE`) they read.

An open-model arrival runs exactly the entry it names, on an identity the entry accepts (the
catalogue's rule: every credential in its ``needs``, none in its ``refuses``), and applies the
entry's ``after`` (``device_new`` forgets the device it confirmed, so the identity's next login
is a first one again; the pool keeps it, as Cognito keeps a user's old browsers). Every entry
that leases an identity is a kind; an entry that continues a session (``refresh``) is not: an
arrival has no session to continue; nor is an HTTP entry (managed login, client credentials),
whose Fetch effects the API drivers do not perform: :mod:`.http_onset` ramps those.
An entry that creates its identity (``signup``) is a kind that leases nothing and needs
no provisioned identity.

The embedded pool of ``capacity`` is set to :data:`EMBEDDED_POOL` and provisions three groups
of identities: ``plain`` (no MFA), ``totp`` (a TOTP authenticator), ``device`` (TOTP and a
remembered device), each with a verified e-mail address (``Need.EMAIL``: recovery codes go
there). An entry's group is the one its ``needs`` name; an entry whose profile
needs another pool setting (``mfa_setup``: MFA ON) is refused there with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from loadtest.flows.catalogue import CATALOGUE, Entry, Need, PoolSetting, parse_mix

__all__ = [
    "EMBEDDED_POOL",
    "KINDS",
    "FlowKind",
    "IdentityNeeds",
    "check_embedded",
    "check_mix",
    "group_of",
    "needs_of",
    "parse_mix",
    "refusal",
]

#: A kind is a catalogue entry (its name, event, acceptance, factory and ``after``).
FlowKind = Entry
#: The settings of the pool ``capacity`` starts and provisions itself.
EMBEDDED_POOL = frozenset({PoolSetting.DEVICE_TRACKING, PoolSetting.AUTO_VERIFY_EMAIL})
#: Identity groups, by what they hold, in the order provisioning makes them.
GROUPS = ("plain", "totp", "device")


def refusal(entry: Entry) -> str | None:
    """Why the open model cannot run an entry, or ``None``."""
    if entry.continues is not None:
        return f"continues the session of a {entry.continues} login: an arrival has none"
    if entry.http:
        return "calls a domain's HTTP endpoints: ramp it with loadtest.capacity.http_onset"
    if not entry.leases and not entry.creates:
        return "takes no identity (not supported by the open model yet)"
    return None


KINDS: Mapping[str, FlowKind] = MappingProxyType(
    {name: entry for name, entry in CATALOGUE.items() if refusal(entry) is None}
)


def check_mix(mix: Mapping[str, float]) -> None:
    """``ValueError`` naming a flow the open model cannot run, and why."""
    for name in mix:
        entry = CATALOGUE.get(name)
        if entry is None:
            raise ValueError(f"unknown flow {name!r} in the mix: use {', '.join(KINDS)}")
        reason = refusal(entry)
        if reason is not None:
            raise ValueError(f"the open model cannot run {name!r}: it {reason}")


def check_embedded(mix: Mapping[str, float]) -> None:
    """``ValueError`` for a flow whose profile needs pool settings the embedded pool lacks."""
    check_mix(mix)
    for name in mix:
        missing = CATALOGUE[name].pool - EMBEDDED_POOL
        if missing:
            settings = ", ".join(sorted(missing))
            raise ValueError(
                f"the embedded pool cannot run {name!r}: it needs {settings}; "
                f"ramp a pool set up for it instead (--cognito-pool-id ...)"
            )


def group_of(entry: Entry) -> str:
    """The identity group that serves an entry."""
    if Need.DEVICE in entry.needs:
        return "device"
    return "totp" if Need.TOTP in entry.needs else "plain"


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityNeeds:
    """How many identities of each group a schedule needs."""

    plain: int = 0
    totp: int = 0
    device: int = 0


def needs_of(
    mix: Mapping[str, float], peak_rate: float, totp_window_logins: float
) -> IdentityNeeds:
    """Identities for a mix whose highest rate is ``peak_rate`` logins/s and which runs at most
    ``totp_window_logins`` logins in any 30 s window.

    A login that sends TOTP codes uses its identity's code for the current 30 s step, so a
    group needs one identity per code sent in a step (+10 %); every group needs enough
    identities that each sends well under the 10 requests/s a user may send (at most 1
    login/s each; 2 for device logins), and 10 at least.
    """
    check_mix(mix)
    total = sum(mix.values())
    rate = dict.fromkeys(GROUPS, 0.0)
    codes = dict.fromkeys(GROUPS, 0.0)
    for name, weight in mix.items():
        entry = CATALOGUE[name]
        if entry.creates:  # makes its own identities (sign-up): none to provision
            continue
        group = group_of(entry)
        rate[group] += weight / total * peak_rate * (2 if group == "device" else 1)
        codes[group] += weight / total * entry.totp_codes * totp_window_logins

    def each(group: str) -> int:
        need = max(rate[group], codes[group])
        return 0 if need == 0 else max(10, round(need * 1.1) + 10)

    return IdentityNeeds(plain=each("plain"), totp=each("totp"), device=each("device"))
