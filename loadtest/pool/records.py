"""What the pool stores, as frozen records: pools, app clients, users, devices.

Configuration the service echoes back (``Describe*``) is kept as the JSON the caller sent
(``raw``); the fields the pool's behaviour depends on are parsed into typed attributes once, at
load time.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .schema import PoolSchema

__all__ = [
    "FIRST_FACTORS",
    "AppClient",
    "Device",
    "InvalidSetting",
    "MfaMode",
    "MfaState",
    "OAuthSettings",
    "PasswordPolicy",
    "Pool",
    "User",
    "UserStatus",
]


class InvalidSetting(ValueError):
    """A pool or client setting the pool cannot work with (refused when it is set)."""


def _integer(raw: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidSetting(f"{name} must be an integer between {low} and {high}")
    return value


def _names(
    raw: Mapping[str, Any], name: str, error: str, allowed: Collection[str], default: str = ""
) -> frozenset[str]:
    """A setting that lists names from ``allowed``; absent or empty is ``default`` alone (or
    nothing); anything else is ``InvalidSetting(error)``."""
    given = raw.get(name) or ([default] if default else [])
    if not isinstance(given, list) or not all(isinstance(n, str) and n in allowed for n in given):
        raise InvalidSetting(error)
    return frozenset(given)


def _structure(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, Mapping):
        raise InvalidSetting(f"{name} must be a structure")
    return value


class MfaMode(StrEnum):
    """A pool's MfaConfiguration."""

    OFF = "OFF"
    ON = "ON"
    OPTIONAL = "OPTIONAL"


class UserStatus(StrEnum):
    """UserStatus values the pool produces."""

    CONFIRMED = "CONFIRMED"
    FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"
    UNCONFIRMED = "UNCONFIRMED"
    RESET_REQUIRED = "RESET_REQUIRED"


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordPolicy:
    """The pool's PasswordPolicy (API defaults: 8 characters, all four classes required)."""

    minimum_length: int = 8
    require_uppercase: bool = True
    require_lowercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    temporary_days: int = 7

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> PasswordPolicy:
        if not isinstance(raw, Mapping):
            raise InvalidSetting("PasswordPolicy must be a structure")
        return cls(
            temporary_days=_integer(raw, "TemporaryPasswordValidityDays", 7, 0, 365),
            minimum_length=_integer(raw, "MinimumLength", 8, 6, 99),
            require_uppercase=bool(raw.get("RequireUppercase", True)),
            require_lowercase=bool(raw.get("RequireLowercase", True)),
            require_numbers=bool(raw.get("RequireNumbers", True)),
            require_symbols=bool(raw.get("RequireSymbols", True)),
        )

    def to_raw(self) -> dict[str, Any]:
        return {
            "MinimumLength": self.minimum_length,
            "RequireUppercase": self.require_uppercase,
            "RequireLowercase": self.require_lowercase,
            "RequireNumbers": self.require_numbers,
            "RequireSymbols": self.require_symbols,
            "TemporaryPasswordValidityDays": self.temporary_days,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    """A user pool and the settings that change how sign-in behaves."""

    id: str
    name: str
    raw: Mapping[str, Any] = field(repr=False)
    created: float
    modified: float

    @property
    def mfa(self) -> MfaMode:
        return MfaMode(self.raw.get("MfaConfiguration", "OFF"))

    @property
    def totp_enabled(self) -> bool:
        """Whether software-token MFA is on for the pool (SetUserPoolMfaConfig, or MFA not OFF)."""
        explicit = self.raw.get("SoftwareTokenMfaConfiguration")
        if isinstance(explicit, Mapping):
            return bool(explicit.get("Enabled"))
        return self.mfa is not MfaMode.OFF

    @property
    def sms_enabled(self) -> bool:
        """SMS MFA is configured (SetUserPoolMfaConfig's SmsMfaConfiguration) and MFA is not OFF.

        The local pool sends nothing: codes go to its message sink (:mod:`.messages`), so the
        SNS role in SmsConfiguration is kept but never used.
        """
        config = self.raw.get("SmsMfaConfiguration")
        return isinstance(config, Mapping) and self.mfa is not MfaMode.OFF

    @property
    def email_mfa_enabled(self) -> bool:
        """E-mail MFA is configured (SetUserPoolMfaConfig's EmailMfaConfiguration) and MFA is
        not OFF. Setting it needs SES (``developer_email``) and a tier above LITE, checked
        when it is set; the local pool sends nothing, the codes go to its message sink."""
        config = self.raw.get("EmailMfaConfiguration")
        return isinstance(config, Mapping) and self.mfa is not MfaMode.OFF

    @property
    def developer_email(self) -> bool:
        """EmailConfiguration.EmailSendingAccount is DEVELOPER: the pool sends e-mail with the
        owner's Amazon SES identity (SourceArn), which e-mail MFA requires (cognito-facts §15)."""
        config = _structure(self.raw, "EmailConfiguration")
        return config.get("EmailSendingAccount") == "DEVELOPER"

    @property
    def lambda_config(self) -> Mapping[str, str] | None:
        """LambdaConfig's trigger ARNs by trigger name; None when the pool was given none
        (such a pool runs the server's default ``--trigger`` handlers, :mod:`.triggers`)."""
        if "LambdaConfig" not in self.raw:
            return None
        config = _structure(self.raw, "LambdaConfig")
        arns = {k: v for k, v in config.items() if isinstance(v, str)}
        for name, arn in arns.items():
            if not _LAMBDA_ARN.fullmatch(arn):
                raise InvalidSetting(f"LambdaConfig.{name} is not a Lambda function ARN")
        return arns

    @property
    def device_tracking(self) -> bool:
        """Providing any DeviceConfiguration property turns device remembering on."""
        config = self.raw.get("DeviceConfiguration")
        return isinstance(config, Mapping) and bool(config)

    @property
    def remember_on_prompt(self) -> bool:
        config = _structure(self.raw, "DeviceConfiguration")
        return bool(config.get("DeviceOnlyRememberedOnUserPrompt", False))

    @property
    def email_usernames(self) -> bool:
        """UsernameAttributes contains email: users sign in by email, usernames are UUIDs."""
        return "email" in self.username_attributes

    @property
    def auto_verified(self) -> frozenset[str]:
        """AutoVerifiedAttributes: where sign-up sends its confirmation code."""
        error = "AutoVerifiedAttributes must list email and/or phone_number"
        return _names(self.raw, "AutoVerifiedAttributes", error, _VERIFIABLE)

    @property
    def alias_attributes(self) -> frozenset[str]:
        """AliasAttributes: other attributes a user may sign in with once verified."""
        error = f"AliasAttributes must be among {', '.join(sorted(_ALIASES))}"
        given = _names(self.raw, "AliasAttributes", error, _ALIASES)
        if given and self.raw.get("UsernameAttributes"):
            raise InvalidSetting(
                "Only one of aliasAttributes or usernameAttributes can be set in a User Pool."
            )
        return given

    @property
    def username_attributes(self) -> frozenset[str]:
        """UsernameAttributes: email and/or phone_number serve as the sign-in name."""
        error = "UsernameAttributes must be among email, phone_number"
        return _names(self.raw, "UsernameAttributes", error, _VERIFIABLE)

    @property
    def verify_before_update(self) -> frozenset[str]:
        """UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate: a new value
        of these replaces the old one only once verified. Each must be auto-verified (a
        guess at Cognito's check: the code that confirms the change has to be sent)."""
        settings = _structure(self.raw, "UserAttributeUpdateSettings")
        name = "AttributesRequireVerificationBeforeUpdate"
        given = _names(settings, name, f"{name} must be among email, phone_number", _VERIFIABLE)
        if not given <= self.auto_verified:
            raise InvalidSetting(
                "AttributesRequireVerificationBeforeUpdate needs the same attributes in "
                "AutoVerifiedAttributes"
            )
        return given

    @property
    def schema(self) -> PoolSchema:
        """The attributes its users may hold: standard ones, the Schema given, custom ones."""
        return PoolSchema.from_raw(self.raw.get("Schema"))

    @property
    def case_sensitive(self) -> bool:
        config = _structure(self.raw, "UsernameConfiguration")
        return bool(config.get("CaseSensitive", True))

    @property
    def password_policy(self) -> PasswordPolicy:
        return PasswordPolicy.from_raw(
            _structure(_structure(self.raw, "Policies"), "PasswordPolicy")
        )

    @property
    def first_factors(self) -> frozenset[str]:
        """Policies.SignInPolicy.AllowedFirstAuthFactors; ``PASSWORD`` when unset (§12.1)."""
        policy = _structure(_structure(self.raw, "Policies"), "SignInPolicy")
        name = "AllowedFirstAuthFactors"
        error = f"{name} must be a subset of {sorted(FIRST_FACTORS)}"
        given = _names(policy, name, error, FIRST_FACTORS, default="PASSWORD")
        if "PASSWORD" not in given:
            raise InvalidSetting(
                "Password should be configured as one of the allowed first auth factors."
            )
        return given

    @property
    def tier(self) -> str:
        """UserPoolTier: LITE, ESSENTIALS (the default) or PLUS (§12.1)."""
        tier = self.raw.get("UserPoolTier", "ESSENTIALS")
        if tier not in ("LITE", "ESSENTIALS", "PLUS"):
            raise InvalidSetting("UserPoolTier must be LITE, ESSENTIALS or PLUS")
        return str(tier)

    def validate(self) -> None:
        """Raise InvalidSetting (or ValueError) for settings sign-in could not work with."""
        _ = (self.mfa, self.totp_enabled, self.device_tracking, self.remember_on_prompt)
        _ = (self.email_usernames, self.case_sensitive, self.password_policy)
        _ = (self.first_factors, self.tier)
        _ = (self.auto_verified, self.alias_attributes, self.username_attributes)
        _ = (self.verify_before_update, self.schema, self.developer_email, self.lambda_config)

    def user_key(self, username: str) -> str:
        """How a username is looked up: folded unless the pool is case sensitive."""
        return username if self.case_sensitive else username.lower()


#: AliasAttributeType: what a user may sign in with besides the username, once verified.
_ALIASES = frozenset({"email", "phone_number", "preferred_username"})
#: The attributes Cognito can verify (by a code), hence auto-verify or sign in with as a name.
_VERIFIABLE = frozenset({"email", "phone_number"})

#: botocore's ArnType, as LambdaConfig's trigger ARNs must match it.
_LAMBDA_ARN = re.compile(
    r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?"
    r"(:[\w+=/,.@-]+)?"
)

#: AuthFactorType values a pool may allow first; SOFTWARE_TOKEN is modelled but refused (§12.1).
FIRST_FACTORS = frozenset({"PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"})

_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_TEN_YEARS = 10 * 365 * 86400


@dataclass(frozen=True, slots=True, kw_only=True)
class AppClient:
    """An app client: secret, allowed flows, session and token lifetimes."""

    id: str
    pool_id: str
    name: str
    secret: str | None = field(repr=False)
    raw: Mapping[str, Any] = field(repr=False)
    created: float
    modified: float

    @property
    def flows(self) -> frozenset[str]:
        given = self.raw.get("ExplicitAuthFlows")
        if not given:
            return frozenset(
                {"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"}
            )
        return frozenset(given)

    def allows(self, flow: str) -> bool:
        """Whether an auth flow is enabled, accepting the legacy flow names as well."""
        flows = self.flows
        legacy = not any(f.startswith("ALLOW_") for f in flows)
        if flow == "USER_SRP_AUTH":
            return legacy or "ALLOW_USER_SRP_AUTH" in flows
        if flow == "REFRESH_TOKEN_AUTH":
            return legacy or "ALLOW_REFRESH_TOKEN_AUTH" in flows
        if flow == "USER_PASSWORD_AUTH":
            return bool({"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"} & flows)
        if flow == "CUSTOM_AUTH":
            return legacy or "ALLOW_CUSTOM_AUTH" in flows
        if flow == "ADMIN_USER_PASSWORD_AUTH":
            return bool({"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"} & flows)
        if flow == "USER_AUTH":
            return "ALLOW_USER_AUTH" in flows
        return False

    @property
    def rotation(self) -> tuple[bool, int]:
        """RefreshTokenRotation: (Feature is ENABLED, RetryGracePeriodSeconds) (§14.2)."""
        config = _structure(self.raw, "RefreshTokenRotation")
        feature = config.get("Feature", "DISABLED")
        if feature not in ("ENABLED", "DISABLED"):
            raise InvalidSetting("RefreshTokenRotation.Feature must be ENABLED or DISABLED")
        return feature == "ENABLED", _integer(config, "RetryGracePeriodSeconds", 0, 0, 60)

    @property
    def session_seconds(self) -> float:
        """AuthSessionValidity in seconds (minutes on the wire, 3 to 15; default 3)."""
        return 60.0 * float(self.raw.get("AuthSessionValidity") or 3)

    @property
    def prevent_user_existence_errors(self) -> bool:
        return self.raw.get("PreventUserExistenceErrors") == "ENABLED"

    @property
    def token_revocation(self) -> bool:
        """EnableTokenRevocation (on unless turned off; cognito-facts §14.4)."""
        return self.raw.get("EnableTokenRevocation", True) is not False

    def _validity(self, name: str, unit_key: str, default_unit: str, default: float) -> float:
        value = self.raw.get(name)
        if not value:
            return default
        unit = _structure(self.raw, "TokenValidityUnits").get(unit_key, default_unit)
        scale = _UNITS.get(unit) if isinstance(unit, str) else None
        if scale is None:
            raise InvalidSetting(f"TokenValidityUnits.{unit_key} must be one of {sorted(_UNITS)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidSetting(f"{name} must be a positive integer")
        if value * scale > _TEN_YEARS:
            raise InvalidSetting(f"{name} must be at most 10 years")
        return float(value * scale)

    def validate(self) -> None:
        """Raise InvalidSetting for token lifetimes the pool could not issue tokens with."""
        _ = (self.access_seconds, self.id_seconds, self.refresh_seconds, self.flows, self.oauth)
        _ = self.rotation

    @property
    def oauth(self) -> OAuthSettings:
        return OAuthSettings.from_raw(self.raw)

    @property
    def access_seconds(self) -> float:
        return self._validity("AccessTokenValidity", "AccessToken", "hours", 3600.0)

    @property
    def id_seconds(self) -> float:
        return self._validity("IdTokenValidity", "IdToken", "hours", 3600.0)

    @property
    def refresh_seconds(self) -> float:
        return self._validity("RefreshTokenValidity", "RefreshToken", "days", 30 * 86400.0)


_OAUTH_FLOWS = frozenset({"code", "implicit", "client_credentials"})
_STANDARD_SCOPES = frozenset(
    {"phone", "email", "openid", "profile", "aws.cognito.signin.user.admin"}
)
_LOOPBACK_HTTP = ("http://localhost", "http://127.0.0.1", "http://[::1]")


def _strings(raw: Mapping[str, Any], name: str, limit: int) -> tuple[str, ...]:
    value = raw.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidSetting(f"{name} must be a list of strings")
    if len(value) > limit:
        raise InvalidSetting(f"{name} must have at most {limit} items")
    return tuple(value)


def _check_url(url: str, name: str) -> None:
    """Absolute, no fragment, HTTPS but for loopback HTTP; app schemes allowed (facts §17.1)."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme or not rest or "#" in url:
        raise InvalidSetting(f"{name} must hold absolute URLs without a fragment")
    if scheme == "http" and not url.startswith(_LOOPBACK_HTTP):
        raise InvalidSetting(f"{name}: http is allowed only for localhost and 127.0.0.1")


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthSettings:
    """An app client's OAuth 2.0 settings (CreateUserPoolClient, cognito-facts §17.1)."""

    enabled: bool = False
    flows: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    callback_urls: tuple[str, ...] = ()
    logout_urls: tuple[str, ...] = ()
    identity_providers: tuple[str, ...] = ()

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> OAuthSettings:
        flows = frozenset(_strings(raw, "AllowedOAuthFlows", 3))
        if flows - _OAUTH_FLOWS:
            raise InvalidSetting(
                "AllowedOAuthFlows must be among code, implicit, client_credentials"
            )
        if "client_credentials" in flows and len(flows) > 1:
            raise InvalidSetting(
                "client_credentials flow can not be selected along with code flow or implicit flow."
            )
        settings = cls(
            enabled=bool(raw.get("AllowedOAuthFlowsUserPoolClient", False)),
            flows=flows,
            scopes=frozenset(_strings(raw, "AllowedOAuthScopes", 50)),
            callback_urls=_strings(raw, "CallbackURLs", 100),
            logout_urls=_strings(raw, "LogoutURLs", 100),
            identity_providers=_strings(raw, "SupportedIdentityProviders", 50),
        )
        for url in settings.callback_urls:
            _check_url(url, "CallbackURLs")
        for url in settings.logout_urls:
            _check_url(url, "LogoutURLs")
        return settings

    @property
    def custom_scopes(self) -> frozenset[str]:
        """The resource-server scopes (``<identifier>/<name>``) among the allowed ones."""
        return frozenset(s for s in self.scopes if s not in _STANDARD_SCOPES)

    def allows(self, flow: str) -> bool:
        return self.enabled and flow in self.flows


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaState:
    """A user's software token and MFA preferences."""

    totp_secret: str | None = field(default=None, repr=False)
    totp_pending: str | None = field(default=None, repr=False)
    friendly_name: str | None = None
    totp_enabled: bool = False
    totp_preferred: bool = False
    sms_enabled: bool = False
    sms_preferred: bool = False
    #: WebAuthnMfaSettings.Enabled: passkey sign-in counts as MFA (docs/user-auth.md).
    webauthn_mfa: bool = False
    email_enabled: bool = False
    email_preferred: bool = False

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> MfaState:
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})

    @property
    def configured(self) -> bool:
        """Whether the user turned any MFA factor on (no passwordless first factor then)."""
        return self.totp_enabled or self.sms_enabled or self.email_enabled

    def to_raw(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A user: identity, attributes, SRP verifier, MFA, lockout counters, sign-out epoch."""

    pool_id: str
    username: str
    sub: str
    attributes: Mapping[str, str]
    status: UserStatus
    enabled: bool
    salt: int | None = field(repr=False)
    verifier: int | None = field(repr=False)
    #: The SRP private value x (see :mod:`.srp`: it saves an exponentiation per login).
    x: int | None = field(repr=False)
    #: When the current password was set (a temporary one expires after the policy's days).
    password_set: float
    mfa: MfaState
    totp_last_step: int
    failures: int
    locked_until: float
    last_attempt: float
    revoked_at: float
    device_group: str
    created: float
    modified: float

    def mfa_required(self, pool: Pool) -> bool:
        """Whether sign-in needs a second factor from this user."""
        if pool.mfa is MfaMode.OFF:
            return False
        if self.totp_active(pool) or self.sms_active(pool) or self.email_active(pool):
            return True
        return pool.mfa is MfaMode.ON

    def sms_active(self, pool: Pool) -> bool:
        """SMS MFA that sign-in must ask for: a phone number, and SMS enabled or MFA required.

        Guess (cognito-facts is silent): phone_number_verified is not required, as in Cognito
        an administrator-created user with an unverified number still receives MFA codes.
        """
        if not pool.sms_enabled or not self.attributes.get("phone_number"):
            return False
        return self.mfa.sms_enabled or pool.mfa is MfaMode.ON

    def email_active(self, pool: Pool) -> bool:
        """E-mail MFA that sign-in must ask for: an ``email``, and e-mail MFA enabled or MFA
        required. Cognito sends MFA codes to unverified addresses too (cognito-facts §15)."""
        if not pool.email_mfa_enabled or not self.attributes.get("email"):
            return False
        return self.mfa.email_enabled or pool.mfa is MfaMode.ON

    def totp_active(self, pool: Pool) -> bool:
        """A verified token that sign-in must ask for (enabled, or required by the pool)."""
        if self.mfa.totp_secret is None or pool.mfa is MfaMode.OFF:
            return False
        return self.mfa.totp_enabled or pool.mfa is MfaMode.ON


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A confirmed device and its SRP verifier."""

    key: str
    pool_id: str
    sub: str
    group_key: str
    name: str
    salt: int = field(repr=False)
    verifier: int = field(repr=False)
    remembered: bool
    created: float
    modified: float
    last_auth: float
