"""The load generator's own cost: CPU per login, its floor, event-loop lag, the obvious baseline.

Against the local pool (``--no-quotas``, users created through its admin API), in one run, in
alternating rounds (each round runs every case once, so background noise spreads over all):

- ``srp_login_cpu_ms`` / ``srp_totp_login_cpu_ms``: the CPU the kernel accounts (every thread)
  of a headless Locust process running ``scenarios/srp.py`` / ``scenarios/srp_totp.py``, over a
  window after warm-up, divided by the logins completed in it (:mod:`benchmarks.probe`), each
  writing its report (``--cognito-report-dir``) as every real run does; beside it
  ``srp_totp_login_no_report_cpu_ms``, the same without the report, to show what it costs;
- the floor: one raw gmpy2 exponentiation (3072-bit base, 512-bit exponent, ``powmod_512_ms``)
  plus the bare cost of the login's HTTP calls through the same client, each answer in one
  segment after ``REPLAY_DELAY_MS``, as a real server answers
  (:mod:`benchmarks.locust_floor` replaying a recorded login, ``floor_http_*_ms``); and at 100
  users the same floor measured in place (``floor_in_place_busy_ms``): the replay doing its one
  exponentiation on the hub between the first answer and the second request, as a minimal
  client must, so that the powmod pays the wake-ups and cold caches a login's maths pays;
- ``thin_*``: at 100 users, the thinnest real SRP + TOTP login we can write in Python
  (:mod:`benchmarks.locust_thin`: the protocol's three calls and its maths on the same native
  threads, no flow, driver or report), against the same pool: what any Python client of this
  design pays over the floor, and how much of ours is our layers;
- ``loop_lag_*``: how late a 1 ms timer fires on the Locust process's gevent hub, p50 / p99,
  with the maths on native threads (the default; report on), on native threads made nicer
  than the hub (``--cognito-math-niceness``) and inline (``--cognito-math inline``), at the
  same load; and with no maths at all (the floor's replay), to show what gevent and Locust cost;
- ``naive_*``: the same logins by a Locust user built the obvious way, boto3 + pycognito
  (:mod:`benchmarks.locust_naive`);
- ``refill_*``: the hub lag a background refill of the ephemeral stock causes, with the GIL
  held between the table's GMP calls (before the fix), released (now), and as one GIL-free
  ``powmod_exp_list`` call (:mod:`benchmarks.refill_lag`).

Two operating points: 20 users (``cpu_users``) and 100 (``busy_users``, ``*_busy_*``), each
user one login a second, started evenly over the first second
(:func:`benchmarks.probe.stagger_users`).
The CPU targets are judged at 100 users. At 20 the Locust process is idle ~85 % of the time, and
each login pays a wake-up per answer and hand-off on cold caches: what the kernel accounts for a
wake-up (``wake_cpu_us``) moved several-fold on this VM within a day, and with it the floor
(0.58 ms to 2.6 ms a login) and ours, which wakes more often per login (maths hand-off and back,
the lag timer). At 100 users ours is about as busy as the naive user is at its rate (~38 %
against ~35 % of a core), so the naive ratio compares like with like. Both are printed.

Medians over rounds for CPU figures; lag percentiles over all rounds' samples pooled.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gmpy2

import srp_fast
from loadtest.flows import FlowContext, Identity
from loadtest.locust.cli import scenario_path
from loadtest.target.launch import LOCAL_CREDENTIALS_ENV, local_pool

from ._locust import LocustRun, Probe, ProbeResult, run_locust
from ._procs import child_env
from ._target import App, create_app, create_users, write_identities
from ._timing import finish
from .figures import Figure, Table, Target, at_least, at_most, below, ratio, sum_of
from .replay import record_login, save_recording

__all__ = ["TABLES", "Settings", "run"]

HERE = Path(__file__).parent
#: ``--cognito-math-niceness`` of the ``lag_native_nice`` case.
NICENESS = 10
#: The floor's exponent: a + u·x with a 256-bit a and 256-bit u and x.
FLOOR_BITS = 512
#: How long the replay server takes to answer each call: a real server is never instant, and a
#: client pays for waiting (a read that finds nothing, the socket parked on the hub, a wake-up
#: when the answer comes: ~0.12 ms a login more than instant answers, measured). A few ms is
#: what the local pool takes here; Cognito takes longer, which costs the client no more.
REPLAY_DELAY_MS = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Loads and lengths: every run is bounded in users and seconds."""

    rounds: int = 3
    cpu_users: int = 20
    #: The busy cases (ours, SRP and SRP + TOTP, and the floor) at five times the rate, where
    #: the CPU targets are judged: a generator is used to load (see the module's docstring).
    busy_users: int = 100
    lag_users: int = 18
    naive_users: int = 6
    warmup: float = 2.0
    window: float = 8.0

    def totp_identities(self, users: int) -> int:
        """TOTP identities one run needs: one per login, at most a login per user per second."""
        return users * (int(self.warmup + self.window) + 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class Population:
    """Identities files and recorded logins, made once per benchmark."""

    plain: Path
    ours_totp: list[Path]
    busy_totp: list[Path]
    bare_totp: list[Path]
    reference_totp: list[Path]
    naive_totp: list[Path]
    thin_totp: list[Path]
    srp_recording: Path
    totp_recording: Path


def provision(app: App, settings: Settings, workdir: Path) -> Population:
    """Users without MFA, disjoint TOTP sets per run (a code is never reused), two recordings."""
    plain_n = max(2 * settings.lag_users, settings.busy_users) + 8
    plain = create_users(app, "lt-bench-plain-", plain_n, totp=False)
    ours_n = settings.totp_identities(settings.cpu_users)
    naive_n = settings.totp_identities(settings.naive_users)
    busy_n = settings.totp_identities(settings.busy_users)
    ours, busy, bare, reference, naive, thin = [], [], [], [], [], []
    for r in range(settings.rounds):
        ours.append(create_users(app, f"lt-bench-ours{r}-", ours_n, totp=True))
        busy.append(create_users(app, f"lt-bench-busy{r}-", busy_n, totp=True))
        bare.append(create_users(app, f"lt-bench-bare{r}-", ours_n, totp=True))
        reference.append(create_users(app, f"lt-bench-ref{r}-", ours_n, totp=True))
        naive.append(create_users(app, f"lt-bench-naive{r}-", naive_n, totp=True))
        thin.append(create_users(app, f"lt-bench-thin{r}-", busy_n, totp=True))
    recorder = create_users(app, "lt-bench-rec-", 1, totp=True)[0]
    return Population(
        plain=write_identities(plain, workdir / "plain.jsonl"),
        ours_totp=_write_sets(ours, workdir, "ours-totp"),
        busy_totp=_write_sets(busy, workdir, "busy-totp"),
        bare_totp=_write_sets(bare, workdir, "bare-totp"),
        reference_totp=_write_sets(reference, workdir, "reference-totp"),
        naive_totp=_write_sets(naive, workdir, "naive-totp"),
        thin_totp=_write_sets(thin, workdir, "thin-totp"),
        srp_recording=_record(app, plain[-1], workdir / "srp.recording.json"),
        totp_recording=_record(app, recorder, workdir / "srp_totp.recording.json"),
    )


def _write_sets(sets: list[list[Identity]], workdir: Path, stem: str) -> list[Path]:
    return [write_identities(s, workdir / f"{stem}-{r}.jsonl") for r, s in enumerate(sets)]


def _record(app: App, identity: Identity, path: Path) -> Path:
    ctx = FlowContext(
        client=app.app_client, clock=lambda: datetime.now(UTC), ephemerals=srp_fast.new_ephemeral
    )
    return save_recording(record_login(app.url, identity, ctx), path)


@contextmanager
def replay_server(recording: Path, log: Path) -> Iterator[str]:
    """``python -m benchmarks.replay RECORDING`` for the block; yields its URL."""
    command = [
        sys.executable, "-m", "benchmarks.replay", str(recording),
        "--delay-ms", str(REPLAY_DELAY_MS),
    ]  # fmt: skip
    with log.open("w") as err:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=err, text=True, env=child_env()
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening "):
            raise RuntimeError(f"replay server did not start; see {log}")
        yield line.split(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@dataclass(frozen=True, slots=True, kw_only=True)
class Cases:
    """Builds the Locust runs of the cases, for one app, population and replay servers."""

    app: App
    pop: Population
    urls: dict[str, str]
    settings: Settings

    def ours(
        self,
        name: str,
        scenario: str,
        ids: Path,
        users: int,
        math: str,
        niceness: int = 0,
        a_size: str = "rfc3526",
        report: Path | None = None,
    ) -> LocustRun:
        """A run of one of our scenarios; with ``report``, writing its report there, as every
        real run does (events, HDR histograms, loop-lag sampler, summary)."""
        app = self.app
        argv = [
            "--cognito-pool-id", app.pool_id, "--cognito-client-id", app.client_id,
            "--cognito-endpoint-url", app.url, "--cognito-identities", str(ids),
            "--cognito-math", math, "--cognito-math-niceness", str(niceness),
            "--cognito-srp-secret", a_size,
        ]  # fmt: skip
        if report is not None:
            argv += ["--cognito-report-dir", str(report)]
        path = scenario_path(scenario)
        return LocustRun(
            name=name, locustfile=path, users=users, argv=argv, env=LOCAL_CREDENTIALS_ENV
        )

    def floor(self, name: str, scenario: str, users: int, *, in_place: bool = False) -> LocustRun:
        """The recorded login's bare calls; ``in_place``: and the floor's one exponentiation,
        on the hub between the first answer and the second request (see locust_floor.py)."""
        recording = self.pop.srp_recording if scenario == "srp" else self.pop.totp_recording
        env = {
            "BENCH_REPLAY_RECORDING": str(recording),
            "BENCH_REPLAY_URL": self.urls[scenario],
        }
        if in_place:
            env["BENCH_FLOOR_POWMOD_BITS"] = str(FLOOR_BITS)
        return LocustRun(name=name, locustfile=HERE / "locust_floor.py", users=users, env=env)

    def naive(self, name: str, user_class: str, ids: Path) -> LocustRun:
        env = {
            **LOCAL_CREDENTIALS_ENV,
            "BENCH_NAIVE_IDENTITIES": str(ids),
            "BENCH_NAIVE_POOL_ID": self.app.pool_id,
            "BENCH_NAIVE_CLIENT_ID": self.app.client_id,
            "BENCH_NAIVE_URL": self.app.url,
        }
        users = self.settings.naive_users
        path = HERE / "locust_naive.py"
        return LocustRun(
            name=name, locustfile=path, users=users, user_classes=[user_class], env=env
        )

    def thin(self, name: str, ids: Path, users: int) -> LocustRun:
        """The thinnest real SRP + TOTP login in Python (:mod:`benchmarks.locust_thin`)."""
        env = {
            "BENCH_THIN_IDENTITIES": str(ids),
            "BENCH_THIN_POOL_ID": self.app.pool_id,
            "BENCH_THIN_CLIENT_ID": self.app.client_id,
            "BENCH_THIN_URL": self.app.url,
        }
        return LocustRun(name=name, locustfile=HERE / "locust_thin.py", users=users, env=env)

    def round(self, r: int, workdir: Path) -> list[tuple[str, LocustRun, bool]]:
        """Every case of round ``r``: (case, run, whether it samples the loop lag). Our CPU
        cases write a report (in ``workdir``), as a real run does; ``ours_srp_totp_no_report``
        shows what the report costs."""
        cpu, lag, pop = self.settings.cpu_users, self.settings.lag_users, self.pop
        busy = self.settings.busy_users
        totp, nt, ref = pop.ours_totp[r], pop.naive_totp[r], pop.reference_totp[r]
        bare = pop.bare_totp[r]

        def report(name: str) -> Path:
            return workdir / f"{name}-{r}-report"

        cases = [
            ("ours_srp", self.ours(f"ours_srp-{r}", "srp", pop.plain, cpu, "threads",
                                   report=report("ours_srp")), False),
            ("floor_srp", self.floor(f"floor_srp-{r}", "srp", cpu), False),
            ("naive_srp", self.naive(f"naive_srp-{r}", "NaiveSrpUser", pop.plain), False),
            ("ours_srp_totp", self.ours(f"ours_totp-{r}", "srp_totp", totp, cpu, "threads",
                                        report=report("ours_totp")), False),
            ("ours_srp_totp_no_report", self.ours(
                f"ours_totp_bare-{r}", "srp_totp", bare, cpu, "threads"), False),
            ("ours_srp_totp_reference", self.ours(
                f"ours_totp_ref-{r}", "srp_totp", ref, cpu, "threads", a_size="reference",
                report=report("ours_totp_ref")), False),
            ("floor_srp_totp", self.floor(f"floor_srp_totp-{r}", "srp_totp", cpu), False),
            ("ours_srp_busy", self.ours(f"ours_srp_busy-{r}", "srp", pop.plain, busy, "threads",
                                        report=report("ours_srp_busy")), False),
            ("ours_srp_totp_busy", self.ours(f"ours_busy-{r}", "srp_totp", pop.busy_totp[r],
                                             busy, "threads", report=report("ours_busy")), False),
            ("floor_srp_totp_busy", self.floor(f"floor_busy-{r}", "srp_totp", busy), False),
            ("floor_in_place_srp_totp_busy", self.floor(
                f"floor_in_place_busy-{r}", "srp_totp", busy, in_place=True), False),
            ("thin_srp_totp_busy", self.thin(f"thin_busy-{r}", pop.thin_totp[r], busy), False),
            ("naive_srp_totp", self.naive(f"naive_totp-{r}", "NaiveSrpTotpUser", nt), False),
            ("lag_native", self.ours(f"lag_native-{r}", "srp", pop.plain, lag, "threads",
                                     report=report("lag_native")), True),
            ("lag_native_nice", self.ours(
                f"lag_nice-{r}", "srp", pop.plain, lag, "threads", niceness=NICENESS), True),
            ("lag_inline", self.ours(f"lag_inline-{r}", "srp", pop.plain, lag, "inline"), True),
            ("lag_no_maths", self.floor(f"lag_no_maths-{r}", "srp", lag), True),
        ]  # fmt: skip
        return cases


def wake_cpu_us(wakes: int = 25, sleep_s: float = 0.02) -> float:
    """Thread CPU µs the kernel accounts per wake-up from a ``sleep_s`` sleep.

    The cost of waking on this machine: caches refilled, the (virtual) CPU brought back. A
    client at a low rate pays it on most answers and hand-offs. On this 2-core VM it was
    83 to 140 µs in one afternoon, when the floor at 20 users cost 3.6 times its morning
    figure: every CPU-per-login figure moves with it, so it is printed beside them.
    """
    start = time.thread_time()
    for _ in range(wakes):
        time.sleep(sleep_s)
    return (time.thread_time() - start) * 1e6 / wakes


def powmod_cpu_ms(batches: int = 5, per_batch: int = 40, bits: int = FLOOR_BITS) -> float:
    """Median thread CPU ms of one gmpy2 powmod: 3072-bit base, ``bits``-bit exponent."""
    base = gmpy2.mpz(int.from_bytes(os.urandom(384), "big")) % srp_fast.N
    exponent = gmpy2.mpz(int.from_bytes(os.urandom(bits // 8), "big")) | (1 << (bits - 1))
    samples = []
    for _ in range(batches):
        start = time.thread_time()
        for _ in range(per_batch):
            gmpy2.powmod(base, exponent, srp_fast.N)
        samples.append((time.thread_time() - start) * 1000 / per_batch)
    return statistics.median(samples)


@contextmanager
def powmod_under_load(delay: float, samples: list[float]) -> Iterator[None]:
    """Time a few powmods every half second from ``delay`` on, while the block runs.

    The same exponentiation costs more CPU while the pool and the Locust process share this
    machine's cores (caches, memory bandwidth); sampled at a low duty cycle (~2% of a core),
    it gives the floor's powmod under the load the generator is measured under.
    """
    stop = threading.Event()

    def sample() -> None:
        if stop.wait(delay):
            return
        while not stop.wait(0.5):
            samples.append(powmod_cpu_ms(batches=1, per_batch=3))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@dataclass(frozen=True, slots=True, kw_only=True)
class Measured:
    """Every run's probe result by case (in round order) and the powmod timings: between runs
    (idle) and during our CPU runs (under load)."""

    runs: dict[str, list[ProbeResult]]
    powmod_ms: list[float]
    powmod_under_load_ms: list[float]
    wake_us: list[float]


def measure(cases: Cases, workdir: Path) -> Measured:
    """Run every round, each case once per round; time the raw powmod after each run."""
    runs: dict[str, list[ProbeResult]] = {}
    powmods: list[float] = []
    loaded: list[float] = []
    wakes: list[float] = []
    s = cases.settings
    for r in range(s.rounds):
        for case, locust_run, lag in cases.round(r, workdir):
            probe = Probe(warmup=s.warmup, window=s.window, lag=lag)
            if case.startswith("ours_"):
                with powmod_under_load(s.warmup + 2.0, loaded):
                    result = run_locust(locust_run, probe, workdir)
            else:
                result = run_locust(locust_run, probe, workdir)
            runs.setdefault(case, []).append(result)
            print(f"   round {r + 1} {case:<15} {_describe(result)}", flush=True)
            powmods.append(powmod_cpu_ms(batches=3))
            wakes.append(wake_cpu_us())
    return Measured(runs=runs, powmod_ms=powmods, powmod_under_load_ms=loaded, wake_us=wakes)


def _describe(result: ProbeResult) -> str:
    text = (
        f"{result.logins_per_s:5.1f} logins/s  {result.cpu_ms_per_login:6.2f} ms CPU/login  "
        f"failures {result.failures}/{result.csv_failures}"
    )
    if result.lag_ms:
        text += f"  lag p50 {_pct(result.lag_ms, 50):.2f} p99 {_pct(result.lag_ms, 99):.2f} ms"
    return text


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def measured_values(m: Measured) -> dict[str, Any]:
    """The measured figures: medians over rounds, pooled lag percentiles, raw rounds."""
    cpu = {case: statistics.median(r.cpu_ms_per_login for r in rs) for case, rs in m.runs.items()}
    hub = {case: statistics.median(r.hub_ms_per_login for r in rs) for case, rs in m.runs.items()}
    runs = {case: statistics.median(r.runs_per_login for r in rs) for case, rs in m.runs.items()}
    hub_runs = {
        case: statistics.median(r.hub_runs_per_login for r in rs) for case, rs in m.runs.items()
    }
    f: dict[str, Any] = {
        "srp_login_cpu_ms": cpu["ours_srp"],
        "srp_totp_login_cpu_ms": cpu["ours_srp_totp"],
        "srp_totp_login_no_report_cpu_ms": cpu["ours_srp_totp_no_report"],
        "srp_totp_login_reference_cpu_ms": cpu["ours_srp_totp_reference"],
        "powmod_512_ms": statistics.median(m.powmod_ms),
        "powmod_512_under_load_ms": statistics.median(m.powmod_under_load_ms),
        "wake_cpu_us": statistics.median(m.wake_us),
        "floor_http_srp_ms": cpu["floor_srp"],
        "floor_http_srp_totp_ms": cpu["floor_srp_totp"],
        "srp_busy_login_cpu_ms": cpu["ours_srp_busy"],
        "srp_totp_busy_login_cpu_ms": cpu["ours_srp_totp_busy"],
        "floor_http_srp_totp_busy_ms": cpu["floor_srp_totp_busy"],
        "floor_in_place_busy_ms": cpu["floor_in_place_srp_totp_busy"],
        "thin_srp_totp_busy_login_cpu_ms": cpu["thin_srp_totp_busy"],
        "thin_srp_totp_busy_hub_ms": hub["thin_srp_totp_busy"],
        "srp_totp_busy_login_hub_ms": hub["ours_srp_totp_busy"],
        "srp_totp_login_hub_ms": hub["ours_srp_totp"],
        "floor_http_srp_totp_hub_ms": hub["floor_srp_totp"],
        "srp_totp_busy_runs": runs["ours_srp_totp_busy"],
        "srp_totp_busy_hub_runs": hub_runs["ours_srp_totp_busy"],
        "thin_srp_totp_busy_runs": runs["thin_srp_totp_busy"],
        "thin_srp_totp_busy_hub_runs": hub_runs["thin_srp_totp_busy"],
        "floor_in_place_busy_runs": runs["floor_in_place_srp_totp_busy"],
        "floor_in_place_busy_hub_runs": hub_runs["floor_in_place_srp_totp_busy"],
        "naive_login_cpu_ms": cpu["naive_srp"],
        "naive_totp_login_cpu_ms": cpu["naive_srp_totp"],
        "switch_interval_s": m.runs["lag_native"][0].switch_interval_s,
    }
    for case, key in LAG_CASES:
        pooled = [x for r in m.runs[case] for x in r.lag_ms]
        f[f"loop_lag_{key}_p50_ms"] = _pct(pooled, 50)
        f[f"loop_lag_{key}_p99_ms"] = _pct(pooled, 99)
        f[f"loop_lag_{key}_max_ms"] = max(pooled)
        f[f"loop_lag_{key}_samples"] = len(pooled)
    f["runs"] = {case: [_summary(r) for r in rs] for case, rs in m.runs.items()}
    f["failures"] = sum(r.failures + r.csv_failures for rs in m.runs.values() for r in rs)
    return f


LAG_CASES = (
    ("lag_native", "native"),
    ("lag_native_nice", "native_nice"),
    ("lag_inline", "inline"),
    ("lag_no_maths", "no_maths"),
)


def _summary(r: ProbeResult) -> dict[str, float]:
    out = {
        "logins": r.logins,
        "logins_per_s": round(r.logins_per_s, 2),
        "cpu_ms_per_login": round(r.cpu_ms_per_login, 3),
        "hub_ms_per_login": round(r.hub_ms_per_login, 3),
        "runs_per_login": round(r.runs_per_login, 2),
        "hub_runs_per_login": round(r.hub_runs_per_login, 2),
        "failures": r.failures,
        "csv_failures": r.csv_failures,
    }
    if r.lag_ms:
        out |= {"lag_p50_ms": _pct(r.lag_ms, 50), "lag_p99_ms": _pct(r.lag_ms, 99)}
    return out


def _runs_figures(key: str, who: str, note: str = "") -> list[Figure]:
    """A case's thread runs per login at 100 users: every thread's, and the hub's."""
    return [
        Figure(key=f"{key}_runs", label=f"{who}, 100 users: thread runs", unit="/login",
               note=note),
        Figure(key=f"{key}_hub_runs", label=f"{who}, 100 users: hub runs", unit="/login"),
    ]  # fmt: skip


def _lag_figures(key: str, label: str, note: str, target: Target | None = None) -> list[Figure]:
    return [
        Figure(key=f"loop_lag_{key}_p50_ms", label=f"{label}, p50", unit="ms"),
        Figure(key=f"loop_lag_{key}_p99_ms", label=f"{label}, p99", unit="ms", target=target,
               note=note),
    ]  # fmt: skip


TABLES = (
    Table(
        title="Generator CPU per login (Locust process, all threads, over the window / logins)",
        figures=(
            Figure(key="srp_login_cpu_ms", label="ours, SRP", unit="ms",
                   note="scenarios/srp.py, maths on native threads, report on"),
            Figure(key="srp_totp_login_cpu_ms", label="ours, SRP + TOTP", unit="ms",
                   note="scenarios/srp_totp.py, 256-bit a, report on (as real runs)"),
            Figure(key="srp_totp_login_no_report_cpu_ms", label="ours, SRP + TOTP, no report",
                   unit="ms", note="without --cognito-report-dir"),
            Figure(key="srp_totp_login_reference_cpu_ms", label="ours, SRP + TOTP, reference a",
                   unit="ms", note="--cognito-srp-secret reference (1024-bit a)"),
            Figure(key="srp_totp_login_hub_ms", label="ours, SRP + TOTP: the hub's share",
                   unit="ms", note="main thread (gevent hub); the rest is the maths threads'"),
            Figure(key="powmod_512_ms", label="raw gmpy2 powmod", unit="ms",
                   note="3072-bit base, 512-bit exponent, idle"),
            Figure(key="powmod_512_under_load_ms", label="raw powmod under load", unit="ms",
                   note="same, during our runs"),
            Figure(key="wake_cpu_us", label="one wake-up from a 20 ms sleep", unit="us",
                   note="thread CPU, between runs: the machine's price of waking"),
            Figure(key="floor_http_srp_ms", label="calls only, SRP", unit="ms",
                   note="recorded login replayed, no maths"),
            Figure(key="floor_http_srp_totp_ms", label="calls only, SRP + TOTP", unit="ms",
                   note="same, 3 calls"),
            Figure(key="floor_http_srp_totp_hub_ms", label="calls only, SRP + TOTP: hub",
                   unit="ms", note="its main thread's share"),
            Figure(key="floor_srp_ms", label="floor, SRP", unit="ms", note="powmod + calls only",
                   derive=sum_of("powmod_512_ms", "floor_http_srp_ms")),
            Figure(key="floor_ms", label="floor, SRP + TOTP", unit="ms",
                   note="powmod + calls only",
                   derive=sum_of("powmod_512_ms", "floor_http_srp_totp_ms")),
            Figure(key="floor_under_load_ms", label="floor under load, SRP + TOTP", unit="ms",
                   derive=sum_of("powmod_512_under_load_ms", "floor_http_srp_totp_ms")),
            Figure(key="srp_busy_login_cpu_ms", label="ours, SRP, 100 users", unit="ms",
                   note="five times the rate, report on"),
            Figure(key="srp_totp_busy_login_cpu_ms", label="ours, SRP + TOTP, 100 users",
                   unit="ms", note="five times the rate, report on"),
            Figure(key="floor_http_srp_totp_busy_ms", label="calls only, SRP + TOTP, 100 users",
                   unit="ms"),
            Figure(key="floor_busy_ms", label="floor, SRP + TOTP, 100 users", unit="ms",
                   derive=sum_of("powmod_512_ms", "floor_http_srp_totp_busy_ms")),
            Figure(key="floor_in_place_busy_ms", label="floor in place, SRP + TOTP, 100 users",
                   unit="ms", note="the calls, and the powmod on the hub between them"),
            Figure(key="srp_totp_busy_login_hub_ms", label="ours, SRP + TOTP, 100 users: hub",
                   unit="ms", note="its main thread's share"),
            Figure(key="thin_srp_totp_busy_login_cpu_ms",
                   label="thinnest Python login, SRP + TOTP, 100 users", unit="ms",
                   note="benchmarks/locust_thin.py: the protocol's calls and maths, no layers"),
            Figure(key="thin_srp_totp_busy_hub_ms", label="thinnest, 100 users: hub", unit="ms",
                   note="its main thread's share"),
            *_runs_figures("srp_totp_busy", "ours",
                           "times the scheduler ran a thread: wake-ups (and preemptions)"),
            *_runs_figures("thin_srp_totp_busy", "thinnest",
                           "a run costs what its thread wakes to do: docs/generator-cost.md"),
            *_runs_figures("floor_in_place_busy", "floor in place"),
            Figure(key="naive_login_cpu_ms", label="naive, SRP", unit="ms",
                   note="boto3 + pycognito"),
            Figure(key="naive_totp_login_cpu_ms", label="naive, SRP + TOTP", unit="ms",
                   note="boto3 + pycognito + pyotp"),
        ),
    ),
    Table(
        title="Event-loop lag: how late a 1 ms timer fires on the Locust hub (all rounds pooled)",
        figures=(
            *_lag_figures("native", "native threads", "the default", below(2.0)),
            *_lag_figures("native_nice", "native, nicer threads",
                          f"--cognito-math-niceness {NICENESS}"),
            *_lag_figures("inline", "inline", "--cognito-math inline"),
            *_lag_figures("no_maths", "no maths", "the replayed calls alone, same load"),
        ),
    ),
    Table(
        title="Ratios (side by side in this run)",
        figures=(
            Figure(key="srp_totp_busy_over_floor", label="SRP + TOTP / floor, 100 users",
                   unit="x", target=at_most(1.3),
                   derive=ratio("srp_totp_busy_login_cpu_ms", "floor_busy_ms")),
            Figure(key="srp_totp_busy_over_floor_in_place",
                   label="SRP + TOTP / floor in place, 100 users", unit="x",
                   note="the floor's powmod paying a login's wake-ups and cold caches too",
                   derive=ratio("srp_totp_busy_login_cpu_ms", "floor_in_place_busy_ms")),
            Figure(key="thin_over_floor_in_place",
                   label="thinnest Python login / floor in place, 100 users", unit="x",
                   note="what any Python client of this design pays over the floor",
                   derive=ratio("thin_srp_totp_busy_login_cpu_ms", "floor_in_place_busy_ms")),
            Figure(key="srp_totp_busy_over_thin", label="ours / thinnest Python login, 100 users",
                   unit="x", note="what the flow, driver and report layers cost",
                   derive=ratio("srp_totp_busy_login_cpu_ms", "thin_srp_totp_busy_login_cpu_ms")),
            Figure(key="srp_totp_login_over_floor", label="SRP + TOTP / floor, 20 users",
                   unit="x", note="mostly idle: wake-ups weigh most",
                   derive=ratio("srp_totp_login_cpu_ms", "floor_ms")),
            Figure(key="srp_totp_login_over_floor_under_load",
                   label="SRP + TOTP / floor under load", unit="x",
                   derive=ratio("srp_totp_login_cpu_ms", "floor_under_load_ms")),
            Figure(key="report_share_srp_totp", label="SRP + TOTP with / without report",
                   unit="x", note="what writing the report costs per login",
                   derive=ratio("srp_totp_login_cpu_ms", "srp_totp_login_no_report_cpu_ms")),
            Figure(key="srp_login_over_floor", label="SRP / floor", unit="x",
                   derive=ratio("srp_login_cpu_ms", "floor_srp_ms")),
            Figure(key="reference_over_ours_srp_totp", label="reference a / 256-bit a, SRP + TOTP",
                   unit="x", note="what the shorter secret saves per login",
                   derive=ratio("srp_totp_login_reference_cpu_ms", "srp_totp_login_cpu_ms")),
            Figure(key="naive_over_ours_srp_busy", label="naive / ours, SRP, 100 users",
                   unit="x", target=at_least(10), note="ours as busy as the naive user",
                   derive=ratio("naive_login_cpu_ms", "srp_busy_login_cpu_ms")),
            Figure(key="naive_over_ours_srp_totp_busy", label="naive / ours, SRP + TOTP, 100 users",
                   unit="x", target=at_least(15), note="ours as busy as the naive user",
                   derive=ratio("naive_totp_login_cpu_ms", "srp_totp_busy_login_cpu_ms")),
            Figure(key="naive_over_ours_srp", label="naive / ours, SRP, 20 users", unit="x",
                   derive=ratio("naive_login_cpu_ms", "srp_login_cpu_ms")),
            Figure(key="naive_over_ours_srp_totp", label="naive / ours, SRP + TOTP, 20 users",
                   unit="x", derive=ratio("naive_totp_login_cpu_ms", "srp_totp_login_cpu_ms")),
            Figure(key="loop_lag_inline_over_native_p99", label="lag p99 inline / native",
                   unit="x", derive=ratio("loop_lag_inline_p99_ms", "loop_lag_native_p99_ms")),
            Figure(key="loop_lag_native_over_no_maths_p99", label="lag p99 native / no maths",
                   unit="x",
                   derive=ratio("loop_lag_native_p99_ms", "loop_lag_no_maths_p99_ms")),
            Figure(key="failures", label="failures, all runs", unit="count", target=at_most(0)),
        ),
    ),
    Table(
        title="Hub lag during a background refill of 32 ephemerals (1 ms timer; one process)",
        figures=tuple(
            fig
            for way, note in (
                ("table_holding_gil", "the table before the fix"),
                ("table", "the table as it is: GIL released around each GMP call"),
                ("powmod_exp_list", "g_pow_many: one GIL-free call, full exponentiations"),
            )
            for fig in (
                Figure(key=f"refill_{way}_lag_p99_ms", label=f"{way}, lag p99", unit="ms",
                       note=note),
                Figure(key=f"refill_{way}_cpu_ms_per_a", label=f"{way}, CPU per A", unit="ms"),
            )
        ),
    ),
)  # fmt: skip


def refill_lag() -> dict[str, dict[str, float]]:
    """:mod:`benchmarks.refill_lag` in its own process (it starts a gevent hub)."""
    command = [sys.executable, "-m", "benchmarks.refill_lag"]
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=120, env=child_env()
    )
    result: dict[str, dict[str, float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def refill_figures(r: dict[str, dict[str, float]]) -> dict[str, float]:
    """Flat JSON keys, e.g. ``refill_lag_table_p99_ms``."""
    f = {}
    for way in ("table_holding_gil", "table", "powmod_exp_list"):
        for key, value in r[way].items():
            f[f"refill_{way}_{key}"] = value
    return f


def run(*, out: Path, settings: Settings | None = None) -> dict[str, Any]:
    """Start the local pool, provision, run every case in rounds; print and write figures."""
    s = settings or Settings()
    refill = refill_figures(refill_lag())
    with tempfile.TemporaryDirectory(prefix="bench-generator-") as tmp:
        workdir = Path(tmp)
        with local_pool(workdir / "pool.sqlite", ["--no-quotas"]) as pool:
            app = create_app(pool.url)
            start = time.monotonic()
            pop = provision(app, s, workdir)
            print(f"   provisioned the test users in {time.monotonic() - start:.1f} s")
            with (
                replay_server(pop.srp_recording, workdir / "replay-srp.log") as srp_url,
                replay_server(pop.totp_recording, workdir / "replay-totp.log") as totp_url,
            ):
                cases = Cases(
                    app=app, pop=pop, urls={"srp": srp_url, "srp_totp": totp_url}, settings=s
                )
                measured = measure(cases, workdir)
    return finish(TABLES, measured_values(measured) | refill, out)
