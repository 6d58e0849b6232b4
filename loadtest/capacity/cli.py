"""``cognito-loadtest capacity``: a step ramp of the open model until the ceiling or a stop
condition, and what it found: the highest rate sustained within the SLOs, the knee, the first
throttle onset and its quota category, against the quota model's prediction.

By default it targets an embedded local pool: it starts one without quotas, provisions users for
the mix (sized to the ceiling: each TOTP login needs an identity of its own per 30 s step),
restarts the pool on the same state with the quotas under test, and runs the ramp there. Given
``--cognito-pool-id`` (and client, endpoint, identities: the same settings as ``run``), it ramps
that pool instead, after stating the target and, for a pool that is not local, only with
``--confirm-pool-id`` repeating its id.

The ramp runs as one Locust run of ``scenarios/open_logins.py`` (``--processes N`` for more
generator cores); this command follows its ``events.jsonl`` and stops it (SIGTERM: Locust writes
its report) after the first step that trips a stop condition. Output, in
``reports/<run-id>/``: ``capacity.json`` (machine-readable), ``capacity.html`` (the charts),
and the run's own ``events.jsonl``, ``summary.json`` and ``report.html``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadtest.protocol.quotas import DEFAULT_RPS, QuotaCategory

from .analysis import (
    Limits,
    StepResult,
    StepTally,
    highest_sustained,
    infer_category,
    knee,
    stop_reason,
)
from .analysis import onset as find_onset
from .charts import write_html
from .kinds import IdentityNeeds, check_mix, needs_of
from .schedule import ScheduleError, Stage, duration, most_in_window, parse_mix, step_ramp

__all__ = [
    "CAPACITY_JSON",
    "RampSettings",
    "free_port",
    "ramp_stages",
    "register",
    "run_ramp",
]

CAPACITY_JSON = "capacity.json"
#: Hard maxima (beyond them: --allow-above-max).
MAX_CEILING, MAX_CONCURRENCY, MAX_SECONDS, MAX_PROCESSES = 2000.0, 1000, 3600.0, 16
#: Seconds after a step's last arrival before it is judged (logins in flight finish).
SETTLE_S = 1.5
KNEE_METHOD = (
    "largest distance below the chord from the first to the last step of p99 (from the "
    "intended start) against achieved logins/s, both axes scaled to [0, 1]"
)
CATEGORY_NOTE = (
    "TooManyRequestsException carries no category: inferred from the throttled operations' "
    "categories, the quota model breaking ties"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``capacity`` to the command line."""
    parser = subparsers.add_parser(
        "capacity",
        help="step-ramp the open model: highest sustained rate, knee, throttle onset",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    ramp = parser.add_argument_group("ramp")
    ramp.add_argument(
        "--mix",
        default="srp=1",
        help="FLOW=WEIGHT,... (srp, srp_totp, device, device_new); default srp=1",
    )
    ramp.add_argument("--start", type=float, default=5.0, help="first step, logins/s (5)")
    ramp.add_argument("--step", type=float, default=5.0, help="increase per step, logins/s (5)")
    ramp.add_argument("--step-seconds", type=float, default=10.0, help="step length (10 s)")
    ramp.add_argument("--ceiling", type=float, default=50.0, help="last step, logins/s (50)")
    ramp.add_argument(
        "--warmup",
        type=float,
        default=5.0,
        help="seconds at the first step's rate before the ramp, not judged (5): "
        "connections, SRP ephemerals and the pool warm up",
    )
    ramp.add_argument(
        "--concurrency", type=int, default=100, help="most logins in flight (Locust users; 100)"
    )
    ramp.add_argument(
        "--max-wait",
        type=float,
        default=0.0,
        help="seconds an arrival may wait for a free slot before it is dropped",
    )
    ramp.add_argument("--processes", type=int, default=0, help="Locust worker processes")
    limits = parser.add_argument_group("SLOs and stop conditions")
    limits.add_argument("--slo-p99", type=float, default=1000.0, help="ms from the intended start")
    limits.add_argument("--slo-throttle-rate", type=float, default=0.001)
    limits.add_argument("--slo-error-rate", type=float, default=0.01, help="failed or dropped")
    limits.add_argument("--stop-p99", type=float, default=5000.0, help="ms; stops the ramp")
    limits.add_argument("--stop-throttle-rate", type=float, default=0.05, help="stops the ramp")
    limits.add_argument("--stop-error-rate", type=float, default=0.10, help="stops the ramp")
    limits.add_argument(
        "--consecutive",
        type=int,
        default=2,
        help="steps in a row a stop condition must trip, and the onset threshold hold, for "
        "either to count (2: one hiccup is not a trend)",
    )
    limits.add_argument(
        "--onset-threshold",
        type=float,
        default=0.01,
        help="share of a step's logins throttled that marks the onset (1%%)",
    )
    local = parser.add_argument_group("embedded local pool (the default target)")
    local.add_argument(
        "--quota",
        action="append",
        default=[],
        metavar="CATEGORY=RPS",
        help="a quota under test (repeatable); also given to the model",
    )
    local.add_argument(
        "--quota-scale",
        type=float,
        default=1.0,
        help="scale every default quota by this factor first (e.g. 0.2)",
    )
    local.add_argument(
        "--burst-seconds",
        type=float,
        default=0.2,
        help="the pool's token-bucket burst (0.2 s: a 1 s bucket takes 1/x s to "
        "drain at x over a quota, longer than a short step)",
    )
    local.add_argument("--pool-workers", type=int, default=2, help="pool worker processes")
    local.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="a pool fault (see 'pool serve --fault')",
    )
    local.add_argument(
        "--private",
        type=Path,
        default=Path(".cognito-loadtest"),
        help="folder for the pool state and identities (secrets; mode 0700)",
    )
    real = parser.add_argument_group("a real pool instead (same settings as 'run')")
    from loadtest.users.options import OPTIONS

    for setting, option, env_var, help_text in OPTIONS:
        real.add_argument(option, dest=setting, help=f"{help_text} (env {env_var})")
    real.add_argument(
        "--confirm-pool-id", help="repeat the pool id: needed for a pool that is not local"
    )
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="output folder")
    parser.add_argument("--run-id", help="default: capacity-<UTC time>")
    parser.add_argument(
        "--allow-above-max",
        action="store_true",
        help=f"allow a ceiling above {MAX_CEILING:g}/s, concurrency above "
        f"{MAX_CONCURRENCY}, a ramp longer than {MAX_SECONDS:g} s",
    )
    parser.set_defaults(handler=_handle)


@dataclass(frozen=True, slots=True, kw_only=True)
class RampSettings:
    """One ramp: schedule (the warm-up stages first), mix, sizes, limits, where to write."""

    stages: list[Stage]
    warmup: int
    mix: dict[str, float]
    concurrency: int
    processes: int
    max_wait: float
    slo: Limits
    stop: Limits
    onset_threshold: float
    consecutive: int
    run_dir: Path
    quotas: Mapping[QuotaCategory, float]


def _handle(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
    except (ScheduleError, ValueError) as exc:
        print(f"cognito-loadtest capacity: {exc}", file=sys.stderr)
        return 2
    from loadtest.safety import UnsafeTarget

    try:
        if args.pool_id:
            result = _ramp_real_pool(args, settings)
        else:
            result = _ramp_embedded_pool(args, settings)
    except (UnsafeTarget, FileExistsError, ValueError) as exc:
        print(f"cognito-loadtest capacity: {exc}", file=sys.stderr)
        return 2
    _print(result, settings.run_dir)
    return 0 if result["steps"] else 1


def _settings(args: argparse.Namespace) -> RampSettings:
    mix = parse_mix(args.mix)
    check_mix(mix)
    stages, warmup = ramp_stages(
        start=args.start,
        step=args.step,
        step_seconds=args.step_seconds,
        ceiling=args.ceiling,
        warmup=args.warmup,
    )
    _check_bounds(args, stages)
    run_id = args.run_id or datetime.now(UTC).strftime("capacity-%Y%m%d-%H%M%S")
    return RampSettings(
        stages=stages,
        warmup=warmup,
        mix=mix,
        concurrency=args.concurrency,
        processes=args.processes,
        max_wait=args.max_wait,
        slo=Limits(
            throttle_rate=args.slo_throttle_rate,
            error_rate=args.slo_error_rate,
            p99_ms=args.slo_p99,
        ),
        stop=Limits(
            throttle_rate=args.stop_throttle_rate,
            error_rate=args.stop_error_rate,
            p99_ms=args.stop_p99,
        ),
        onset_threshold=args.onset_threshold,
        consecutive=max(1, args.consecutive),
        run_dir=args.reports / run_id,
        quotas=quotas_under_test(args.quota, args.quota_scale),
    )


def ramp_stages(
    *, start: float, step: float, step_seconds: float, ceiling: float, warmup: float
) -> tuple[list[Stage], int]:
    """The step ramp, after a warm-up stage at the start rate (if ``warmup`` seconds > 0);
    returns the stages and how many of them are warm-up."""
    stages = step_ramp(start=start, step=step, step_seconds=step_seconds, ceiling=ceiling)
    if warmup <= 0:
        return stages, 0
    return [Stage(start_rate=start, end_rate=start, seconds=warmup), *stages], 1


def _check_bounds(args: argparse.Namespace, stages: list[Stage]) -> None:
    if args.allow_above_max:
        return
    over = []
    if args.ceiling > MAX_CEILING:
        over.append(f"--ceiling {args.ceiling:g} is above {MAX_CEILING:g} logins/s")
    if args.concurrency > MAX_CONCURRENCY or args.concurrency < 1:
        over.append(f"--concurrency must be 1 to {MAX_CONCURRENCY}")
    if duration(stages) > MAX_SECONDS:
        over.append(f"the ramp lasts {duration(stages):g} s, above {MAX_SECONDS:g} s")
    if args.processes > MAX_PROCESSES:
        over.append(f"--processes above {MAX_PROCESSES}")
    if over:
        raise ValueError("; ".join(over) + " (--allow-above-max to go beyond, deliberately)")


def quotas_under_test(texts: list[str], scale: float) -> dict[QuotaCategory, float]:
    """Every category's quota: the defaults times ``scale``, then ``CATEGORY=RPS`` overrides."""
    if scale <= 0:
        raise ValueError("--quota-scale must be positive")
    quotas = {category: rps * scale for category, rps in DEFAULT_RPS.items()}
    for text in texts:
        name, sep, value = text.partition("=")
        try:
            quotas[QuotaCategory(name.strip())] = float(value)
        except ValueError:
            raise ValueError(f"not a quota: {text!r} (use CATEGORY=RPS)") from None
        if not sep:
            raise ValueError(f"not a quota: {text!r} (use CATEGORY=RPS)")
    return quotas


# -- targets ---------------------------------------------------------------------------------
def _ramp_embedded_pool(args: argparse.Namespace, settings: RampSettings) -> dict[str, Any]:
    from loadtest.pool.launch import LOCAL_CREDENTIALS_ENV
    from loadtest.safety import guard_target

    from .target import embedded_pool, pool_options

    needs = identity_needs(settings)
    print(
        f"capacity: target: an embedded local pool started by this command "
        f"({needs.plain} plain, {needs.totp} TOTP, {needs.device} device users), quotas "
        f"{_quota_text(settings.quotas)}",
        file=sys.stderr,
        flush=True,
    )
    options = pool_options(
        settings.quotas,
        burst_seconds=args.burst_seconds,
        workers=args.pool_workers,
        faults=args.fault,
    )
    private = args.private / settings.run_dir.name
    with embedded_pool(private, needs, options, run=settings.run_dir.name) as target:
        guard_target(
            endpoint_url=target.pool.url,
            region=None,
            pool_id=target.app.pool_id,
            confirm_pool_id=None,
        )
        env = {
            **LOCAL_CREDENTIALS_ENV,
            "COGNITO_POOL_ID": target.app.pool_id,
            "COGNITO_CLIENT_ID": target.app.client_id,
            "COGNITO_ENDPOINT_URL": target.pool.url,
            "COGNITO_IDENTITIES": str(target.identities),
        }
        described = {
            "kind": "embedded local pool",
            "endpoint_url": target.pool.url,
            "pool_id": target.app.pool_id,
            "pool_options": options,
        }
        return run_ramp(settings, env, described)


def _ramp_real_pool(args: argparse.Namespace, settings: RampSettings) -> dict[str, Any]:
    from loadtest.safety import guard_target
    from loadtest.users.config import TargetConfig
    from loadtest.users.options import CONFIRM_ENV, OPTIONS

    config = TargetConfig.from_settings({s: getattr(args, s) for s, *_ in OPTIONS})
    guard_target(
        endpoint_url=config.endpoint_url,
        region=config.region,
        pool_id=config.pool_id,
        confirm_pool_id=args.confirm_pool_id,
    )
    if config.identities is None:
        raise ValueError("a real pool needs its identities file (--cognito-identities)")
    _check_identities(config.identities, identity_needs(settings))
    env = {env_var: str(getattr(args, s)) for s, _o, env_var, _h in OPTIONS if getattr(args, s)}
    if args.confirm_pool_id:
        env[CONFIRM_ENV] = args.confirm_pool_id
    described = {
        "kind": "user pool",
        "endpoint_url": config.endpoint_url,
        "pool_id": config.pool_id,
        "region": config.region,
    }
    return run_ramp(settings, env, described)


def _check_identities(path: Path, needs: IdentityNeeds) -> None:
    """Warn when the identities file holds fewer of a group than the ramp needs."""
    from loadtest.flows import load_identities

    have = {"plain": 0, "totp": 0, "device": 0}
    for identity in load_identities(path):
        group = "device" if identity.device else "totp" if identity.totp_secret else "plain"
        have[group] += 1
    for group, count in have.items():
        wanted = getattr(needs, group)
        if count < wanted:
            print(
                f"capacity: warning: {path} has {count} {group} identities, the ramp needs "
                f"{wanted}: arrivals without one are dropped (reason no_identity)",
                file=sys.stderr,
            )


def identity_needs(settings: RampSettings) -> IdentityNeeds:
    """Identities of each group the ramp needs (see :func:`loadtest.capacity.kinds.needs_of`)."""
    peak = max(max(s.start_rate, s.end_rate) for s in settings.stages)
    return needs_of(settings.mix, peak, most_in_window(settings.stages, 30.0))


def _quota_text(quotas: Mapping[QuotaCategory, float]) -> str:
    changed = {c: r for c, r in quotas.items() if r != DEFAULT_RPS[c]}
    if not changed:
        return "the defaults"
    return ", ".join(f"{c.value}={r:g}" for c, r in sorted(changed.items()))


# -- the ramp ----------------------------------------------------------------------------------
def run_ramp(
    settings: RampSettings, target_env: Mapping[str, str], target: Mapping[str, Any]
) -> dict[str, Any]:
    """Run the ramp as one Locust run, stop it on a stop condition, write the results."""
    run_dir = settings.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    total = duration(settings.stages)
    stages_text = ",".join(f"{s.start_rate:g}:{s.seconds:g}s" for s in settings.stages)
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(_scenario()),
        "--headless",
        "-u",
        str(settings.concurrency),
        "-r",
        str(settings.concurrency),
        "-t",
        f"{math.ceil(total) + 60}s",
        "--stop-timeout",
        "5",
        "--only-summary",
        "--csv",
        str(run_dir / "locust"),
        "--cognito-stages",
        stages_text,
        "--cognito-mix",
        ",".join(f"{k}={v:g}" for k, v in settings.mix.items()),
        "--cognito-max-wait",
        f"{settings.max_wait:g}",
    ]
    if settings.processes:
        port = str(free_port())  # not 5557: another run on this machine may hold it
        command += ["--processes", str(settings.processes)]
        command += ["--master-bind-port", port, "--master-port", port]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    env |= dict(target_env) | {"COGNITO_REPORT_DIR": str(run_dir)}
    print(f"capacity: {len(settings.stages)} steps, {stages_text}", file=sys.stderr, flush=True)
    with (run_dir / "locust.log").open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        stopped = _follow(process, settings, deadline=time.monotonic() + total + 180)
    result = analyse(settings, stopped, target)
    (run_dir / CAPACITY_JSON).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_html(run_dir, result)
    return result


def free_port() -> int:
    """A loopback TCP port free right now (for the Locust master of a --processes run)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _scenario() -> Path:
    from loadtest.users.cli import SCENARIO_DIR

    return SCENARIO_DIR / "open_logins.py"


@dataclass(frozen=True, slots=True, kw_only=True)
class Stopped:
    """Why the ramp ended, and after which step."""

    reason: str
    stage: int | None
    exit_code: int | None


def _follow(
    process: subprocess.Popen[bytes], settings: RampSettings, *, deadline: float
) -> Stopped:
    """Follow events.jsonl while Locust runs; SIGTERM it after a step trips a stop condition."""
    events = settings.run_dir / "events.jsonl"
    tally, reader = StepTally(settings.stages, warmup=settings.warmup), _Lines(events)
    judged, streak = settings.warmup, 0
    reason: str | None = None
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
        tally.add_all(reader.new())
        while reason is None and judged < len(settings.stages):
            end = tally.end_of(judged)
            if end is None or time.time() < end + SETTLE_S:
                break
            step = [s for s in tally.results(judged) if s.stage == judged]
            tripped = stop_reason(step[0], settings.stop) if step else None
            streak = streak + 1 if tripped else 0
            reason = tripped if streak >= settings.consecutive else None
            judged += 1
        if reason is not None:
            process.send_signal(signal.SIGTERM)
            break
    try:
        process.wait(timeout=max(30.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return Stopped(reason="timed out: killed", stage=judged - 1, exit_code=None)
    if reason is not None:
        return Stopped(reason=reason, stage=judged - 1, exit_code=process.returncode)
    return Stopped(reason="ceiling", stage=None, exit_code=process.returncode)


class _Lines:
    """Complete new lines of a growing JSON-lines file, parsed."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    def new(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        found = []
        for line in complete.splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                found.append(event)
        return found


# -- results -----------------------------------------------------------------------------------
def analyse(settings: RampSettings, stopped: Stopped, target: Mapping[str, Any]) -> dict[str, Any]:
    """``capacity.json`` from the run's complete events file."""
    tally = StepTally(settings.stages, warmup=settings.warmup)
    tally.add_all(_Lines(settings.run_dir / "events.jsonl").new())
    steps = tally.results(stopped.stage)
    model = model_prediction(settings.mix, settings.quotas)
    first = find_onset(steps, settings.onset_threshold, consecutive=settings.consecutive)
    best = highest_sustained(steps, settings.slo)
    bend = knee(steps)
    result: dict[str, Any] = {
        "schema": "cognito-loadtest/capacity/1",
        "run_id": settings.run_dir.name,
        "target": dict(target),
        "target_line": _target_line(target),
        "mix": settings.mix,
        "quotas": {c.value: r for c, r in sorted(settings.quotas.items())},
        "stages": [{"rate": s.start_rate, "seconds": s.seconds} for s in settings.stages],
        "warmup_stages": settings.warmup,
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
    mix: Mapping[str, float], quotas: Mapping[QuotaCategory, float]
) -> dict[str, Any] | None:
    """The quota model's onset for the mix and quotas, or ``None`` if it cannot say."""
    try:
        from loadtest.quota.model import QuotaModelError, throttle_onset
    except ImportError:  # pragma: no cover - the model ships with the package
        return None
    try:
        onset = throttle_onset(mix, quotas)
    except QuotaModelError:
        return None
    return {"onset_rate": round(onset.logins_per_second, 4), "category": onset.category.value}


def _loads(
    mix: Mapping[str, float], quotas: Mapping[QuotaCategory, float], rate: float
) -> dict[str, float] | None:
    try:
        from loadtest.quota.model import QuotaModelError, category_rates
    except ImportError:  # pragma: no cover
        return None
    try:
        rates = category_rates(mix, rate, quotas)
    except QuotaModelError:
        return None
    return {c.value: d / quotas[c] for c, d in rates.items() if quotas.get(c)}


def _onset(
    step: StepResult | None, settings: RampSettings, model: dict[str, Any] | None
) -> dict[str, Any] | None:
    if step is None:
        return None
    category, method = infer_category(step, _loads(settings.mix, settings.quotas, step.rate))
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
    return {"trustworthy": validity.get("trustworthy"), "warnings": validity.get("warnings")}


def _target_line(target: Mapping[str, Any]) -> str:
    return "target: " + ", ".join(f"{k} {v}" for k, v in target.items())


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
    return found


def _print(result: dict[str, Any], run_dir: Path) -> None:
    for key, value in result["findings"].items():
        print(f"{key}: {value}")
    print(f"capacity.json and capacity.html in {run_dir}")
