"""``cognito-loadtest demo``: the main job, end to end, on this machine.

It runs what the toolkit can do today, in order, and says what each step showed:

1. the SRP benchmark: srp_fast's client maths against pycognito and the raw floor;
2. the local pool, started as its own process with its state in the run's folder;
3. synthetic test users made by the provisioning job (password, enrolled TOTP authenticator,
   remembered device), written to an identities file (mode 0600);
4. a short, bounded, headless Locust run of the weighted mix of every login flow;
5. a summary of what the run measured, per request name, from Locust's own CSV;
6. a time-scaled lockout probe of a few users on a local pool of its own (scale 0.01: the full
   schedule up to the cap in about half a minute), compared with the documented model;
7. the run's report: ``events.jsonl``, ``summary.json`` and a self-contained ``report.html``
   (written by the load run, with the probe folded in).

What can be shared goes to ``reports/<run-id>/`` (the last line printed is its report.html);
what holds secrets (the pool's state, the identities file) goes to
``.cognito-loadtest/<run-id>/``, readable by its owner only.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .lockout.demo import demo_probe
from .protocol.units import parse_duration
from .report.tables import Table
from .target.launch import LOCAL_CREDENTIALS_ENV, LocalApp, LocalPool, create_app, local_pool
from .target.safety import OverLimit, add_bound_options, check_bounds, guard_target

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="run the main job on this machine (make demo)")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="output folder")
    parser.add_argument(
        "--private",
        type=Path,
        default=Path(".cognito-loadtest"),
        help="folder for pool state and identities (they hold secrets; created mode 0700)",
    )
    parser.add_argument("--identities", type=int, default=60, help="test users to create")
    parser.add_argument("-u", "--users", type=int, default=10, help="Locust virtual users")
    parser.add_argument("-t", "--run-time", default="30s", help="length of the load run")
    parser.add_argument("--skip-bench", action="store_true", help="skip the SRP benchmark")
    parser.add_argument(
        "--probe-users", type=int, default=3, help="users for the lockout probe (0 skips it)"
    )
    parser.add_argument(
        "--probe-failures",
        type=int,
        default=0,
        help="counted failures per probed user (0: the full schedule up to the cap)",
    )
    add_bound_options(parser)
    parser.set_defaults(handler=run)


def _check_bounds(args: argparse.Namespace) -> int:
    """0 when the sizes are within the demo's maxima (or allowed above), else 2 (said why)."""
    try:
        sizes = {
            "identities": args.identities,
            "users": args.users,
            "run_time": parse_duration(args.run_time),
        }
        check_bounds("demo", sizes, allow=args.allow_above_max)
    except (ValueError, OverLimit) as exc:
        print(f"cognito-loadtest demo: {exc}", file=sys.stderr)
        return 2
    return 0


def run(args: argparse.Namespace) -> int:
    if refused := _check_bounds(args):
        return refused
    run_id = datetime.now(UTC).strftime("demo-%Y%m%d-%H%M%S")
    run_dir = args.reports / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    private = args.private / run_id
    private.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not args.skip_bench:
        _bench(args.reports)
    print(f"\n== 2. Local pool (state in {private})")
    with local_pool(private / "pool.sqlite") as pool:
        print(f"   listening at {pool.url}")
        print(f"\n== 3. Test users: {args.identities}, with TOTP and a remembered device")
        app = create_app(pool.url, name="demo")
        # the demo's own pool, on loopback: stated, nothing to confirm
        local = {"endpoint_url": pool.url, "region": None, "pool_id": app.pool_id}
        guard_target(**local, confirm_pool_id=None, stream=sys.stdout)
        ids_path = private / "identities.jsonl"
        _provision(app, args.identities, ids_path, run_id)
        print(f"   identities written to {ids_path} (mode 0600)")
        print(f"\n== 4. Load: the mix scenario, {args.users} users for {args.run_time}")
        code = _load(pool, app, ids_path, run_dir, users=args.users, run_time=args.run_time)
    print("\n== 5. What the run measured (Locust's statistics)")
    _summarise(run_dir / "locust_stats.csv")
    if args.probe_users:
        print(f"\n== 6. Lockout probe: {args.probe_users} users, local pool at time scale 0.01")
        summary = demo_probe(run_dir, private, users=args.probe_users, failures=args.probe_failures)
        code = code or _probe_exit_code(summary)
    print("\n== 7. Report: summary.json and report.html (the probe folded in)")
    report = _report(run_dir, probed=bool(args.probe_users))
    print(f"\ndemo finished (exit code {code}); the report:\n{report}")
    return code


def _report(run_dir: Path, *, probed: bool) -> Path:
    """The run's report page, with the lockout probe's summary folded into it when one ran."""
    from .report import fold_in_lockout_probe

    if probed:
        fold_in_lockout_probe(run_dir)
    return run_dir / "report.html"


def _bench(reports: Path) -> None:
    import importlib

    try:  # benchmarks/ is a checkout's dev tool, not part of the installed package
        srp = importlib.import_module("benchmarks.srp")
    except ImportError:
        print("== 1. SRP maths: skipped (the benchmarks run from a checkout: make bench)")
        return
    print("== 1. SRP maths: srp_fast against pycognito (reports/bench/srp.json)")
    figures = srp.run(out=reports / "bench" / "srp.json", rounds=5, per_round=10)
    print(
        f"   one login's critical path: {figures['critical_path_ms']:.2f} ms, "
        f"{figures['pycognito_over_critical_path']:.1f}x less than pycognito's client maths"
    )


def _provision(app: LocalApp, count: int, ids_path: Path, run_id: str) -> None:
    """Synthetic users through the provisioning job, paced inside the pool's quotas."""
    import asyncio

    from .provision import ProvisionSettings, provision
    from .target.config import TargetConfig

    target = TargetConfig.from_settings(app.settings())
    settings = ProvisionSettings(target=target, users=count, identities=ids_path, run=run_id)
    report = asyncio.run(provision(settings))  # loopback: signed with dummy credentials
    if not report.complete:
        raise SystemExit(f"provisioning did not complete: {report.failed} users failed")


def _probe_exit_code(summary: dict[str, Any]) -> int:
    """Zero only when every probed lock matched the documented model within its error bar."""
    return 0 if summary.get("verdict") == "match" else 1


def _load(
    pool: LocalPool, app: LocalApp, ids_path: Path, run_dir: Path, *, users: int, run_time: str
) -> int:
    command = [
        sys.executable, "-m", "loadtest.cli", "run", "mix",
        "-u", str(users), "-r", str(max(1, users // 2)), "-t", run_time,
        "--csv", str(run_dir / "locust"),
        "--cognito-pool-id", app.pool_id, "--cognito-client-id", app.client_id,
        "--cognito-endpoint-url", pool.url, "--cognito-identities", str(ids_path),
        "--locust", "--html", str(run_dir / "locust.html"), "--only-summary",
    ]  # fmt: skip
    env = {**os.environ, **LOCAL_CREDENTIALS_ENV, "COGNITO_REPORT_DIR": str(run_dir)}
    with (run_dir / "locust.log").open("w") as log:
        return subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT).returncode


def _summarise(stats_csv: Path) -> None:
    if not stats_csv.is_file():
        print(f"   no statistics at {stats_csv}: see locust.log beside it")
        return
    with stats_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    head = ("type", "name", "count", "fail", "p50 ms", "p99 ms")
    keys = ("Type", "Name", "Request Count", "Failure Count", "50%", "99%")
    table = Table.of(head, ([row[k] for k in keys] for row in rows), text=(0, 1))
    print("\n".join(table.lines(indent="   ")))
