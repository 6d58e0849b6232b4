"""``cognito-loadtest capacity``: placeholder registrar until issue 8's capacity work lands."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``capacity`` to the command line."""
    parser = subparsers.add_parser("capacity", help="(not built yet: issue 8)")
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    print("cognito-loadtest capacity: not built yet (issue 8)", file=sys.stderr)
    return 2
