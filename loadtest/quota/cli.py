"""``cognito-loadtest quota``: what a flow mix at a sign-in rate asks of each Cognito quota.

    cognito-loadtest quota --mix srp=0.5,srp_totp=0.3,device=0.2 --rate 500
    cognito-loadtest quota --mix mix --mau 2000000 --peak-factor 10
    cognito-loadtest quota --mix srp --rate 1000 --quota UserAuthentication=1000 --json
    cognito-loadtest quota --mix managed_login --rate 100 --source-ips 2

Prints, per quota category the mix uses: demand, quota, headroom and whether it throttles; how
the challenge responses fit their 3x allowance; for a mix with HTTP entries (managed login,
client credentials), the domain requests against the domain's per-IP, per-client and
per-domain limits, and a warning when one source IP (one load generator) meets the per-IP limit
no later than the quota categories throttle; the first category or limit to throttle and the
sign-in rate it starts at; the quota increases the rate needs (saying which categories AWS will
not raise); and the per-user checks. Exit code 0 whether or not the rate fits (1 is never used:
this is a calculator), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.protocol.quotas import (
    CHALLENGE_ALLOWANCE_FACTOR,
    PER_USER_RPS,
    DomainLimit,
    QuotaCategory,
)
from loadtest.report.tables import Table
from loadtest.target.scenarios import SCENARIO_DIR

from .inputs import MauAssumptions, parse_mix, parse_quota, quotas_from_file
from .model import (
    PROFILES,
    Allowance,
    DomainRow,
    Headroom,
    Onset,
    PerPoolOperation,
    PerUser,
    QuotaModelError,
    challenge_allowance,
    domain_rows,
    effective_quotas,
    headroom,
    normalise_mix,
    per_pool_operations,
    per_user,
    throttle_onset,
)

__all__ = ["Plan", "plan", "register"]

HELP = """\
MIX: NAME=WEIGHT pairs of flow profiles (weights normalised), one profile name, a scenario
name (e.g. 'mix': the weights of scenarios/mix.py) or a locustfile path. Profiles:
{profiles}

--mau: peak sign-ins/s = MAU x sign-ins per user per month x peak factor / seconds in a
30-day month (2,592,000). The defaults (10 sign-ins per user per month, peak 10x the average)
are assumptions: set them from your own traffic.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``quota`` to the command line."""
    rows = [(p.name, p.description) for p in PROFILES.values()]
    profiles = "\n".join(Table.of((), rows, text=(0, 1)).lines(indent="  "))
    parser = subparsers.add_parser(
        "quota",
        help="quota model: requests/s per quota category for a flow mix and sign-in rate",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog=HELP.format(profiles=profiles),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--mix", required=True, help="flow mix (see below)")
    rate = parser.add_mutually_exclusive_group(required=True)
    rate.add_argument("--rate", type=float, help="target sign-ins per second")
    rate.add_argument("--mau", type=float, help="monthly active users (see below)")
    parser.add_argument(
        "--sign-ins-per-user",
        type=float,
        default=10.0,
        metavar="N",
        help="with --mau: sign-ins per user per month (default 10)",
    )
    parser.add_argument(
        "--peak-factor",
        type=float,
        default=10.0,
        metavar="F",
        help="with --mau: peak rate over the month's average (default 10)",
    )
    parser.add_argument(
        "--quota",
        action="append",
        default=[],
        metavar="CATEGORY=RPS",
        help="your quota of a category, e.g. UserAuthentication=500 (repeatable)",
    )
    parser.add_argument(
        "--quotas-file",
        type=Path,
        metavar="FILE",
        help='JSON {"UserAuthentication": 500, ...}; --quota wins over it',
    )
    parser.add_argument(
        "--identities",
        type=int,
        metavar="N",
        help="identities the load is spread over: checks 10 requests/s per user",
    )
    parser.add_argument(
        "--pools",
        type=int,
        default=1,
        metavar="N",
        help="user pools the load is spread over (per-pool limits; default 1)",
    )
    parser.add_argument(
        "--source-ips",
        type=int,
        default=1,
        metavar="N",
        help="source IPs (load generators) a domain's requests come from, evenly "
        "(its per-IP limit; default 1)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.set_defaults(handler=_handle)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Everything the command reports, computed from the model."""

    shares: dict[str, float]
    logins_per_second: float
    mau: MauAssumptions | None
    quotas: dict[QuotaCategory, float]
    rows: list[Headroom]
    allowance: Allowance
    onset: Onset
    per_user: PerUser
    per_pool: list[PerPoolOperation]
    identities_given: bool = False
    #: The domain's limits (empty for a mix without HTTP entries), over ``source_ips``.
    domain: list[DomainRow] = field(default_factory=list)
    source_ips: int = 1
    #: The first quota category to throttle, the domain's limits left out.
    api_onset: Onset | None = None

    @property
    def per_ip_first(self) -> bool:
        """Whether the source IPs meet the domain's per-IP limit no later than any quota
        category throttles: more generators, not a quota increase, is what passes it."""
        per_ip = next((r for r in self.domain if r.limit is DomainLimit.PER_IP), None)
        if per_ip is None or math.isinf(per_ip.onset):
            return False
        api = math.inf if self.api_onset is None else self.api_onset.logins_per_second
        return per_ip.onset <= api * (1 + 1e-9)


def plan(
    mix: dict[str, float],
    logins_per_second: float,
    quotas: dict[QuotaCategory, float],
    *,
    identities: int | None = None,
    pools: int = 1,
    mau: MauAssumptions | None = None,
    source_ips: int = 1,
) -> Plan:
    """The model's answers for one mix, rate and set of quotas."""
    quotas = effective_quotas(quotas)
    users = per_user(mix, logins_per_second, identities or 1)
    if identities is None:  # report the check for the fewest identities that pass it
        users = per_user(mix, logins_per_second, users.min_identities)
    return Plan(
        domain=domain_rows(mix, logins_per_second, source_ips=source_ips),
        source_ips=source_ips,
        api_onset=_api_onset(mix, quotas),
        shares=normalise_mix(mix),
        logins_per_second=logins_per_second,
        mau=mau,
        quotas=quotas,
        rows=headroom(mix, logins_per_second, quotas),
        allowance=challenge_allowance(mix, logins_per_second, quotas),
        onset=throttle_onset(mix, quotas, source_ips=source_ips),
        per_user=users,
        per_pool=per_pool_operations(mix, logins_per_second, pools),
        identities_given=identities is not None,
    )


def _api_onset(mix: dict[str, float], quotas: dict[QuotaCategory, float]) -> Onset | None:
    """The quota categories' onset alone (``None``: the mix sends none of their calls)."""
    try:
        return throttle_onset(mix, quotas, domain=None)
    except QuotaModelError:
        return None


def _handle(args: argparse.Namespace) -> int:
    try:
        result = _plan_from(args)
    except QuotaModelError as exc:
        print(f"quota: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(to_json(result), indent=2) if args.json else render(result))
    return 0


def _plan_from(args: argparse.Namespace) -> Plan:
    mix = parse_mix(args.mix, SCENARIO_DIR)
    mau = None
    if args.mau is not None:
        mau = MauAssumptions(
            mau=args.mau, sign_ins_per_user=args.sign_ins_per_user, peak_factor=args.peak_factor
        )
        rate = mau.peak_logins_per_second
    else:
        rate = args.rate
    quotas = quotas_from_file(args.quotas_file) if args.quotas_file else {}
    quotas.update(parse_quota(spec) for spec in args.quota)
    if args.identities is not None and args.identities < 1:
        raise QuotaModelError(f"--identities must be at least 1, not {args.identities}")
    if args.pools < 1:
        raise QuotaModelError(f"--pools must be at least 1, not {args.pools}")
    if args.source_ips < 1:
        raise QuotaModelError(f"--source-ips must be at least 1, not {args.source_ips}")
    return plan(
        mix,
        rate,
        quotas,
        identities=args.identities,
        pools=args.pools,
        mau=mau,
        source_ips=args.source_ips,
    )


# -- text ---------------------------------------------------------------------------------


def render(result: Plan) -> str:
    """The human-readable report."""
    return "\n".join(
        [
            *_header(result),
            "",
            *_table(result.rows),
            "",
            _allowance_line(result.allowance),
            *_domain_lines(result),
            _onset_line(result),
            "",
            *_increases(result),
            "",
            *_per_user_lines(result),
        ]
    )


def _header(result: Plan) -> list[str]:
    shares = ", ".join(f"{name} {share:.0%}" for name, share in result.shares.items())
    lines = [f"flow mix: {shares}", f"sign-in rate: {result.logins_per_second:,.1f}/s"]
    if result.mau is not None:
        m = result.mau
        lines[-1] += (
            f" (peak: {m.mau:,.0f} MAU x {m.sign_ins_per_user:g} sign-ins per user per month"
            f" / {m.seconds_per_month:,.0f} s = {m.average_logins_per_second:,.2f}/s average,"
            f" x {m.peak_factor:g} peak factor)"
        )
    return lines


def _table(rows: list[Headroom]) -> list[str]:
    head = ("category", "demand rps", "quota rps", "headroom", "throttles?")
    return Table.of(head, [_cells(r) for r in rows], text=(0, 4)).lines(rule=True)


def _cells(row: Headroom) -> list[str]:
    left = f"{row.headroom:.0%}" if math.isfinite(row.headroom) else "none"
    verdict = ("YES" if row.throttled else "no") + ("" if row.adjustable else "  (not adjustable)")
    return [row.category.value, f"{row.demand:,.1f}", f"{row.quota:,.0f}", left, verdict]


def _allowance_line(a: Allowance) -> str:
    where = (
        f"{a.spill:,.1f} rps spill into UserAuthentication"
        if a.spill > 0
        else "nothing spills into UserAuthentication"
    )
    return (
        f"challenge responses: {a.demand:,.1f} rps against their own allowance of "
        f"{a.allowance:,.0f} rps ({CHALLENGE_ALLOWANCE_FACTOR}x UserAuthentication): {where}"
    )


def _onset_line(result: Plan) -> str:
    onset = result.onset
    line = (
        f"first to throttle: {onset.category.value} at {onset.logins_per_second:,.1f} "
        f"sign-ins/s with these quotas"
    )
    return line + (f" ({_ips(result.source_ips)})" if result.domain else "")


def _ips(count: int) -> str:
    return "1 source IP" if count == 1 else f"{count:,} source IPs"


def _domain_lines(result: Plan) -> list[str]:
    """The domain's limits, for a mix with HTTP entries: a table, then what passes them."""
    if not result.domain:
        return []
    total = next(r for r in result.domain if r.limit is DomainLimit.PER_DOMAIN)
    per_login = total.demand / result.logins_per_second if result.logins_per_second else 0.0
    head = ("domain limit", "demand rps", "limit rps", "headroom", "throttles?")
    rows = [_domain_cells(r, result.source_ips) for r in result.domain]
    lines = [
        "",
        f"domain requests (managed login, OAuth): {total.demand:,.1f} rps"
        + (f", {per_login:,.2f} per sign-in" if per_login else "")
        + "; none of the limits is adjustable",
        *Table.of(head, rows, text=(0, 4)).lines(rule=True),
    ]
    lines += [_spread_line(r, result.logins_per_second) for r in result.domain if r.throttled]
    if result.per_ip_first:
        lines.append(_per_ip_warning(result))
    return [*lines, ""]


def _domain_cells(row: DomainRow, source_ips: int) -> list[str]:
    left = f"{row.headroom:.0%}" if math.isfinite(row.headroom) else "none"
    verdict = "YES" if row.throttled else "no"
    if row.limit is DomainLimit.PER_IP:
        verdict += "  (1 source IP)" if source_ips == 1 else f"  (each of {source_ips:,} IPs)"
    return [row.limit.value, f"{row.demand:,.1f}", f"{row.rps:,.0f}", left, verdict]


def _spread_line(row: DomainRow, rate: float) -> str:
    return (
        f"  {row.limit.value}: NOT adjustable; {rate:,.1f} sign-ins/s need at least "
        f"{row.spread_needed:,} {row.spread_over}"
    )


def _per_ip_warning(result: Plan) -> str:
    per_ip = next(r for r in result.domain if r.limit is DomainLimit.PER_IP)
    api = result.api_onset
    against = (
        "no quota category throttles this mix"
        if api is None
        else f"no later than the quota categories ({api.category.value} at "
        f"{api.logins_per_second:,.1f}/s)"
    )
    each = " each" if result.source_ips > 1 else ""
    return (
        f"WARNING: from {_ips(result.source_ips)} (one per load generator) the domain's per-IP "
        f"limit ({per_ip.rps:,.0f} rps{each}) throttles at {per_ip.onset:,.1f} sign-ins/s, "
        f"{against}: a test from there measures the per-IP limit, not the pool; use more "
        f"source IPs (load generators) to load past it"
    )


def _increases(result: Plan) -> list[str]:
    over = [r for r in result.rows if r.throttled]
    if not over:
        return [f"no quota increase needed for {result.logins_per_second:,.1f} sign-ins/s"]
    lines = [f"quota increases needed for {result.logins_per_second:,.1f} sign-ins/s:"]
    for r in over:
        change = f"{r.quota:,.0f} -> {math.ceil(r.required):,} rps"
        if r.adjustable:
            lines.append(f"  {r.category.value}: {change} (request it in Service Quotas)")
        else:
            lines.append(
                f"  {r.category.value}: {change} -- NOT adjustable: AWS keeps it at its "
                f"default; lower this category's share of the mix or spread the load over "
                f"accounts or Regions"
            )
    return lines


def _per_user_lines(result: Plan) -> list[str]:
    u = result.per_user
    verdict = "within" if u.within else "OVER"
    lines = [
        f"per user: {u.calls_per_identity:,.2f} requests/s per identity over {u.identities:,} "
        f"identities ({verdict} {PER_USER_RPS}/s); at least {u.min_identities:,} identities needed"
        if result.identities_given
        else f"per user ({PER_USER_RPS} requests/s each): at least {u.min_identities:,} "
        f"identities needed (--identities N checks yours)",
    ]
    if u.min_totp_identities:
        lines.append(
            f"TOTP: {u.totp_codes_per_second:,.1f} codes/s, one per identity per 30 s step: "
            f"at least {u.min_totp_identities:,} identities with TOTP"
        )
    if not result.per_pool:
        lines.append("per pool and operation (5 rps): the mix calls none of those categories")
    for p in result.per_pool:
        lines.append(
            f"per pool: {p.operation} {p.demand_per_pool:,.1f} rps of {p.limit:g} "
            f"({'within' if p.within else 'OVER'})"
        )
    return lines


# -- JSON ---------------------------------------------------------------------------------


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def to_json(result: Plan) -> dict[str, Any]:
    """The report as JSON-ready data (infinities as null)."""
    return {
        "mix": result.shares,
        "logins_per_second": result.logins_per_second,
        "mau": None
        if result.mau is None
        else {
            "mau": result.mau.mau,
            "sign_ins_per_user_per_month": result.mau.sign_ins_per_user,
            "peak_factor": result.mau.peak_factor,
            "seconds_per_month": result.mau.seconds_per_month,
        },
        "quotas": {c.value: rps for c, rps in result.quotas.items()},
        "categories": [_row_json(r) for r in result.rows],
        "challenge_allowance": {
            "demand_rps": result.allowance.demand,
            "allowance_rps": result.allowance.allowance,
            "spill_rps": result.allowance.spill,
        },
        "onset": {
            "logins_per_second": result.onset.logins_per_second,
            "category": result.onset.category.value,
        },
        "domain": _domain_json(result),
        "increases": [
            {
                "category": r.category.value,
                "from_rps": r.quota,
                "to_rps": math.ceil(r.required),
                "adjustable": r.adjustable,
            }
            for r in result.rows
            if r.throttled
        ],
        "per_user": _per_user_json(result.per_user),
        "per_pool_operations": [
            {
                "operation": p.operation.value,
                "category": p.category.value,
                "demand_per_pool_rps": p.demand_per_pool,
                "limit_rps": p.limit,
                "within": p.within,
            }
            for p in result.per_pool
        ],
    }


def _row_json(r: Headroom) -> dict[str, Any]:
    return {
        "category": r.category.value,
        "demand_rps": r.demand,
        "quota_rps": r.quota,
        "ratio": _finite(r.ratio),
        "headroom": _finite(r.headroom),
        "throttled": r.throttled,
        "required_rps": r.required,
        "increase_rps": r.increase,
        "adjustable": r.adjustable,
    }


def _domain_json(result: Plan) -> dict[str, Any] | None:
    """The domain's limits (``None`` for a mix without HTTP entries)."""
    if not result.domain:
        return None
    return {
        "source_ips": result.source_ips,
        "per_ip_first": result.per_ip_first,
        "limits": [
            {
                "limit": r.limit.value,
                "demand_rps": r.demand,
                "limit_rps": r.rps,
                "headroom": _finite(r.headroom),
                "throttled": r.throttled,
                "onset_logins_per_second": _finite(r.onset),
                "spread_needed": r.spread_needed,
                "spread_over": r.spread_over,
            }
            for r in result.domain
        ],
    }


def _per_user_json(u: PerUser) -> dict[str, Any]:
    return {
        "identities": u.identities,
        "requests_per_identity_per_second": u.calls_per_identity,
        "limit_rps": u.limit,
        "within": u.within,
        "min_identities": u.min_identities,
        "totp_codes_per_second": u.totp_codes_per_second,
        "min_totp_identities": u.min_totp_identities,
    }
