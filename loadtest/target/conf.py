"""A Locust config file (``locust.conf``) as every command reads it.

``pool serve --bootstrap DIR`` writes ``DIR/locust.conf`` with everything a run on its pool
needs (endpoint, pool and client ids, identities, domain and OAuth clients), and Locust reads it
with ``--config``. The commands that take a target read the same file with their own
``--config FILE`` (``lockout-probe``, ``provision``, ``teardown``, ``capacity``; ``run`` hands
it on to Locust): its ``cognito-*`` keys fill the options given neither on the command line nor
in the environment, Locust's own order (command line, then environment, then file). So one file
names a pool for every command, and a newcomer who bootstrapped a pool need not copy its ids.

The file is parsed by configargparse's parser, the one Locust uses, so both read it alike.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from configargparse import ConfigFileParserException, DefaultConfigFileParser

from .options import OPEN_MODEL, OPTIONS

__all__ = ["add_config_option", "apply_conf", "read_conf"]

#: A command's own options that a conf key fills too: key -> (destination, type).
Extra = Mapping[str, tuple[str, Callable[[str], Any]]]


def read_conf(path: Path) -> dict[str, str]:
    """The settings of a Locust config file; ``ValueError`` (one line) if it cannot be read."""
    try:
        with path.open(encoding="utf-8") as handle:
            pairs = DefaultConfigFileParser().parse(handle)
    except FileNotFoundError:
        raise ValueError(f"the config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the config file {path}: {exc}") from None
    except ConfigFileParserException as exc:
        raise ValueError(f"cannot read the config file {path}: {exc}") from None
    return {str(key): str(value) for key, value in pairs.items()}


def add_config_option(parser: argparse.ArgumentParser, extra: Extra | None = None) -> None:
    """``--config FILE`` on a command: its ``cognito-*`` settings (and the keys of ``extra``,
    for the command's own options) apply where nothing else set them (:func:`apply_conf`)."""
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a locust.conf, such as the one 'pool serve --bootstrap DIR' writes: its "
        "cognito-* settings apply where neither the command line nor the environment sets one",
    )
    parser.set_defaults(conf_extra=dict(extra or {}))


def apply_conf(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> None:
    """Fill ``args`` from its ``--config`` file, if any: each option of this command that the
    command line left unset and whose environment variable is unset takes the file's value.
    ``ValueError`` says what is wrong with the file or a value in it."""
    path = getattr(args, "config", None)
    if path is None:
        return
    values = read_conf(path)
    wanted: dict[str, tuple[str, Callable[[str], Any], str | None]] = {
        option.flag[2:]: (option.dest, option.type or str, option.env_var)
        for option in (*OPTIONS, *OPEN_MODEL)
        if not option.repeat
    }
    wanted |= {key: (dest, kind, None) for key, (dest, kind) in args.conf_extra.items()}
    for key, (dest, kind, env_var) in wanted.items():
        if key not in values or not hasattr(args, dest) or getattr(args, dest) is not None:
            continue
        if env_var is not None and environ.get(env_var):
            continue
        try:
            setattr(args, dest, kind(values[key]))
        except ValueError as exc:
            raise ValueError(f"{path}: {key} = {values[key]!r}: {exc}") from None
