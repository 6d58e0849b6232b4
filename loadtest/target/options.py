"""The option table: every setting of a run declared once, read by Locust and by the commands.

Each :class:`Option` becomes, through Locust's own configargparse parser
(:func:`add_locust_options`), a Locust option (``--cognito-pool-id``), an environment variable
(``COGNITO_POOL_ID``) and a ``locust.conf`` key (``cognito-pool-id = ...``); and through
:func:`add_command_options`, the same flag, with the same destination and default, on the
``cognito-loadtest`` commands (``run``, ``capacity``, ``provision``, ``teardown``,
``lockout-probe``), which also accept the short spelling they have had (``--pool-id``).
Commands do not read the environment through argparse: :func:`settings_from` falls back to the
environment variable of each target setting, so both parsers' namespaces give the same target.
This module never imports Locust; the Locust user module hands it Locust's parser.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .config import TargetConfig

__all__ = [
    "CONFIRM",
    "CONFIRM_ENV",
    "CONFIRM_MESSAGES",
    "DOMAIN",
    "OPEN_MODEL",
    "OPTIONS",
    "REPORT_DIR",
    "RUN",
    "TARGET",
    "Option",
    "add_command_options",
    "add_locust_options",
    "child_env",
    "pick",
    "settings_from",
    "target_from",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One setting: ``--cognito-<setting>``, ``COGNITO_<SETTING>``, its default and help.

    ``alias`` is the commands' short spelling (Locust gets only the prefixed flag, which cannot
    collide with Locust's own); ``secret`` keeps it out of Locust's web UI."""

    setting: str
    help: str
    alias: str | None = None
    type: Callable[[str], Any] | None = None
    default: Any = None
    choices: tuple[str, ...] | None = None
    repeat: bool = False
    secret: bool = False

    @property
    def flag(self) -> str:
        """The flag both parsers know: ``--cognito-pool-id``."""
        return "--cognito-" + self.setting.replace("_", "-")

    @property
    def dest(self) -> str:
        """The attribute in both parsers' namespaces: ``cognito_pool_id``."""
        return f"cognito_{self.setting}"

    @property
    def env_var(self) -> str:
        """The environment variable: ``COGNITO_POOL_ID``."""
        return f"COGNITO_{self.setting.upper()}"

    def kwargs(self) -> dict[str, Any]:
        """``add_argument`` keywords common to both parsers."""
        extra: dict[str, Any] = {"action": "append"} if self.repeat else {}
        if self.type is not None:
            extra["type"] = self.type
        if self.choices is not None:
            extra["choices"] = self.choices
        default = [] if self.repeat else self.default
        return {"dest": self.dest, "default": default, "help": self.help, **extra}


#: What :class:`~loadtest.target.config.TargetConfig` is made of.
TARGET: tuple[Option, ...] = (
    Option(setting="region", alias="--region", help="AWS region (default: the pool id's)"),
    Option(setting="pool_id", alias="--pool-id", help="user pool id, e.g. us-east-1_AbC"),
    Option(setting="client_id", alias="--client-id", help="app client id"),
    Option(
        setting="client_secret",
        alias="--client-secret",
        help="app client secret (prefer the environment variable: not in the process list)",
        secret=True,
    ),
    Option(
        setting="endpoint_url",
        alias="--endpoint-url",
        help="endpoint URL, or 'aws' for AWS's regional one (default: the local pool, "
        "http://127.0.0.1:9229/)",
    ),
    Option(setting="identities", help="identities file (JSON lines)"),
)

#: The safety rails' confirmation of a pool that is not the local one.
CONFIRM = Option(
    setting="confirm_pool_id",
    alias="--confirm-pool-id",
    help="repeat the target pool's id to allow load on a pool that is not the local one "
    "(an endpoint other than 127.0.0.1/localhost); without it such a run refuses to start",
)

#: The safety rails' confirmation that a run may make a real pool send messages.
CONFIRM_MESSAGES = Option(
    setting="confirm_messages",
    alias="--confirm-messages",
    type=int,
    help="allow a run of sign-up, recovery, SMS MFA or USER_AUTH code flows on a pool that is not "
    "the local one to make it send up to this many e-mail or SMS messages (the run states its "
    "bound, and stops its logins once that many are spent)",
)

#: Where a run writes events.jsonl, summary.json and report.html.
REPORT_DIR = Option(
    setting="report_dir",
    alias="--report-dir",
    help="write events.jsonl, summary.json and report.html into this folder "
    "(e.g. reports/<run-id>)",
)

#: How a Locust run behaves (Locust only, but for the report folder).
RUN: tuple[Option, ...] = (
    Option(
        setting="code_source",
        help="where sign-up and recovery flows read the codes a real pool sends: "
        "MODULE:CALLABLE, called with a loadtest.flows.CodeRequest, returning the code "
        "(default: the local pool's message sink; none for another pool)",
    ),
    Option(
        setting="workers",
        type=int,
        default=0,
        help="worker processes sharing the identities (default: --processes, else 1)",
    ),
    Option(
        setting="retries",
        type=int,
        default=0,
        help="retry throttled calls this many times (default 0: throttling is seen, not hidden)",
    ),
    Option(
        setting="math",
        choices=("threads", "inline"),
        default="threads",
        help="where SRP maths runs: native threads (default) or inline on the gevent hub "
        "(for comparison only: it stalls every other user while it computes)",
    ),
    Option(
        setting="math_niceness",
        type=int,
        default=0,
        help="run the maths threads this many steps nicer (lower CPU priority, 0-19) than the "
        "gevent hub, so the hub wins a busy core (Linux; default 0)",
    ),
    Option(
        setting="stock",
        type=int,
        help="ephemerals each process keeps ready (default: 2 per user of the process, at "
        "least 64, and a second of the open model's peak rate; 0 starves the stock, for "
        "comparison only)",
    ),
    Option(
        setting="srp_secret",
        choices=("rfc3526", "reference"),  # loadtest.flows.ClientSecret's values
        default="rfc3526",
        help="size of the client's SRP secret a: rfc3526 (256 bits, RFC 3526's size for the "
        "group; the default, half the exponentiation of the other) or reference (128 random "
        "bytes, as Amplify and pycognito draw it); Cognito cannot tell them apart",
    ),
    REPORT_DIR,
    Option(
        setting="report_events",
        choices=("jsonl", "gzip"),
        default="jsonl",
        help="how the report folder keeps its events: jsonl (events.jsonl, one line per event, "
        "flushed per line; the default) or gzip (events-<process>-NNNN.jsonl.gz, about 12x "
        "smaller, written in blocks; for runs of hours); 'report RUN_DIR' reads either",
    ),
    Option(
        setting="slo",
        repeat=True,
        help="an SLO checked at the end (needs a report folder: --cognito-report-dir, which "
        "'cognito-loadtest run' names by default), e.g. "
        "'login:srp_totp p99<800ms' or 'throttle_rate<0.1%%'; repeatable; a failure sets "
        "the exit code to 1",
    ),
)

#: A user-pool domain and its OAuth clients: the managed-login and client-credentials users'
#: settings (``cognito-loadtest pool serve --bootstrap`` writes them into locust.conf).
DOMAIN: tuple[Option, ...] = (
    Option(
        setting="domain_url",
        help="the local pool's user-pool domain, http://127.0.0.1:PORT/domain/<prefix> "
        "(managed login and the OAuth endpoints; loopback only)",
    ),
    Option(setting="oauth_client_id", help="app client of the authorization-code grant"),
    Option(
        setting="oauth_identities",
        help="identities file of the managed-login users (default: --cognito-identities)",
    ),
    Option(setting="m2m_client_id", help="app client of the client-credentials grant"),
    Option(
        setting="m2m_client_secret",
        help="its client secret (prefer the environment variable: not in the process list)",
        secret=True,
    ),
)

#: Every option a Locust run takes (the user module adds them).
OPTIONS: tuple[Option, ...] = (*TARGET, CONFIRM, CONFIRM_MESSAGES, *RUN, *DOMAIN)

#: The open model's schedule (added by :mod:`loadtest.locust.open_model`; ``capacity`` takes
#: the mix and the wait too and hands them on).
OPEN_MODEL: tuple[Option, ...] = (
    Option(
        setting="stages",
        help="arrival schedule: RATE[-RATE]:DURATION,... e.g. '10:30s' or '5:10s,5-50:60s' "
        "(logins per second; a range ramps linearly)",
    ),
    Option(
        setting="mix",
        alias="--mix",
        default="srp=1",
        help="flows and weights: FLOW=WEIGHT,... of the flow catalogue's login flows, e.g. "
        "srp=3,srp_totp=1 (default srp=1)",
    ),
    Option(
        setting="arrivals",
        alias="--arrivals",
        choices=("even", "poisson"),  # loadtest.capacity.schedule.ARRIVAL_PROCESSES
        default="even",
        help="how arrivals are spaced: even (the default, as k6 spaces them) or poisson (a "
        "Poisson process of the same rate, as many independent clients arrive: they bunch up "
        "and queue more, so even arrivals overstate the capacity real traffic finds)",
    ),
    Option(
        setting="arrivals_seed",
        alias="--arrivals-seed",
        type=int,
        default=1,
        help="seed of the poisson arrivals (default 1): the same seed, the same schedule",
    ),
    Option(
        setting="max_wait",
        alias="--max-wait",
        type=float,
        default=0.0,
        help="seconds an arrival may wait for a free user before it is dropped (default 0)",
    ),
    Option(
        setting="drain",
        type=float,
        default=10.0,
        help="seconds to wait for logins in flight after the schedule (default 10)",
    ),
    Option(
        setting="custom_answers",
        help="what answers CUSTOM_CHALLENGE in custom_auth arrivals: MODULE:CALLABLE, called "
        "with the challenge's public parameters, returning the ANSWER (capacity's embedded "
        "pool sets the example trigger's, loadtest.scenarios.triggers.captcha:solve)",
    ),
    Option(
        setting="warmup",
        type=float,
        default=0.0,
        help="seconds at the start of the schedule that only warm up (default 0): their "
        "logins are written, marked warmup, and left out of the report's figures and validity",
    ),
)

#: The environment variable of ``--cognito-confirm-pool-id`` (``run --confirm-pool-id`` sets it).
CONFIRM_ENV = CONFIRM.env_var


def pick(*settings: str) -> tuple[Option, ...]:
    """The options of these settings, in the order given; ``KeyError`` for an unknown one."""
    by_name = {option.setting: option for option in (*OPTIONS, *OPEN_MODEL)}
    return tuple(by_name[name] for name in settings)


def add_locust_options(parser: Any, options: Sequence[Option] = OPTIONS) -> None:
    """Add ``options`` to Locust's parser (an ``init_command_line_parser`` listener's) or to a
    group of it. A repeatable option has no environment variable (one variable cannot hold
    several values) and stays out of the web UI's form: Locust's ``/swarm`` reads an empty
    list's field back as a list of integers (``int('')``: a 500, and the Start button says
    "An unknown error occurred"), so it keeps the command line's values. A secret stays out
    of it too: Locust's ``is_secret`` only masks the field, and its value still travels in the
    page and in every posted form. Only Locust's parser itself, not a group, takes
    ``include_in_web_ui``."""
    known = getattr(parser, "_option_string_actions", {})
    for option in options:
        if option.flag in known:  # the API and the HTTP user modules share some options
            continue
        extra: dict[str, Any] = {} if option.repeat else {"env_var": option.env_var}
        if option.repeat or option.secret:
            extra["include_in_web_ui"] = False
        parser.add_argument(option.flag, **extra, **option.kwargs())


def add_command_options(
    parser: argparse._ActionsContainer, options: Sequence[Option] = TARGET
) -> None:
    """Add ``options`` to a command's argparse parser: the Locust flag and the alias."""
    for option in options:
        names = (option.flag, option.alias) if option.alias else (option.flag,)
        kwargs = option.kwargs()
        kwargs["help"] = (
            f"{option.help} (env {option.env_var})" if option in TARGET else option.help
        )
        parser.add_argument(*names, **kwargs)


def settings_from(
    options: Any, environ: Mapping[str, str] = os.environ, targets: Sequence[Option] = TARGET
) -> dict[str, str | None]:
    """Target settings from parsed options (Locust's or a command's), each falling back to its
    environment variable; from the environment alone when ``options`` is ``None``."""
    settings: dict[str, str | None] = {}
    for option in targets:
        value = getattr(options, option.dest, None) if options is not None else None
        settings[option.setting] = str(value) if value is not None else environ.get(option.env_var)
    return settings


def target_from(
    options: Any, environ: Mapping[str, str] = os.environ, targets: Sequence[Option] = TARGET
) -> TargetConfig:
    """The validated target of parsed options (see :func:`settings_from`)."""
    return TargetConfig.from_settings(settings_from(options, environ, targets))


def child_env(options: Any, chosen: Sequence[Option] = OPTIONS) -> dict[str, str]:
    """The environment variables that hand the values given in ``options`` to a Locust child
    (so a client secret never shows in its process list)."""
    values = ((option, getattr(options, option.dest, None)) for option in chosen)
    return {
        option.env_var: str(value)
        for option, value in values
        if value is not None and not option.repeat
    }
