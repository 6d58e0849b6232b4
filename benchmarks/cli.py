"""``cognito-loadtest bench``: run the benchmarks and write ``reports/bench/*.json``."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]

SUITES = ("srp", "pool", "generator", "provision")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("bench", help="run the benchmarks (make bench)")
    parser.add_argument("--only", choices=SUITES, action="append", help="run only these suites")
    parser.add_argument("--out-dir", type=Path, default=Path("reports/bench"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    suites = args.only or list(SUITES)
    if "srp" in suites:
        from . import srp

        srp.run(out=args.out_dir / "srp.json")
    if "pool" in suites:
        from . import pool

        pool.run(out=args.out_dir / "pool.json")
    if "generator" in suites:
        from . import generator

        generator.run(out=args.out_dir / "generator.json")
    if "provision" in suites:
        from . import provision

        provision.run(out=args.out_dir / "provision.json")
    print(f"\nfigures written to {args.out_dir}/")
    return 0
