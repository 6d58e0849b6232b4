"""A user-pool domain's bulk request-rate limits in the quota model.

Managed login and the OAuth endpoints live on a domain, and every request to it (page views,
form posts, the token endpoint alike) counts against three limits that no account can raise
(:class:`~loadtest.protocol.quotas.DomainLimits`: 300/s from one source IP, 300/s for one app
client, 500/s for the domain), on top of the quota categories its sign-in steps count in. A
mix's HTTP entries (``managed_login``: five domain requests a sign-in, ``client_credentials``:
one) therefore put ``rate x requests per sign-in`` on the domain, spread over the source IPs
the load comes from (one per load generator: loopback runs have one) and counted per app
client: a client-credentials token request names the machine client, every other domain
request the code-grant client (:func:`client_of`). The model assumes one domain and an even
spread over the source IPs.

This module works on one average sign-in's calls; :mod:`.model` gives it mixes
(``domain_rows``, ``domain_onsets``) and weighs its onsets against the categories'
(``throttle_onset``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from loadtest.protocol.names import Endpoint, GrantType
from loadtest.protocol.quotas import DomainLimit, DomainLimits

from .profiles import CallKey

__all__ = [
    "CODE_CLIENT",
    "MACHINE_CLIENT",
    "DomainDemand",
    "DomainRow",
    "client_of",
    "domain_demand",
    "limit_onsets",
    "limit_rows",
    "spread_needed",
]

#: The app clients the model tells apart (the ones ``provision_oauth`` makes).
CODE_CLIENT, MACHINE_CLIENT = "code-grant client", "machine client"
#: What a load must be spread over to pass each limit, as advice reads it.
_SPREAD = {
    DomainLimit.PER_IP: "source IPs (load generators)",
    DomainLimit.PER_CLIENT: "app clients",
    DomainLimit.PER_DOMAIN: "domains (one per user pool)",
}


def client_of(key: CallKey) -> str | None:
    """The app client a call names on the domain (``None``: not a domain request)."""
    endpoint, detail = key
    if not isinstance(endpoint, Endpoint):
        return None
    if (endpoint, detail) == (Endpoint.TOKEN, GrantType.CLIENT_CREDENTIALS):
        return MACHINE_CLIENT
    return CODE_CLIENT


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainDemand:
    """Domain requests of one average sign-in of a mix: in all, and by app client."""

    requests: float
    by_client: Mapping[str, float]

    @property
    def busiest_client(self) -> float:
        """Requests per sign-in of the app client that sends the most."""
        return max(self.by_client.values(), default=0.0)

    def per_login(self, limit: DomainLimit, source_ips: int) -> float:
        """Requests per sign-in that one bucket of ``limit`` receives (per-IP: one IP's share
        of an even spread over ``source_ips``)."""
        if limit is DomainLimit.PER_IP:
            return self.requests / source_ips
        if limit is DomainLimit.PER_CLIENT:
            return self.busiest_client
        return self.requests


def domain_demand(calls: Mapping[CallKey, float]) -> DomainDemand:
    """The domain requests among one sign-in's calls (zero for API calls only)."""
    by_client: dict[str, float] = {}
    for key, count in calls.items():
        client = client_of(key)
        if client is not None:
            by_client[client] = by_client.get(client, 0.0) + count
    return DomainDemand(requests=sum(by_client.values()), by_client=by_client)


def limit_onsets(
    demand: DomainDemand, limits: DomainLimits, source_ips: int
) -> dict[DomainLimit, float]:
    """The sign-in rate at which each domain limit is reached (inf: never), in
    :class:`DomainLimit` order."""
    onsets = {}
    for limit in DomainLimit:
        per_login = demand.per_login(limit, source_ips)
        onsets[limit] = limits.rate(limit) / per_login if per_login > 0 else math.inf
    return onsets


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainRow:
    """One domain limit at one rate: the requests/s its busiest bucket receives against it,
    and the fewest IPs, clients or domains an even spread needs to stay under it."""

    limit: DomainLimit
    demand: float
    rps: float
    onset: float
    spread_needed: int

    @property
    def throttled(self) -> bool:
        """Whether the demand exceeds the limit."""
        return self.demand > self.rps

    @property
    def headroom(self) -> float:
        """The share of the limit left (negative when over)."""
        return 1 - self.demand / self.rps if self.rps > 0 else -math.inf

    @property
    def spread_over(self) -> str:
        """What the load would be spread over to pass it."""
        return _SPREAD[self.limit]


def spread_needed(total_rps: float, limit_rps: float) -> int:
    """The fewest buckets (IPs, clients, domains) that keep an even spread of ``total_rps``
    under ``limit_rps`` each (at least 1)."""
    if total_rps <= 0:
        return 1
    if limit_rps <= 0:
        return 0  # no spread passes a zero limit
    return max(1, math.ceil(total_rps / limit_rps - 1e-9))


def limit_rows(
    demand: DomainDemand, logins_per_second: float, limits: DomainLimits, source_ips: int
) -> list[DomainRow]:
    """Each domain limit at ``logins_per_second`` (empty when no call is a domain request):
    demand, limit, the rate it is reached at, and the spread that passes it."""
    if demand.requests == 0:
        return []
    onsets = limit_onsets(demand, limits, source_ips)
    rows = []
    for limit in DomainLimit:
        rps = limits.rate(limit)
        total = demand.per_login(limit, 1) * logins_per_second  # before any IP spread
        rows.append(
            DomainRow(
                limit=limit,
                demand=demand.per_login(limit, source_ips) * logins_per_second,
                rps=rps,
                onset=onsets[limit],
                spread_needed=spread_needed(total, rps),
            )
        )
    return rows
