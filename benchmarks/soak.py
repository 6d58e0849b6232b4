"""Soak: does a long run stay flat? Generator and pool memory, and the event log's growth.

Against the local pool (``--no-quotas``), one headless Locust process runs
:mod:`benchmarks.locust_soak` for ``duration`` seconds (10 minutes by default): back-to-back
SRP logins, plus sessions on an app client whose tokens live seconds (access ``access_s``,
refresh ``refresh_s``), so refreshes and expiries happen throughout. Every ``sample_s``
seconds the RSS of the Locust process and of the pool's process tree is read from ``/proc``;
after ``warmup`` seconds a least-squares line through the samples gives each slope (MiB/hour).
The run's events (``--cognito-report-dir``, ``--cognito-report-events gzip``) are measured at
the end: bytes per login as written and as text (``events.jsonl``), and what a day at this
rate would write. ``--only soak`` runs it; :data:`SHORT` is the smoke test's size.
The machine is shared: the login rate is what this machine gave, not a limit of the toolkit.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.report.events import event_files
from loadtest.report.segments import read_gzip_lines
from loadtest.target.launch import LOCAL_CREDENTIALS_ENV, local_admin_client, local_pool

from ._procs import child_env, process_tree_rss_mib
from ._target import App, create_users, write_identities
from ._timing import finish
from .figures import Figure, Table, at_least, at_most

__all__ = ["SHORT", "TABLES", "Settings", "measure", "rss_slope_mib_per_h", "run"]

HERE = Path(__file__).parent
LOGIN_NAME = "login:srp"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """The soak's size and lengths: bounded in users, identities and seconds."""

    duration: float = 600.0
    warmup: float = 60.0
    sample_s: float = 5.0
    login_users: int = 24
    session_users: int = 24
    access_s: int = 5
    refresh_s: int = 30

    @property
    def identities(self) -> int:
        """One identity per user plus slack: a login leases one for its duration."""
        return self.login_users + self.session_users + 16


#: The smoke test's soak: a few users, seconds long; figures are not meaningful at this size.
SHORT = Settings(duration=12.0, warmup=4.0, sample_s=1.0, login_users=2, session_users=2,
                 access_s=1, refresh_s=3)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """RSS of the generator and of the pool at one moment (seconds since the start)."""

    t: float
    generator_mib: float
    pool_mib: float


def rss_slope_mib_per_h(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per hour (0 with < 2 points)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in points)
    return cov / var * 3600 if var else 0.0


def events_sizes(run_dir: Path) -> tuple[int, int]:
    """Bytes of the run's event files as written (gzip segments) and as text (decompressed)."""
    files = event_files(run_dir)
    written = sum(path.stat().st_size for path in files)
    text = sum(len(line.encode()) for path in files for line in _lines(path))
    return written, text


def _lines(path: Path) -> Iterator[str]:
    if path.suffix == ".gz":
        yield from read_gzip_lines(path)
    else:
        with path.open(encoding="utf-8") as handle:
            yield from handle


def create_soak_app(url: str, s: Settings) -> App:
    """A pool without MFA and an SRP client whose tokens live ``access_s`` / ``refresh_s``."""
    idp = local_admin_client(url, attempts=5)
    pool_id = idp.create_user_pool(PoolName="bench-soak")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="bench-soak",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AccessTokenValidity=s.access_s,
        IdTokenValidity=s.access_s,
        RefreshTokenValidity=s.refresh_s,
        TokenValidityUnits={
            "AccessToken": "seconds",
            "IdToken": "seconds",
            "RefreshToken": "seconds",
        },
    )["UserPoolClient"]["ClientId"]
    return App(url=url, pool_id=pool_id, client_id=client_id)


def _locust_command(app: App, ids: Path, workdir: Path, s: Settings) -> list[str]:
    users = s.login_users + s.session_users
    return [
        sys.executable, "-m", "locust", "-f", str(HERE / "locust_soak.py"),
        "--headless", "-u", str(users), "-r", str(users), "-t", f"{int(s.duration)}s",
        "--stop-timeout", "5", "--only-summary", "--csv", str(workdir / "soak"),
        "--cognito-pool-id", app.pool_id, "--cognito-client-id", app.client_id,
        "--cognito-endpoint-url", app.url, "--cognito-identities", str(ids),
        "--cognito-report-dir", str(workdir / "run"), "--cognito-report-events", "gzip",
    ]  # fmt: skip


def _sample_until_done(locust: subprocess.Popen[bytes], pool_pid: int, s: Settings) -> list[Sample]:
    samples: list[Sample] = []
    start = time.monotonic()
    deadline = start + s.duration + 120  # bounded even if Locust hangs on its way out
    while locust.poll() is None and time.monotonic() < deadline:
        sample = Sample(
            t=time.monotonic() - start,
            generator_mib=process_tree_rss_mib(locust.pid),
            pool_mib=process_tree_rss_mib(pool_pid),
        )
        if sample.generator_mib > 0:  # 0: Locust exited since poll() (a zombie has no VmRSS)
            samples.append(sample)
        try:
            locust.wait(timeout=s.sample_s)
        except subprocess.TimeoutExpired:
            continue
    if locust.poll() is None:
        locust.kill()
        locust.wait()
    return samples


def _counts(summary_json: Path, stats_csv: Path) -> dict[str, int]:
    """Successful logins and refreshes and all failures from the run's ``summary.json`` (logins
    are not Locust requests: the honest totals keep them out of Locust's rows), and the API calls
    from Locust's stats CSV (whose rows are the Cognito calls only)."""
    summary = json.loads(summary_json.read_text())
    flows: dict[str, Any] = summary["flows"]
    outcomes = {name: row.get("outcomes", {}) for name, row in flows.items()}
    counts = {
        "logins": outcomes.get(LOGIN_NAME, {}).get("ok", 0),
        "refreshes": outcomes.get("refresh", {}).get("ok", 0),
        "failures": sum(n for row in outcomes.values() for o, n in row.items() if o != "ok"),
        "api_calls": 0,
    }
    with stats_csv.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] != "Aggregated":
                counts["failures"] += int(row["Failure Count"])
                counts["api_calls"] += int(row["Request Count"])
    return counts


def figures(
    samples: list[Sample], counts: dict[str, int], run_dir: Path, s: Settings
) -> dict[str, Any]:
    """The soak's figures from its samples, the run's counts and its event files."""
    after = [x for x in samples if x.t >= s.warmup]
    events_bytes, text_bytes = events_sizes(run_dir)
    logins = max(counts["logins"], 1)
    rate = counts["logins"] / s.duration
    return {
        **counts,
        "duration_s": s.duration,
        "logins_per_s": rate,
        "generator_rss_mib": after[-1].generator_mib if after else 0.0,
        "pool_rss_mib": after[-1].pool_mib if after else 0.0,
        "generator_rss_slope_mib_per_h": rss_slope_mib_per_h(
            [(x.t, x.generator_mib) for x in after]
        ),
        "pool_rss_slope_mib_per_h": rss_slope_mib_per_h([(x.t, x.pool_mib) for x in after]),
        "rss_samples": len(after),
        "events_bytes": events_bytes,
        "events_bytes_per_login": events_bytes / logins,
        "events_gib_per_day": events_bytes / logins * rate * 86400 / 2**30,
        "events_text_bytes_per_login": text_bytes / logins,
        "events_text_gib_per_day": text_bytes / logins * rate * 86400 / 2**30,
        "events_gzip_ratio": text_bytes / events_bytes if events_bytes else 0.0,
        "samples": [
            [round(x.t, 1), round(x.generator_mib, 2), round(x.pool_mib, 2)] for x in samples
        ],
    }


def measure(settings: Settings | None = None) -> dict[str, Any]:
    """Start the local pool, provision, soak, and return the figures."""
    s = settings or Settings()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        workdir = Path(tmp)
        with local_pool(workdir / "pool.sqlite", ["--no-quotas"]) as pool:
            app = create_soak_app(pool.url, s)
            ids = write_identities(
                create_users(app, "lt-soak-", s.identities, totp=False), workdir / "ids.jsonl"
            )
            env = (
                child_env()
                | LOCAL_CREDENTIALS_ENV
                | {
                    "BENCH_SOAK_REFRESH_S": str(s.refresh_s),
                    "BENCH_SOAK_SESSION_USERS": str(s.session_users),
                }
            )
            with (workdir / "locust.log").open("wb") as log:
                locust = subprocess.Popen(
                    _locust_command(app, ids, workdir, s), env=env, stdout=log, stderr=log
                )
                samples = _sample_until_done(locust, pool.process.pid, s)
        stats = workdir / "soak_stats.csv"
        if not stats.exists():
            tail = (workdir / "locust.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the soak's Locust run wrote no stats; its log ends:\n{tail}")
        summary = workdir / "run" / "summary.json"
        if not summary.exists():
            tail = (workdir / "locust.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the soak's run wrote no summary.json; its log ends:\n{tail}")
        counts = _counts(summary, stats)
        return figures(samples, counts, workdir / "run", s)


TABLES = (
    Table(
        title="Soak: one Locust process against the local pool, tokens living seconds",
        figures=(
            Figure(key="logins", label="SRP logins", unit="count", target=at_least(100_000),
                   note="the full soak's aim; the rate is what this shared machine gave"),
            Figure(key="logins_per_s", label="logins per second", unit="/s"),
            Figure(key="refreshes", label="refreshes", unit="count",
                   note="after access-token expiry; logins again after refresh expiry"),
            Figure(key="failures", label="failures", unit="count", target=at_most(0)),
            Figure(key="generator_rss_mib", label="generator RSS at the end", unit="MiB"),
            Figure(key="generator_rss_slope_mib_per_h", label="generator RSS slope",
                   unit="MiB/h", target=at_most(20), note="after warm-up, least squares"),
            Figure(key="pool_rss_mib", label="pool RSS at the end", unit="MiB",
                   note="process tree, shared pages counted per process"),
            Figure(key="pool_rss_slope_mib_per_h", label="pool RSS slope", unit="MiB/h",
                   target=at_most(20), note="after warm-up, least squares"),
            Figure(key="events_bytes_per_login", label="events written per login", unit="B",
                   note="--cognito-report-events gzip, as on disk; refreshes' lines included"),
            Figure(key="events_gib_per_day", label="events written per day at this rate",
                   unit="GiB", target=at_most(2.0), note="fits a laptop's disk"),
            Figure(key="events_text_bytes_per_login", label="as text (events.jsonl)",
                   unit="B", note="the same events decompressed: the jsonl default"),
            Figure(key="events_text_gib_per_day", label="as text, per day", unit="GiB"),
            Figure(key="events_gzip_ratio", label="gzip ratio", unit="x",
                   note="text / written, blocks of 256 KiB"),
        ),
    ),
)  # fmt: skip


def run(*, out: Path, settings: Settings | None = None) -> dict[str, Any]:
    """Measure, print and check the figures, write ``out``; returns what was written."""
    return finish(TABLES, measure(settings), out)
