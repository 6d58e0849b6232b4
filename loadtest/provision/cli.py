"""``cognito-loadtest provision`` and ``cognito-loadtest teardown``.

``register(subparsers)`` adds both to the main command; ``python -m loadtest.provision.cli``
runs them on their own. The target is the local pool (``http://127.0.0.1:9229/``) unless
``--endpoint-url`` says otherwise (``aws``: the regional endpoint of a real pool, signed with
the usual AWS credentials chain). Exit codes: 0 done, 1 some users failed (run again to
finish), 2 bad settings or a pool that cannot do what was asked, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeAlias

from loadtest.protocol.errors import CognitoError, TransportError
from loadtest.protocol.quotas import QuotaCategory
from loadtest.protocol.units import count_at_least, parse_quota_limit
from loadtest.target.conf import add_config_option
from loadtest.target.config import ConfigError, TargetConfig
from loadtest.target.options import CONFIRM, Option, add_command_options, pick, settings_from
from loadtest.target.safety import (
    UnsafeTarget,
    add_bound_options,
    check_bounds,
    guard_target,
)

from .naming import NotSynthetic, run_id_from
from .plan import Plan
from .progress import ProgressPrinter
from .provision import ProvisionError, ProvisionReport, ProvisionSettings, provision
from .ratelimit import Backoff, RateLimits
from .store import IdentitiesFileError
from .teardown import TeardownReport, TeardownSettings, teardown

__all__ = ["build_parser", "main", "register"]

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: Teardown needs no app client; the target validation does, so it gets this stand-in.
_NO_CLIENT = "teardown"


def register(subparsers: Subparsers) -> None:
    """Add ``provision`` and ``teardown`` to a command's subparsers."""
    _provision_parser(subparsers)
    _teardown_parser(subparsers)


def _provision_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "provision",
        help="create synthetic test users (password, TOTP, device) and an identities file",
        description="Create N synthetic users lt-<run>-00001..., each with a permanent password, "
        "an enrolled TOTP authenticator and a remembered device, paced by Cognito's quotas. "
        "Each finished user is appended to the identities file (mode 0600); running the same "
        "command again finishes an interrupted run. The target is stated first; a pool that is "
        "not the local one needs --confirm-pool-id; more than 10000 users or 64 in flight "
        "need --allow-above-max.",
    )
    parser.add_argument(
        "-n", "--users", type=count_at_least(1), required=True, help="users in the run"
    )
    parser.add_argument(
        "--identities", type=Path, required=True, help="identities file (JSON lines, appended)"
    )
    parser.add_argument("--run", help="run id in the user names (default: from the file's name)")
    parser.add_argument("--no-totp", action="store_true", help="do not enroll TOTP")
    parser.add_argument("--no-device", action="store_true", help="do not register a device")
    parser.add_argument(
        "--passkeys",
        action="store_true",
        help="register a passkey (a software authenticator's P-256 key, kept in the identities "
        "file) for each user: the pool must allow WEB_AUTHN and name a relying party",
    )
    parser.add_argument(
        "--emails",
        action="store_true",
        help="give each user a verified e-mail address on the reserved example.com (EMAIL_OTP)",
    )
    parser.add_argument(
        "--phones",
        action="store_true",
        help="give each user a verified number in the fictional +1 NPA 555-01XX lines (SMS_OTP)",
    )
    parser.add_argument(
        "--sms-mfa",
        action="store_true",
        help="turn SMS MFA on for each user (implies --phones; set after the sign-in, so "
        "provisioning sends no SMS; with TOTP too, sign-in asks SELECT_MFA_TYPE)",
    )
    parser.add_argument(
        "--email-mfa",
        action="store_true",
        help="turn e-mail MFA on for each user (implies --emails; set after the sign-in, so "
        "provisioning sends no e-mail; the pool needs EmailMfaConfiguration, which Cognito "
        "allows only with SES e-mail; with TOTP or SMS too, sign-in asks SELECT_MFA_TYPE)",
    )
    parser.add_argument(
        "--user-timeout", type=float, default=300.0, help="seconds one user may take"
    )
    _target_options(parser, client=True)
    _pacing_options(parser)
    add_config_option(parser)
    parser.set_defaults(handler=run_provision)


def _teardown_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "teardown",
        help="delete synthetic test users (by identities file or prefix)",
        description="Delete the users of an identities file, or every user whose name starts "
        "with a prefix. Only synthetic users (names starting with lt-) are ever deleted: "
        "there is no override. The target is stated first; a pool that is not the local one "
        "needs --confirm-pool-id.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--identities", type=Path, help="delete the users of this file")
    which.add_argument("--prefix", help="delete every user whose name starts with this (lt-...)")
    parser.add_argument("--dry-run", action="store_true", help="list what would go, delete nothing")
    parser.add_argument(
        "--force-non-synthetic",
        action="store_true",
        help="also delete users of the identities file without the lt- prefix (never with "
        "--prefix): users this toolkit did not create",
    )
    _target_options(parser, client=False)
    _pacing_options(parser)
    add_config_option(parser)
    parser.set_defaults(handler=run_teardown)


def _target_options(parser: argparse.ArgumentParser, *, client: bool) -> None:
    group = parser.add_argument_group("target (defaults from COGNITO_* environment variables)")
    add_command_options(group, (*_targets(client=client), CONFIRM))
    add_bound_options(group)


def _targets(*, client: bool) -> tuple[Option, ...]:
    """Provisioning needs the app client; teardown only the pool (its --identities is the
    command's own: a file it writes or reads, not a run's input)."""
    clients = ("client_id", "client_secret") if client else ()
    return pick("pool_id", *clients, "region", "endpoint_url")


def _pacing_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("pacing")
    group.add_argument(
        "--concurrency", type=count_at_least(1), default=16, help="users (or deletes) in flight"
    )
    group.add_argument(
        "--rate",
        type=parse_quota_limit,
        action="append",
        default=[],
        metavar="CATEGORY=RPS",
        help="client-side limit of a quota category, e.g. UserResourceUpdate=20 (or =off); "
        "defaults are Cognito's default quotas",
    )
    group.add_argument(
        "--no-rate-limits", action="store_true", help="no client-side pacing (throttles retried)"
    )
    group.add_argument(
        "--max-attempts",
        type=count_at_least(1),
        default=Backoff().attempts,
        help="tries of one throttled call before its user fails",
    )


def _limits(args: argparse.Namespace) -> RateLimits:
    base = RateLimits.unlimited() if args.no_rate_limits else RateLimits()
    changes: dict[QuotaCategory, float | None] = dict(args.rate)
    return base.with_rates(changes)


def _target(args: argparse.Namespace, *, client: bool) -> TargetConfig:
    settings = settings_from(args, targets=_targets(client=client))
    if not client:
        settings["client_id"] = _NO_CLIENT
    return TargetConfig.from_settings(settings)


def guard(command: str, args: argparse.Namespace, target: TargetConfig) -> None:
    """The safety rails (:mod:`loadtest.target.safety`): sizes within bounds, the target stated and,
    unless it is the local pool, its id confirmed; raises :class:`UnsafeTarget`."""
    sizes = {"concurrency": args.concurrency}
    if command == "provision":
        sizes["users"] = args.users
    check_bounds(command, sizes, allow=args.allow_above_max)
    guard_target(
        endpoint_url=target.endpoint_url,
        region=target.region,
        pool_id=target.pool_id,
        confirm_pool_id=args.cognito_confirm_pool_id,
    )


def provision_settings(args: argparse.Namespace) -> ProvisionSettings:
    """The settings of a ``provision`` command line (raises ``ValueError`` subclasses)."""
    return ProvisionSettings(
        target=_target(args, client=True),
        users=args.users,
        identities=args.identities,
        run=args.run or run_id_from(args.identities.stem),
        plan=Plan(
            totp=not args.no_totp,
            device=not args.no_device,
            passkey=args.passkeys,
            email=args.emails or args.email_mfa,
            phone=args.phones or args.sms_mfa,
            sms=args.sms_mfa,
            email_mfa=args.email_mfa,
        ),
        limits=_limits(args),
        backoff=Backoff(attempts=args.max_attempts),
        concurrency=args.concurrency,
        user_timeout=args.user_timeout,
    )


def run_provision(args: argparse.Namespace) -> int:
    """The ``provision`` handler."""

    def body() -> tuple[str, int]:
        settings = provision_settings(args)
        guard("provision", args, settings.target)
        # the file holds passwords and TOTP seeds: a folder made for it is its owner's only
        settings.identities.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        report = asyncio.run(provision(settings, printer=ProgressPrinter(), handle_signals=True))
        return _provision_summary(report, settings), report.exit_code

    errors = (ConfigError, ProvisionError, IdentitiesFileError, ValueError, UnsafeTarget)
    return _handle("provision", body, errors, "interrupted before users were scheduled")


def _handle(
    command: str,
    body: Callable[[], tuple[str, int]],
    errors: tuple[type[Exception], ...],
    interrupted: str,
) -> int:
    """Run a handler's ``body`` (summary, exit code): its expected errors and an interrupt
    before any work become one line on stderr (exit 2 and 130), not a traceback."""
    try:
        summary, code = body()
    except errors as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: {interrupted}", file=sys.stderr)
        return 130
    print(summary)
    return code


def _provision_summary(report: ProvisionReport, settings: ProvisionSettings) -> str:
    head = "interrupted" if report.interrupted else ("done" if report.complete else "incomplete")
    text = (
        f"{head}: {report.resumed + report.created}/{report.users} users in "
        f"{settings.identities} (mode 0600): {report.created} new, {report.resumed} from before, "
        f"{report.recreated} half-made recreated, {report.failed} failed; "
        f"{report.throttles} throttled calls retried; {report.seconds:.1f} s "
        f"(estimated at least {report.estimate.seconds:.1f} s)"
    )
    if not report.complete:
        text += "\nrun the same command again to finish the missing users"
    return text


def teardown_settings(args: argparse.Namespace) -> TeardownSettings:
    """The settings of a ``teardown`` command line (raises ``ValueError`` subclasses)."""
    return TeardownSettings(
        target=_target(args, client=False),
        identities=args.identities,
        prefix=args.prefix,
        limits=_limits(args),
        backoff=Backoff(attempts=args.max_attempts),
        concurrency=args.concurrency,
        dry_run=args.dry_run,
        force_non_synthetic=args.force_non_synthetic,
    )


def run_teardown(args: argparse.Namespace) -> int:
    """The ``teardown`` handler."""

    def body() -> tuple[str, int]:
        settings = teardown_settings(args)
        guard("teardown", args, settings.target)
        report = asyncio.run(teardown(settings, printer=ProgressPrinter(), handle_signals=True))
        return _teardown_summary(report), report.exit_code

    errors = (
        ConfigError,
        NotSynthetic,
        ValueError,
        OSError,
        CognitoError,
        TransportError,
        UnsafeTarget,
    )
    return _handle("teardown", body, errors, "interrupted before any delete")


def _teardown_summary(report: TeardownReport) -> str:
    head = "interrupted" if report.interrupted else ("done" if not report.failed else "incomplete")
    return (
        f"{head}: {report.deleted} deleted, {report.already_gone} already gone, "
        f"{report.failed} failed of {report.found}; {report.seconds:.1f} s"
    )


def build_parser() -> argparse.ArgumentParser:
    """A parser with just these two subcommands (for ``python -m loadtest.provision.cli``)."""
    parser = argparse.ArgumentParser(prog="cognito-loadtest")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and run one of the two subcommands."""
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
