"""``cognito-loadtest demo``: the main job, end to end, on this machine.

It runs what the toolkit can do today, in order, and says what each step showed. Today that is
the SRP benchmark (srp_fast against pycognito, the critical path against one raw
exponentiation); later steps (local pool, provisioning, a load run, a lockout probe, a report)
join as they land.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="run the main job on this machine (make demo)")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="output folder")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from .bench import srp

    print("== 1. SRP maths: srp_fast against pycognito (reports/bench/srp.json)")
    figures = srp.run(out=args.reports / "bench" / "srp.json")
    print(
        f"\ndemo done: one login's critical path costs {figures['critical_path_ms']:.2f} ms, "
        f"{figures['pycognito_over_critical_path']:.1f}x less than pycognito's client maths."
    )
    return 0
