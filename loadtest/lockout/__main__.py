"""``python -m loadtest.lockout ...``: the ``lockout-probe`` subcommand on its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .cli import register


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``lockout-probe`` arguments (the subcommand name is implied) and run it."""
    parser = argparse.ArgumentParser(prog="python -m loadtest.lockout")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["lockout-probe", *(sys.argv[1:] if argv is None else argv)])
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
