"""``cognito-loadtest demo``: the main job, end to end, on this machine.

It runs what the toolkit can do today, in order, and says what each step showed:

1. the SRP maths: srp_fast's critical path against the raw floor and plain Python ``pow``
   (installed packages only; ``make bench`` from a checkout compares against pycognito too);
2. the local pool, started as its own process with its state in the run's folder;
3. synthetic test users made by the provisioning job (password, enrolled TOTP authenticator,
   remembered device), written to an identities file (mode 0600);
4. a short, bounded, headless Locust run of a ready scenario (the weighted mix of every flow);
5. a summary of what the run measured, per request name, from Locust's own CSV;
6. a time-scaled lockout probe of a few users on a local pool of its own (scale 0.01: the full
   schedule up to the cap in about half a minute), compared with the documented model;
7. the run's report: ``events.jsonl``, ``summary.json`` and a self-contained ``report.html``
   (written by the load run, with the probe folded in).

Each step is a :func:`loadtest.steps.step`: the first that fails stops the demo with one line
naming it, the reason and the log to read, and a non-zero exit code; no later step runs on
missing output. What can be shared goes to ``reports/<run-id>/`` (the last line printed is its
report.html); what holds secrets (the pool's state, the identities file, the error log) goes to
``.cognito-loadtest/<run-id>/``, readable by its owner only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from .lockout.demo import demo_probe
from .locust.cli import SCENARIOS, scenario_path
from .protocol.units import count_at_least, parse_duration
from .report.tables import Table
from .steps import StepFailed, last_line, step
from .target.launch import (
    LOCAL_CREDENTIALS_ENV,
    LocalApp,
    LocalPool,
    PoolStartError,
    create_app,
    local_pool,
)
from .target.safety import (
    OverLimit,
    add_bound_options,
    check_bounds,
    check_positive,
    guard_target,
)

__all__ = ["register"]

_COMMAND = "cognito-loadtest demo"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="run the main job on this machine (make demo)")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="output folder")
    parser.add_argument(
        "--private",
        type=Path,
        default=Path(".cognito-loadtest"),
        help="folder for pool state and identities (they hold secrets; created mode 0700)",
    )
    parser.add_argument(
        "--identities", type=count_at_least(1), default=60, help="test users to create"
    )
    parser.add_argument(
        "-u", "--users", type=count_at_least(1), default=10, help="Locust virtual users"
    )
    parser.add_argument("-t", "--run-time", default="30s", help="length of the load run")
    parser.add_argument(
        "--scenario",
        default="mix",
        help=f"what the load step runs: one of {', '.join(SCENARIOS)}, or a locustfile path",
    )
    parser.add_argument("--skip-bench", action="store_true", help="skip the SRP maths timing")
    parser.add_argument(
        "--probe-users",
        type=count_at_least(0),
        default=3,
        help="users for the lockout probe (0 skips it)",
    )
    parser.add_argument(
        "--probe-failures",
        type=count_at_least(0),
        default=0,
        help="counted failures per probed user (0: the full schedule up to the cap)",
    )
    add_bound_options(parser)
    parser.set_defaults(handler=run)


def _check_args(args: argparse.Namespace) -> int:
    """0 when the sizes are within the demo's maxima (or allowed above) and the scenario
    exists, else 2 (said why)."""
    try:
        sizes = {
            "identities": args.identities,
            "users": args.users,
            "run_time": parse_duration(args.run_time),
        }
        check_positive("demo", sizes)
        check_bounds("demo", sizes, allow=args.allow_above_max)
        scenario_path(args.scenario)
    except (ValueError, OverLimit) as exc:
        print(f"{_COMMAND}: {exc}", file=sys.stderr)
        return 2
    return 0


@dataclass(frozen=True, slots=True, kw_only=True)
class _Folders:
    """Where one demo run writes: shareable output, and private state (mode 0700)."""

    run_id: str
    run_dir: Path
    private: Path

    @classmethod
    def create(cls, reports: Path, private_root: Path) -> _Folders:
        run_id = datetime.now(UTC).strftime("demo-%Y%m%d-%H%M%S")
        run_dir, private = reports / run_id, private_root / run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        private.mkdir(mode=0o700, parents=True, exist_ok=True)
        return cls(run_id=run_id, run_dir=run_dir, private=private)


def run(args: argparse.Namespace) -> int:
    """The demo's steps in order; a failed one raises :class:`~loadtest.steps.Stopped`."""
    if refused := _check_args(args):
        return refused
    where = _Folders.create(args.reports, args.private)
    at = partial(step, _COMMAND, errors=where.private / "errors.log")
    if not args.skip_bench:
        with at("1. SRP maths: one login's client critical path on this machine"):
            _srp_timing()
    with ExitStack() as stack:  # the pool stops when steps 3-4 end, however they end
        with at(f"2. Local pool (state in {where.private})", log=where.private / "pool.log"):
            pool = _start_pool(stack, where.private / "pool.sqlite")
        code = _pool_steps(args, where, pool, at)
    with at("5. What the run measured (Locust's statistics)"):
        _summarise(where.run_dir / "locust_stats.csv")
    if args.probe_users:
        title = f"6. Lockout probe: {args.probe_users} users, local pool at time scale 0.01"
        with at(title, log=where.private / "lockout-pool.log"):
            summary = demo_probe(
                where.run_dir, where.private, users=args.probe_users, failures=args.probe_failures
            )
        code = code or _probe_exit_code(summary)
    with at("7. Report: summary.json and report.html (the probe folded in)"):
        report = _report(where.run_dir, probed=bool(args.probe_users))
    print(f"\ndemo finished (exit code {code}); {_verdict(where.run_dir)}; the report:\n{report}")
    return code


def _start_pool(stack: ExitStack, state: Path) -> LocalPool:
    """The demo's pool as a child process, stopped when ``stack`` closes."""
    try:
        return stack.enter_context(local_pool(state))
    except PoolStartError as exc:
        raise StepFailed(last_line(state.with_suffix(".log")) or str(exc)) from None


#: ``step`` with the demo's command and error log bound: ``at(title, log=...)``.
_At = Callable[..., AbstractContextManager[None]]


def _pool_steps(args: argparse.Namespace, where: _Folders, pool: LocalPool, at: _At) -> int:
    """Steps 3 and 4, which need the demo's pool running; Locust's exit code (0 or 1)."""
    print(f"   listening at {pool.url}")
    with at(f"3. Test users: {args.identities}, with TOTP and a remembered device"):
        app = create_app(pool.url, name="demo")
        # the demo's own pool, on loopback: stated, nothing to confirm
        local = {"endpoint_url": pool.url, "region": None, "pool_id": app.pool_id}
        guard_target(**local, confirm_pool_id=None, stream=sys.stdout)
        ids_path = where.private / "identities.jsonl"
        _provision(app, args.identities, ids_path, where.run_id)
        print(f"   identities written to {ids_path} (mode 0600)")
    load = _Load(scenario=args.scenario, users=args.users, run_time=args.run_time)
    with at(load.title(), log=where.run_dir / "locust.log"):
        return load.run(pool, app, ids_path, where.run_dir)


def _report(run_dir: Path, *, probed: bool) -> Path:
    """The run's report page, with the lockout probe's summary folded into it when one ran."""
    from .report import fold_in_lockout_probe

    if probed:
        fold_in_lockout_probe(run_dir)
    page = run_dir / "report.html"
    if not page.is_file():
        raise StepFailed(f"no report page at {page}")
    return page


def _verdict(run_dir: Path) -> str:
    """The load step's validity verdict, as its report page's banner states it."""
    from .report.summary import SUMMARY_FILE
    from .report.verdict import verdict

    return verdict(json.loads((run_dir / SUMMARY_FILE).read_text("utf-8"))).line


def _srp_timing() -> None:
    from .srp_timing import measure

    t = measure(rounds=5, per_round=20)
    print(
        f"   srp_fast critical path: {t.critical_path_ms:.2f} ms per login, "
        f"{t.critical_path_ms / t.powmod_ms:.2f}x one raw gmpy2 exponentiation of its size "
        f"({t.powmod_ms:.2f} ms); the same exponentiation in plain Python pow: "
        f"{t.python_pow_ms:.1f} ms"
    )
    print("   (against pycognito and more: 'make bench' from a checkout of the repository)")


def _provision(app: LocalApp, count: int, ids_path: Path, run_id: str) -> None:
    """Synthetic users through the provisioning job, paced inside the pool's quotas."""
    import asyncio

    from .provision import ProvisionSettings, provision
    from .target.config import TargetConfig

    target = TargetConfig.from_settings(app.settings())
    settings = ProvisionSettings(target=target, users=count, identities=ids_path, run=run_id)
    report = asyncio.run(provision(settings))  # loopback: signed with dummy credentials
    if not report.complete:
        raise StepFailed(f"provisioning did not complete: {report.failed} users failed")


def _probe_exit_code(summary: dict[str, Any]) -> int:
    """Zero only when every probed lock matched the documented model within its error bar."""
    return 0 if summary.get("verdict") == "match" else 1


@dataclass(frozen=True, slots=True, kw_only=True)
class _Load:
    """Step 4: a bounded headless Locust run of a scenario, through ``cognito-loadtest run``."""

    scenario: str
    users: int
    run_time: str

    def title(self) -> str:
        return f"4. Load: the {self.scenario} scenario, {self.users} users for {self.run_time}"

    def run(self, pool: LocalPool, app: LocalApp, ids_path: Path, run_dir: Path) -> int:
        """Locust's exit code, 0 or 1 (it recorded failures); ``StepFailed`` when it did not
        run to the end, since later steps read what it writes."""
        env = {**os.environ, **LOCAL_CREDENTIALS_ENV, "COGNITO_REPORT_DIR": str(run_dir)}
        with (run_dir / "locust.log").open("w") as log:
            command = self.command(pool, app, ids_path, run_dir)
            code = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        missing = [n for n in ("locust_stats.csv", "summary.json") if not (run_dir / n).is_file()]
        if code not in (0, 1) or missing:
            lacking = f", without {' or '.join(missing)}" if missing else ""
            raise StepFailed(f"locust exited with code {code}{lacking}")
        if code:
            print("   locust recorded failed requests (exit code 1): see the summary below")
        return code

    def command(self, pool: LocalPool, app: LocalApp, ids_path: Path, run_dir: Path) -> list[str]:
        return [
            sys.executable, "-m", "loadtest.cli", "run", self.scenario,
            "-u", str(self.users), "-r", str(max(1, self.users // 2)), "-t", self.run_time,
            "--csv", str(run_dir / "locust"),
            "--cognito-pool-id", app.pool_id, "--cognito-client-id", app.client_id,
            "--cognito-endpoint-url", pool.url, "--cognito-identities", str(ids_path),
            "--locust", "--html", str(run_dir / "locust.html"), "--only-summary",
        ]  # fmt: skip


def _summarise(stats_csv: Path) -> None:
    with stats_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    head = ("type", "name", "count", "fail", "p50 ms", "p99 ms")
    keys = ("Type", "Name", "Request Count", "Failure Count", "50%", "99%")
    table = Table.of(head, ([row[k] for k in keys] for row in rows), text=(0, 1))
    print("\n".join(table.lines(indent="   ")))
