"""``cognito-loadtest quota``: placeholder registrar until issue 8's quota work lands."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``quota`` to the command line."""
    parser = subparsers.add_parser("quota", help="(not built yet: issue 8)")
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    print("cognito-loadtest quota: not built yet (issue 8)", file=sys.stderr)
    return 2
