"""SLO thresholds checked against a summary, so a run can gate a pipeline.

Two forms::

    login:srp_totp p99<800ms        a latency percentile of a flow or call label
    throttle_rate<0.1%              a rate: throttle_rate (throttled calls / calls) or
                                    failure_rate (logins not ok / logins)

Percentiles: p50, p90, p99, p99.9, max, mean; units ms (default) or s; operators < <= > >=.
A threshold on a flow or label the run never saw fails (nothing measured is not a pass).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Slo", "SloResult", "check", "parse_slo"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
_STATS = {"p50": "p50", "p90": "p90", "p99": "p99", "p99.9": "p99_9", "max": "max", "mean": "mean"}
_LATENCY = re.compile(
    r"^\s*(\S+)\s+(p50|p90|p99\.9|p99|max|mean)\s*(<=|>=|<|>)\s*([\d.]+)\s*(ms|s)?\s*$"
)
_RATE = re.compile(r"^\s*(throttle_rate|failure_rate)\s*(<=|>=|<|>)\s*([\d.]+)\s*(%)?\s*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Slo:
    """One threshold: ``subject`` (a flow/label, or a rate name), statistic, operator, limit
    (milliseconds, or a fraction for rates)."""

    text: str
    subject: str
    stat: str | None
    op: str
    limit: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SloResult:
    slo: Slo
    actual: float | None
    passed: bool

    def line(self) -> str:
        actual = "not measured" if self.actual is None else f"{self.actual:.4g}"
        return f"{'PASS' if self.passed else 'FAIL'} {self.slo.text} (actual {actual})"


def parse_slo(text: str) -> Slo:
    """Parse one threshold; ``ValueError`` names what is wrong."""
    if match := _LATENCY.match(text):
        subject, stat, op, value, unit = match.groups()
        limit = float(value) * (1000 if unit == "s" else 1)
        return Slo(text=text.strip(), subject=subject, stat=_STATS[stat], op=op, limit=limit)
    if match := _RATE.match(text):
        subject, op, value, percent = match.groups()
        limit = float(value) / (100 if percent else 1)
        return Slo(text=text.strip(), subject=subject, stat=None, op=op, limit=limit)
    raise ValueError(
        f"not an SLO: {text!r} (e.g. 'login:srp_totp p99<800ms' or 'throttle_rate<0.1%')"
    )


def check(summary: dict[str, Any], slos: Sequence[Slo]) -> list[SloResult]:
    """Each threshold against the summary."""
    results = []
    for slo in slos:
        actual = _actual(summary, slo)
        passed = actual is not None and _OPS[slo.op](actual, slo.limit)
        results.append(SloResult(slo=slo, actual=actual, passed=passed))
    return results


def _actual(summary: dict[str, Any], slo: Slo) -> float | None:
    if slo.stat is None:
        return _rate(summary, slo.subject)
    row = summary["flows"].get(slo.subject) or summary["requests"].get(slo.subject)
    value = row.get(slo.stat) if row else None
    return float(value) if value is not None else None


def _rate(summary: dict[str, Any], name: str) -> float | None:
    if name == "throttle_rate":
        calls = sum(summary["outcomes"]["calls"].values())
        return float(summary["throttles"]["rate"]) if calls else None
    logins = summary["outcomes"]["logins"]
    total = sum(logins.values())
    return (total - logins.get("ok", 0)) / total if total else None
