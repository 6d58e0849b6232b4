"""One capacity ramp as a Locust run of the open model: its settings, the Locust command, and
following ``events.jsonl`` to stop the run after the first steps that trip a stop condition
(SIGTERM: Locust then writes its report)."""

from __future__ import annotations

import functools
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.protocol.quotas import DEFAULT_RPS, DOMAIN_LIMITS, DomainLimits, QuotaCategory
from loadtest.protocol.units import parse_quota
from loadtest.target.launch import free_port

from .analysis import Limits, StepTally, stop_reason
from .kinds import IdentityNeeds, needs_of
from .schedule import Stage, arrivals, duration, most_in_window, step_ramp

__all__ = [
    "EventLines",
    "RampRefused",
    "RampSettings",
    "Stopped",
    "identity_needs",
    "quotas_under_test",
    "ramp_stages",
    "run_locust_ramp",
    "warmup_seconds",
]

#: Seconds after a step's last arrival before it is judged (logins in flight finish).
SETTLE_S = 1.5
#: The exit code of a Locust run the scenario's checks refused at its start (bad settings, an
#: unreachable endpoint, an unconfirmed pool, no identity that fits): nothing was measured.
REFUSED_EXIT = 2


class RampRefused(ValueError):
    """The ramp's Locust process refused to start: one line saying why, and where its log is."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RampSettings:
    """One ramp: schedule (the warm-up stages first), mix, sizes, limits, where to write."""

    stages: list[Stage]
    warmup: int
    mix: dict[str, float]
    concurrency: int
    processes: int
    max_wait: float
    #: How the schedule spaces its arrivals, and the seed of its draws
    #: (:func:`~loadtest.capacity.schedule.arrivals`).
    arrivals: str = "even"
    arrivals_seed: int = 1
    slo: Limits
    stop: Limits
    onset_threshold: float
    consecutive: int
    run_dir: Path
    quotas: Mapping[QuotaCategory, float]
    #: The domain's bulk limits under test (``--quota-scale`` scales them too).
    domain: DomainLimits = DOMAIN_LIMITS


def ramp_stages(
    *, start: float, step: float, step_seconds: float, ceiling: float, warmup: float
) -> tuple[list[Stage], int]:
    """The step ramp, after a warm-up stage at the start rate (if ``warmup`` seconds > 0);
    returns the stages and how many of them are warm-up."""
    stages = step_ramp(start=start, step=step, step_seconds=step_seconds, ceiling=ceiling)
    if warmup <= 0:
        return stages, 0
    return [Stage(start_rate=start, end_rate=start, seconds=warmup), *stages], 1


def quotas_under_test(texts: list[str], scale: float) -> dict[QuotaCategory, float]:
    """Every category's quota: the defaults times ``scale``, then ``CATEGORY=RPS`` overrides."""
    if scale <= 0:
        raise ValueError("--quota-scale must be positive")
    quotas = {category: rps * scale for category, rps in DEFAULT_RPS.items()}
    return quotas | dict(parse_quota(text) for text in texts)


def identity_needs(settings: RampSettings) -> IdentityNeeds:
    """Identities of each group the ramp needs (see :func:`loadtest.capacity.kinds.needs_of`)."""
    peak = max(max(s.start_rate, s.end_rate) for s in settings.stages)
    return needs_of(settings.mix, peak, most_in_window(settings.stages, 30.0))


def scheduled_per_step(settings: RampSettings) -> list[int] | None:
    """The arrivals each step holds, for poisson arrivals (the seeded draws; ``None`` for even
    ones, whose steps hold the integral of their rate): what a step's started logins are
    judged against."""
    if settings.arrivals != "poisson":
        return None
    return list(_drawn_per_step(tuple(settings.stages), settings.arrivals_seed))


@functools.lru_cache(maxsize=4)
def _drawn_per_step(stages: tuple[Stage, ...], seed: int) -> tuple[int, ...]:
    """Poisson arrivals per step, drawn once per schedule: the ramp's live tally and the
    analysis after it judge against the same counts (the flows do not move the times)."""
    drawn = Counter(a.stage for a in arrivals(stages, {"srp": 1}, process="poisson", seed=seed))
    return tuple(drawn[i] for i in range(len(stages)))


def step_tally(settings: RampSettings) -> StepTally:
    """An empty tally of the ramp's steps, judged against what each was scheduled to hold."""
    return StepTally(
        settings.stages, warmup=settings.warmup, scheduled=scheduled_per_step(settings)
    )


def warmup_seconds(settings: RampSettings) -> float:
    """How long the warm-up stages last: their arrivals are written but are not results (the
    report leaves them out of its figures and its validity)."""
    return duration(settings.stages[: settings.warmup])


def run_locust_ramp(settings: RampSettings, target_env: Mapping[str, str]) -> Stopped:
    """Run the ramp as one Locust run; stop it on a stop condition; say why it ended."""
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
        "--cognito-arrivals",
        settings.arrivals,
        "--cognito-arrivals-seed",
        str(settings.arrivals_seed),
        "--cognito-warmup",
        f"{warmup_seconds(settings):g}",
    ]
    if settings.processes:
        port = str(free_port())  # not 5557: another run on this machine may hold it
        command += ["--processes", str(settings.processes)]
        command += ["--master-bind-port", port, "--master-port", port]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    env |= dict(target_env) | {"COGNITO_REPORT_DIR": str(run_dir)}
    print(f"capacity: {len(settings.stages)} steps, {stages_text}", file=sys.stderr, flush=True)
    log_path = run_dir / "locust.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        stopped = _follow(process, settings, deadline=time.monotonic() + total + 180)
    if stopped.reason == "ceiling" and stopped.exit_code == REFUSED_EXIT:
        raise RampRefused(
            f"the ramp's Locust process refused to start: {_last_error(log_path)} "
            f"(its log: {log_path})"
        )
    return stopped


def _last_error(log: Path) -> str:
    """The last error record of a Locust log in one line, without Locust's time and logger
    prefix (a record's continuation lines, such as a list of bad settings, joined on)."""
    lines = log.read_text("utf-8", errors="replace").splitlines()
    starts = [i for i, line in enumerate(lines) if "/ERROR/" in line or "/CRITICAL/" in line]
    if not starts:
        return f"exit code {REFUSED_EXIT}"
    first = starts[-1]
    record = [lines[first].split(": ", 1)[-1].strip()]
    for line in lines[first + 1 :]:
        if line.startswith("["):  # the next record
            break
        record.append(line.strip())
    return " ".join(part for part in record if part)


def _scenario() -> Path:
    from loadtest.target.scenarios import SCENARIO_DIR

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
    tally, reader = step_tally(settings), EventLines(events)
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


class EventLines:
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
