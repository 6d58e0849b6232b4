"""A Locust plugin for ``make bench``: CPU per login and event-loop lag, measured in the process.

Load it beside a locustfile (``locust -f scenarios/srp.py,benchmarks/probe.py``); it defines
no user. Configured by environment variables so that the scenario's own options stay untouched:

- ``BENCH_PROBE_OUT``: where to write the JSON result (the plugin is inert without it);
- ``BENCH_PROBE_WARMUP`` / ``BENCH_PROBE_WINDOW``: seconds after the test starts before, and
  during which, it measures (so start-up, imports and spawning stay out of the figure);
- ``BENCH_PROBE_PROFILE``: a path to write a cProfile of the window to (the hub's thread);
- ``BENCH_PROBE_LAG``: ``1`` to also sample how late a 1 ms timer fires on the gevent hub
  throughout the window (left off for CPU runs: a timer firing 1000 times a second costs CPU);
- ``BENCH_PROBE_STAGGER``: the run's user count, to start its users evenly over one second
  (:func:`stagger_users`), so that every case sees the same arrivals: evenly spaced logins.

Over the window it reads the process's user + system CPU from ``/proc`` and the completed and
failed logins: Locust's ``login`` rows for the naive comparison user that fires them, our users'
run object for ours (whose Locust rows are API calls only), and the floor's replay counter.
"""

from __future__ import annotations

import cProfile
import itertools
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gevent
from locust import User, events

from benchmarks._procs import process_tree_cpu_s
from benchmarks.replay import REPLAYED

__all__ = ["LagSampler", "Snapshot", "WindowResult", "measure_window", "stagger_users"]

TIMER_S = 0.001
#: The pacing of every benchmark user: one task, then ``constant(1)``.
PERIOD_S = 1.0
#: When each staggered user began (``time.monotonic()``), in start order.
STARTED: list[float] = []


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """Process CPU seconds and login counts at one moment.

    ``cpu_s`` is utime + stime from ``/proc`` (10 ms ticks); ``clock_cpu_s`` is the same
    accounting read through ``CLOCK_PROCESS_CPUTIME_ID`` (nanoseconds), a cross-check.
    """

    wall_s: float
    cpu_s: float
    clock_cpu_s: float
    hub_cpu_s: float
    #: Each thread's scheduled runs so far, by thread id (the hub's is the process id).
    runs: dict[int, int]
    logins: int
    failures: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowResult:
    """What happened between two snapshots, plus the timer lateness samples (ms) if taken."""

    window_s: float
    cpu_s: float
    clock_cpu_s: float
    hub_cpu_s: float
    hub_runs: int
    runs: int
    logins: int
    failures: int
    switch_interval_s: float
    lag_ms: list[float]
    user_starts_s: list[float]


def snapshot(environment: Any) -> Snapshot:
    """CPU from /proc and the logins so far: the ``login`` rows of Locust's statistics, and
    the logins our users handed to their run object."""
    rows = [entry for entry in environment.stats.entries.values() if entry.method == "login"]
    ok, failed = _our_logins(environment)
    ok, failed = ok + REPLAYED["ok"], failed + REPLAYED["failed"]
    return Snapshot(
        wall_s=time.monotonic(),
        cpu_s=process_tree_cpu_s(os.getpid()),
        clock_cpu_s=time.process_time(),
        hub_cpu_s=main_thread_cpu_s(),
        runs={int(task.name): _runs(int(task.name)) for task in Path("/proc/self/task").iterdir()},
        logins=ok + sum(row.num_requests - row.num_failures for row in rows),
        failures=failed + sum(row.num_failures for row in rows),
    )


def main_thread_cpu_s() -> float:
    """CPU seconds of this process's main thread (the gevent hub's), from the scheduler's
    nanosecond account in ``/proc``; the rest of the process's CPU is its native threads'
    (maths, refill, stats writers)."""
    pid = os.getpid()
    return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[0]) / 1e9


def _runs(tid: int) -> int:
    """How many times the scheduler has run a thread of this process (``schedstat``'s third
    field): each wake-up from a wait is one, and a preemption one more. A thread that sleeps
    and wakes per event pays the kernel's wake-up price each time (``wake_cpu_us``)."""
    try:
        return int(Path(f"/proc/{os.getpid()}/task/{tid}/schedstat").read_text().split()[2])
    except (FileNotFoundError, ProcessLookupError):  # the thread ended meanwhile
        return 0


def _our_logins(environment: Any) -> tuple[int, int]:
    from loadtest.locust.run import existing_run

    run = existing_run(environment)
    return run.runtime.login_counts() if run is not None and run.built else (0, 0)


class LagSampler:
    """Sleeps 1 ms on the hub again and again, recording how late each wake-up is (ms)."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    def run_until(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            start = time.perf_counter()
            gevent.sleep(TIMER_S)
            self.samples.append((time.perf_counter() - start - TIMER_S) * 1000)


def measure_window(
    environment: Any,
    *,
    warmup: float,
    window: float,
    lag: bool,
    profiler: cProfile.Profile | None = None,
) -> WindowResult:
    """Wait ``warmup`` seconds, then measure for ``window`` seconds (on the calling greenlet).

    With a ``profiler``, the hub's thread (every greenlet; not the maths threads) is profiled
    over the window only, so start-up and warm-up stay out of the profile.
    """
    gevent.sleep(warmup)
    if profiler is not None:
        profiler.enable()
    first = snapshot(environment)
    sampler = LagSampler()
    if lag:
        sampler.run_until(first.wall_s + window)
    else:
        gevent.sleep(window)
    last = snapshot(environment)
    if profiler is not None:
        profiler.disable()
    return WindowResult(
        window_s=last.wall_s - first.wall_s,
        cpu_s=last.cpu_s - first.cpu_s,
        clock_cpu_s=last.clock_cpu_s - first.clock_cpu_s,
        hub_cpu_s=last.hub_cpu_s - first.hub_cpu_s,
        hub_runs=last.runs.get(os.getpid(), 0) - first.runs.get(os.getpid(), 0),
        runs=sum(n - first.runs.get(tid, 0) for tid, n in last.runs.items()),  # a thread
        # that ended inside the window is left out: its runs are lost with it
        logins=last.logins - first.logins,
        failures=last.failures - first.failures,
        switch_interval_s=sys.getswitchinterval(),
        lag_ms=sampler.samples,
        user_starts_s=sorted(STARTED),
    )


def stagger_users(users: int, period: float = PERIOD_S) -> None:
    """Start the k-th user ``(k mod users) / users`` of a ``period`` late, before its ``on_start``.

    Locust starts ``floor(spawn rate)`` users at once, so the benchmark's ``-r`` = ``-u`` starts
    them all in the same instant; users of equal pacing whose task costs nothing (the floor's
    replay) then stay in step for the whole run: under ``strace`` one ``epoll_wait`` of the
    floor returned 9 answers at once, and its hub woke about 0.6 times a login where ours,
    spread by its maths, woke about 3 times. A client pays a wake-up per answer unless
    answers happen to coincide, which real arrivals do not arrange. Staggered, every case
    (ours, the floor, the naive user) runs the same evenly spaced logins.
    """
    original: Callable[[Any], None] = User.run
    order = itertools.count()

    def run(self: User) -> None:
        gevent.sleep(period * (next(order) % users) / users)
        self.random_phase = False  # type: ignore[attr-defined]  # evenly spaced (locust.phase)
        STARTED.append(time.monotonic())
        original(self)

    User.run = run  # type: ignore[misc,method-assign]  # final in Locust; wrapped here only


def _probe(environment: Any, out: Path) -> None:
    profile_to = os.environ.get("BENCH_PROBE_PROFILE")
    # thread CPU time, not wall time: the hub's idle waits would otherwise dominate
    profiler = cProfile.Profile(time.thread_time) if profile_to else None
    result = measure_window(
        environment,
        warmup=float(os.environ.get("BENCH_PROBE_WARMUP", "3")),
        window=float(os.environ.get("BENCH_PROBE_WINDOW", "10")),
        lag=os.environ.get("BENCH_PROBE_LAG") == "1",
        profiler=profiler,
    )
    if profiler is not None and profile_to:
        profiler.dump_stats(profile_to)
    out.write_text(json.dumps(asdict(result)))


def _on_test_start(environment: Any, **_: Any) -> None:
    out = os.environ.get("BENCH_PROBE_OUT")
    if out:
        gevent.spawn(_probe, environment, Path(out))


events.test_start.add_listener(_on_test_start)  # type: ignore[no-untyped-call]
if os.environ.get("BENCH_PROBE_OUT") and os.environ.get("BENCH_PROBE_STAGGER"):
    stagger_users(int(os.environ["BENCH_PROBE_STAGGER"]))
