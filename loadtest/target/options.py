"""Locust glue for the target settings: command-line options, env vars, locust.conf.

Every setting is a Locust option (``--cognito-pool-id``), an environment variable
(``COGNITO_POOL_ID``) and a ``locust.conf`` key (``cognito-pool-id = ...``), through Locust's own
configargparse parser. Imported by the Locust user module, so any locustfile using our users
gets the options.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .config import TargetConfig

__all__ = ["CONFIRM_ENV", "OPTIONS", "add_options", "settings_from", "target_from"]

#: The environment variable of ``--cognito-confirm-pool-id`` (``run --confirm-pool-id`` sets it).
CONFIRM_ENV = "COGNITO_CONFIRM_POOL_ID"

#: (setting, option, environment variable, help)
OPTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("region", "--cognito-region", "COGNITO_REGION", "AWS region (default: the pool id's)"),
    ("pool_id", "--cognito-pool-id", "COGNITO_POOL_ID", "user pool id, e.g. us-east-1_AbC"),
    ("client_id", "--cognito-client-id", "COGNITO_CLIENT_ID", "app client id"),
    ("client_secret", "--cognito-client-secret", "COGNITO_CLIENT_SECRET", "app client secret"),
    (
        "endpoint_url",
        "--cognito-endpoint-url",
        "COGNITO_ENDPOINT_URL",
        "endpoint URL, or 'aws' for AWS's regional one (default: the local pool, "
        "http://127.0.0.1:9229/)",
    ),
    ("identities", "--cognito-identities", "COGNITO_IDENTITIES", "identities file (JSON lines)"),
)


def add_options(parser: Any) -> None:
    """Add the target options to Locust's argument parser (an ``init_command_line_parser``
    listener)."""
    for setting, option, env_var, help_text in OPTIONS:
        parser.add_argument(
            option,
            dest=f"cognito_{setting}",
            env_var=env_var,
            default=None,
            help=help_text,
            is_secret=setting == "client_secret",
        )
    parser.add_argument(
        "--cognito-confirm-pool-id",
        dest="cognito_confirm_pool_id",
        env_var=CONFIRM_ENV,
        default=None,
        help="repeat the pool id to allow load on a pool that is not the local one "
        "(a non-loopback endpoint); without it the run refuses to start",
    )
    parser.add_argument(
        "--cognito-workers",
        dest="cognito_workers",
        env_var="COGNITO_WORKERS",
        type=int,
        default=0,
        help="worker processes sharing the identities (default: --processes, else 1)",
    )
    parser.add_argument(
        "--cognito-retries",
        dest="cognito_retries",
        env_var="COGNITO_RETRIES",
        type=int,
        default=0,
        help="retry throttled calls this many times (default 0: throttling is seen, not hidden)",
    )
    parser.add_argument(
        "--cognito-math",
        dest="cognito_math",
        env_var="COGNITO_MATH",
        choices=["threads", "inline"],
        default="threads",
        help="where SRP maths runs: native threads (default) or inline on the gevent hub "
        "(for comparison only: it stalls every other user while it computes)",
    )
    parser.add_argument(
        "--cognito-math-niceness",
        dest="cognito_math_niceness",
        env_var="COGNITO_MATH_NICENESS",
        type=int,
        default=0,
        help="run the maths threads this many steps nicer (lower CPU priority, 0-19) than the "
        "gevent hub, so the hub wins a busy core (Linux; default 0)",
    )
    parser.add_argument(
        "--cognito-report-dir",
        dest="cognito_report_dir",
        env_var="COGNITO_REPORT_DIR",
        default=None,
        help="write events.jsonl and summary.json into this folder (e.g. reports/<run-id>)",
    )
    parser.add_argument(
        "--cognito-slo",
        dest="cognito_slo",
        action="append",
        default=[],
        help="an SLO checked at the end (needs --cognito-report-dir), e.g. "
        "'login:srp_totp p99<800ms' or 'throttle_rate<0.1%%'; repeatable; a failure sets "
        "the exit code to 1",
    )


def settings_from(options: Any, environ: Mapping[str, str] = os.environ) -> dict[str, str | None]:
    """Settings from parsed Locust options, or from the environment when there are none."""
    settings: dict[str, str | None] = {}
    for setting, _option, env_var, _help in OPTIONS:
        value = getattr(options, f"cognito_{setting}", None) if options is not None else None
        settings[setting] = value if value is not None else environ.get(env_var)
    return settings


def target_from(options: Any) -> TargetConfig:
    """The validated target of a Locust run."""
    return TargetConfig.from_settings(settings_from(options))
