"""The flows an open-model mix may name, each as the quota model's profile of the same name.

=============  ====================================  =================================  ========
mix name       login (event ``login:<name>``)        identities it takes                TOTP code
=============  ====================================  =================================  ========
srp            USER_SRP_AUTH, no device              no TOTP secret                     no
srp_totp       USER_SRP_AUTH + SOFTWARE_TOKEN_MFA    TOTP secret, no remembered device  yes
device         remembered device: MFA skipped        a remembered device                no
device_new     SRP + TOTP, then ConfirmDevice        TOTP secret, no remembered device  yes
=============  ====================================  =================================  ========

``device_new`` is the first login on a new device (a new browser): after it, the identity
forgets the device it just confirmed on our side, so its next login is a first one again
(the pool keeps the confirmed device, as Cognito would keep a user's old browsers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from loadtest.flows import FlowContext, Identity, LoginOptions, LoginResult, srp_login
from loadtest.flows.effects import Flow

__all__ = ["KINDS", "FlowKind", "IdentityNeeds", "check_mix", "needs_of"]

NO_DEVICE = LoginOptions(use_device=False)
REMEMBER_DEVICE = LoginOptions(use_device=True, remember_device=True)


def _plain(identity: Identity) -> bool:
    return identity.totp_secret is None


def _totp_only(identity: Identity) -> bool:
    return identity.totp_secret is not None and identity.device is None


def _remembered(identity: Identity) -> bool:
    return identity.device is not None


def _never(identity: Identity) -> bool:
    return False


def _nothing(identity: Identity) -> None:
    return None


def _forget(identity: Identity) -> None:
    identity.forget_device()


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowKind:
    """How one mix entry leases an identity and logs it in."""

    name: str
    accepts: Callable[[Identity], bool]
    sends_totp: Callable[[Identity], bool]
    options: LoginOptions
    after: Callable[[Identity], None] = _nothing
    #: Which identity group of :class:`IdentityNeeds` serves it.
    group: str = "plain"

    @property
    def event(self) -> str:
        """The login's request name, as the closed-model users name theirs."""
        return f"login:{self.name}"

    def flow(self, identity: Identity, ctx: FlowContext) -> Flow[LoginResult]:
        return srp_login(identity, ctx, self.options)


KINDS: Mapping[str, FlowKind] = MappingProxyType(
    {
        "srp": FlowKind(name="srp", accepts=_plain, sends_totp=_never, options=NO_DEVICE),
        "srp_totp": FlowKind(
            name="srp_totp",
            accepts=_totp_only,
            sends_totp=_totp_only,
            options=NO_DEVICE,
            group="totp",
        ),
        "device": FlowKind(
            name="device",
            accepts=_remembered,
            sends_totp=_totp_only,  # only if the pool forgot the device: a full login
            options=REMEMBER_DEVICE,
            group="device",
        ),
        "device_new": FlowKind(
            name="device_new",
            accepts=_totp_only,
            sends_totp=_totp_only,
            options=REMEMBER_DEVICE,
            after=_forget,
            group="totp",
        ),
    }
)


def check_mix(mix: Mapping[str, float]) -> None:
    """``ValueError`` naming a flow the open model cannot run."""
    unknown = sorted(set(mix) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown flow(s) {', '.join(unknown)} in the mix: use {', '.join(KINDS)}")


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

    A TOTP login uses its identity's code for the current 30 s step, so the TOTP group needs
    one identity per TOTP login in a step (+10 %); the others need enough identities that each
    sends well under the 10 requests/s a user may send (at most 1 login/s each), and 10 at least.
    """
    check_mix(mix)
    total = sum(mix.values())
    share = {group: 0.0 for group in ("plain", "totp", "device")}
    for name, weight in mix.items():
        share[KINDS[name].group] += weight / total
    totp_codes = sum(w for n, w in mix.items() if n in ("srp_totp", "device_new")) / total

    def each(group: str, per_second: float) -> int:
        return 0 if share[group] == 0 else max(10, round(per_second * 1.1) + 10)

    return IdentityNeeds(
        plain=each("plain", share["plain"] * peak_rate),
        totp=each("totp", totp_codes * totp_window_logins),
        device=each("device", 2 * share["device"] * peak_rate),
    )
