"""What one login of each of our flows sends, by (operation, challenge), as the code really does.

``tests/quota/test_profiles_against_pool.py`` runs every flow against the local pool, counts the
calls it sends and checks them against this table, so the quota model cannot drift from the
flows. The challenge is the ``ChallengeName`` a challenge response carries; ``None`` for every
other call. A flow whose call count depends on the identity or the pool has one profile per
case:

===================  ==================================================================
profile              one login
===================  ==================================================================
srp                  USER_SRP_AUTH of an identity without MFA: InitiateAuth,
                     PASSWORD_VERIFIER
srp_totp             USER_SRP_AUTH + SOFTWARE_TOKEN_MFA (a TOTP identity)
device               a remembered device of a TOTP identity (every login after the
                     first): PASSWORD_VERIFIER, DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER;
                     MFA is skipped
device_new           the first login of a device (TOTP identity): SRP + SOFTWARE_TOKEN_MFA,
                     then ConfirmDevice (the pool remembers devices without asking)
device_new_prompt    the same where the pool remembers devices only on the user's prompt
                     (DeviceOnlyRememberedOnUserPrompt): ConfirmDevice + UpdateDeviceStatus
admin                ADMIN_USER_PASSWORD_AUTH of an identity without MFA: one call
admin_totp           AdminInitiateAuth + AdminRespondToAuthChallenge SOFTWARE_TOKEN_MFA
refresh              REFRESH_TOKEN_AUTH: one InitiateAuth
new_password         a temporary password: SRP, then NEW_PASSWORD_REQUIRED
                     (UserAccountRecovery)
mfa_setup            pool MFA ON, nothing enrolled: SRP, AssociateSoftwareToken and
                     VerifySoftwareToken by Session, then MFA_SETUP
lost_phone           pool MFA OPTIONAL: AdminSetUserMFAPreference, an SRP login,
                     enrollment by access token (Associate, Verify, SetUserMFAPreference),
                     an SRP + TOTP login
===================  ==================================================================

No profile for lost_phone on a pool with MFA ON: there, the local pool still asks the reset
user for SOFTWARE_TOKEN_MFA (the token stays verified; only the preference was turned off),
and the flow, having dropped the secret, fails with MissingCredential.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from loadtest.protocol.names import Challenge, Operation

__all__ = ["PROFILES", "CallKey", "FlowProfile"]

#: (operation, ChallengeName of a challenge response or None)
CallKey = tuple[Operation, str | None]


@dataclass(frozen=True)
class FlowProfile:
    """The API calls one login of a flow makes, on average.

    ``totp_codes`` is how many TOTP codes a login sends: an identity may send one per 30 s step,
    which bounds how often one identity can run the flow.
    """

    name: str
    calls: Mapping[CallKey, float]
    description: str = ""
    totp_codes: float = field(default=0.0)

    @property
    def calls_per_login(self) -> float:
        """Every call of one login, whatever its category."""
        return float(sum(self.calls.values()))


Op, Ch = Operation, Challenge
_IA = (Op.INITIATE_AUTH, None)
_PV = (Op.RESPOND_TO_AUTH_CHALLENGE, Ch.PASSWORD_VERIFIER.value)
_TOTP = (Op.RESPOND_TO_AUTH_CHALLENGE, Ch.SOFTWARE_TOKEN_MFA.value)
_SRP: dict[CallKey, float] = {_IA: 1, _PV: 1}
_ENROLL: dict[CallKey, float] = {
    (Op.ASSOCIATE_SOFTWARE_TOKEN, None): 1,
    (Op.VERIFY_SOFTWARE_TOKEN, None): 1,
}


def _profile(
    name: str, description: str, *parts: Mapping[CallKey, float], codes: float = 0
) -> FlowProfile:
    calls: dict[CallKey, float] = {}
    for part in parts:
        for key, count in part.items():
            calls[key] = calls.get(key, 0) + count
    return FlowProfile(
        name=name, calls=MappingProxyType(calls), description=description, totp_codes=codes
    )


_LIST = (
    _profile("srp", "USER_SRP_AUTH, no MFA", _SRP),
    _profile("srp_totp", "USER_SRP_AUTH + SOFTWARE_TOKEN_MFA", _SRP, {_TOTP: 1}, codes=1),
    _profile(
        "device",
        "remembered device (MFA skipped)",
        _SRP,
        {
            (Op.RESPOND_TO_AUTH_CHALLENGE, Ch.DEVICE_SRP_AUTH.value): 1,
            (Op.RESPOND_TO_AUTH_CHALLENGE, Ch.DEVICE_PASSWORD_VERIFIER.value): 1,
        },
    ),
    _profile(
        "device_new",
        "first login of a device: SRP + TOTP, ConfirmDevice",
        _SRP,
        {_TOTP: 1, (Op.CONFIRM_DEVICE, None): 1},
        codes=1,
    ),
    _profile(
        "device_new_prompt",
        "first login of a device, remembered on prompt: + UpdateDeviceStatus",
        _SRP,
        {_TOTP: 1, (Op.CONFIRM_DEVICE, None): 1, (Op.UPDATE_DEVICE_STATUS, None): 1},
        codes=1,
    ),
    _profile("admin", "ADMIN_USER_PASSWORD_AUTH, no MFA", {(Op.ADMIN_INITIATE_AUTH, None): 1}),
    _profile(
        "admin_totp",
        "ADMIN_USER_PASSWORD_AUTH + SOFTWARE_TOKEN_MFA",
        {
            (Op.ADMIN_INITIATE_AUTH, None): 1,
            (Op.ADMIN_RESPOND_TO_AUTH_CHALLENGE, Ch.SOFTWARE_TOKEN_MFA.value): 1,
        },
        codes=1,
    ),
    _profile("refresh", "REFRESH_TOKEN_AUTH", {_IA: 1}),
    _profile(
        "new_password",
        "temporary password: SRP + NEW_PASSWORD_REQUIRED",
        _SRP,
        {(Op.RESPOND_TO_AUTH_CHALLENGE, Ch.NEW_PASSWORD_REQUIRED.value): 1},
    ),
    _profile(
        "mfa_setup",
        "enrollment through MFA_SETUP (pool MFA ON)",
        _SRP,
        _ENROLL,
        {(Op.RESPOND_TO_AUTH_CHALLENGE, Ch.MFA_SETUP.value): 1},
        codes=1,
    ),
    _profile(
        "lost_phone",
        "admin MFA reset, enrollment by access token, TOTP login (pool MFA OPTIONAL)",
        {(Op.ADMIN_SET_USER_MFA_PREFERENCE, None): 1},
        _SRP,
        _ENROLL,
        {(Op.SET_USER_MFA_PREFERENCE, None): 1},
        _SRP,
        {_TOTP: 1},
        codes=2,
    ),
)

#: Our flows, by name, as they really send calls.
PROFILES: Mapping[str, FlowProfile] = MappingProxyType({p.name: p for p in _LIST})
