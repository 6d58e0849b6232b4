"""``python -m benchmarks`` (``make bench``): run the suites, print and check every figure.

Each suite declares its figures once (:mod:`benchmarks.figures`) and writes them, with each
target's verdict, to ``<out-dir>/<suite>.json``. The exit code is 1 if any figure missed its
target: the machine may be shared and noisy, so read the printed table before trusting a miss.
The soak suite runs ten minutes and is left out unless asked for (``--only soak``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from ._timing import missed

__all__ = ["DEFAULT_SUITES", "SUITES", "main"]

#: Every suite, in the order they run; each is ``benchmarks.<name>`` with ``run(out=...)``.
SUITES = ("srp", "pool", "generator", "provision", "user_auth", "soak")
#: What ``make bench`` runs without ``--only``.
DEFAULT_SUITES = ("srp", "pool", "generator", "provision", "user_auth")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", choices=SUITES, action="append", help="run only these suites")
    parser.add_argument("--out-dir", type=Path, default=Path("reports/bench"))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    misses: list[str] = []
    for name in args.only or DEFAULT_SUITES:
        suite = importlib.import_module(f"benchmarks.{name}")
        written = suite.run(out=args.out_dir / f"{name}.json")
        misses += [f"{name}.{key}" for key in missed(written)]
    print(f"\nfigures written to {args.out_dir}/")
    if misses:
        print("targets missed: " + ", ".join(misses))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
