"""The planning note's tables (docs/capacity-planning.md), computed, so the doc cannot drift.

``tests/quota/test_capacity_doc.py`` rebuilds both tables and compares them with the doc:
the quota table from the model, the generator table from the CPU figures the doc states.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from loadtest.protocol.quotas import DEFAULT_RPS, QuotaCategory

from .model import challenge_allowance, per_user, required_quotas, throttle_onset

__all__ = [
    "CPU_MS_PER_LOGIN",
    "MIXES",
    "RATES",
    "UTILISATION",
    "PlanningMix",
    "generator_table",
    "quota_table",
]

Q = QuotaCategory

#: Generator CPU per login (ms), as measured (docs/capacity-planning.md says when and how):
#: srp and srp_totp are ``srp_login_cpu_ms`` and ``srp_totp_login_cpu_ms`` of
#: reports/bench/generator.json (``python -m benchmarks --only generator``); device is srp's
#: figure times the device/SRP ratio measured side by side with the same probe (15.33 ms /
#: 7.75 ms), since the generator suite has no device case.
CPU_MS_PER_LOGIN = {
    "srp": 8.625,
    "srp_totp": 9.78125,
    "device": 8.625 * 15.33 / 7.75,
}
#: The sign-in rates the note plans for.
RATES = (1_000.0, 10_000.0)
#: Share of each generator core the plan uses (Locust warns at 90%; latency needs a quiet hub).
UTILISATION = 0.75


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanningMix:
    """A named flow mix and the generator CPU one of its logins costs on average."""

    label: str
    mix: Mapping[str, float]
    cpu_ms_per_login: float


def _mix(label: str, mix: Mapping[str, float]) -> PlanningMix:
    total = sum(mix.values())
    cpu = sum(w / total * CPU_MS_PER_LOGIN[name] for name, w in mix.items())
    return PlanningMix(label=label, mix=mix, cpu_ms_per_login=cpu)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def quota_table(mixes: Sequence[PlanningMix], rates: Sequence[float]) -> str:
    """Per mix and rate: challenge responses, the quotas needed, onset at defaults, identities."""
    head = [
        "mix",
        "sign-ins/s",
        "challenge responses/s (allowance)",
        "UserAuthentication needed (default 120)",
        "UserResourceUpdate (25, fixed)",
        "throttles at defaults from",
        "identities (10 req/s each)",
        "TOTP identities (1 code/30 s)",
    ]
    lines = [_row(head), _row(["---"] * len(head))]
    for m in mixes:
        onset = throttle_onset(m.mix)
        for rate in rates:
            needed = required_quotas(m.mix, rate)
            allowance = challenge_allowance(
                m.mix, rate, {Q.USER_AUTHENTICATION: needed[Q.USER_AUTHENTICATION]}
            )
            users = per_user(m.mix, rate, 1)
            update = needed[Q.USER_RESOURCE_UPDATE]
            lines.append(
                _row(
                    [
                        m.label,
                        f"{rate:,.0f}",
                        f"{allowance.demand:,.0f} ({allowance.allowance:,.0f})",
                        f"{math.ceil(needed[Q.USER_AUTHENTICATION]):,} rps",
                        f"{update:,.0f} rps"
                        if update <= DEFAULT_RPS[Q.USER_RESOURCE_UPDATE]
                        else f"{update:,.0f} rps: OVER",
                        f"{onset.logins_per_second:,.0f}/s ({onset.category.value})",
                        f"{users.min_identities:,}",
                        f"{users.min_totp_identities:,}",
                    ]
                )
            )
    return "\n".join(lines)


def generator_table(
    mixes: Sequence[PlanningMix], rates: Sequence[float], *, utilisation: float
) -> str:
    """Per mix and rate: busy generator cores, cores (one Locust worker each) at a target
    utilisation, from the measured CPU per login."""
    head = [
        "mix",
        "CPU per login",
        "sign-ins/s",
        "busy cores",
        f"cores = workers at {utilisation:.0%}",
    ]
    lines = [_row(head), _row(["---"] * len(head))]
    for m in mixes:
        for rate in rates:
            busy = rate * m.cpu_ms_per_login / 1000
            lines.append(
                _row(
                    [
                        m.label,
                        f"{m.cpu_ms_per_login:.3f} ms",
                        f"{rate:,.0f}",
                        f"{busy:,.1f}",
                        f"{math.ceil(busy / utilisation - 1e-9):,}",
                    ]
                )
            )
    return "\n".join(lines)


#: The note's two mixes: SRP only, and SRP + TOTP + remembered devices.
MIXES = (
    _mix("SRP only", {"srp": 1.0}),
    _mix("SRP 50% + SRP+TOTP 30% + device 20%", {"srp": 0.5, "srp_totp": 0.3, "device": 0.2}),
)
