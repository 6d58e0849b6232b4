"""Run one bounded headless Locust process for the generator benchmark and read its probe.

Every run loads :mod:`benchmarks.probe` beside its locustfile, which measures CPU (from
``/proc``) and completed logins over a window after a warm-up, and optionally the event-loop
lag; Locust's stats CSV is read too, for the failures of the whole run.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._procs import child_env

__all__ = ["LocustRun", "Probe", "ProbeResult", "run_locust"]

PROBE = Path(__file__).with_name("probe.py")


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """When the in-process probe measures, and whether it samples the loop lag."""

    warmup: float
    window: float
    lag: bool = False

    @property
    def run_time(self) -> int:
        """Locust's ``-t``: the window, its warm-up and three seconds to write the result (one
        was too few on a loaded machine: Locust stopped before the probe had written)."""
        return int(self.warmup + self.window + 3.999)


@dataclass(frozen=True, slots=True, kw_only=True)
class LocustRun:
    """One Locust process: locustfile, user classes, users, extra argv and environment."""

    name: str
    locustfile: Path
    users: int
    user_classes: Sequence[str] = ()
    argv: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """What one run measured over its window, and the whole run's failures from the CSV."""

    window_s: float
    cpu_s: float
    clock_cpu_s: float
    hub_cpu_s: float
    logins: int
    failures: int
    csv_failures: int
    lag_ms: list[float]
    switch_interval_s: float
    #: When each user began its first task, staggered (monotonic seconds, sorted).
    user_starts_s: list[float] = field(default_factory=list)
    #: Times the scheduler ran the hub's thread, and any of the process's threads (wake-ups,
    #: and preemptions), over the window.
    hub_runs: int = 0
    runs: int = 0

    @property
    def cpu_ms_per_login(self) -> float:
        """The Locust process's CPU per login, every thread, from the scheduler's nanosecond
        account (``CLOCK_PROCESS_CPUTIME_ID``). ``/proc``'s utime + stime (``cpu_s``) counts
        10 ms ticks, a few hundred over a window: too coarse for a case under 1 ms a login,
        and a process that wakes on timers can fall between ticks."""
        return self.clock_cpu_s * 1000 / max(self.logins, 1)

    @property
    def hub_ms_per_login(self) -> float:
        """The gevent hub's (main thread's) share of :attr:`cpu_ms_per_login`."""
        return self.hub_cpu_s * 1000 / max(self.logins, 1)

    @property
    def hub_runs_per_login(self) -> float:
        """The hub's scheduled runs per login (each a wake-up, or a preemption)."""
        return self.hub_runs / max(self.logins, 1)

    @property
    def runs_per_login(self) -> float:
        """Every thread's scheduled runs per login: the hub's, the maths threads', the rest."""
        return self.runs / max(self.logins, 1)

    @property
    def logins_per_s(self) -> float:
        return self.logins / self.window_s


def run_locust(run: LocustRun, probe: Probe, workdir: Path) -> ProbeResult:
    """Run Locust headless, bounded in users and time; raise if the probe wrote nothing."""
    out = workdir / f"{run.name}.probe.json"
    out.unlink(missing_ok=True)
    prefix = workdir / run.name
    command = [
        sys.executable, "-m", "locust", "-f", f"{run.locustfile},{PROBE}",
        "--headless", "-u", str(run.users), "-r", str(run.users), "-t", f"{probe.run_time}s",
        "--stop-timeout", "2", "--only-summary", "--csv", str(prefix), *run.argv,
        *run.user_classes,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    env = child_env(env | dict(run.env) | _probe_env(probe, out, run.users))
    with (workdir / f"{run.name}.log").open("w") as log:
        subprocess.run(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=probe.run_time + 60
        )
    if not out.exists():
        tail = (workdir / f"{run.name}.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"{run.name}: no probe result; its log ends:\n{tail}")
    data: dict[str, Any] = json.loads(out.read_text())
    return ProbeResult(**data, csv_failures=_csv_failures(Path(f"{prefix}_stats.csv")))


def _probe_env(probe: Probe, out: Path, users: int) -> dict[str, str]:
    return {
        "BENCH_PROBE_STAGGER": str(users),  # users start evenly over a second
        "BENCH_PROBE_OUT": str(out),
        "BENCH_PROBE_WARMUP": str(probe.warmup),
        "BENCH_PROBE_WINDOW": str(probe.window),
        "BENCH_PROBE_LAG": "1" if probe.lag else "0",
    }


def _csv_failures(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]
    return sum(int(row["Failure Count"]) for row in rows)
