"""The quota model: what a flow mix at a sign-in rate asks of each quota category.

Quotas are per account and Region (cognito-facts §5; the table is
:mod:`loadtest.protocol.quotas`, shared with the local pool's enforcement). A login's calls
count where :func:`~loadtest.protocol.quotas.category_of` puts them, with one twist:
RespondToAuthChallenge and AdminRespondToAuthChallenge first fill their own allowance of 3x
UserAuthentication's quota, and only the rate above it spills into UserAuthentication (a
NEW_PASSWORD_REQUIRED answer counts under UserAccountRecovery instead). So UserAuthentication
receives ``rate * a + max(0, rate * b - 3 * Q)``, with ``a`` the non-challenge calls
(InitiateAuth, AdminInitiateAuth, refreshes) and ``b`` the challenge responses per login.

A mix maps profile names (:data:`PROFILES`) to weights; weights are normalised, so
``{"srp": 2, "srp_totp": 2}`` is half and half. Rates are sign-ins (flow runs) per second.
Besides the account quotas: each user may send 10 requests/s (:func:`per_user`), the
categories marked ¹ allow 5 requests/s per user pool and operation (:func:`per_pool_operations`),
and a mix with HTTP entries meets its domain's bulk limits (per source IP, per app client, per
domain: :func:`domain_rows`, :mod:`.domain`), which :func:`throttle_onset` weighs with the
categories.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from loadtest.flows.totp import STEP_SECONDS
from loadtest.protocol.names import Endpoint, Operation
from loadtest.protocol.quotas import (
    CHALLENGE_ALLOWANCE_FACTOR,
    DEFAULT_RPS,
    DOMAIN_LIMITS,
    PER_POOL_CATEGORIES,
    PER_POOL_OPERATION_RPS,
    PER_USER_RPS,
    Allocation,
    DomainLimit,
    DomainLimits,
    QuotaCategory,
    category_of,
    charge_of,
)

from .domain import DomainRow, domain_demand, limit_onsets, limit_rows
from .profiles import PROFILES, CallKey, FlowProfile

__all__ = [
    "ADJUSTABLE",
    "DEFAULT_RPS",
    "PROFILES",
    "Allowance",
    "CallKey",
    "DomainRow",
    "FlowProfile",
    "Headroom",
    "Onset",
    "PerPoolOperation",
    "PerUser",
    "QuotaModelError",
    "UnknownFlow",
    "category_rates",
    "challenge_allowance",
    "domain_onsets",
    "domain_rows",
    "effective_quotas",
    "headroom",
    "limit_loads",
    "mix_calls",
    "normalise_mix",
    "per_pool_operations",
    "per_user",
    "required_quotas",
    "throttle_onset",
]

Q = QuotaCategory
Mix = Mapping[str, float]
Quotas = Mapping[QuotaCategory, float]
Profiles = Mapping[str, FlowProfile]

#: Whether AWS lets an account raise the category (cognito-facts §5, "Adjustable").
ADJUSTABLE: Mapping[QuotaCategory, bool] = MappingProxyType(
    {
        Q.USER_AUTHENTICATION: True,
        Q.USER_CREATION: True,
        Q.USER_ACCOUNT_RECOVERY: False,
        Q.USER_READ: True,
        Q.USER_UPDATE: False,
        Q.USER_RESOURCE_READ: True,
        Q.USER_RESOURCE_UPDATE: False,
        Q.USER_LIST: False,
        Q.USER_POOL_READ: False,
        Q.USER_POOL_UPDATE: False,
        Q.USER_POOL_RESOURCE_READ: False,
        Q.USER_POOL_RESOURCE_UPDATE: False,
        Q.USER_POOL_CLIENT_READ: False,
        Q.USER_POOL_CLIENT_UPDATE: False,
        Q.CLIENT_AUTHENTICATION: False,
    }
)


class QuotaModelError(ValueError):
    """A mix, rate or quota the model cannot work with."""


class UnknownFlow(QuotaModelError):
    """A mix names a flow with no profile."""

    def __init__(self, name: str, profiles: Profiles = PROFILES) -> None:
        super().__init__(f"unknown flow {name!r}: use one of {', '.join(profiles)}")
        self.name = name


def normalise_mix(mix: Mix, profiles: Profiles = PROFILES) -> dict[str, float]:
    """The mix's weights as shares summing to 1; raises on unknown flows or bad weights."""
    for name, weight in mix.items():
        if name not in profiles:
            raise UnknownFlow(name, profiles)
        if not math.isfinite(weight) or weight < 0:
            raise QuotaModelError(f"weight of {name!r} must be a number >= 0, not {weight}")
    total = sum(mix.values())
    if total <= 0:
        raise QuotaModelError("the mix has no flow with a weight above 0")
    return {name: weight / total for name, weight in mix.items() if weight > 0}


def mix_calls(mix: Mix, profiles: Profiles = PROFILES) -> dict[CallKey, float]:
    """Calls of one average login of the mix, by (operation, challenge)."""
    calls: dict[CallKey, float] = {}
    for name, share in normalise_mix(mix, profiles).items():
        for key, count in profiles[name].calls.items():
            calls[key] = calls.get(key, 0.0) + share * count
    return calls


@dataclass(frozen=True, slots=True, kw_only=True)
class _PerLogin:
    """Per average login: calls by category (challenge responses apart) and challenge calls."""

    direct: dict[QuotaCategory, float]
    challenges: float


def _per_login(mix: Mix, profiles: Profiles) -> _PerLogin:
    direct = dict.fromkeys(QuotaCategory, 0.0)
    challenges = 0.0
    for (operation, challenge), count in mix_calls(mix, profiles).items():
        charge = charge_of(operation, challenge)
        if charge is None or charge.allocation is Allocation.REDEMPTION:
            continue  # a page view, or code redemption (its own allocation: see _counted)
        if charge.allocation is Allocation.CHALLENGE:
            challenges += count
        else:
            direct[charge.category] += count
    return _PerLogin(direct=direct, challenges=challenges)


def _counted(operation: Operation | Endpoint, challenge: str | None) -> bool:
    """Whether a call counts against a quota category at all.

    Managed-login page views count against none. Authorization-code redemption draws on an
    allocation of its own at UserAuthentication's rate; one per login against the sign-in's
    own UserAuthentication requests (a POST per step, at least one), so it never throttles
    first and the model leaves it out.
    """
    return charge_of(operation, challenge) is not None


def _check_rate(logins_per_second: float) -> None:
    if not math.isfinite(logins_per_second) or logins_per_second < 0:
        raise QuotaModelError(f"sign-in rate must be a number >= 0, not {logins_per_second}")


def effective_quotas(quotas: Quotas = DEFAULT_RPS) -> dict[QuotaCategory, float]:
    """The defaults overridden by ``quotas`` (a partial mapping changes only what it names)."""
    merged = {c: float(r) for c, r in DEFAULT_RPS.items()}
    for category, rps in quotas.items():
        if not isinstance(category, QuotaCategory):
            raise QuotaModelError(f"unknown quota category {category!r}")
        if not math.isfinite(rps) or rps < 0:
            raise QuotaModelError(f"quota of {category} must be a number >= 0, not {rps}")
        merged[category] = float(rps)
    return merged


def _allowance_rps(quotas: Quotas) -> float:
    return CHALLENGE_ALLOWANCE_FACTOR * float(quotas.get(Q.USER_AUTHENTICATION, 0.0))


def category_rates(
    mix: Mix,
    logins_per_second: float,
    quotas: Quotas = DEFAULT_RPS,
    *,
    profiles: Profiles = PROFILES,
) -> dict[QuotaCategory, float]:
    """Requests/s each category receives (every category, zeros included); ``quotas``
    override the defaults category by category.

    Challenge responses fill their 3x allowance (3x ``quotas``' UserAuthentication) first; only
    the rest lands in UserAuthentication.
    """
    _check_rate(logins_per_second)
    quotas = effective_quotas(quotas)
    per_login = _per_login(mix, profiles)
    rates = {c: n * logins_per_second for c, n in per_login.direct.items()}
    spill = max(0.0, per_login.challenges * logins_per_second - _allowance_rps(quotas))
    rates[Q.USER_AUTHENTICATION] += spill
    return rates


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowance:
    """RespondToAuthChallenge's own allowance: demand, allowance, and what spills over."""

    demand: float
    allowance: float
    spill: float


def challenge_allowance(
    mix: Mix,
    logins_per_second: float,
    quotas: Quotas = DEFAULT_RPS,
    *,
    profiles: Profiles = PROFILES,
) -> Allowance:
    """How the mix's challenge responses (NEW_PASSWORD_REQUIRED aside) fit their allowance."""
    _check_rate(logins_per_second)
    quotas = effective_quotas(quotas)
    demand = _per_login(mix, profiles).challenges * logins_per_second
    allowance = _allowance_rps(quotas)
    return Allowance(demand=demand, allowance=allowance, spill=max(0.0, demand - allowance))


@dataclass(frozen=True, slots=True, kw_only=True)
class Onset:
    """The lowest sign-in rate at which a category's demand exceeds its quota, and which one:
    a quota category, or a domain limit (``domain per-IP``) for a mix with HTTP entries."""

    logins_per_second: float
    category: QuotaCategory | DomainLimit

    @property
    def domain_limit(self) -> bool:
        """Whether a domain limit, not a quota category, throttles first."""
        return isinstance(self.category, DomainLimit)


def _onset_of(category: QuotaCategory, per_login: _PerLogin, quotas: Quotas) -> float:
    """The rate at which ``category``'s demand reaches its quota (inf if it never does)."""
    quota = float(quotas.get(category, 0.0))
    direct = per_login.direct[category]
    if category is not Q.USER_AUTHENTICATION:
        return quota / direct if direct > 0 else math.inf
    challenges = per_login.challenges
    if direct > 0 and (quota / direct) * challenges <= _allowance_rps(quotas):
        return quota / direct  # reached before anything spills
    total = direct + challenges
    return (quota + _allowance_rps(quotas)) / total if total > 0 else math.inf


def throttle_onset(
    mix: Mix,
    quotas: Quotas = DEFAULT_RPS,
    *,
    profiles: Profiles = PROFILES,
    domain: DomainLimits | None = DOMAIN_LIMITS,
    source_ips: int = 1,
) -> Onset:
    """The first category (or domain limit) to throttle as the sign-in rate grows, and the
    rate it starts at.

    ``quotas`` override the defaults category by category. The domain's limits count for a
    mix with HTTP entries, its requests spread evenly over ``source_ips`` (one load generator
    has one); ``domain=None`` leaves them out (the API categories alone). Ties go to the
    category listed first in :class:`QuotaCategory`, then to the limit listed first in
    :class:`DomainLimit` (the order the local pool checks them in).
    """
    quotas = effective_quotas(quotas)
    per_login = _per_login(mix, profiles)
    onsets: list[tuple[float, QuotaCategory | DomainLimit]] = [
        (_onset_of(c, per_login, quotas), c) for c in QuotaCategory
    ]
    if domain is not None:
        limits = domain_onsets(mix, domain, source_ips=source_ips, profiles=profiles)
        onsets += [(rate, limit) for limit, rate in limits.items()]
    rate, category = min(onsets, key=lambda pair: pair[0])
    if math.isinf(rate):
        raise QuotaModelError("the mix sends no call any quota applies to")
    return Onset(logins_per_second=rate, category=category)


def _check_ips(source_ips: int) -> None:
    if source_ips < 1:
        raise QuotaModelError(f"source IPs must be at least 1, not {source_ips}")


def domain_onsets(
    mix: Mix,
    limits: DomainLimits = DOMAIN_LIMITS,
    *,
    source_ips: int = 1,
    profiles: Profiles = PROFILES,
) -> dict[DomainLimit, float]:
    """The sign-in rate at which each of the domain's limits is reached (inf: the mix sends
    no domain request), the requests spread evenly over ``source_ips``."""
    _check_ips(source_ips)
    return limit_onsets(domain_demand(mix_calls(mix, profiles)), limits, source_ips)


def domain_rows(
    mix: Mix,
    logins_per_second: float,
    limits: DomainLimits = DOMAIN_LIMITS,
    *,
    source_ips: int = 1,
    profiles: Profiles = PROFILES,
) -> list[DomainRow]:
    """Each of the domain's limits at a rate (empty when the mix sends no domain request):
    requests/s against it, its onset, and how many IPs, clients or domains pass it."""
    _check_rate(logins_per_second)
    _check_ips(source_ips)
    demand = domain_demand(mix_calls(mix, profiles))
    return limit_rows(demand, logins_per_second, limits, source_ips)


def limit_loads(
    mix: Mix,
    logins_per_second: float,
    quotas: Quotas = DEFAULT_RPS,
    *,
    domain: DomainLimits = DOMAIN_LIMITS,
    source_ips: int = 1,
    profiles: Profiles = PROFILES,
) -> dict[str, float]:
    """Demand over limit at a rate, by category and domain limit name (those with a limit
    above 0): what ``capacity`` breaks a tie of throttled categories with."""
    quotas = effective_quotas(quotas)
    rates = category_rates(mix, logins_per_second, quotas, profiles=profiles)
    loads = {c.value: d / quotas[c] for c, d in rates.items() if quotas.get(c)}
    rows = domain_rows(mix, logins_per_second, domain, source_ips=source_ips, profiles=profiles)
    return loads | {row.limit.value: row.demand / row.rps for row in rows if row.rps > 0}


def required_quotas(
    mix: Mix, logins_per_second: float, *, profiles: Profiles = PROFILES
) -> dict[QuotaCategory, float]:
    """The smallest quota of each category that carries the rate without throttling.

    UserAuthentication's raises its allowance too: it needs ``max(r*a, r*(a+b)/4)``.
    """
    _check_rate(logins_per_second)
    per_login = _per_login(mix, profiles)
    needed = {c: n * logins_per_second for c, n in per_login.direct.items()}
    ua = needed[Q.USER_AUTHENTICATION]
    with_spill = (ua + per_login.challenges * logins_per_second) / (1 + CHALLENGE_ALLOWANCE_FACTOR)
    needed[Q.USER_AUTHENTICATION] = max(ua, with_spill)
    return needed


@dataclass(frozen=True, slots=True, kw_only=True)
class Headroom:
    """One category at one rate: demand against quota.

    ``ratio`` is demand / quota (inf for demand on a zero quota); ``headroom`` is the share of
    the quota left (negative when over); ``required`` the smallest quota carrying the rate.
    """

    category: QuotaCategory
    demand: float
    quota: float
    ratio: float
    headroom: float
    required: float
    adjustable: bool

    @property
    def throttled(self) -> bool:
        """Whether the demand exceeds the quota."""
        return self.demand > self.quota

    @property
    def increase(self) -> float:
        """How much the quota must grow to carry the rate (0 if it already does)."""
        return max(0.0, self.required - self.quota)


def headroom(
    mix: Mix,
    logins_per_second: float,
    quotas: Quotas = DEFAULT_RPS,
    *,
    profiles: Profiles = PROFILES,
) -> list[Headroom]:
    """Per category the mix sends calls to (in :class:`QuotaCategory` order): demand, quota,
    ratio, headroom, the quota needed and whether AWS lets it be raised."""
    quotas = effective_quotas(quotas)
    rates = category_rates(mix, logins_per_second, quotas, profiles=profiles)
    needed = required_quotas(mix, logins_per_second, profiles=profiles)
    used = _per_login(mix, profiles)
    rows = []
    for category in QuotaCategory:
        if used.direct[category] == 0 and not (
            category is Q.USER_AUTHENTICATION and used.challenges > 0
        ):
            continue
        demand, quota = rates[category], float(quotas.get(category, 0.0))
        rows.append(
            Headroom(
                category=category,
                demand=demand,
                quota=quota,
                ratio=demand / quota if quota > 0 else (math.inf if demand > 0 else 0.0),
                headroom=1 - demand / quota if quota > 0 else -math.inf,
                required=needed[category],
                adjustable=ADJUSTABLE[category],
            )
        )
    return rows


@dataclass(frozen=True, slots=True, kw_only=True)
class PerUser:
    """The per-user limits at a rate spread evenly over ``identities``.

    ``calls_per_identity`` requests/s each identity sends against the 10 requests/s per user
    (every call of a login counted, as the local pool does); ``min_identities`` the fewest
    identities that keep every user under it. TOTP flows may send one code per identity per
    30 s step, so they need ``min_totp_identities`` identities with a TOTP secret.
    """

    identities: int
    calls_per_identity: float
    limit: float
    min_identities: int
    totp_codes_per_second: float
    min_totp_identities: int

    @property
    def within(self) -> bool:
        """Whether an even spread keeps every identity under the per-user limit."""
        return self.calls_per_identity <= self.limit and self.identities >= self.min_identities


def per_user(
    mix: Mix, logins_per_second: float, identities: int, *, profiles: Profiles = PROFILES
) -> PerUser:
    """Check the per-user limit (10 requests/s) and the TOTP step for a number of identities."""
    _check_rate(logins_per_second)
    if identities < 1:
        raise QuotaModelError(f"identities must be at least 1, not {identities}")
    shares = normalise_mix(mix, profiles)
    calls = sum(share * profiles[n].calls_per_login for n, share in shares.items())
    codes = sum(share * profiles[n].totp_codes for n, share in shares.items())
    demand = calls * logins_per_second
    totp_rate = codes * logins_per_second
    return PerUser(
        identities=identities,
        calls_per_identity=demand / identities,
        limit=float(PER_USER_RPS),
        min_identities=max(1, math.ceil(demand / PER_USER_RPS - 1e-9)),
        totp_codes_per_second=totp_rate,
        min_totp_identities=math.ceil(totp_rate * STEP_SECONDS - 1e-9),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PerPoolOperation:
    """An operation in a category limited to 5 requests/s per user pool and operation."""

    operation: Operation | Endpoint
    category: QuotaCategory
    demand_per_pool: float
    limit: float

    @property
    def within(self) -> bool:
        """Whether each pool stays under the limit."""
        return self.demand_per_pool <= self.limit


def per_pool_operations(
    mix: Mix, logins_per_second: float, pools: int = 1, *, profiles: Profiles = PROFILES
) -> list[PerPoolOperation]:
    """The mix's calls in the ¹ categories (5 requests/s per pool and operation), spread over
    ``pools`` user pools; empty when the mix touches none (none of our login flows do)."""
    _check_rate(logins_per_second)
    if pools < 1:
        raise QuotaModelError(f"pools must be at least 1, not {pools}")
    per_op: dict[tuple[Operation | Endpoint, QuotaCategory], float] = {}
    for (operation, challenge), count in mix_calls(mix, profiles).items():
        if not _counted(operation, challenge):
            continue
        category = category_of(operation, challenge)
        if category in PER_POOL_CATEGORIES:
            key = (operation, category)
            per_op[key] = per_op.get(key, 0.0) + count * logins_per_second / pools
    return [
        PerPoolOperation(
            operation=op, category=cat, demand_per_pool=rate, limit=PER_POOL_OPERATION_RPS
        )
        for (op, cat), rate in per_op.items()
    ]
