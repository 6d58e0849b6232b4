"""The flows the open model and ``capacity`` run: the view of the flow catalogue
(:data:`loadtest.flows.CATALOGUE`) they read.

An open-model arrival runs exactly the entry it names, on an identity the entry accepts (the
catalogue's rule: every credential in its ``needs``, none in its ``refuses``), and applies the
entry's ``after`` (``device_new`` forgets the device it confirmed, so the identity's next login
is a first one again; the pool keeps it, as Cognito keeps a user's old browsers). Every entry
is a kind but one that continues a session (``refresh``): an arrival has no session to
continue. An HTTP entry (managed login, client credentials) is a kind like the others: the open
model's users perform its Fetch effects against the pool's domain. An entry that leases no
identity (``client_credentials``) or creates its own (``signup``) needs none provisioned.

**Identity groups.** The embedded pool of ``capacity`` provisions one group of identities per
kind of identity the mix asks for, derived from the catalogue (:func:`group_of`): what an
entry's identities hold (its ``needs``: a verified e-mail address is one), what they must not
hold (its ``refuses``), and the settings that belong to each user rather than to the pool (SMS
MFA on, no MFA preferred). Entries with the same group share its identities; an identity made
for a group carries the group's name (``Identity.group``), and an arrival leases only from its
entry's group, so an SMS-MFA user (whose every sign-in asks SMS_MFA) never serves an ``srp``
arrival, whose profile counts no such call.

**Pool settings.** The embedded pool is set to the union of what the mix's entries need
(:func:`embedded_settings`): device tracking, the USER_AUTH sign-in policy with a WebAuthn
relying party, SMS MFA, e-mail auto-verification, the example custom-auth trigger. It refuses,
with the reason, an entry whose setting would change what the other entries send (pool MFA
ON, devices remembered on prompt beside devices remembered always) or whose identities serve
once (a temporary password is replaced by the first login).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from loadtest.flows.catalogue import CATALOGUE, Entry, Need, PoolSetting, parse_mix

__all__ = [
    "EMBEDDED_POOL",
    "KINDS",
    "USER_SETTINGS",
    "FlowKind",
    "Group",
    "IdentityNeeds",
    "check_embedded",
    "check_mix",
    "embedded_settings",
    "group_of",
    "groups_of",
    "needs_of",
    "parse_mix",
    "refusal",
]

#: A kind is a catalogue entry (its name, event, acceptance, factory and ``after``).
FlowKind = Entry
#: Settings the pool ``capacity`` starts can take (the union of a mix's, within this set).
EMBEDDED_POOL = frozenset(
    {
        PoolSetting.DEVICE_TRACKING,
        PoolSetting.REMEMBER_ON_PROMPT,
        PoolSetting.AUTO_VERIFY_EMAIL,
        PoolSetting.USER_AUTH,
        PoolSetting.SMS_MFA,
        PoolSetting.EMAIL_MFA,
        PoolSetting.NO_MFA_PREFERENCE,
        PoolSetting.CUSTOM_TRIGGERS,
    }
)
#: Settings given to each user of a group (at provisioning), not to the pool.
USER_SETTINGS = frozenset(
    {PoolSetting.SMS_MFA, PoolSetting.EMAIL_MFA, PoolSetting.NO_MFA_PREFERENCE}
)
#: Why the embedded pool cannot take a setting.
_UNSUPPORTED: Mapping[PoolSetting, str] = MappingProxyType(
    {
        PoolSetting.MFA_ON: "pool MFA ON, which would send every other flow's users through "
        "MFA, and each identity runs it once (it enrolls)",
        PoolSetting.TEMPORARY_PASSWORD: "users with a temporary password, and each identity "
        "runs it once (its first login sets a permanent one)",
        PoolSetting.REFRESH_ROTATION: "an app client with refresh-token rotation",
    }
)


def refusal(entry: Entry) -> str | None:
    """Why the open model cannot run an entry, or ``None``."""
    if entry.continues is not None:
        return f"continues the session of a {entry.continues} login: an arrival has none"
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
    """``ValueError`` for a mix the embedded pool cannot serve: a setting it cannot take, or
    two entries whose settings disagree."""
    check_mix(mix)
    for name in mix:
        for setting in sorted(CATALOGUE[name].pool - EMBEDDED_POOL):
            why = _UNSUPPORTED.get(setting, "a setting the embedded pool does not make")
            raise ValueError(
                f"the embedded pool cannot run {name!r}: it needs {setting} ({why}); "
                f"ramp a pool set up for it instead (--cognito-pool-id ...)"
            )
    prompt = [n for n in mix if PoolSetting.REMEMBER_ON_PROMPT in CATALOGUE[n].pool]
    always = [
        n
        for n in mix
        if PoolSetting.DEVICE_TRACKING in CATALOGUE[n].pool
        and PoolSetting.REMEMBER_ON_PROMPT not in CATALOGUE[n].pool
    ]
    if prompt and always:
        raise ValueError(
            f"the embedded pool cannot run {prompt[0]!r} beside {always[0]!r}: one needs devices "
            "remembered on the user's prompt, the other always (ramp them apart)"
        )


def embedded_settings(mix: Mapping[str, float]) -> frozenset[PoolSetting]:
    """The settings of the pool that serves ``mix``: the union of its entries' (checked by
    :func:`check_embedded`), and device tracking always, as the pool has had it."""
    check_embedded(mix)
    wanted = {PoolSetting.DEVICE_TRACKING, PoolSetting.AUTO_VERIFY_EMAIL}
    for name in mix:
        wanted |= CATALOGUE[name].pool
    return frozenset(wanted)


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """Identities made alike: the credentials they hold beyond the password (``holds``), the
    ones they must not (``refuses``) and the settings of their users (``settings``)."""

    holds: frozenset[Need] = frozenset()
    refuses: frozenset[Need] = frozenset()
    settings: frozenset[PoolSetting] = frozenset()

    @property
    def name(self) -> str:
        """``totp``, ``phone-sms_mfa-no_totp``, ``any``: what it holds, its users' settings,
        and ``no_`` what it refuses; the tag its identities carry."""
        held = {n.value for n in self.holds} | {s.value for s in self.settings}
        parts = sorted(held) + sorted(f"no_{n.value}" for n in self.refuses)
        return "-".join(parts) or "any"

    def has(self, what: Need | PoolSetting) -> bool:
        """Whether this group's users hold a credential or have a user setting."""
        return what in self.holds or what in self.settings


def group_of(entry: Entry) -> Group | None:
    """The identity group that serves an entry (``None``: it leases no identity)."""
    if not entry.leases:
        return None
    return Group(
        holds=entry.needs - {Need.PASSWORD},
        refuses=entry.refuses,
        settings=entry.pool & USER_SETTINGS,
    )


def groups_of(mix: Mapping[str, float]) -> list[Group]:
    """The groups a mix leases from, each once, in a stable order."""
    found = {g for name in mix if (g := group_of(CATALOGUE[name])) is not None}
    return sorted(found, key=lambda group: group.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityNeeds:
    """How many identities of each group a schedule needs."""

    counts: Mapping[Group, int] = field(default_factory=dict)

    def of(self, group: Group | None) -> int:
        """Identities of ``group`` (0 for ``None`` or a group the schedule does not lease)."""
        return 0 if group is None else self.counts.get(group, 0)

    def __iter__(self) -> Iterator[tuple[Group, int]]:
        return iter(sorted(self.counts.items(), key=lambda item: item[0].name))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        """``12 no_totp, 20 totp users`` (or ``no users to provision``), for the target
        line."""
        text = ", ".join(f"{count} {group.name}" for group, count in self if count)
        return f"{text} users" if text else "no users to provision"


def needs_of(
    mix: Mapping[str, float], peak_rate: float, totp_window_logins: float
) -> IdentityNeeds:
    """Identities for a mix whose highest rate is ``peak_rate`` logins/s and which runs at most
    ``totp_window_logins`` logins in any 30 s window.

    A login that sends TOTP codes uses its identity's code for the current 30 s step, so a
    group needs one identity per code sent in a step (+10 %); every group needs enough
    identities that each sends well under the 10 requests/s a user may send (at most one login
    of two calls a second each: a device login of four calls counts twice), and 10 at least.
    """
    check_mix(mix)
    total = sum(mix.values())
    rate: dict[Group, float] = {}
    codes: dict[Group, float] = {}
    for name, weight in mix.items():
        entry = CATALOGUE[name]
        group = group_of(entry)
        if group is None:  # makes its own identity (sign-up) or takes none (M2M)
            continue
        calls = max(1.0, sum(entry.calls.values()) / 2)
        rate[group] = rate.get(group, 0.0) + weight / total * peak_rate * calls
        codes[group] = (
            codes.get(group, 0.0) + weight / total * entry.totp_codes * totp_window_logins
        )

    def each(group: Group) -> int:
        need = max(rate[group], codes[group])
        return 0 if need == 0 else max(10, round(need * 1.1) + 10)

    return IdentityNeeds(counts={group: each(group) for group in rate if each(group)})
