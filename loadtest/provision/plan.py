"""What provisioning one user costs in API calls per quota category, and how long N users take.

The estimate is the bottleneck bound: for each category, N x calls per user / the category's
rate; the slowest category sets the pace (running categories in parallel cannot beat it). With
the default quotas and TOTP + device that is UserResourceUpdate: 4 calls per user at 25 RPS,
6.25 users/s, whatever the concurrency.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from types import MappingProxyType

from loadtest.flows.catalogue import Need
from loadtest.protocol.quotas import QuotaCategory

from .ratelimit import RateLimits

__all__ = ["Estimate", "Plan", "estimate"]

Q = QuotaCategory


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The optional steps of each user.

    ``totp``: sign in, AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference.
    ``device``: the sign-in registers its device (ConfirmDevice, and UpdateDeviceStatus when the
    pool only remembers devices on the user's prompt, ``confirm_on_prompt``).
    ``passkey``: after the sign-in, StartWebAuthnRegistration and CompleteWebAuthnRegistration
    (a software authenticator's P-256 key, kept in the identities file).
    ``email`` / ``phone``: the user is created with a verified address on a reserved domain
    and a number in the fictional range, where EMAIL_OTP and SMS_OTP codes go (no extra call).
    ``sms``: SMS MFA on (AdminSetUserMFAPreference), after the sign-in, so that provisioning
    itself sends no SMS; preferred unless TOTP is enrolled too (then neither is preferred and
    sign-in asks SELECT_MFA_TYPE).
    ``email_mfa``: e-mail MFA on, the same way (one AdminSetUserMFAPreference for both); a
    factor is preferred only when it is the user's only one.
    """

    totp: bool = True
    device: bool = True
    confirm_on_prompt: bool = False
    passkey: bool = False
    email: bool = False
    phone: bool = False
    sms: bool = False
    email_mfa: bool = False

    def __post_init__(self) -> None:
        if self.sms and not self.phone:
            raise ValueError("SMS MFA needs the users' phone numbers (phone)")
        if self.email_mfa and not self.email:
            raise ValueError("e-mail MFA needs the users' e-mail addresses (email)")

    @property
    def message_mfa(self) -> bool:
        """Whether an MFA factor that sends codes (SMS, e-mail) is turned on per user."""
        return self.sms or self.email_mfa

    @classmethod
    def for_needs(cls, needs: Set[Need]) -> Plan:
        """The plan whose users hold exactly ``needs`` (a catalogue entry's), and nothing an
        entry could refuse."""
        sms, email_mfa = Need.SMS_MFA in needs, Need.EMAIL_MFA in needs
        return cls(
            totp=Need.TOTP in needs,
            device=Need.DEVICE in needs,
            passkey=Need.PASSKEY in needs,
            email=Need.EMAIL in needs or email_mfa,
            phone=Need.PHONE in needs or sms,
            sms=sms,
            email_mfa=email_mfa,
        )

    def flags(self) -> tuple[str, ...]:
        """The ``cognito-loadtest provision`` flags that make this plan's users."""
        chosen = (
            ("--no-totp", not self.totp),
            ("--no-device", not self.device),
            ("--passkeys", self.passkey),
            ("--emails", self.email and not self.email_mfa),
            ("--phones", self.phone and not self.sms),
            ("--sms-mfa", self.sms),
            ("--email-mfa", self.email_mfa),
        )
        return tuple(flag for flag, on in chosen if on)

    @property
    def signs_in(self) -> bool:
        """Whether each user needs a first SRP sign-in."""
        return self.totp or self.device or self.passkey

    @property
    def steps(self) -> tuple[str, ...]:
        """The steps, for people: ``create``, ``password``, ``sign-in``, ``device``, ``totp``,
        ``passkey``."""
        optional = (
            ("sign-in", self.signs_in),
            ("device", self.device),
            ("totp", self.totp),
            ("passkey", self.passkey),
            ("sms", self.sms),
            ("email-mfa", self.email_mfa),
        )
        return ("create", "password", *(name for name, on in optional if on))

    def calls_per_user(self) -> MappingProxyType[QuotaCategory, int]:
        """API calls per user by quota category (AdminCreateUser, AdminSetUserPassword, ...)."""
        calls = {Q.USER_CREATION: 1, Q.USER_ACCOUNT_RECOVERY: 1}
        if self.signs_in:  # InitiateAuth + RespondToAuthChallenge(PASSWORD_VERIFIER)
            calls[Q.USER_AUTHENTICATION] = 2
        resource = (
            (3 if self.totp else 0)
            + ((2 if self.confirm_on_prompt else 1) if self.device else 0)
            + (2 if self.passkey else 0)  # the passkey operations' category is a guess
        )
        resource += 1 if self.message_mfa else 0  # AdminSetUserMFAPreference
        if resource:
            calls[Q.USER_RESOURCE_UPDATE] = resource
        return MappingProxyType(calls)


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """The lower bound on time for ``users`` users and the category that sets it."""

    users: int
    seconds: float
    bottleneck: QuotaCategory | None
    calls: int
    users_per_second: float | None

    def describe(self) -> str:
        """One line for people, printed before a run starts."""
        if self.users == 0:
            return "nothing to do: every user of the run is already in the identities file"
        if self.bottleneck is None or self.users_per_second is None:
            return (
                f"{self.users} users, {self.calls} API calls; no client-side rate limits, "
                "so the time depends on the pool"
            )
        return (
            f"{self.users} users, {self.calls} API calls: at least {_duration(self.seconds)} "
            f"({self.users_per_second:.2f} users/s, paced by {self.bottleneck})"
        )


def estimate(plan: Plan, users: int, limits: RateLimits) -> Estimate:
    """How long ``users`` users take at best under ``limits`` (see the module docstring)."""
    per_user = plan.calls_per_user()
    seconds, bottleneck = 0.0, None
    for category, calls in per_user.items():
        rate = limits.rate(category)
        if rate is not None and users * calls / rate > seconds:
            seconds, bottleneck = users * calls / rate, category
    users_per_second = None
    if bottleneck is not None:
        rate = limits.rate(bottleneck)
        assert rate is not None
        users_per_second = rate / per_user[bottleneck]
    return Estimate(
        users=users,
        seconds=seconds,
        bottleneck=bottleneck,
        calls=users * sum(per_user.values()),
        users_per_second=users_per_second,
    )


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"
