"""``capacity.json`` and ``capacity.html`` from a finished ramp's events: the steps, the highest
rate sustained within the SLOs, the knee, the throttle onset and its category, the quota
model's prediction beside them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loadtest.protocol.quotas import DOMAIN_LIMITS, DomainLimit, DomainLimits, QuotaCategory
from loadtest.report.tables import Table
from loadtest.report.verdict import verdict

from .analysis import Limits, StepResult, highest_sustained, infer_category, knee
from .analysis import onset as find_onset
from .charts import pool_settings_text, write_html
from .ramp import EventLines, RampSettings, Stopped, step_tally

__all__ = [
    "CAPACITY_JSON",
    "analyse",
    "model_prediction",
    "print_findings",
    "target_line",
    "write_results",
]

CAPACITY_JSON = "capacity.json"
KNEE_METHOD = (
    "largest distance below the chord from the first to the last step of p99 (from the "
    "intended start) against achieved logins/s, both axes scaled to [0, 1]"
)
CATEGORY_NOTE = (
    "TooManyRequestsException carries no category: inferred from the throttled operations' "
    "categories, the quota model breaking ties"
)


def write_results(run_dir: Path, result: dict[str, Any]) -> None:
    """``capacity.json`` and ``capacity.html`` in the run folder."""
    (run_dir / CAPACITY_JSON).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_html(run_dir, result)


def analyse(settings: RampSettings, stopped: Stopped, target: Mapping[str, Any]) -> dict[str, Any]:
    """``capacity.json`` from the run's complete events file."""
    tally = step_tally(settings)
    tally.add_all(EventLines(settings.run_dir / "events.jsonl").new())
    steps = tally.results(stopped.stage)
    model = model_prediction(settings.mix, settings.quotas, settings.domain)
    first = find_onset(steps, settings.onset_threshold, consecutive=settings.consecutive)
    best = highest_sustained(steps, settings.slo)
    bend = knee(steps)
    result: dict[str, Any] = {
        "schema": "cognito-loadtest/capacity/1",
        "run_id": settings.run_dir.name,
        "target": dict(target),
        "target_line": target_line(target),
        "mix": settings.mix,
        "quotas": {c.value: r for c, r in sorted(settings.quotas.items())},
        "domain_limits": {limit.value: settings.domain.rate(limit) for limit in DomainLimit},
        "stages": [{"rate": s.start_rate, "seconds": s.seconds} for s in settings.stages],
        "warmup_stages": settings.warmup,
        "arrivals": {"process": settings.arrivals, "seed": settings.arrivals_seed},
        "concurrency": settings.concurrency,
        "processes": settings.processes,
        "slo": _limits(settings.slo),
        "stop": _limits(settings.stop),
        "consecutive": settings.consecutive,
        "onset_threshold": settings.onset_threshold,
        "stopped": {
            "reason": stopped.reason,
            "after_stage": stopped.stage,
            "locust_exit_code": stopped.exit_code,
        },
        "steps": [s.as_json() for s in steps],
        "highest_sustained": _step_ref(best),
        "knee": _with_method(_step_ref(bend)),
        "onset": _onset(first, settings, model),
        "model": model,
        "validity": _validity(settings.run_dir),
    }
    result["findings"] = _findings(result)
    return result


def _limits(limits: Limits) -> dict[str, float]:
    return {
        "throttle_rate": limits.throttle_rate,
        "error_rate": limits.error_rate,
        "p99_ms": limits.p99_ms,
    }


def _step_ref(step: StepResult | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "stage": step.stage,
        "rate": step.rate,
        "achieved_rate": round(step.achieved_rate, 4),
        "p99_intended_ms": step.p99_intended_ms,
    }


def _with_method(knee_ref: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if knee_ref is None else knee_ref | {"method": KNEE_METHOD}


def model_prediction(
    mix: Mapping[str, float],
    quotas: Mapping[QuotaCategory, float],
    domain: DomainLimits = DOMAIN_LIMITS,
) -> dict[str, Any] | None:
    """The quota model's onset for the mix and quotas, or ``None`` if it cannot say: the
    lowest of the categories' and, for HTTP entries, the domain's limits (the generator's
    requests all come from one source IP, loopback's)."""
    try:
        from loadtest.quota.model import QuotaModelError, throttle_onset
    except ImportError:  # pragma: no cover - the model ships with the package
        return None
    try:
        onset = throttle_onset(mix, quotas, domain=domain, source_ips=1)
    except QuotaModelError:
        return None
    return {"onset_rate": round(onset.logins_per_second, 4), "category": onset.category.value}


def _loads(
    mix: Mapping[str, float],
    quotas: Mapping[QuotaCategory, float],
    rate: float,
    domain: DomainLimits,
) -> dict[str, float] | None:
    try:
        from loadtest.quota.model import QuotaModelError, limit_loads
    except ImportError:  # pragma: no cover
        return None
    try:
        return limit_loads(mix, rate, quotas, domain=domain, source_ips=1)
    except QuotaModelError:
        return None


def _onset(
    step: StepResult | None, settings: RampSettings, model: dict[str, Any] | None
) -> dict[str, Any] | None:
    if step is None:
        return None
    loads = _loads(settings.mix, settings.quotas, step.rate, settings.domain)
    category, method = infer_category(step, loads)
    previous = step.stage - 1
    found: dict[str, Any] = {
        "stage": step.stage,
        "rate": step.rate,
        "last_clean_rate": (
            settings.stages[previous].start_rate if previous >= settings.warmup else None
        ),
        "throttle_rate": round(step.throttle_rate, 5),
        "throttled_calls": dict(sorted(step.throttled_calls.items())),
        "category": category,
        "category_method": method,
        "category_note": CATEGORY_NOTE,
    }
    if model is not None:
        found["model_rate"] = model["onset_rate"]
        found["model_category"] = model["category"]
        found["off_model"] = round(step.rate / model["onset_rate"] - 1, 4)
        found["category_agrees"] = category == model["category"]
    return found


def _validity(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / "summary.json"
    if not path.is_file():
        return None
    validity: dict[str, Any] = json.loads(path.read_text("utf-8")).get("validity", {})
    keys = ("trustworthy", "flags", "warnings", "judged", "excluded")
    return {key: validity.get(key) for key in keys}


def target_line(target: Mapping[str, Any]) -> str:
    """The target in one readable line: what, where, which pool, and the local pool's settings
    in words (its command line stays in ``target.pool_options`` for machines)."""
    line = f"target: {target.get('kind') or 'pool'} at {target.get('endpoint_url') or '?'}"
    if target.get("pool_id"):
        line += f", pool {target['pool_id']}"
    if target.get("region"):
        line += f" in {target['region']}"
    options = target.get("pool_options")
    return line + (f" ({'; '.join(pool_settings_text(options))})" if options else "")


def _findings(result: dict[str, Any]) -> dict[str, str]:
    best, bend, first = result["highest_sustained"], result["knee"], result["onset"]
    model = result["model"]
    found = {
        "stopped": str(result["stopped"]["reason"]),
        "highest rate sustained within the SLOs": "none"
        if best is None
        else f"{best['rate']:g} logins/s (achieved {best['achieved_rate']:g})",
        "knee": "none found"
        if bend is None
        else f"{bend['achieved_rate']:g} logins/s achieved, p99 {bend['p99_intended_ms']} ms",
        "throttle onset": "none"
        if first is None
        else f"{first['rate']:g} logins/s, {first['category']} ({first['category_method']})",
        "quota model": "n/a"
        if model is None
        else f"onset {model['onset_rate']:g} logins/s, {model['category']}",
    }
    if first is not None and model is not None:
        found["onset against the model"] = f"{first['off_model']:+.1%}"
    spacing = result.get("arrivals") or {"process": "even"}
    found["arrivals"] = (
        f"poisson (seed {spacing['seed']}): random, as independent clients arrive"
        if spacing["process"] == "poisson"
        else "evenly spaced: real traffic arrives at random and queues more at the same rate "
        "(--arrivals poisson)"
    )
    validity = result.get("validity")
    found["validity"] = (
        verdict({"validity": validity}).line
        if validity is not None
        else "not judged: the run wrote no summary.json"
    )
    return found


def print_findings(result: dict[str, Any], run_dir: Path) -> None:
    """The findings, one a line, their values aligned; then where the files are."""
    rows = [(f"{key}:", value) for key, value in result["findings"].items()]
    for line in Table.of((), rows, text=(0, 1)).lines(gap=1):
        print(line)
    print(f"capacity.json and capacity.html in {run_dir}")
