"""The ``cognito-loadtest`` command: one subcommand per job.

Each feature module contributes its subcommands through a ``register(subparsers)`` function, so
this file stays a table of contents.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from . import __version__
from .steps import Stopped
from .target.conf import apply_conf


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

#: Each subcommand and the module whose ``register`` adds it, in the order ``--help`` lists
#: them (``bench`` is this module's own). A command line that names one imports only its
#: module: ``pool serve`` then starts without the client, Locust's CLI, the report's pages or
#: the capacity model (~0.3 s of imports), which every test pool and local pool paid.
COMMANDS: dict[str, str] = {
    "demo": "loadtest.demo",
    "run": "loadtest.locust.cli",
    "provision": "loadtest.provision.cli",
    "teardown": "loadtest.provision.cli",
    "lockout-probe": "loadtest.lockout.cli",
    "capacity": "loadtest.capacity.cli",
    "quota": "loadtest.quota.cli",
    "report": "loadtest.report.cli",
    "pool": "loadtest.pool.cli",
}


class _Parser(argparse.ArgumentParser):
    """argparse's parser, saying a bad argument in one line: what was wrong and where the
    options are. argparse's own prints the usage above it first, twenty lines of options for
    ``run``, with the one line that matters last. Every subcommand's parser is one of these
    (``add_subparsers`` makes its parsers of the parent's class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} ('{self.prog} --help' lists the options)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: with every subcommand, or with only ``command``'s (and those its
    module also registers) when it is one of :data:`COMMANDS`."""
    parser: argparse.ArgumentParser = _Parser(
        prog="cognito-loadtest",
        description="Load, lockout and capacity testing for Amazon Cognito user pools.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    only = COMMANDS.get(command or "")
    for module in [only] if only else dict.fromkeys(COMMANDS.values()):
        importlib.import_module(module).register(subparsers)
    if only is None:
        _register_bench(subparsers)
    return parser


def _handler(args: argparse.Namespace) -> Callable[[argparse.Namespace], int]:
    """The subcommand's ``handler``; ``pool serve --bootstrap`` goes to :mod:`.bootstrap`, which
    runs the server as a child (the server package imports no client code)."""
    if getattr(args, "bootstrap", None) is not None:
        from .bootstrap import run  # the client side (flows, Locust's CLI) only for a bootstrap

        return run
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, dispatch, return the exit code. A step that failed (see
    :mod:`.steps`) is one line on stderr, never a traceback."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        apply_conf(args)
    except ValueError as exc:
        print(f"cognito-loadtest {args.command}: {exc}", file=sys.stderr)
        return 2
    try:
        return _handler(args)(args)
    except Stopped as stop:
        print(stop.line, file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # whatever read our output went away (``report --compare A B | head``): stop quietly,
        # as a Unix tool killed by SIGPIPE does; stdout goes to /dev/null so that the flush
        # at exit does not fail on the closed pipe again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
