"""The ``cognito-loadtest`` command: one subcommand per job.

Each feature module contributes its subcommands through a ``register(subparsers)`` function, so
this file stays a table of contents.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__, bootstrap, demo
from .capacity import cli as capacity_cli
from .lockout import cli as lockout_cli
from .locust import cli as users_cli
from .pool import cli as pool_cli
from .provision import cli as provision_cli
from .quota import cli as quota_cli
from .report import cli as report_cli
from .steps import Stopped


def _register_bench(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``bench`` only points to the benchmarks: they live in a checkout, not in the package."""
    parser = subparsers.add_parser("bench", help="how to run the benchmarks (from a checkout)")
    for old in ("--only", "--out-dir"):  # the old flags still reach the hint
        parser.add_argument(old, action="append", help=argparse.SUPPRESS)
    parser.set_defaults(handler=_bench)


def _bench(_args: argparse.Namespace) -> int:
    print(BENCH_HINT, file=sys.stderr)
    return 2


#: Where the benchmarks went: top-level ``benchmarks/``, a dev tool, not in the wheel.
BENCH_HINT = (
    "the benchmarks are not part of the installed package; from a checkout of cognito-loadtest "
    "run `make bench` (or `.venv/bin/python -m benchmarks --only srp`)"
)

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

#: Modules that add subcommands, in the order ``--help`` lists them.
REGISTRARS: tuple[Registrar, ...] = (
    demo.register,
    users_cli.register,
    provision_cli.register,
    lockout_cli.register,
    capacity_cli.register,
    quota_cli.register,
    report_cli.register,
    pool_cli.register,
    _register_bench,
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="cognito-loadtest",
        description="Load, lockout and capacity testing for Amazon Cognito user pools.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in REGISTRARS:
        register(subparsers)
    return parser


def _handler(args: argparse.Namespace) -> Callable[[argparse.Namespace], int]:
    """The subcommand's ``handler``; ``pool serve --bootstrap`` goes to :mod:`.bootstrap`, which
    runs the server as a child (the server package imports no client code)."""
    if getattr(args, "bootstrap", None) is not None:
        return bootstrap.run
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, dispatch, return the exit code. A step that failed (see
    :mod:`.steps`) is one line on stderr, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return _handler(args)(args)
    except Stopped as stop:
        print(stop.line, file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
