"""The flow catalogue: every login flow declared once, as data, for every consumer to read.

An :class:`Entry` holds a flow's name, how to build it (its factory and :class:`LoginOptions`),
what an identity must hold to run it, what the pool must be set to, and its quota profile: the
(operation, ChallengeName) calls one run sends. The Locust users
(:mod:`loadtest.locust.logins`), the open model and ``capacity`` (:mod:`loadtest.capacity.kinds`)
and the quota model (:mod:`loadtest.quota.profiles`) are views of :data:`CATALOGUE`, and
:func:`parse_mix` is the one parser of ``NAME=WEIGHT,...`` mixes. Adding a flow is one entry
here plus its flow code.

**The rule for identities** (one, for every consumer): an entry accepts an identity that holds
every credential in ``needs`` and none in ``refuses``, and ``refuses`` lists exactly what would
make the flow send calls its profile does not count. So the profile is true of every identity an
entry accepts (on the pool settings in ``pool``): ``srp`` refuses a TOTP identity, which would
answer SOFTWARE_TOKEN_MFA (that login is ``srp_totp``), and an SMS-MFA one (``sms_mfa``); so one
identities file can hold every kind of user and each flow leases only its own. A Locust user
class runs its own entry and, for an identity that entry refuses, the first of its ``fallbacks``
that accepts it: ``SrpUser`` runs ``srp``, or ``srp_totp`` for a TOTP identity (one it enrolled
through MFA_SETUP, say), and reports both under its own event ``login:srp``. The open model runs
exactly the entry an arrival names. An entry with no ``needs`` leases no identity (``refresh``
continues the session an earlier login of its ``continues`` entry opened).

What the identities file cannot tell is left to the pool settings: ``new_password`` and
``managed_login_new_password`` need users that still have a temporary password
(``PoolSetting.TEMPORARY_PASSWORD``), which an identity does not record, so they accept any
identity without MFA; and ``managed_login_password``'s profile holds for permanent passwords
(its flow answers the new-password page too, once per such identity, with the extra POST of
``managed_login_new_password``'s profile).

**Adding a flow** (SMS_MFA, CUSTOM_AUTH, USER_AUTH, client credentials, sign-up, ...): write
its flow code, add one :class:`Entry` (a new :class:`Need` with its test in ``_HOLDS`` if it
needs a new credential, say a phone or a passkey), and ``tests/flows/test_catalogue.py`` and
``tests/quota/test_profiles_against_pool.py`` check that it reaches every consumer and that
its profile is what it sends.

==========================  ==================================================  ===================
entry                       one run                                             identity
==========================  ==================================================  ===================
srp                         USER_SRP_AUTH, no MFA                               no TOTP
srp_totp                    USER_SRP_AUTH + SOFTWARE_TOKEN_MFA                  TOTP
device                      remembered device: DEVICE_SRP_AUTH, MFA skipped     TOTP and a device
device_first                first login of a device, kept for later logins      TOTP, no device
device_new                  a new device every time (forgotten after)           TOTP, no device
device_new_prompt           device_new where devices are remembered on prompt   TOTP, no device
admin                       ADMIN_USER_PASSWORD_AUTH, no MFA                    no TOTP
admin_totp                  ADMIN_USER_PASSWORD_AUTH + SOFTWARE_TOKEN_MFA       TOTP
refresh                     REFRESH_TOKEN_AUTH after one srp login              none (a session)
managed_login               managed login: form, TOTP page, PKCE code exchange  TOTP
managed_login_password      managed login, no MFA: form, PKCE code exchange     no MFA
managed_login_new_password  temporary password: form, new-password page, PKCE   no MFA
client_credentials          an M2M token from /oauth2/token                     none
new_password                temporary password: SRP + NEW_PASSWORD_REQUIRED     no TOTP
mfa_setup                   pool MFA ON, nothing enrolled: MFA_SETUP            no TOTP
lost_phone                  admin MFA reset, enrollment, TOTP login             TOTP
user_auth_password          USER_AUTH, PREFERRED_CHALLENGE=PASSWORD             no TOTP
user_auth_srp               USER_AUTH, PASSWORD_SRP + PASSWORD_VERIFIER         no TOTP
user_auth_email             USER_AUTH, EMAIL_OTP (code from the message sink)   e-mail, no TOTP
user_auth_sms               USER_AUTH, SMS_OTP (code from the message sink)     phone, no TOTP
user_auth_passkey           USER_AUTH, WEB_AUTHN (software authenticator)       passkey, no TOTP
user_auth_select            USER_AUTH, SELECT_CHALLENGE: ANSWER=PASSWORD        no TOTP
refresh_rotation            GetTokensFromRefreshToken, following rotation       none (a session)
signup                      SignUp + code + ConfirmSignUp, first SRP login      creates one
forgot_password             ForgotPassword + code + ConfirmForgotPassword, SRP  e-mail, no TOTP
change_password             SRP login, ChangePassword                           no TOTP
profile_update              SRP login, UpdateUserAttributes (name)              no TOTP
admin_no_srp                ADMIN_NO_SRP_AUTH (legacy name), no MFA             no TOTP
sms_mfa                     USER_SRP_AUTH + SMS_MFA                             SMS MFA, no TOTP
select_mfa                  SELECT_MFA_TYPE (SMS chosen) + SMS_MFA              SMS MFA and TOTP
email_mfa                   USER_SRP_AUTH + EMAIL_OTP (e-mail MFA)              e-mail MFA, no TOTP
custom_auth                 CUSTOM_AUTH, SRP first, two custom rounds           no TOTP
custom_auth_totp            CUSTOM_AUTH, SRP first, TOTP, tokens (no round)     TOTP
==========================  ==================================================  ===================

**HTTP entries** (``managed_login*``, ``client_credentials``) call a user-pool domain's
endpoints, not JSON operations: their profile keys are ``(Endpoint, detail)`` (the detail is
the token endpoint's grant type, or ``"page"`` for a page view that counts against no quota),
their flows yield :class:`~loadtest.flows.effects.Fetch`, and ``Entry.http`` says so. The API
drivers cannot run them: their Locust users are in :mod:`loadtest.locust.hosted` (by the same
rule: ``ManagedLoginPasswordUser`` falls back to ``managed_login`` for a TOTP identity, as
``SrpUser`` to ``srp_totp``), and the open model runs them on its fetch driver. Managed login
is one entry per page sequence, since each POST of a sign-in step is one UserAuthentication
request: ``managed_login_password`` (no page after the password), ``managed_login`` (the TOTP
page) and ``managed_login_new_password`` (the new-password page).

The ``user_auth_*`` entries need a pool that allows the passwordless first factors, an app
client with ALLOW_USER_AUTH and a WebAuthn relying party (``PoolSetting.USER_AUTH``). They
refuse TOTP identities: a user with MFA configured is offered no passwordless factor, and a
password factor goes on to SOFTWARE_TOKEN_MFA (docs/user-auth.md). ``refresh_rotation`` needs
an app client with RefreshTokenRotation on (``PoolSetting.REFRESH_ROTATION``) and carries the
newest refresh token from one run to the next, as a client under rotation must.

**Entries that create identities** (``signup``): ``creates`` is set, ``needs`` is empty, and
the factory makes a fresh synthetic identity (``lt-signup-<hex>``) from the context's random
source instead of leasing one; a Locust user runs it without leasing. ``messages`` is how many
SMS or e-mail messages one run makes the pool send (sign-up, recovery, MFA, OTP codes): the safety
rail states ``messages x runs`` before a run against a pool that is not the local one, since
that pool really sends them (:mod:`loadtest.target.safety`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType

from loadtest.protocol.names import AuthFlow, Challenge, Endpoint, GrantType, Operation

from .account import (
    change_password,
    forgot_password,
    new_password,
    new_signup_identity,
    sign_up,
    update_profile,
)
from .context import FlowContext
from .effects import Flow
from .hosted import HostedOptions, client_credentials, managed_login
from .identity import Identity
from .login import LoginOptions, admin_login, custom_login, srp_login
from .mfa import lost_phone
from .refresh import refresh_after, rotate_after
from .results import LoginResult
from .user_auth import user_auth_login

__all__ = [
    "CATALOGUE",
    "CallKey",
    "Entry",
    "MixError",
    "Need",
    "PoolSetting",
    "Start",
    "family",
    "message_bound",
    "parse_mix",
    "user_class_name",
]

#: (operation, ChallengeName of a challenge response or None), or for an HTTP entry
#: (endpoint, grant type / "page" / None)
CallKey = tuple[Operation | Endpoint, str | None]


class Need(StrEnum):
    """A credential an identity holds."""

    PASSWORD = "password"
    TOTP = "totp"
    DEVICE = "device"
    #: a verified e-mail address, where the pool sends codes (EMAIL_OTP, password recovery):
    #: a fact of the user, not of the pool, so the identities file records it (``email``)
    EMAIL = "email"
    #: a phone number the pool sends codes to (SMS_OTP, SMS MFA)
    PHONE = "phone"
    #: a registered passkey (WEB_AUTHN)
    PASSKEY = "passkey"
    #: SMS MFA turned on for the user (``provision --sms-mfa``)
    SMS_MFA = "sms_mfa"
    #: e-mail MFA turned on for the user (``provision --email-mfa``)
    EMAIL_MFA = "email_mfa"


_HOLDS: Mapping[Need, Callable[[Identity], bool]] = MappingProxyType(
    {
        Need.PASSWORD: lambda identity: bool(identity.password),
        Need.TOTP: lambda identity: identity.totp_secret is not None,
        Need.DEVICE: lambda identity: identity.device is not None,
        Need.EMAIL: lambda identity: identity.email is not None,
        Need.PHONE: lambda identity: identity.phone is not None,
        Need.PASSKEY: lambda identity: identity.passkey is not None,
        Need.SMS_MFA: lambda identity: identity.sms_mfa,
        Need.EMAIL_MFA: lambda identity: identity.email_mfa,
    }
)


class PoolSetting(StrEnum):
    """A pool or user setting a profile depends on, beyond the baseline (MFA OPTIONAL,
    no device tracking, users with permanent passwords)."""

    DEVICE_TRACKING = "device_tracking"
    REMEMBER_ON_PROMPT = "remember_on_prompt"
    MFA_ON = "mfa_on"
    TEMPORARY_PASSWORD = "temporary_password"
    #: AllowedFirstAuthFactors with every factor, ALLOW_USER_AUTH, a WebAuthn relying party
    USER_AUTH = "user_auth"
    #: the app client's RefreshTokenRotation is ENABLED
    REFRESH_ROTATION = "refresh_rotation"
    #: the pool's AutoVerifiedAttributes holds email: sign-up sends its code by e-mail
    AUTO_VERIFY_EMAIL = "auto_verify_email"
    #: SmsMfaConfiguration set and the users' SMS MFA enabled (preferred unless both factors
    #: are on with none preferred, which is what SELECT_MFA_TYPE needs).
    SMS_MFA = "sms_mfa"
    #: EmailMfaConfiguration set (the pool sends e-mail through SES: EmailSendingAccount
    #: DEVELOPER) and the users' e-mail MFA enabled and preferred.
    EMAIL_MFA = "email_mfa"
    NO_MFA_PREFERENCE = "no_mfa_preference"
    #: The custom-auth triggers of scenarios/triggers/captcha.py (ROUNDS = 2).
    CUSTOM_TRIGGERS = "custom_triggers"


@dataclass(frozen=True, slots=True, kw_only=True)
class Start:
    """What a factory builds a flow from: the leased identity (``None`` for an entry that
    leases none), the context, the entry's options, and the session it continues, if any."""

    identity: Identity | None
    ctx: FlowContext
    options: LoginOptions
    session: LoginResult | None = None


Factory = Callable[[Start], Flow[LoginResult]]


def _nothing(identity: Identity) -> None:
    return None


def _forget_device(identity: Identity) -> None:
    identity.forget_device()


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One flow, declared once. ``calls`` is its quota profile: calls one run sends, by
    (operation, challenge); ``totp_codes`` how many TOTP codes it sends (one per identity and
    30 s step); ``after`` what is done to the identity after each run; ``fallbacks`` the
    entries its Locust user runs for identities it refuses; ``continues`` the entry whose
    login opens the session this one continues; ``creates`` that a run makes a new identity
    (sign-up) rather than lease one; ``messages`` the SMS or e-mail messages one run makes the
    pool send."""

    name: str
    summary: str
    factory: Factory
    calls: Mapping[CallKey, float]
    options: LoginOptions = field(default_factory=lambda: LoginOptions(use_device=False))
    needs: frozenset[Need] = frozenset({Need.PASSWORD})
    refuses: frozenset[Need] = frozenset()
    pool: frozenset[PoolSetting] = frozenset()
    totp_codes: float = 0.0
    after: Callable[[Identity], None] = _nothing
    fallbacks: tuple[str, ...] = ()
    continues: str | None = None
    event_name: str | None = None
    creates: bool = False
    #: SMS or e-mail messages one run makes the pool send (the message rails count them).
    messages: float = 0.0

    @property
    def event(self) -> str:
        """The request name of one run (``login:<name>`` unless declared)."""
        return self.event_name or f"login:{self.name}"

    @property
    def http(self) -> bool:
        """Whether its calls are a domain's HTTP endpoints (Fetch effects), not API calls."""
        return any(isinstance(operation, Endpoint) for operation, _ in self.calls)

    @property
    def leases(self) -> bool:
        """Whether a run takes an identity."""
        return bool(self.needs)

    def accepts(self, identity: Identity) -> bool:
        """Whether this entry's profile is true of ``identity`` (the module's rule)."""
        return all(_HOLDS[n](identity) for n in self.needs) and not any(
            _HOLDS[n](identity) for n in self.refuses
        )

    def sends_totp(self, identity: Identity) -> bool:
        """Whether a run sends a TOTP code, so needs the identity's current step free."""
        return self.totp_codes > 0

    def flow(
        self, identity: Identity | None, ctx: FlowContext, session: LoginResult | None = None
    ) -> Flow[LoginResult]:
        """The sans-I/O flow of one run."""
        start = Start(identity=identity, ctx=ctx, options=self.options, session=session)
        return self.factory(start)


# -- factories ----------------------------------------------------------------------------


def _identity(start: Start) -> Identity:
    if start.identity is None:
        raise ValueError("this flow needs an identity")
    return start.identity


def _srp(start: Start) -> Flow[LoginResult]:
    return srp_login(_identity(start), start.ctx, start.options)


def _admin(start: Start) -> Flow[LoginResult]:
    return admin_login(_identity(start), start.ctx, start.options)


def _custom(start: Start) -> Flow[LoginResult]:
    return custom_login(_identity(start), start.ctx, start.options)


def _lost_phone(start: Start) -> Flow[LoginResult]:
    return lost_phone(_identity(start), start.ctx, start.options)


def _new_password(start: Start) -> Flow[LoginResult]:
    """SRP answering NEW_PASSWORD_REQUIRED with a fresh password (kept on the identity)."""
    password = new_password(start.ctx)
    return srp_login(_identity(start), start.ctx, replace(start.options, new_password=password))


def _refresh(start: Start) -> Flow[LoginResult]:
    """REFRESH_TOKEN_AUTH of the session; the session comes back with the new tokens."""
    session = start.session
    if session is None:
        raise ValueError("refresh continues a session: none was given")
    tokens = yield from refresh_after(start.ctx, session)
    label = f"{Operation.INITIATE_AUTH}:{AuthFlow.REFRESH_TOKEN_AUTH}"
    return replace(session, tokens=tokens, calls=(label,), challenges=(), notes=frozenset())


def _managed_login(start: Start) -> Flow[LoginResult]:
    """Managed login, with a fresh password for the new-password page if the pool shows it (a
    temporary password; the identity keeps the new one): that run is
    ``managed_login_new_password``'s profile."""
    options = HostedOptions(new_password=start.options.new_password or new_password(start.ctx))
    return managed_login(_identity(start), start.ctx, options)


def _client_credentials(start: Start) -> Flow[LoginResult]:
    tokens = yield from client_credentials(start.ctx)
    return LoginResult(tokens=tokens, username=start.ctx.client.client_id)


def _user_auth(factor: Challenge, *, select: bool = False) -> Factory:
    """A USER_AUTH sign-in with ``factor``, preferred or chosen at SELECT_CHALLENGE."""

    def factory(start: Start) -> Flow[LoginResult]:
        return user_auth_login(_identity(start), start.ctx, factor, start.options, select=select)

    factory.__doc__ = f"USER_AUTH with {factor}" + (" through SELECT_CHALLENGE" if select else "")
    return factory


def _rotate(start: Start) -> Flow[LoginResult]:
    """GetTokensFromRefreshToken; the session comes back with the new (rotated) tokens, so
    the next run exchanges the newest refresh token."""
    session = start.session
    if session is None:
        raise ValueError("refresh_rotation continues a session: none was given")
    tokens = yield from rotate_after(start.ctx, session)
    label = str(Operation.GET_TOKENS_FROM_REFRESH_TOKEN)
    return replace(session, tokens=tokens, calls=(label,), challenges=(), notes=frozenset())


def _signup(start: Start) -> Flow[LoginResult]:
    return sign_up(new_signup_identity(start.ctx), start.ctx)


def _forgot_password(start: Start) -> Flow[LoginResult]:
    return forgot_password(_identity(start), start.ctx)


def _change_password(start: Start) -> Flow[LoginResult]:
    return change_password(_identity(start), start.ctx)


def _profile_update(start: Start) -> Flow[LoginResult]:
    return update_profile(_identity(start), start.ctx)


# -- profiles -----------------------------------------------------------------------------

Op, Ch = Operation, Challenge


def _call(operation: Operation, challenge: Challenge | None = None) -> dict[CallKey, float]:
    """One call of a profile."""
    return {(operation, None if challenge is None else challenge.value): 1.0}


def _calls(*parts: Mapping[CallKey, float]) -> Mapping[CallKey, float]:
    total: dict[CallKey, float] = {}
    for part in parts:
        for key, count in part.items():
            total[key] = total.get(key, 0) + count
    return MappingProxyType(total)


def _fetch(endpoint: Endpoint, detail: str | None = None) -> dict[CallKey, float]:
    """One HTTP endpoint call of a profile."""
    return {(endpoint, detail): 1.0}


_RESPOND = Op.RESPOND_TO_AUTH_CHALLENGE
_SRP = _calls(_call(Op.INITIATE_AUTH), _call(_RESPOND, Ch.PASSWORD_VERIFIER))
_TOTP = _call(_RESPOND, Ch.SOFTWARE_TOKEN_MFA)
_CONFIRM = _call(Op.CONFIRM_DEVICE)
_ENROLL = _calls(_call(Op.ASSOCIATE_SOFTWARE_TOKEN), _call(Op.VERIFY_SOFTWARE_TOKEN))
_DEVICE_AUTH = _calls(
    _call(_RESPOND, Ch.DEVICE_SRP_AUTH), _call(_RESPOND, Ch.DEVICE_PASSWORD_VERIFIER)
)
NO_TOTP = frozenset({Need.TOTP})
#: Refused by flows that expect no MFA challenge: an SMS-MFA user would answer SMS_MFA, and
#: USER_AUTH offers a user with MFA configured no passwordless factor.
NO_MFA = frozenset({Need.TOTP, Need.SMS_MFA, Need.EMAIL_MFA})
#: Refused by TOTP flows: with SMS or e-mail MFA on as well, sign-in asks SELECT_MFA_TYPE.
NO_SMS = frozenset({Need.SMS_MFA, Need.EMAIL_MFA})
WITH_TOTP = frozenset({Need.PASSWORD, Need.TOTP})
REMEMBER = LoginOptions(use_device=True, remember_device=True)
_USER_AUTH = _call(Op.INITIATE_AUTH)
#: Managed login up to the verified password: the authorize redirect, the form, its POST.
_MANAGED_FORM = _calls(
    _fetch(Endpoint.AUTHORIZE), _fetch(Endpoint.LOGIN, "page"), _fetch(Endpoint.LOGIN)
)
_MANAGED_REDEEM = _fetch(Endpoint.TOKEN, GrantType.AUTHORIZATION_CODE)
_UA_POOL = frozenset({PoolSetting.USER_AUTH})

_ENTRIES = (
    Entry(
        name="srp",
        summary="USER_SRP_AUTH, no MFA",
        factory=_srp,
        calls=_calls(_SRP),
        refuses=NO_MFA,
        fallbacks=("srp_totp",),
    ),
    Entry(
        name="srp_totp",
        summary="USER_SRP_AUTH + SOFTWARE_TOKEN_MFA",
        factory=_srp,
        calls=_calls(_SRP, _TOTP),
        refuses=NO_SMS,
        needs=WITH_TOTP,
        totp_codes=1,
    ),
    Entry(
        name="device",
        summary="remembered device (MFA skipped)",
        # the pool asks for device authentication only where it would ask for MFA: so the
        # profile holds for TOTP identities only (the wire test finds out otherwise)
        factory=_srp,
        calls=_calls(_SRP, _DEVICE_AUTH),
        options=REMEMBER,
        refuses=NO_SMS,
        needs=frozenset({Need.PASSWORD, Need.TOTP, Need.DEVICE}),
        pool=frozenset({PoolSetting.DEVICE_TRACKING}),
        fallbacks=("device_first",),
    ),
    Entry(
        name="device_first",
        summary="first login of a device, remembered for the next logins",
        factory=_srp,
        calls=_calls(_SRP, _TOTP, _CONFIRM),
        options=REMEMBER,
        needs=WITH_TOTP,
        refuses=frozenset({Need.DEVICE, Need.SMS_MFA, Need.EMAIL_MFA}),
        pool=frozenset({PoolSetting.DEVICE_TRACKING}),
        totp_codes=1,
        fallbacks=("device",),
    ),
    Entry(
        name="device_new",
        summary="first login of a device: SRP + TOTP, ConfirmDevice",
        factory=_srp,
        calls=_calls(_SRP, _TOTP, _CONFIRM),
        options=REMEMBER,
        needs=WITH_TOTP,
        refuses=frozenset({Need.DEVICE, Need.SMS_MFA, Need.EMAIL_MFA}),
        pool=frozenset({PoolSetting.DEVICE_TRACKING}),
        totp_codes=1,
        after=_forget_device,
    ),
    Entry(
        name="device_new_prompt",
        summary="first login of a device, remembered on prompt: + UpdateDeviceStatus",
        factory=_srp,
        calls=_calls(_SRP, _TOTP, _CONFIRM, _call(Op.UPDATE_DEVICE_STATUS)),
        options=REMEMBER,
        needs=WITH_TOTP,
        refuses=frozenset({Need.DEVICE, Need.SMS_MFA, Need.EMAIL_MFA}),
        pool=frozenset({PoolSetting.DEVICE_TRACKING, PoolSetting.REMEMBER_ON_PROMPT}),
        totp_codes=1,
        after=_forget_device,
    ),
    Entry(
        name="admin",
        summary="ADMIN_USER_PASSWORD_AUTH, no MFA",
        factory=_admin,
        calls=_calls(_call(Op.ADMIN_INITIATE_AUTH)),
        refuses=NO_MFA,
        fallbacks=("admin_totp",),
    ),
    Entry(
        name="admin_totp",
        summary="ADMIN_USER_PASSWORD_AUTH + SOFTWARE_TOKEN_MFA",
        factory=_admin,
        calls=_calls(
            _call(Op.ADMIN_INITIATE_AUTH),
            _call(Op.ADMIN_RESPOND_TO_AUTH_CHALLENGE, Ch.SOFTWARE_TOKEN_MFA),
        ),
        refuses=NO_SMS,
        needs=WITH_TOTP,
        totp_codes=1,
    ),
    Entry(
        name="admin_no_srp",
        summary="ADMIN_NO_SRP_AUTH (ADMIN_USER_PASSWORD_AUTH's legacy name), no MFA",
        factory=_admin,
        calls=_calls(_call(Op.ADMIN_INITIATE_AUTH)),
        options=LoginOptions(use_device=False, admin_flow=AuthFlow.ADMIN_NO_SRP_AUTH),
        refuses=NO_MFA,
    ),
    Entry(
        name="sms_mfa",
        summary="USER_SRP_AUTH + SMS_MFA (code from the code source)",
        factory=_srp,
        calls=_calls(_SRP, _call(_RESPOND, Ch.SMS_MFA)),
        needs=frozenset({Need.PASSWORD, Need.PHONE, Need.SMS_MFA}),
        refuses=frozenset({Need.TOTP, Need.EMAIL_MFA}),
        pool=frozenset({PoolSetting.SMS_MFA}),
        messages=1,
    ),
    Entry(
        name="select_mfa",
        summary="USER_SRP_AUTH + SELECT_MFA_TYPE (SMS chosen) + SMS_MFA",
        factory=_srp,
        calls=_calls(_SRP, _call(_RESPOND, Ch.SELECT_MFA_TYPE), _call(_RESPOND, Ch.SMS_MFA)),
        options=LoginOptions(use_device=False, mfa_choice=Ch.SMS_MFA.value),
        needs=frozenset({Need.PASSWORD, Need.PHONE, Need.TOTP, Need.SMS_MFA}),
        pool=frozenset({PoolSetting.SMS_MFA, PoolSetting.NO_MFA_PREFERENCE}),
        messages=1,
    ),
    Entry(
        name="email_mfa",
        summary="USER_SRP_AUTH + EMAIL_OTP as a second factor (code from the code source)",
        factory=_srp,
        calls=_calls(_SRP, _call(_RESPOND, Ch.EMAIL_OTP)),
        needs=frozenset({Need.PASSWORD, Need.EMAIL, Need.EMAIL_MFA}),
        refuses=frozenset({Need.TOTP, Need.SMS_MFA}),
        pool=frozenset({PoolSetting.EMAIL_MFA}),
        messages=1,
    ),
    Entry(
        name="custom_auth",
        summary="CUSTOM_AUTH: SRP first, then two CUSTOM_CHALLENGE rounds (captcha trigger)",
        factory=_custom,
        calls=_calls(
            _SRP, _call(_RESPOND, Ch.CUSTOM_CHALLENGE), _call(_RESPOND, Ch.CUSTOM_CHALLENGE)
        ),
        # a TOTP identity is asked for its code after the password and then gets tokens (an
        # SMS or e-mail MFA one likewise)
        refuses=NO_MFA,
        pool=frozenset({PoolSetting.CUSTOM_TRIGGERS}),
        fallbacks=("custom_auth_totp",),
    ),
    Entry(
        name="custom_auth_totp",
        summary="CUSTOM_AUTH, SRP first, then the user's TOTP: tokens, no custom round",
        factory=_custom,
        calls=_calls(_SRP, _TOTP),
        needs=WITH_TOTP,
        refuses=NO_SMS,
        pool=frozenset({PoolSetting.CUSTOM_TRIGGERS}),
        totp_codes=1,
    ),
    Entry(
        name="refresh",
        summary="REFRESH_TOKEN_AUTH",
        factory=_refresh,
        calls=_calls(_call(Op.INITIATE_AUTH)),
        needs=frozenset(),
        continues="srp",
        event_name="refresh",
    ),
    Entry(
        name="new_password",
        summary="temporary password: SRP + NEW_PASSWORD_REQUIRED",
        factory=_new_password,
        calls=_calls(_SRP, _call(_RESPOND, Ch.NEW_PASSWORD_REQUIRED)),
        refuses=NO_MFA,
        pool=frozenset({PoolSetting.TEMPORARY_PASSWORD}),
    ),
    Entry(
        name="mfa_setup",
        summary="enrollment through MFA_SETUP (pool MFA ON)",
        factory=_srp,
        calls=_calls(_SRP, _ENROLL, _call(_RESPOND, Ch.MFA_SETUP)),
        refuses=NO_MFA,
        pool=frozenset({PoolSetting.MFA_ON}),
        totp_codes=1,
    ),
    Entry(
        name="lost_phone",
        summary="admin MFA reset, enrollment by access token, TOTP login (pool MFA OPTIONAL)",
        factory=_lost_phone,
        calls=_calls(
            _call(Op.ADMIN_SET_USER_MFA_PREFERENCE),
            _SRP,
            _ENROLL,
            _call(Op.SET_USER_MFA_PREFERENCE),
            _SRP,
            _TOTP,
        ),
        needs=WITH_TOTP,
        refuses=NO_SMS,
        totp_codes=2,
    ),
    Entry(
        name="managed_login_password",
        summary="managed login, no MFA: authorize, the sign-in form, PKCE code exchange",
        factory=_managed_login,
        calls=_calls(_MANAGED_FORM, _MANAGED_REDEEM),
        # a TOTP identity is shown the TOTP page (that sign-in is managed_login); an SMS or
        # e-mail MFA one the code page
        refuses=NO_MFA,
        fallbacks=("managed_login",),
    ),
    Entry(
        name="managed_login_new_password",
        summary="managed login, temporary password: the form, the new-password page, PKCE",
        factory=_managed_login,
        calls=_calls(_MANAGED_FORM, _fetch(Endpoint.NEW_PASSWORD), _MANAGED_REDEEM),
        refuses=NO_MFA,
        pool=frozenset({PoolSetting.TEMPORARY_PASSWORD}),
    ),
    Entry(
        name="managed_login",
        summary="managed login: authorize, the sign-in form, the TOTP page, PKCE code exchange",
        factory=_managed_login,
        calls=_calls(_MANAGED_FORM, _fetch(Endpoint.MFA), _MANAGED_REDEEM),
        refuses=NO_SMS,
        needs=WITH_TOTP,
        totp_codes=1,
    ),
    Entry(
        name="client_credentials",
        summary="a machine-to-machine token from /oauth2/token (client credentials)",
        factory=_client_credentials,
        calls=_calls(_fetch(Endpoint.TOKEN, GrantType.CLIENT_CREDENTIALS)),
        needs=frozenset(),
    ),
    Entry(
        name="user_auth_password",
        summary="USER_AUTH with PREFERRED_CHALLENGE=PASSWORD, no MFA",
        factory=_user_auth(Ch.PASSWORD),
        calls=_calls(_USER_AUTH),
        refuses=NO_MFA,
        pool=_UA_POOL,
    ),
    Entry(
        name="user_auth_srp",
        summary="USER_AUTH with PREFERRED_CHALLENGE=PASSWORD_SRP, then PASSWORD_VERIFIER",
        factory=_user_auth(Ch.PASSWORD_SRP),
        calls=_calls(_USER_AUTH, _call(_RESPOND, Ch.PASSWORD_VERIFIER)),
        refuses=NO_MFA,
        pool=_UA_POOL,
    ),
    Entry(
        name="user_auth_email",
        summary="USER_AUTH with EMAIL_OTP: the e-mailed code",
        factory=_user_auth(Ch.EMAIL_OTP),
        calls=_calls(_USER_AUTH, _call(_RESPOND, Ch.EMAIL_OTP)),
        needs=frozenset({Need.PASSWORD, Need.EMAIL}),
        refuses=NO_MFA,
        pool=_UA_POOL,
        messages=1,
    ),
    Entry(
        name="user_auth_sms",
        summary="USER_AUTH with SMS_OTP: the texted code",
        factory=_user_auth(Ch.SMS_OTP),
        calls=_calls(_USER_AUTH, _call(_RESPOND, Ch.SMS_OTP)),
        needs=frozenset({Need.PASSWORD, Need.PHONE}),
        refuses=NO_MFA,
        pool=_UA_POOL,
        messages=1,
    ),
    Entry(
        name="user_auth_passkey",
        summary="USER_AUTH with WEB_AUTHN: a passkey assertion",
        factory=_user_auth(Ch.WEB_AUTHN),
        calls=_calls(_USER_AUTH, _call(_RESPOND, Ch.WEB_AUTHN)),
        needs=frozenset({Need.PASSWORD, Need.PASSKEY}),
        refuses=NO_MFA,
        pool=_UA_POOL,
    ),
    Entry(
        name="user_auth_select",
        summary="USER_AUTH with no preference: SELECT_CHALLENGE answered ANSWER=PASSWORD",
        factory=_user_auth(Ch.PASSWORD, select=True),
        calls=_calls(_USER_AUTH, _call(_RESPOND, Ch.SELECT_CHALLENGE)),
        refuses=NO_MFA,
        pool=_UA_POOL,
    ),
    Entry(
        name="refresh_rotation",
        summary="GetTokensFromRefreshToken, following refresh-token rotation",
        factory=_rotate,
        calls=_calls(_call(Op.GET_TOKENS_FROM_REFRESH_TOKEN)),
        needs=frozenset(),
        pool=frozenset({PoolSetting.REFRESH_ROTATION}),
        continues="srp",
        event_name="refresh_rotation",
    ),
    Entry(
        name="signup",
        summary="SignUp, the e-mailed code, ConfirmSignUp, first SRP login (a new user)",
        factory=_signup,
        calls=_calls(_call(Op.SIGN_UP), _call(Op.CONFIRM_SIGN_UP), _SRP),
        needs=frozenset(),
        pool=frozenset({PoolSetting.AUTO_VERIFY_EMAIL}),
        creates=True,
        messages=1,
    ),
    Entry(
        name="forgot_password",
        summary="ForgotPassword, the e-mailed code, ConfirmForgotPassword, SRP login",
        factory=_forgot_password,
        calls=_calls(_call(Op.FORGOT_PASSWORD), _call(Op.CONFIRM_FORGOT_PASSWORD), _SRP),
        needs=frozenset({Need.PASSWORD, Need.EMAIL}),
        refuses=NO_MFA,
        messages=1,
    ),
    Entry(
        name="change_password",
        summary="SRP login, then ChangePassword",
        factory=_change_password,
        calls=_calls(_SRP, _call(Op.CHANGE_PASSWORD)),
        refuses=NO_MFA,
    ),
    Entry(
        name="profile_update",
        summary="SRP login, then UpdateUserAttributes of name (no code sent)",
        factory=_profile_update,
        calls=_calls(_SRP, _call(Op.UPDATE_USER_ATTRIBUTES)),
        refuses=NO_MFA,
    ),
)

#: Every flow, by name, in the order above.
CATALOGUE: Mapping[str, Entry] = MappingProxyType({e.name: e for e in _ENTRIES})


def message_bound(entries: Iterable[Entry], *, users: int, seconds: float | None) -> int | None:
    """The most SMS or e-mail messages a run of ``users`` virtual users for ``seconds`` may
    cause: users x seconds x the most messages one run of any entry sends, assuming at most one
    run per user per second (a flow is several calls and a code read: a bound we state, not one
    we enforce). 0 when no entry sends any; ``None`` when the run has no duration."""
    per_run = max((entry.messages for entry in entries), default=0.0)
    if not per_run:
        return 0
    if not seconds:
        return None
    return math.ceil(users * float(seconds) * per_run)


def family(entry: Entry) -> tuple[Entry, ...]:
    """The entry and its fallbacks, in the order a Locust user tries them."""
    return (entry, *(CATALOGUE[name] for name in entry.fallbacks))


def user_class_name(entry: Entry) -> str:
    """The Locust user class that runs an entry: ``srp_totp`` -> ``SrpTotpUser``."""
    return "".join(part.title() for part in entry.name.split("_")) + "User"


# -- the mix parser -----------------------------------------------------------------------


class MixError(ValueError):
    """A mix that names an unknown flow, or a weight that is not a number >= 0."""


def parse_mix(text: str, known: Iterable[str] = CATALOGUE) -> dict[str, float]:
    """``"srp=2,srp_totp=1"`` (a bare name weighs 1) as weights by flow name.

    Weights are finite numbers >= 0, at least one above 0; a name may appear once and must
    be in ``known`` (the catalogue's names by default).
    """
    names = list(known)
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, weight = (s.strip() for s in part.partition("="))
        if name not in names:
            raise MixError(f"unknown flow {name!r}: use one of {', '.join(names)}")
        if name in mix:
            raise MixError(f"flow {name!r} named twice in the mix")
        mix[name] = _weight(weight, name) if sep else 1.0
    if not any(mix.values()):
        raise MixError(f"the mix {text.strip()!r} has no flow with a weight above 0")
    return mix


def _weight(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise MixError(f"weight of {name!r} is not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise MixError(f"weight of {name!r} must be a number >= 0, not {text}")
    return value
