"""Cognito's API request-rate quota categories, their defaults, and which calls count where.

One table serves the local pool's enforcement, the provisioning rate limits and the capacity
quota model, so they cannot disagree. Source: the Developer Guide's "Quotas in Amazon Cognito"
page (cognito-facts §5).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

from .errors import Messages, TooManyRequests
from .names import Challenge, Endpoint, GrantType, Operation

__all__ = [
    "CHALLENGE_ALLOWANCE_FACTOR",
    "CHALLENGE_OPERATIONS",
    "CODE_REDEMPTION",
    "DEFAULT_RPS",
    "DOMAIN_LIMITS",
    "DOMAIN_LIMIT_HEADER",
    "HOURLY_USER_LIMITS",
    "PER_POOL_CATEGORIES",
    "PER_POOL_OPERATION_RPS",
    "PER_USER_RPS",
    "Allocation",
    "Charge",
    "DomainLimit",
    "DomainLimits",
    "DomainThrottled",
    "HourlyLimit",
    "QuotaCategory",
    "category_of",
    "charge_of",
    "label_category",
]


class QuotaCategory(StrEnum):
    """Quota categories (per account and Region)."""

    USER_AUTHENTICATION = "UserAuthentication"
    USER_CREATION = "UserCreation"
    USER_ACCOUNT_RECOVERY = "UserAccountRecovery"
    USER_READ = "UserRead"
    USER_UPDATE = "UserUpdate"
    USER_RESOURCE_READ = "UserResourceRead"
    USER_RESOURCE_UPDATE = "UserResourceUpdate"
    USER_LIST = "UserList"
    USER_POOL_READ = "UserPoolRead"
    USER_POOL_UPDATE = "UserPoolUpdate"
    USER_POOL_RESOURCE_READ = "UserPoolResourceRead"
    USER_POOL_RESOURCE_UPDATE = "UserPoolResourceUpdate"
    USER_POOL_CLIENT_READ = "UserPoolClientRead"
    USER_POOL_CLIENT_UPDATE = "UserPoolClientUpdate"
    CLIENT_AUTHENTICATION = "ClientAuthentication"
    USER_TOKEN = "UserToken"


Q = QuotaCategory

#: Default requests per second of each category.
DEFAULT_RPS: MappingProxyType[QuotaCategory, float] = MappingProxyType(
    {
        Q.USER_AUTHENTICATION: 120,
        Q.USER_CREATION: 50,
        Q.USER_ACCOUNT_RECOVERY: 30,
        Q.USER_READ: 120,
        Q.USER_UPDATE: 25,
        Q.USER_RESOURCE_READ: 50,
        Q.USER_RESOURCE_UPDATE: 25,
        Q.USER_LIST: 30,
        Q.USER_POOL_READ: 15,
        Q.USER_POOL_UPDATE: 15,
        Q.USER_POOL_RESOURCE_READ: 20,
        Q.USER_POOL_RESOURCE_UPDATE: 15,
        Q.USER_POOL_CLIENT_READ: 15,
        Q.USER_POOL_CLIENT_UPDATE: 15,
        Q.CLIENT_AUTHENTICATION: 150,
        Q.USER_TOKEN: 120,
    }
)

#: RespondToAuthChallenge and AdminRespondToAuthChallenge have their own quota of this many
#: times UserAuthentication's; only the rate above it spills into UserAuthentication.
CHALLENGE_ALLOWANCE_FACTOR = 3

#: "Read user profile" and "write user profile" operations: this many per user per second.
PER_USER_RPS = 10

#: Categories marked ¹ on the quotas page also allow only this many requests per second per
#: user pool and operation.
PER_POOL_OPERATION_RPS = 5
PER_POOL_CATEGORIES = frozenset(
    {
        QuotaCategory.USER_POOL_RESOURCE_READ,
        QuotaCategory.USER_POOL_RESOURCE_UPDATE,
        QuotaCategory.USER_POOL_CLIENT_READ,
        QuotaCategory.USER_POOL_CLIENT_UPDATE,
    }
)


class DomainLimit(StrEnum):
    """A user-pool domain's bulk request-rate limits, by what they count: the name a throttle
    is reported under, beside the quota categories (``throttles`` in summary.json, the
    onset's category in capacity.json)."""

    PER_IP = "domain per-IP"
    PER_CLIENT = "domain per-client"
    PER_DOMAIN = "domain total"


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainLimits:
    """A user-pool domain's bulk request-rate limits, requests per second (none adjustable).

    They are not a quota category: they hold per domain, on top of the categories, and count
    every request to the domain's endpoints (managed-login pages and ``/oauth2/*`` alike). The
    quotas page lists them under "Bulk request rate limits for user pool domains"
    (cognito-facts §17.6): 300 from one source IP to one domain, 300 for one app client ID in
    one domain, 500 for one domain. One load generator's single IP therefore meets the per-IP
    limit first; passing 300/s needs several source IPs.
    """

    per_ip: float = 300
    per_client: float = 300
    per_domain: float = 500

    def rate(self, limit: DomainLimit) -> float:
        """The requests/s of one limit."""
        if limit is DomainLimit.PER_IP:
            return float(self.per_ip)
        if limit is DomainLimit.PER_CLIENT:
            return float(self.per_client)
        return float(self.per_domain)

    def scaled(self, factor: float) -> DomainLimits:
        """Every limit times ``factor`` (``capacity --quota-scale`` scales them with the
        categories, so a scaled run keeps their proportions)."""
        return DomainLimits(
            per_ip=self.per_ip * factor,
            per_client=self.per_client * factor,
            per_domain=self.per_domain * factor,
        )


#: The documented figures (docs/managed-login.md).
DOMAIN_LIMITS = DomainLimits()

#: The response header in which the local pool names the domain limit a 429 came from (its
#: own: Cognito's answer to a throttled domain request is not documented). Without it, a
#: throttle is reported under its call's category.
DOMAIN_LIMIT_HEADER = "X-Loadtest-Domain-Limit"


class DomainThrottled(TooManyRequests):
    """A domain request refused by one of the domain's bulk limits (``limit``)."""

    def __init__(self, limit: DomainLimit, message: str = Messages.RATE_EXCEEDED) -> None:
        super().__init__(message)
        self.limit = limit


Op = Operation
_CATEGORY: MappingProxyType[Operation, QuotaCategory] = MappingProxyType(
    {
        Op.INITIATE_AUTH: Q.USER_AUTHENTICATION,
        Op.ADMIN_INITIATE_AUTH: Q.USER_AUTHENTICATION,
        Op.RESPOND_TO_AUTH_CHALLENGE: Q.USER_AUTHENTICATION,
        Op.ADMIN_RESPOND_TO_AUTH_CHALLENGE: Q.USER_AUTHENTICATION,
        Op.GET_TOKENS_FROM_REFRESH_TOKEN: Q.USER_AUTHENTICATION,
        # The passkey operations' categories are not in the quota table we have: a guess.
        Op.START_WEB_AUTHN_REGISTRATION: Q.USER_RESOURCE_UPDATE,
        Op.COMPLETE_WEB_AUTHN_REGISTRATION: Q.USER_RESOURCE_UPDATE,
        Op.LIST_WEB_AUTHN_CREDENTIALS: Q.USER_RESOURCE_READ,
        Op.DELETE_WEB_AUTHN_CREDENTIAL: Q.USER_RESOURCE_UPDATE,
        Op.ADMIN_CREATE_USER: Q.USER_CREATION,
        Op.ADMIN_SET_USER_PASSWORD: Q.USER_ACCOUNT_RECOVERY,
        Op.ADMIN_GET_USER: Q.USER_READ,
        Op.GET_USER: Q.USER_READ,
        Op.ADMIN_DELETE_USER: Q.USER_UPDATE,
        Op.ADMIN_DISABLE_USER: Q.USER_UPDATE,
        Op.ADMIN_ENABLE_USER: Q.USER_UPDATE,
        Op.GLOBAL_SIGN_OUT: Q.USER_UPDATE,
        Op.ADMIN_USER_GLOBAL_SIGN_OUT: Q.USER_UPDATE,
        Op.GET_DEVICE: Q.USER_RESOURCE_READ,
        Op.LIST_DEVICES: Q.USER_RESOURCE_READ,
        Op.ADMIN_LIST_DEVICES: Q.USER_RESOURCE_READ,
        Op.ADMIN_FORGET_DEVICE: Q.USER_RESOURCE_UPDATE,
        Op.ADMIN_SET_USER_MFA_PREFERENCE: Q.USER_RESOURCE_UPDATE,
        Op.UPDATE_DEVICE_STATUS: Q.USER_RESOURCE_UPDATE,
        Op.CONFIRM_DEVICE: Q.USER_RESOURCE_UPDATE,
        Op.SET_USER_MFA_PREFERENCE: Q.USER_RESOURCE_UPDATE,
        Op.VERIFY_SOFTWARE_TOKEN: Q.USER_RESOURCE_UPDATE,
        Op.ASSOCIATE_SOFTWARE_TOKEN: Q.USER_RESOURCE_UPDATE,
        Op.FORGET_DEVICE: Q.USER_RESOURCE_UPDATE,
        Op.LIST_USERS: Q.USER_LIST,
        Op.DESCRIBE_USER_POOL: Q.USER_POOL_READ,
        Op.LIST_USER_POOLS: Q.USER_POOL_READ,
        Op.CREATE_USER_POOL: Q.USER_POOL_UPDATE,
        Op.UPDATE_USER_POOL: Q.USER_POOL_UPDATE,
        Op.ADD_CUSTOM_ATTRIBUTES: Q.USER_POOL_UPDATE,
        Op.DELETE_USER_POOL: Q.USER_POOL_UPDATE,
        Op.GET_USER_POOL_MFA_CONFIG: Q.USER_POOL_RESOURCE_READ,
        Op.SET_USER_POOL_MFA_CONFIG: Q.USER_POOL_RESOURCE_UPDATE,
        Op.DESCRIBE_USER_POOL_CLIENT: Q.USER_POOL_CLIENT_READ,
        Op.CREATE_USER_POOL_CLIENT: Q.USER_POOL_CLIENT_UPDATE,
        Op.DELETE_USER_POOL_CLIENT: Q.USER_POOL_CLIENT_UPDATE,
        Op.CREATE_USER_POOL_DOMAIN: Q.USER_POOL_UPDATE,
        Op.DELETE_USER_POOL_DOMAIN: Q.USER_POOL_UPDATE,
        Op.DESCRIBE_USER_POOL_DOMAIN: Q.USER_POOL_READ,
        Op.CREATE_RESOURCE_SERVER: Q.USER_POOL_RESOURCE_UPDATE,
        Op.DELETE_RESOURCE_SERVER: Q.USER_POOL_RESOURCE_UPDATE,
        Op.DESCRIBE_RESOURCE_SERVER: Q.USER_POOL_RESOURCE_READ,
        Op.LIST_RESOURCE_SERVERS: Q.USER_POOL_RESOURCE_READ,
        # the account journey (issue 19; cognito-facts §5)
        Op.SIGN_UP: Q.USER_CREATION,
        Op.CONFIRM_SIGN_UP: Q.USER_CREATION,
        Op.ADMIN_CONFIRM_SIGN_UP: Q.USER_CREATION,
        Op.RESEND_CONFIRMATION_CODE: Q.USER_RESOURCE_READ,
        Op.FORGOT_PASSWORD: Q.USER_ACCOUNT_RECOVERY,
        Op.CONFIRM_FORGOT_PASSWORD: Q.USER_ACCOUNT_RECOVERY,
        Op.ADMIN_RESET_USER_PASSWORD: Q.USER_ACCOUNT_RECOVERY,
        Op.CHANGE_PASSWORD: Q.USER_ACCOUNT_RECOVERY,
        Op.UPDATE_USER_ATTRIBUTES: Q.USER_UPDATE,
        Op.ADMIN_UPDATE_USER_ATTRIBUTES: Q.USER_UPDATE,
        Op.DELETE_USER_ATTRIBUTES: Q.USER_UPDATE,
        Op.ADMIN_DELETE_USER_ATTRIBUTES: Q.USER_UPDATE,
        Op.VERIFY_USER_ATTRIBUTE: Q.USER_UPDATE,
        Op.DELETE_USER: Q.USER_UPDATE,
        Op.ADMIN_ADD_USER_TO_GROUP: Q.USER_UPDATE,
        Op.ADMIN_REMOVE_USER_FROM_GROUP: Q.USER_UPDATE,
        Op.GET_USER_ATTRIBUTE_VERIFICATION_CODE: Q.USER_RESOURCE_READ,
        Op.ADMIN_LIST_GROUPS_FOR_USER: Q.USER_RESOURCE_READ,
        Op.ADMIN_GET_DEVICE: Q.USER_RESOURCE_READ,
        Op.ADMIN_UPDATE_DEVICE_STATUS: Q.USER_RESOURCE_UPDATE,
        Op.LIST_USERS_IN_GROUP: Q.USER_LIST,
        Op.REVOKE_TOKEN: Q.USER_TOKEN,
        Op.GET_GROUP: Q.USER_POOL_RESOURCE_READ,
        Op.LIST_GROUPS: Q.USER_POOL_RESOURCE_READ,
        Op.CREATE_GROUP: Q.USER_POOL_RESOURCE_UPDATE,
        Op.UPDATE_GROUP: Q.USER_POOL_RESOURCE_UPDATE,
        Op.DELETE_GROUP: Q.USER_POOL_RESOURCE_UPDATE,
        Op.LIST_USER_POOL_CLIENTS: Q.USER_POOL_CLIENT_READ,
        Op.UPDATE_USER_POOL_CLIENT: Q.USER_POOL_CLIENT_UPDATE,
    }
)

#: Managed-login and OAuth endpoint calls that count against a category, by (endpoint, detail):
#: each sign-in page step (password, MFA code, TOTP enrolment, new password: "each managed login
#: ... operation during sign-in contributes one request", footnote 2, so the new-password page
#: is UserAuthentication where the API's NEW_PASSWORD_REQUIRED answer is UserAccountRecovery)
#: is one UserAuthentication request, a refresh at
#: the token endpoint is UserAuthentication, client credentials are ClientAuthentication (150/s,
#: not adjustable). Page views (GET authorize, GET login) and userInfo, revoke and logout count
#: against none (cognito-facts §17.6). Authorization-code redemption has an allocation of its
#: own at UserAuthentication's rate: :data:`CODE_REDEMPTION`.
_ENDPOINT_CATEGORY: MappingProxyType[tuple[Endpoint, str | None], QuotaCategory] = MappingProxyType(
    {
        (Endpoint.LOGIN, None): Q.USER_AUTHENTICATION,
        (Endpoint.MFA, None): Q.USER_AUTHENTICATION,
        (Endpoint.MFA_SETUP, None): Q.USER_AUTHENTICATION,
        (Endpoint.NEW_PASSWORD, None): Q.USER_AUTHENTICATION,
        (Endpoint.TOKEN, GrantType.REFRESH_TOKEN): Q.USER_AUTHENTICATION,
        (Endpoint.TOKEN, GrantType.CLIENT_CREDENTIALS): Q.CLIENT_AUTHENTICATION,
        (Endpoint.TOKEN, GrantType.AUTHORIZATION_CODE): Q.USER_AUTHENTICATION,
    }
)

#: "Token redemption in authorization-code grants is subject to an additional quota allocation
#: at the same rate as your quota in the UserAuthentication category" (quotas page, footnote 2):
#: it draws on its own bucket at UserAuthentication's rate, never on UserAuthentication itself.
CODE_REDEMPTION = (Endpoint.TOKEN, str(GrantType.AUTHORIZATION_CODE))

#: Operations that are both in the challenge allowance and (above it) in UserAuthentication.
CHALLENGE_OPERATIONS = frozenset({Op.RESPOND_TO_AUTH_CHALLENGE, Op.ADMIN_RESPOND_TO_AUTH_CHALLENGE})


def label_category(label: str) -> QuotaCategory:
    """The category of a call by its report label: ``Operation:CHALLENGE`` for API calls,
    ``METHOD /endpoint[:detail]`` for a domain's endpoints (KeyError/ValueError if none)."""
    method, space, rest = label.partition(" /")
    if space:
        endpoint, _, detail = rest.partition(":")
        if method == "GET":
            raise KeyError(label)  # page views count against no quota
        return category_of(Endpoint(endpoint), detail or None)
    operation, _, challenge = label.partition(":")
    return category_of(Operation(operation), challenge or None)


def category_of(operation: Operation | Endpoint, challenge: str | None = None) -> QuotaCategory:
    """The quota category a call counts against (KeyError for calls that count against none).

    A challenge response naming NEW_PASSWORD_REQUIRED counts under UserAccountRecovery; every
    other challenge response under UserAuthentication (after its 3x allowance). An endpoint is
    looked up with its detail (the grant type of the token endpoint).
    """
    if isinstance(operation, Endpoint):
        return _ENDPOINT_CATEGORY[(operation, challenge)]
    if operation in CHALLENGE_OPERATIONS and challenge == Challenge.NEW_PASSWORD_REQUIRED:
        return Q.USER_ACCOUNT_RECOVERY
    return _CATEGORY[operation]


class Allocation(enum.Enum):
    """Which allocation a counted call draws on first."""

    #: Its category's own quota.
    CATEGORY = "category"
    #: The challenge allowance (3x UserAuthentication); above it, UserAuthentication.
    CHALLENGE = "challenge"
    #: Authorization-code redemption's own allocation at UserAuthentication's rate.
    REDEMPTION = "redemption"


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    """Where a counted call is charged: its category and the allocation it draws on first."""

    category: QuotaCategory
    allocation: Allocation


@lru_cache(maxsize=512)
def charge_of(operation: Operation | Endpoint, challenge: str | None = None) -> Charge | None:
    """Where a call is charged, or None for calls that count against no quota.

    The one decision the local pool's buckets and the quota model both follow, so they cannot
    disagree (cached: the pool asks on every request, over a small set of calls).
    """
    try:
        category = category_of(operation, challenge)
    except KeyError:
        return None
    if operation in CHALLENGE_OPERATIONS and category is Q.USER_AUTHENTICATION:
        return Charge(category=category, allocation=Allocation.CHALLENGE)
    if (operation, challenge) == CODE_REDEMPTION:
        return Charge(category=category, allocation=Allocation.REDEMPTION)
    return Charge(category=category, allocation=Allocation.CATEGORY)


@dataclass(frozen=True, slots=True, kw_only=True)
class HourlyLimit:
    """A per-user hourly limit: operations sharing ``group`` share one count of ``count``."""

    group: str
    count: int


#: Per-user hourly limits on code and password operations (cognito-facts §5, the quotas page:
#: not adjustable; beyond them ``LimitExceededException``). ForgotPassword with
#: ConfirmForgotPassword is "5-20 depending on risk": the floor, 5, is kept, as the risk score
#: of a synthetic load is unknown (a guess).
HOURLY_USER_LIMITS: MappingProxyType[Operation, HourlyLimit] = MappingProxyType(
    {
        Op.FORGOT_PASSWORD: HourlyLimit(group="recovery", count=5),
        Op.CONFIRM_FORGOT_PASSWORD: HourlyLimit(group="recovery", count=5),
        Op.RESEND_CONFIRMATION_CODE: HourlyLimit(group="resend_confirmation", count=5),
        Op.CONFIRM_SIGN_UP: HourlyLimit(group="confirm_sign_up", count=15),
        Op.CHANGE_PASSWORD: HourlyLimit(group="change_password", count=5),
        Op.GET_USER_ATTRIBUTE_VERIFICATION_CODE: HourlyLimit(group="attribute_code", count=5),
        Op.VERIFY_USER_ATTRIBUTE: HourlyLimit(group="verify_attribute", count=15),
    }
)
