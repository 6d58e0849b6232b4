"""``cognito-loadtest report``: regenerate a run's summary, or compare two runs.

- ``report RUN_DIR`` rebuilds ``summary.json`` and ``report.html`` from ``events.jsonl``
  alone (after a crash, or to re-render), folding in the lockout probe's summary if present;
- ``--slo 'login:srp_totp p99<800ms'`` (repeatable) checks thresholds on it: exit code 1 if any
  fails;
- ``report --compare RUN_A RUN_B`` prints both runs side by side, percentiles and rates with the
  change from A to B (each run's ``summary.json``, regenerated from its events if missing).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .compare import print_comparison
from .events import EVENTS_FILE, has_events
from .regenerate import regenerate, summary_from_events
from .slo import check, parse_slo
from .summary import SUMMARY_FILE, unfinished
from .verdict import verdict

__all__ = ["handle", "register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report`` to the command line."""
    parser = subparsers.add_parser(
        "report",
        help="regenerate a run's summary.json and report.html from events.jsonl, or compare runs",
        description="Regenerate RUN_DIR/summary.json and RUN_DIR/report.html from "
        "RUN_DIR/events.jsonl, or with "
        "--compare print two runs side by side (percentiles and rates, with the change).",
    )
    parser.add_argument("run_dir", nargs="?", type=Path, help="a run folder (reports/<run-id>)")
    parser.add_argument(
        "--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"), help="two run folders"
    )
    parser.add_argument(
        "--slo",
        action="append",
        default=[],
        metavar="SLO",
        help="a threshold, e.g. 'login:srp_totp p99<800ms' or 'throttle_rate<0.1%%' "
        "(repeatable); exit code 1 if any fails",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run ``report``; exit code 2 on a missing or unusable folder or a malformed SLO, 1 if an
    SLO fails."""
    if args.compare:
        return _compare(args.compare[0], args.compare[1])
    if args.run_dir is None:
        print("report: give RUN_DIR, or --compare RUN_A RUN_B", file=sys.stderr)
        return 2
    if not has_events(args.run_dir):
        print(f"report: no {EVENTS_FILE} in {args.run_dir}", file=sys.stderr)
        return 2
    try:
        slos = [parse_slo(text) for text in getattr(args, "slo", None) or ()]
    except ValueError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    path = regenerate(args.run_dir)
    print(path)
    summary = json.loads(path.read_text("utf-8"))
    print(verdict(summary).line)
    cut_short = unfinished(summary)
    if cut_short:
        print(f"note: {cut_short}")
    results = check(summary, slos)
    for result in results:
        print(result.line())
    print(f"the report: {path.with_name('report.html')}")  # first line stays the summary's path
    return 0 if all(r.passed for r in results) else 1


def _compare(a: Path, b: Path) -> int:
    summaries = [_summary(path) for path in (a, b)]
    if summaries[0] is None or summaries[1] is None:
        return 2
    print_comparison(summaries[0], summaries[1], sys.stdout, names=(str(a), str(b)))
    return 0


def _summary(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / SUMMARY_FILE
    if path.is_file():
        loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return loaded
    if has_events(run_dir):
        return summary_from_events(run_dir)
    print(f"report: neither {SUMMARY_FILE} nor {EVENTS_FILE} in {run_dir}", file=sys.stderr)
    return None
