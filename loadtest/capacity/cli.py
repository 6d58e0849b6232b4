"""``cognito-loadtest capacity``: a step ramp of the open model until the ceiling or a stop
condition, and what it found: the highest rate sustained within the SLOs, the knee, the first
throttle onset and its quota category (or the domain limit, for HTTP flows), against the quota
model's prediction.

Every flow of the catalogue but those continuing a session is a kind: API flows, the HTTP ones
(``client_credentials``, ``managed_login``) and those sending SMS or e-mail codes.

By default it targets an embedded local pool: it starts one without quotas, sets it up as the
mix needs (USER_AUTH and passkeys, SMS MFA, device tracking, the example custom-auth trigger, a
domain with OAuth clients), provisions one group of users per kind of identity the mix leases
(sized to the ceiling: each TOTP login needs an identity of its own per 30 s step), restarts the
pool on the same state with the quotas under test, and runs the ramp there. Given
``--cognito-pool-id`` (and client, endpoint, identities: the same settings as ``run``), it ramps
that pool instead, after stating the target and, for a pool that is not local, only with
``--confirm-pool-id`` repeating its id, and, for a mix that sends SMS or e-mail codes, with
``--confirm-messages N`` at least the messages its schedule could send (stated first).

The ramp runs as one Locust run of ``scenarios/open_logins.py`` (``--processes N`` for more
generator cores); this command follows its ``events.jsonl`` and stops it (SIGTERM: Locust writes
its report) after the first step that trips a stop condition. Output, in
``reports/<run-id>/``: ``capacity.json`` (machine-readable), ``capacity.html`` (the charts),
and the run's own ``events.jsonl``, ``summary.json`` and ``report.html``.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadtest.flows.catalogue import CATALOGUE
from loadtest.protocol.quotas import (
    DEFAULT_RPS,
    DOMAIN_LIMITS,
    DomainLimit,
    DomainLimits,
    QuotaCategory,
)
from loadtest.protocol.units import count_at_least
from loadtest.target.conf import add_config_option
from loadtest.target.options import (
    CONFIRM,
    CONFIRM_MESSAGES,
    DOMAIN,
    TARGET,
    add_command_options,
    pick,
)

from .analysis import Limits
from .kinds import (
    KINDS,
    IdentityNeeds,
    check_embedded,
    check_mix,
    embedded_settings,
    group_of,
    parse_mix,
)
from .ramp import (
    RampSettings,
    identity_needs,
    quotas_under_test,
    ramp_stages,
    run_locust_ramp,
)
from .results import analyse, print_findings, write_results
from .schedule import ScheduleError, Stage, arrivals, duration

__all__ = ["register", "run_ramp", "scheduled_messages"]

#: The real pool's settings: the target, its confirmations, its domain, the custom answerer.
REAL_POOL = (*TARGET, CONFIRM, CONFIRM_MESSAGES, *DOMAIN, *pick("custom_answers"))

#: Hard maxima (beyond them: --allow-above-max).
MAX_CEILING, MAX_CONCURRENCY, MAX_SECONDS, MAX_PROCESSES = 2000.0, 1000, 3600.0, 16


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``capacity`` to the command line."""
    parser = subparsers.add_parser(
        "capacity",
        help="step-ramp the open model: highest sustained rate, knee, throttle onset",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    ramp = parser.add_argument_group("ramp")
    add_command_options(ramp, pick("mix"))
    ramp.add_argument("--start", type=float, default=5.0, help="first step, logins/s (5)")
    ramp.add_argument("--step", type=float, default=5.0, help="increase per step, logins/s (5)")
    ramp.add_argument("--step-seconds", type=float, default=10.0, help="step length (10 s)")
    ramp.add_argument("--ceiling", type=float, default=50.0, help="last step, logins/s (50)")
    ramp.add_argument(
        "--warmup",
        type=float,
        default=5.0,
        help="seconds at the first step's rate before the ramp, not judged (5): "
        "connections, SRP ephemerals and the pool warm up",
    )
    ramp.add_argument(
        "--concurrency", type=int, default=100, help="most logins in flight (Locust users; 100)"
    )
    add_command_options(ramp, pick("max_wait", "arrivals", "arrivals_seed"))
    ramp.add_argument(
        "--processes", type=count_at_least(0), default=0, help="Locust worker processes"
    )
    limits = parser.add_argument_group("SLOs and stop conditions")
    limits.add_argument("--slo-p99", type=float, default=1000.0, help="ms from the intended start")
    limits.add_argument("--slo-throttle-rate", type=float, default=0.001)
    limits.add_argument("--slo-error-rate", type=float, default=0.01, help="failed or dropped")
    limits.add_argument("--stop-p99", type=float, default=5000.0, help="ms; stops the ramp")
    limits.add_argument("--stop-throttle-rate", type=float, default=0.05, help="stops the ramp")
    limits.add_argument("--stop-error-rate", type=float, default=0.10, help="stops the ramp")
    limits.add_argument(
        "--consecutive",
        type=count_at_least(1),
        default=2,
        help="steps in a row a stop condition must trip, and the onset threshold hold, for "
        "either to count (2: one hiccup is not a trend)",
    )
    limits.add_argument(
        "--onset-threshold",
        type=float,
        default=0.01,
        help="share of a step's logins throttled that marks the onset (1%%)",
    )
    local = parser.add_argument_group("embedded local pool (the default target)")
    local.add_argument(
        "--quota",
        action="append",
        default=[],
        metavar="CATEGORY=RPS",
        help="a quota under test (repeatable); also given to the model",
    )
    local.add_argument(
        "--quota-scale",
        type=float,
        default=1.0,
        help="scale every default quota, and the domain's per-IP, per-client and per-domain "
        "limits, by this factor first (e.g. 0.2)",
    )
    local.add_argument(
        "--burst-seconds",
        type=float,
        default=0.2,
        help="the pool's token-bucket burst (0.2 s: a 1 s bucket takes 1/x s to "
        "drain at x over a quota, longer than a short step)",
    )
    local.add_argument(
        "--pool-workers", type=count_at_least(1), default=2, help="pool worker processes"
    )
    local.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="a pool fault (see 'pool serve --fault')",
    )
    local.add_argument(
        "--private",
        type=Path,
        default=Path(".cognito-loadtest"),
        help="folder for the pool state and identities (secrets; mode 0700)",
    )
    real = parser.add_argument_group("a real pool instead (same settings as 'run')")
    add_command_options(real, REAL_POOL)
    add_config_option(parser)
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="output folder")
    parser.add_argument("--run-id", help="default: capacity-<UTC time>")
    parser.add_argument(
        "--allow-above-max",
        action="store_true",
        help=f"allow a ceiling above {MAX_CEILING:g}/s, concurrency above "
        f"{MAX_CONCURRENCY}, a ramp longer than {MAX_SECONDS:g} s",
    )
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
    except (ScheduleError, ValueError) as exc:
        print(f"cognito-loadtest capacity: {exc}", file=sys.stderr)
        return 2
    from loadtest.target.safety import UnsafeTarget

    try:
        if args.cognito_pool_id:
            result = _ramp_real_pool(args, settings)
        else:
            result = _ramp_embedded_pool(args, settings)
    except (UnsafeTarget, FileExistsError, ValueError) as exc:
        print(f"cognito-loadtest capacity: {exc}", file=sys.stderr)
        return 2
    print_findings(result, settings.run_dir)
    return 0 if result["steps"] else 1


def _settings(args: argparse.Namespace) -> RampSettings:
    mix = parse_mix(args.cognito_mix)
    (check_mix if args.cognito_pool_id else check_embedded)(mix)
    stages, warmup = ramp_stages(
        start=args.start,
        step=args.step,
        step_seconds=args.step_seconds,
        ceiling=args.ceiling,
        warmup=args.warmup,
    )
    _check_bounds(args, stages)
    run_id = args.run_id or datetime.now(UTC).strftime("capacity-%Y%m%d-%H%M%S")
    return RampSettings(
        stages=stages,
        warmup=warmup,
        mix=mix,
        concurrency=args.concurrency,
        processes=args.processes,
        max_wait=args.cognito_max_wait,
        arrivals=args.cognito_arrivals,
        arrivals_seed=args.cognito_arrivals_seed,
        slo=Limits(
            throttle_rate=args.slo_throttle_rate,
            error_rate=args.slo_error_rate,
            p99_ms=args.slo_p99,
        ),
        stop=Limits(
            throttle_rate=args.stop_throttle_rate,
            error_rate=args.stop_error_rate,
            p99_ms=args.stop_p99,
        ),
        onset_threshold=args.onset_threshold,
        consecutive=max(1, args.consecutive),
        run_dir=args.reports / run_id,
        quotas=quotas_under_test(args.quota, args.quota_scale),
        domain=DOMAIN_LIMITS.scaled(args.quota_scale),
    )


def _check_bounds(args: argparse.Namespace, stages: list[Stage]) -> None:
    if args.allow_above_max:
        return
    over = []
    if args.ceiling > MAX_CEILING:
        over.append(f"--ceiling {args.ceiling:g} is above {MAX_CEILING:g} logins/s")
    if args.concurrency > MAX_CONCURRENCY or args.concurrency < 1:
        over.append(f"--concurrency must be 1 to {MAX_CONCURRENCY}")
    if duration(stages) > MAX_SECONDS:
        over.append(f"the ramp lasts {duration(stages):g} s, above {MAX_SECONDS:g} s")
    if args.processes > MAX_PROCESSES:
        over.append(f"--processes above {MAX_PROCESSES}")
    if over:
        raise ValueError("; ".join(over) + " (--allow-above-max to go beyond, deliberately)")


# -- targets ---------------------------------------------------------------------------------
def _ramp_embedded_pool(args: argparse.Namespace, settings: RampSettings) -> dict[str, Any]:
    from loadtest.target.safety import guard_target

    from .target import PoolShape, embedded_pool, pool_options

    needs = identity_needs(settings)
    shape = PoolShape(
        settings=embedded_settings(settings.mix),
        domain=any(KINDS[name].http for name in settings.mix),
    )
    print(
        f"capacity: target: an embedded local pool started by this command "
        f"({needs.describe()}), quotas {_quota_text(settings.quotas)}"
        + (f", domain limits {_domain_text(settings.domain)}" if shape.domain else ""),
        file=sys.stderr,
        flush=True,
    )
    options = pool_options(
        settings.quotas,
        burst_seconds=args.burst_seconds,
        workers=args.pool_workers,
        faults=args.fault,
        domain=settings.domain,
    )
    private = args.private / settings.run_dir.name
    with embedded_pool(private, needs, options, run=settings.run_dir.name, shape=shape) as target:
        guard_target(
            endpoint_url=target.pool.url,
            region=None,
            pool_id=target.app.pool_id,
            confirm_pool_id=None,
        )
        _guard_messages(settings, endpoint_url=target.pool.url, region=None, args=None)
        described = {
            "kind": "embedded local pool",
            "endpoint_url": target.pool.url,
            "pool_id": target.app.pool_id,
            "pool_options": options,
            "pool_settings": sorted(shape.settings),
        }
        return run_ramp(settings, target.env(), described)


def _ramp_real_pool(args: argparse.Namespace, settings: RampSettings) -> dict[str, Any]:
    from loadtest.target.config import check_reachable
    from loadtest.target.options import child_env, target_from
    from loadtest.target.safety import guard_target

    # the command line alone: the Locust child gets these, and no COGNITO_* of this shell
    config = target_from(args, environ={})
    guard_target(
        endpoint_url=config.endpoint_url,
        region=config.region,
        pool_id=config.pool_id,
        confirm_pool_id=args.cognito_confirm_pool_id,
    )
    _guard_messages(settings, endpoint_url=config.endpoint_url, region=config.region, args=args)
    needs = identity_needs(settings)
    if needs.total:
        if config.identities is None:
            raise ValueError("a real pool needs its identities file (--cognito-identities)")
        _check_identities(config.identities, settings.mix, needs)
    check_reachable(config.endpoint_url)  # the last check: before a ramp folder and Locust
    env = child_env(args, REAL_POOL)
    described = {
        "kind": "user pool",
        "endpoint_url": config.endpoint_url,
        "pool_id": config.pool_id,
        "region": config.region,
    }
    return run_ramp(settings, env, described)


def scheduled_messages(
    stages: list[Stage], mix: Mapping[str, float], *, process: str = "even", seed: int = 1
) -> int:
    """The SMS or e-mail messages a ramp could make the pool send: each scheduled arrival's
    entry's ``messages`` (from the catalogue), warm-up included, every arrival assumed to start."""
    if not any(CATALOGUE[name].messages for name in mix):
        return 0  # nothing to count: no walk through a long schedule
    schedule = arrivals(stages, dict(mix), process=process, seed=seed)
    flows = Counter(arrival.flow for arrival in schedule)
    return math.ceil(sum(CATALOGUE[name].messages * count for name, count in flows.items()))


def _guard_messages(
    settings: RampSettings,
    *,
    endpoint_url: str | None,
    region: str | None,
    args: argparse.Namespace | None,
) -> None:
    """The message rail: state what the ramp could send; a pool that is not local needs
    ``--confirm-messages N`` with N at least that (``UnsafeTarget`` otherwise). The Locust
    child's per-login budget then stops sending at N (arrivals dropped, reason ``messages``)."""
    from loadtest.target.safety import guard_messages

    pool_id = None if args is None else args.cognito_pool_id
    guard_messages(
        endpoint_url=endpoint_url,
        region=region,
        pool_id=pool_id,
        messages=scheduled_messages(
            settings.stages, settings.mix, process=settings.arrivals, seed=settings.arrivals_seed
        ),
        confirmed=None if args is None else args.cognito_confirm_messages,
    )


def _check_identities(path: Path, mix: Mapping[str, float], needs: IdentityNeeds) -> None:
    """Warn when the identities file holds fewer identities of a group than the ramp needs
    (an identity fits a group when the mix's entries of that group accept it and its tag, if
    any, is the group's)."""
    from loadtest.flows import load_identities

    identities = load_identities(path)
    for group, wanted in needs:
        entries = [CATALOGUE[n] for n in mix if group_of(CATALOGUE[n]) == group]
        have = sum(
            1
            for identity in identities
            if identity.group in (None, group.name) and all(e.accepts(identity) for e in entries)
        )
        if have < wanted:
            print(
                f"capacity: warning: {path} has {have} identities for "
                f"{', '.join(e.name for e in entries)} ({group.name}), the ramp needs {wanted}: "
                "arrivals without one are dropped (reason no_identity)",
                file=sys.stderr,
            )


def _quota_text(quotas: Mapping[QuotaCategory, float]) -> str:
    changed = {c: r for c, r in quotas.items() if r != DEFAULT_RPS[c]}
    if not changed:
        return "the defaults"
    return ", ".join(f"{c.value}={r:g}" for c, r in sorted(changed.items()))


def _domain_text(limits: DomainLimits) -> str:
    """``the defaults``, or each limit's requests/s (``domain per-IP 30/s, ...``)."""
    if limits == DOMAIN_LIMITS:
        return "the defaults"
    return ", ".join(f"{limit.value} {limits.rate(limit):g}/s" for limit in DomainLimit)


def run_ramp(
    settings: RampSettings, target_env: Mapping[str, str], target: Mapping[str, Any]
) -> dict[str, Any]:
    """Run the ramp, stop it on a stop condition, write capacity.json and capacity.html."""
    stopped = run_locust_ramp(settings, target_env)
    result = analyse(settings, stopped, target)
    write_results(settings.run_dir, result)
    return result
