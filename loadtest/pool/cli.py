"""``cognito-loadtest pool serve``: run the local Cognito-compatible pool."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loadtest.protocol.lockout import add_lockout_options, lockout_settings
from loadtest.protocol.quotas import (
    DEFAULT_RPS,
    DOMAIN_LIMITS,
    PER_USER_RPS,
    DomainLimits,
    QuotaCategory,
)
from loadtest.protocol.units import count_at_least, parse_quota

from .clock import TimeScale
from .faults import Fault, FaultSpecError, Stall, parse_fault
from .lockout import LockoutPolicy
from .quotas import QuotaSettings
from .settings import ServeSettings
from .store import state_path
from .triggers import load_handler, parse_trigger

__all__ = ["BOOTSTRAP_OPTIONS", "add_serve_options", "register", "settings_from_args"]

DEFAULT_STATE = Path(".cognito-loadtest") / "pool.sqlite3"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pool serve`` to the command line."""
    pool = subparsers.add_parser("pool", help="the local Cognito-compatible user pool server")
    actions = pool.add_subparsers(dest="pool_command", metavar="ACTION", required=True)
    parser = actions.add_parser(
        "serve",
        help="serve the local pool on loopback",
        description="Serve a Cognito-compatible user pool (AWS JSON 1.1) on loopback. Prints "
        "'listening http://HOST:PORT' once ready; GET /health answers too.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_FAULT_HELP,
    )
    add_serve_options(parser)
    _add_bootstrap_options(parser)
    parser.set_defaults(handler=_serve)


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """The server's own options: what a child ``pool serve`` can be given again."""
    _add_server_options(parser)
    _add_behaviour_options(parser)


#: Destinations of the options that ask for a bootstrap. The server itself never reads them:
#: the top-level CLI hands ``serve --bootstrap`` to ``loadtest.bootstrap``, which runs the
#: server as a child process and provisions it over HTTP (the server imports no client code).
BOOTSTRAP_OPTIONS = ("bootstrap", "users")


def _add_bootstrap_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap",
        type=Path,
        metavar="DIR",
        help="a pool every ready scenario runs on, in one command: create (or, restarted over "
        "the same state, reuse) a user pool set up for all of them (TOTP, SMS and e-mail MFA, "
        "devices, every USER_AUTH first factor, passkeys, the example captcha triggers unless "
        "--trigger, a domain), its app clients and --users test users of each kind (TOTP and a "
        "device; no MFA with a passkey, e-mail and phone; SMS MFA; e-mail MFA); write "
        "DIR/identities.jsonl and "
        "DIR/locust.conf (state defaults to DIR/pool.sqlite3), then serve",
    )
    parser.add_argument(
        "--users",
        type=count_at_least(1),
        default=20,
        help="test users of each kind to provision with --bootstrap (default 20)",
    )


_FAULT_HELP = """fault syntax (--fault, repeatable): KIND[:ARG][@RATE][/OPERATION]
  latency:50ms             add 50 ms to every API answer (20-80ms: uniform)
  latency:200ms@0.1        ... to 10 % of answers
  throttle@0.05            5 % TooManyRequestsException
  5xx@0.01 / 503@0.01      1 % InternalErrorException (500) / ServiceUnavailable (503)
  drop@0.01                1 % of connections closed without an answer
  stall:10s+5s             hold the API's answers from 10 s after start, for 5 s
  throttle@0.5/InitiateAuth  limit a fault to one operation
  latency:5s/oauth2/token  delay one endpoint of a domain (latency only)
POST /_pool/stall {"seconds": N} stalls the API's answers at run time."""


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=9229, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (loopback only)")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow binding a non-loopback address"
    )
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="SQLite state file")
    parser.add_argument(
        "--workers", type=count_at_least(1), default=1, help="worker processes (one per core)"
    )
    parser.add_argument(
        "--math-threads", type=count_at_least(1), default=2, help="SRP threads per worker"
    )
    parser.add_argument("--region", default="us-east-1", help="region in pool ids and issuers")
    parser.add_argument(
        "--max-in-flight",
        type=count_at_least(0),
        default=512,
        help="requests a worker answers at once; more get TooManyRequestsException (0: no cap)",
    )
    parser.add_argument(
        "--max-loop-lag",
        type=float,
        default=0.0,
        help="shed new requests (TooManyRequestsException) while a worker's event loop lags "
        "more than this many seconds: bounded latency under overload (0: off)",
    )


def _add_behaviour_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="multiply lockout, idle-reset and session durations (0.01: 100x faster)",
    )
    add_lockout_options(parser)
    parser.add_argument(
        "--quota",
        action="append",
        default=[],
        metavar="CATEGORY=RPS",
        help="change a quota category's rate, e.g. UserAuthentication=200",
    )
    parser.add_argument(
        "--per-user-rps",
        type=float,
        default=float(PER_USER_RPS),
        help=f"each user's own request rate (default {PER_USER_RPS}, as Cognito's)",
    )
    _add_domain_limit_options(parser)
    parser.add_argument(
        "--burst-seconds",
        type=float,
        default=1.0,
        help="each quota bucket holds this many seconds of its rate (at least one request)",
    )
    parser.add_argument("--no-quotas", action="store_true", help="switch quotas off")
    parser.add_argument(
        "--user-code-limits",
        action="store_true",
        help="keep Cognito's per-user hourly limits on code and password operations "
        "(ForgotPassword, ConfirmSignUp, ChangePassword, ...): LimitExceededException beyond",
    )
    parser.add_argument("--fault", action="append", default=[], metavar="SPEC")
    parser.add_argument("--seed", type=int, default=None, help="seed for fault draws")
    parser.add_argument(
        "--messages-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="also append every SMS/e-mail code the pool would send to this JSON-lines file "
        "(mode 0600); GET /_pool/messages?username=U reads them either way",
    )
    parser.add_argument(
        "--trigger",
        action="append",
        default=[],
        metavar="NAME=MODULE:FUNCTION",
        help="register a Lambda-style Python handler as the local Lambda function NAME: a "
        "pool's LambdaConfig ARN ending in :function:NAME runs it; a NAME that is a "
        "custom-auth trigger's (define_auth_challenge, create_auth_challenge, "
        "verify_auth_challenge_response) is also that trigger's handler for pools with no "
        "LambdaConfig, e.g. define_auth_challenge=scenarios.triggers.captcha:"
        "define_auth_challenge",
    )
    parser.add_argument(
        "--test-clock",
        action="store_true",
        help='let POST /_pool/clock {"advance": s} move the pool\'s clock (tests)',
    )
    parser.add_argument(
        "--freeze-clock",
        action="store_true",
        help="like --test-clock, and the clock stands still until advanced (exact tests)",
    )


def _add_domain_limit_options(parser: argparse.ArgumentParser) -> None:
    """A user-pool domain's bulk limits (Cognito's are not adjustable; these are for tests)."""
    limits = DOMAIN_LIMITS
    for flag, default, what in (
        ("--domain-ip-rps", limits.per_ip, "from one source IP to one domain"),
        ("--domain-client-rps", limits.per_client, "for one app client in one domain"),
        ("--domain-rps", limits.per_domain, "to one domain in all"),
    ):
        parser.add_argument(
            flag, type=float, default=float(default),
            help=f"requests/s {what} (default {default:g}, as Cognito's)",
        )  # fmt: skip


def _domain_limits(args: argparse.Namespace) -> DomainLimits:
    return DomainLimits(
        per_ip=args.domain_ip_rps, per_client=args.domain_client_rps, per_domain=args.domain_rps
    )


def _quota_rates(specs: list[str]) -> dict[QuotaCategory, float]:
    return dict(DEFAULT_RPS) | dict(parse_quota(spec) for spec in specs)


def _faults(specs: list[str]) -> tuple[tuple[Fault, ...], tuple[Stall, ...]]:
    parsed = [parse_fault(spec) for spec in specs]
    faults = tuple(f for f in parsed if isinstance(f, Fault))
    stalls = tuple(f for f in parsed if isinstance(f, Stall))
    return faults, stalls


def settings_from_args(args: argparse.Namespace) -> ServeSettings:
    """Turn parsed options into :class:`ServeSettings` (ValueError on bad values)."""
    scale = TimeScale(args.time_scale)
    faults, stalls = _faults(args.fault)
    return ServeSettings(
        state=state_path(args.state),
        host=args.host,
        port=args.port,
        workers=args.workers,
        region=args.region,
        scale=scale,
        lockout=LockoutPolicy(**lockout_settings(args), scale=scale),
        quotas=QuotaSettings(
            enabled=not args.no_quotas,
            rps=_quota_rates(args.quota),
            per_user_rps=args.per_user_rps,
            burst_seconds=args.burst_seconds,
            domain=_domain_limits(args),
        ),
        faults=faults,
        stalls=stalls,
        seed=args.seed,
        code_limits=args.user_code_limits,
        test_clock=args.test_clock or args.freeze_clock,
        freeze_clock=args.freeze_clock,
        math_threads=args.math_threads,
        allow_remote=args.allow_remote,
        max_in_flight=args.max_in_flight,
        max_loop_lag=max(0.0, args.max_loop_lag),
        messages_file=None if args.messages_file is None else state_path(args.messages_file),
        triggers=_triggers(args.trigger),
    )


def _triggers(options: list[str]) -> tuple[tuple[str, str], ...]:
    """Parse ``--trigger`` options and import each handler now, so a typo fails at startup."""
    parsed = dict(parse_trigger(option) for option in options)
    for spec in parsed.values():
        load_handler(spec)
    return tuple(parsed.items())


def _serve(args: argparse.Namespace) -> int:
    from .server import LoopbackOnly, serve  # the server only for serving: a parser is cheap

    try:
        settings = settings_from_args(args)
        return serve(settings)
    except (ValueError, FaultSpecError, LoopbackOnly, OSError) as exc:
        print(f"cognito-loadtest pool serve: {exc}", file=sys.stderr)
        return 2
