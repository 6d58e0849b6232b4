"""Where a login's generator CPU goes on the Locust hub, by kind of work (issue 13 item 5).

``python -m benchmarks.profile_login [--scenario srp|srp_totp] [--users 20] [--window 8]``
starts the local pool (``--no-quotas``), provisions users, runs the scenario headless with
:mod:`benchmarks.probe` profiling the hub's thread (every greenlet) over the measured window,
and prints each kind of work's own time (cProfile ``tottime``) per login and its share.

Costs paid per second rather than per login (a timer greenlet, Locust's stats ticks) are divided
by the logins of the window too, so they weigh more at low rates. cProfile slows Python code more
than C code, so the per-login figures are inflated and the
shares lean toward pure-Python work: read them as where to look, and measure a cut with the
generator suite (``python -m benchmarks --only generator``), never with the profile. The maths
threads are not in the profile: their cost is the floor's exponentiation.
"""

from __future__ import annotations

import argparse
import pstats
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.locust.cli import scenario_path
from loadtest.target.launch import LOCAL_CREDENTIALS_ENV, local_pool

from ._locust import LocustRun, Probe, run_locust
from ._target import App, create_app, create_users, write_identities

__all__ = ["KINDS", "Kind", "breakdown", "main"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind:
    """A kind of work: a function is of this kind if its file path or name holds a marker."""

    name: str
    paths: Sequence[str] = ()
    names: Sequence[str] = ()

    def matches(self, filename: str, function: str) -> bool:
        return any(p in filename for p in self.paths) or any(n in function for n in self.names)


#: First match wins, so the specific kinds come before the broad ones.
KINDS = (
    Kind(name="JSON encode/decode", paths=("/json/",), names=("_json", "json.")),
    Kind(name="hashing (SHA-256, HMAC, HKDF)", paths=("/hmac.py",),
         names=("_hashlib", "openssl_", "hmac", "sha256")),
    Kind(name="HDR histograms", paths=("/hdrh/",)),
    Kind(name="structlog", paths=("/structlog/",)),
    Kind(name="report: events, step log, registry", paths=("/loadtest/report/",)),
    Kind(name="Locust adapter (loadtest.locust)", paths=("/loadtest/locust/",)),
    Kind(name="flow stepping (loadtest.flows)", paths=("/loadtest/flows/",)),
    Kind(name="drivers (loadtest.drivers)", paths=("/loadtest/drivers/",)),
    Kind(name="wire encode/decode (loadtest.protocol)", paths=("/loadtest/protocol/",)),
    Kind(name="srp_fast on the hub", paths=("/srp_fast/",), names=("gmpy2", "mpz")),
    Kind(name="Locust event firing and stats", paths=("/locust/",)),
    Kind(name="HTTP client (geventhttpclient)", paths=("/geventhttpclient/",)),
    Kind(name="gevent hub, sockets, waiting", paths=("/gevent/", "/greenlet/"),
         names=("recv", "send", "socket", "select", "poll", "epoll", "switch")),
    Kind(name="dataclasses, enums, typing", paths=("/dataclasses.py", "/enum.py", "/typing.py")),
    Kind(name="datetime, time", names=("datetime", "perf_counter", "monotonic", "strftime")),
)  # fmt: skip
OTHER = "other"


def breakdown(stats: pstats.Stats) -> dict[str, float]:
    """Own time (seconds) of the profile's functions, summed by :data:`KINDS`.

    A built-in (``isinstance``, ``max``, a C method) has no file of its own: its time goes to
    the kinds of its callers, split as the profile recorded it per caller.
    """
    totals: dict[str, float] = {}
    raw: dict[Key, tuple[int, int, float, float, dict[Key, tuple[Any, ...]]]]
    raw = stats.stats  # type: ignore[attr-defined]
    for key, (_cc, _nc, tottime, _ct, callers) in raw.items():
        for kind, seconds in _shares(key, tottime, callers):
            totals[kind] = totals.get(kind, 0.0) + seconds
    return totals


Key = tuple[str, int, str]


def _kind(key: Key) -> str:
    filename, _line, function = key
    return next((k.name for k in KINDS if k.matches(filename, function)), OTHER)


def _shares(
    key: Key, tottime: float, callers: dict[Key, tuple[Any, ...]]
) -> list[tuple[str, float]]:
    kind = _kind(key)
    if key[0] != "~" or kind != OTHER or not callers:
        return [(kind, tottime)]
    return [(_kind(caller), float(timing[2])) for caller, timing in callers.items()]


def print_breakdown(totals: dict[str, float], logins: int, cpu_ms_per_login: float) -> None:
    total = sum(totals.values())
    print(f"\nHub-thread time per login by kind ({logins} logins in the window; profiled)")
    for kind, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        per_login_us = seconds * 1e6 / max(logins, 1)
        print(f"  {kind:<42} {per_login_us:8.0f} µs  {seconds / total:6.1%}")
    print(
        f"  {'total (profiled, inflated by cProfile)':<42} {total * 1e6 / max(logins, 1):8.0f} µs"
    )
    print(f"  process CPU per login over the same window, all threads: {cpu_ms_per_login:.2f} ms")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_login")
    parser.add_argument("--scenario", choices=("srp", "srp_totp"), default="srp")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--window", type=float, default=8.0)
    parser.add_argument("--keep", type=Path, help="also copy the raw profile here")
    return parser.parse_args(argv)


def _identities(app: App, args: argparse.Namespace, workdir: Path) -> Path:
    totp = args.scenario == "srp_totp"
    count = args.users * (int(args.warmup + args.window) + 3) if totp else 2 * args.users + 8
    return write_identities(create_users(app, "lt-prof-", count, totp=totp), workdir / "ids.jsonl")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        workdir = Path(tmp)
        profile = args.keep or workdir / "hub.prof"
        with local_pool(workdir / "pool.sqlite", ["--no-quotas"]) as pool:
            app = create_app(pool.url)
            ids = _identities(app, args, workdir)
            argv_ = [
                "--cognito-pool-id", app.pool_id, "--cognito-client-id", app.client_id,
                "--cognito-endpoint-url", app.url, "--cognito-identities", str(ids),
                "--cognito-report-dir", str(workdir / "run"),  # events, HDR, as real runs
            ]  # fmt: skip
            run = LocustRun(
                name="profile",
                locustfile=scenario_path(args.scenario),
                users=args.users,
                argv=argv_,
                env=LOCAL_CREDENTIALS_ENV | {"BENCH_PROBE_PROFILE": str(profile)},
            )
            result = run_locust(run, Probe(warmup=args.warmup, window=args.window), workdir)
        totals = breakdown(pstats.Stats(str(profile)))
    print_breakdown(totals, result.logins, result.cpu_ms_per_login)
    return 0


if __name__ == "__main__":
    sys.exit(main())
