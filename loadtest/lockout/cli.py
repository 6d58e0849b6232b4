"""``cognito-loadtest lockout-probe``: measure a pool's lockout schedule against the model.

The target is the local pool by default (``--endpoint-url``, or ``aws`` for the regional
endpoint); settings also come from the ``COGNITO_*`` environment variables, so a client secret
need not appear in the process list. The model's options are named like the local pool's
(``--lockout-threshold`` ...), and ``--time-scale`` is the scale the target pool runs at.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from loadtest.flows import Identity, load_identities
from loadtest.protocol.lockout import add_lockout_options, lockout_settings
from loadtest.protocol.units import count_at_least
from loadtest.target.conf import add_config_option
from loadtest.target.config import ConfigError, TargetConfig, check_reachable
from loadtest.target.options import CONFIRM, add_command_options, pick, settings_from, target_from
from loadtest.target.safety import (
    UnsafeTarget,
    add_bound_options,
    check_bounds,
    guard_target,
)

from .attempts import Method, ProbeUser
from .model import LockoutModel
from .plan import PlanSettings, PollSettings
from .probe import ProbeConfig, UnsafeUsername, check_users, run_probe

__all__ = ["config_from", "register"]

_EXIT = {"match": 0, "differs": 1, "inconclusive": 3}
#: The target settings of the probe (its users come from --user and its own --identities).
_TARGET = pick("region", "pool_id", "client_id", "client_secret", "endpoint_url")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``lockout-probe`` to the command line."""
    parser = subparsers.add_parser(
        "lockout-probe",
        help="measure a pool's temporary-lockout schedule against the documented model",
        description="Drive failed sign-ins for synthetic users (prefix 'lt-'), watch each lock "
        "lift, and compare the measured schedule with the model. Exit code 0: matches, "
        "1: differs, 2: refused (bad settings, an unconfirmed pool that is not the local one, "
        "a non-synthetic user, more than 20 users), 3: inconclusive.",
    )
    _target_options(parser)
    _user_options(parser)
    _model_options(parser)
    _plan_options(parser)
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="output folder")
    parser.add_argument("--run-id", help="report sub-folder (default lockout-<UTC time>)")
    add_config_option(parser, {"cognito-identities": ("identities", Path)})
    parser.set_defaults(handler=_run)


def _target_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target (also COGNITO_* environment variables)")
    add_command_options(group, (*_TARGET, CONFIRM))
    group.add_argument("--timeout", type=float, default=10.0, help="seconds per call")
    add_bound_options(group)


def _user_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("users")
    group.add_argument(
        "--user",
        action="append",
        default=[],
        help="a user to probe (repeatable); an identities file gives its password and TOTP "
        "secret, and its other users are left alone",
    )
    group.add_argument(
        "--identities", type=Path, help="identities file (JSON lines): usernames and passwords"
    )
    group.add_argument(
        "--count",
        type=count_at_least(1),
        help="probe the identities file's first N users (default: all; not with --user)",
    )
    group.add_argument(
        "--force-non-synthetic",
        "--force-unsafe-username",
        dest="force_unsafe_username",
        action="store_true",
        help="probe usernames without the 'lt-' prefix, i.e. possibly real people's accounts "
        "(their password is never sent)",
    )
    group.add_argument("--method", choices=[m.value for m in Method], default=Method.SRP.value)


def _model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model (model seconds; defaults are Cognito's documented)")
    add_lockout_options(group)
    group.add_argument(
        "--time-scale", type=float, default=1.0, help="the target pool's time scale (real: 1)"
    )


def _plan_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("probe")
    group.add_argument(
        "--failures",
        type=count_at_least(0),
        default=0,
        help="counted failures (default: to the cap, +1)",
    )
    group.add_argument("--idle-reset", action="store_true", help="also probe the idle reset")
    group.add_argument(
        "--no-success-reset", action="store_true", help="skip the success-reset phase"
    )
    group.add_argument("--max-attempts", type=count_at_least(1), default=5000, help="per user")
    group.add_argument("--max-seconds", type=float, default=0.0, help="default: from the model")
    group.add_argument("--min-poll", type=float, default=0.2, help="model seconds")
    group.add_argument("--max-poll", type=float, default=30.0, help="model seconds")


def config_from(args: argparse.Namespace) -> ProbeConfig:
    """A :class:`ProbeConfig` from parsed arguments; ``ValueError`` says what is wrong."""
    _check_timing(args)
    target = _target(args)
    return ProbeConfig(
        endpoint_url=target.endpoint_url,
        client=target.app_client,
        users=_users(args),
        model=LockoutModel(**lockout_settings(args), time_scale=args.time_scale),
        plan=PlanSettings(
            schedule_failures=args.failures,
            idle_reset=args.idle_reset,
            success_reset=not args.no_success_reset,
            max_attempts=args.max_attempts,
            poll=PollSettings(min_interval=args.min_poll, max_interval=args.max_poll),
        ),
        method=Method(args.method),
        max_seconds=args.max_seconds,
        force_unsafe_username=args.force_unsafe_username,
        timeout=args.timeout,
    )


def _target(args: argparse.Namespace) -> TargetConfig:
    return target_from(args, targets=_TARGET)


def guard(args: argparse.Namespace, config: ProbeConfig) -> None:
    """The safety rails: at most 20 users and bounded attempts and time (unless
    ``--allow-above-max``), the target stated and, unless it is the local pool, confirmed;
    then that it answers at all (else the probe would spend its time budget on refusals)."""
    sizes = {
        "users": len(config.users),
        "max_attempts": args.max_attempts,
        "max_seconds": args.max_seconds,
    }
    check_bounds("lockout-probe", sizes, allow=args.allow_above_max)
    guard_target(
        endpoint_url=config.endpoint_url,
        region=settings_from(args, targets=pick("region"))["region"],
        pool_id=config.client.pool_id,
        confirm_pool_id=args.cognito_confirm_pool_id,
    )
    check_users(config.users, force_unsafe=config.force_unsafe_username)
    check_reachable(config.endpoint_url)


def _check_timing(args: argparse.Namespace) -> None:
    """The probe's own times make sense: a negative budget ended a run "inconclusive" before
    its first attempt, and a poll gap of 0 or below polled as fast as the pool answered."""
    if args.max_seconds < 0:
        raise ValueError(
            f"--max-seconds must be 0 (from the model) or more, not {args.max_seconds:g}"
        )
    if args.min_poll <= 0:
        raise ValueError(f"--min-poll must be above 0 model seconds, not {args.min_poll:g}")
    if args.max_poll < args.min_poll:
        raise ValueError(
            f"--max-poll {args.max_poll:g} is below --min-poll {args.min_poll:g}: the longest "
            "gap between polls cannot be shorter than the shortest"
        )


def _users(args: argparse.Namespace) -> tuple[ProbeUser, ...]:
    """The users to probe: those ``--user`` names, else the identities file's (its first
    ``--count``). A named user the file holds is probed with its password and TOTP secret
    from there; the file's other users are left alone. (The names used to be added to the
    whole file, which a ``--config`` supplies unasked: ``--user lt-x`` probed, and locked out,
    every user of the bootstrap's file too.)"""
    identities = load_identities(args.identities) if args.identities is not None else None
    if args.user:
        if args.count is not None:
            raise ValueError(
                "--count picks the identities file's first users and --user names users: "
                "give one or the other"
            )
        known = {i.username: i for i in identities or ()}
        return tuple(
            _probe_user(known[n]) if n in known else ProbeUser(username=n) for n in args.user
        )
    if identities is None:
        raise ValueError("no users to probe: give --user NAME or --identities FILE")
    if args.count is not None:
        identities = identities[: args.count]
    if not identities:
        raise ValueError(f"no users to probe: {args.identities} holds none")
    return tuple(_probe_user(i) for i in identities)


def _probe_user(identity: Identity) -> ProbeUser:
    return ProbeUser(
        username=identity.username,
        password=identity.password,
        totp_secret=identity.totp_secret,
        last_totp_step=identity.last_totp_step,
    )


def _run(args: argparse.Namespace) -> int:
    try:
        config = config_from(args)
        guard(args, config)
    except (ValueError, ConfigError, OSError, UnsafeTarget) as exc:
        print(f"cognito-loadtest lockout-probe: {exc}", file=sys.stderr)
        return 2
    run_id = args.run_id or datetime.now(UTC).strftime("lockout-%Y%m%d-%H%M%S")
    run_dir = args.reports / run_id
    try:
        summary = asyncio.run(run_probe(config, run_dir))
    except UnsafeUsername as exc:
        print(f"cognito-loadtest lockout-probe: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted; what was measured is in:\n{run_dir}", file=sys.stderr)
        return 130
    print(run_dir)
    return _EXIT[str(summary["verdict"])]
