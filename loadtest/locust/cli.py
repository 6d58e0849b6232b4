"""``cognito-loadtest run SCENARIO``: a Locust run of one of the ready scenarios.

It builds the ``locust`` command line (headless unless ``--web``) and runs it as a child
process; target settings travel as ``COGNITO_*`` environment variables so that a client secret
never shows in the process list. Anything after ``--locust`` goes to Locust unchanged.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from loadtest.protocol.units import count_at_least, parse_duration
from loadtest.target.conf import read_conf
from loadtest.target.options import (
    CONFIRM,
    CONFIRM_ENV,
    CONFIRM_MESSAGES,
    DOMAIN,
    REPORT_DIR,
    TARGET,
    Option,
    add_command_options,
    child_env,
)
from loadtest.target.safety import (
    TARGET_SAID_ENV,
    UnsafeTarget,
    add_bound_options,
    check_bounds,
    check_positive,
    guard_target,
)
from loadtest.target.scenarios import SCENARIO_DIR, SCENARIOS, scenario_path

__all__ = [
    "SCENARIOS",
    "SCENARIO_DIR",
    "check_run",
    "default_report_dir",
    "locust_command",
    "register",
    "scenario_path",
]

#: The options ``run`` hands to Locust as environment variables.
_PASSED_ON = (*TARGET, CONFIRM, CONFIRM_MESSAGES, REPORT_DIR, *DOMAIN)

#: Where a run's report goes when none is named: ``reports/<scenario>-<UTC time>/`` in the
#: current folder, as ``demo`` and ``capacity`` write theirs.
REPORTS = Path("reports")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``run`` to the command line."""
    parser = subparsers.add_parser(
        "run",
        help="run a load scenario with Locust",
        description="Run a ready scenario (or any locustfile) with Locust. Arguments after "
        "'--locust' are passed to locust as they are. The target is stated first; a pool that "
        "is not the local one needs --confirm-pool-id; users, spawn rate, run time and "
        "processes above their maxima (1000, 100/s, 1h, 16) need --allow-above-max.",
    )
    parser.add_argument("scenario", help=f"one of {', '.join(SCENARIOS)}, or a locustfile path")
    parser.add_argument("-u", "--users", type=count_at_least(1), default=10)
    parser.add_argument("-r", "--spawn-rate", type=float, default=5.0)
    parser.add_argument("-t", "--run-time", default="30s")
    parser.add_argument(
        "--processes", type=count_at_least(0), default=0, help="Locust worker processes"
    )
    parser.add_argument(
        "--web",
        action="store_true",
        help="serve Locust's web UI (on 127.0.0.1 unless '--locust --web-host ...'), its form "
        "filled with -u, -r and -t, instead of running headless",
    )
    parser.add_argument("--csv", help="CSV file prefix for Locust's statistics")
    parser.add_argument(
        "--no-report",
        action="store_true",
        help="write no report folder when none is named (by default a run without "
        "--report-dir writes one in reports/<scenario>-<UTC time>/: the report is where the "
        "run says whether its latencies can be trusted)",
    )
    parser.add_argument(
        "--config",
        dest="locust_config",
        type=Path,
        metavar="FILE",
        help="a locust.conf, such as the one 'pool serve --bootstrap DIR' writes, handed to "
        "Locust (as '--locust --config FILE')",
    )
    add_command_options(parser, _PASSED_ON)
    add_bound_options(parser)
    parser.add_argument(
        "--locust",
        dest="locust_args",
        nargs=argparse.REMAINDER,
        default=[],
        help="everything after this goes to locust unchanged",
    )
    parser.set_defaults(handler=_run)


def locust_command(
    args: argparse.Namespace, environ: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The locust argv and environment for parsed ``run`` arguments."""
    argv = [sys.executable, "-m", "locust", "-f", str(scenario_path(args.scenario))]
    if not args.web:
        argv += ["--headless"]
    elif not any(a == "--web-host" or a.startswith("--web-host=") for a in args.locust_args):
        argv += ["--web-host", "127.0.0.1"]  # the UI starts load: loopback unless asked
    # in the web UI they fill its form: a run started there is bounded as a headless one
    argv += ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.run_time]
    if args.processes:
        argv += ["--processes", str(args.processes)]
    if args.csv:
        argv += ["--csv", args.csv]
    argv += [*_config_args(args), *args.locust_args]
    return argv, dict(environ) | child_env(args, _PASSED_ON)


def _passed_on(locust_args: list[str]) -> argparse.Namespace:
    """Sizes given again after ``--locust`` (Locust takes the last), so they are bounded too."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("-u", "--users", type=int)
    parser.add_argument("-r", "--spawn-rate", type=float)
    parser.add_argument("-t", "--run-time")
    parser.add_argument("--processes", type=int)
    return parser.parse_known_args(locust_args)[0]


def check_run(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    """The rails before a run: sizes within their maxima, the target stated and confirmed;
    returns the target's line.

    ``env`` is the child's environment, so settings given as ``COGNITO_*`` variables count."""
    later = vars(_passed_on(args.locust_args))
    size = {k: v if v is not None else getattr(args, k) for k, v in later.items()}
    run_time = parse_duration(size["run_time"])
    sizes = {"users": size["users"], "spawn_rate": size["spawn_rate"], "run_time": run_time}
    check_positive("run", sizes)
    check_bounds("run", sizes | {"processes": size["processes"]}, allow=args.allow_above_max)
    seen = target_settings([*_config_args(args), *args.locust_args], env)
    if not seen.get("COGNITO_POOL_ID"):
        raise ValueError(
            "no user pool given: pass --pool-id and --client-id (and --identities), or, for a "
            "local pool made by 'cognito-loadtest pool serve --bootstrap DIR', add "
            "'--config DIR/locust.conf'"
        )
    return guard_target(
        endpoint_url=seen.get("COGNITO_ENDPOINT_URL"),
        region=seen.get("COGNITO_REGION"),
        pool_id=seen.get("COGNITO_POOL_ID"),
        confirm_pool_id=seen.get(CONFIRM_ENV),
    )


def target_settings(
    locust_args: list[str], env: Mapping[str, str], chosen: Sequence[Option] = (*TARGET, CONFIRM)
) -> dict[str, str]:
    """The ``COGNITO_*`` settings (of ``chosen``: the target's by default) the Locust child
    will run with, as Locust ranks them: its config file (``--config FILE`` after
    ``--locust``, else ``~/.locust.conf`` and ``./locust.conf``), overridden by the
    environment, overridden by ``--cognito-*`` flags after ``--locust``. So the target stated
    and guarded is the one the run will hit."""
    options = {option.flag: option.env_var for option in chosen}
    seen: dict[str, str] = {}
    for path in _config_files(locust_args):
        for key, value in read_conf(path).items():
            if f"--{key}" in options:
                seen[options[f"--{key}"]] = str(value)
    seen |= {var: env[var] for var in options.values() if env.get(var)}
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for flag in options:
        parser.add_argument(flag)
    given = vars(parser.parse_known_args(locust_args)[0])
    seen |= {options[f"--{k.replace('_', '-')}"]: v for k, v in given.items() if v is not None}
    return seen


def _config_args(args: argparse.Namespace) -> list[str]:
    """``run --config FILE``, as Locust takes it."""
    return ["--config", str(args.locust_config)] if args.locust_config is not None else []


def _config_files(locust_args: list[str]) -> list[Path]:
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--config")
    given = parser.parse_known_args(locust_args)[0].config
    if given is not None:
        return [Path(given)]  # read_conf says if it is missing
    return [p for p in (Path("~/.locust.conf").expanduser(), Path("locust.conf")) if p.is_file()]


def default_report_dir(
    args: argparse.Namespace, env: Mapping[str, str], now: datetime | None = None
) -> Path | None:
    """The report folder of a run that names none (``None`` if it names one, or with
    ``--no-report``): ``reports/<scenario>-<UTC time>``, suffixed when that exists already.

    A report folder is named by ``--report-dir``, ``COGNITO_REPORT_DIR``, the config file's
    ``cognito-report-dir`` or ``--cognito-report-dir`` after ``--locust``."""
    locust_args = [*_config_args(args), *args.locust_args]
    if args.no_report or target_settings(locust_args, env, (REPORT_DIR,)):
        return None
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    base = REPORTS / f"{Path(args.scenario).stem}-{stamp}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def _run(args: argparse.Namespace) -> int:
    try:
        argv, env = locust_command(args, os.environ)
        env[TARGET_SAID_ENV] = check_run(args, env)  # the child need not say it again
        report = default_report_dir(args, env)
    except (ValueError, UnsafeTarget) as exc:
        print(f"cognito-loadtest run: {exc}", file=sys.stderr)
        return 2
    if report is not None:
        env[REPORT_DIR.env_var] = str(report)
        print(f"report: {report}/ (--report-dir DIR names another, --no-report writes none)")
    return subprocess.run(argv, env=env, check=False).returncode
