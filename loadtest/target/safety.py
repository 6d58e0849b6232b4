"""Safety rails of every load command: a stated target, a confirmed pool id, bounded sizes.

People point this toolkit at real pools. Three rails keep a slip from becoming an incident:

1. **The target is stated.** Before any load starts, every load command prints one line naming
   the endpoint, the region and the user pool it is about to load (:func:`guard_target`).
2. **A real pool needs its id confirmed.** A command aimed at anything but the local pool (an
   endpoint whose host is a loopback address) refuses to start unless ``--confirm-pool-id`` repeats
   the pool id exactly, so a typo, a stale environment variable or a copied command line cannot
   load a production pool (:class:`UnsafeTarget`, exit code 2 at the command line).
3. **Messages are stated and confirmed.** Sign-up and recovery flows make a pool send real
   e-mail or SMS codes. A run that includes them states how many messages it may cause; on a
   pool that is not the local one (whose sink keeps them) it needs ``--confirm-messages N``
   with N at least that many (:func:`guard_messages`). SMS MFA challenges share this rail.
4. **Sizes are bounded.** Users, spawn rate, concurrency and duration have bounded defaults and
   hard maxima (:data:`BOUNDS`); a value above a maximum needs ``--allow-above-max``
   (:func:`check_bounds`).

Nothing here opens a connection: the endpoint is judged by its URL alone (no DNS lookup, which
a hostile resolver could answer with 127.0.0.1).
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import urlsplit

__all__ = [
    "BOUNDS",
    "LOCAL_POOL_URL",
    "TARGET_SAID_ENV",
    "Bound",
    "OverLimit",
    "UnsafeTarget",
    "add_bound_options",
    "check_bounds",
    "describe_target",
    "guard_messages",
    "guard_target",
    "is_local_endpoint",
    "resolve_endpoint",
]

#: Where every command goes when no endpoint is given (``pool serve``'s default port).
LOCAL_POOL_URL = "http://127.0.0.1:9229/"

#: The target line a parent command already printed (``cognito-loadtest run`` for its Locust
#: child): the child guards the target again but does not state the same line twice.
TARGET_SAID_ENV = "COGNITO_TARGET_SAID"

_POOL_REGION = re.compile(r"^(?P<region>[a-z]{2}(-[a-z]+)+-\d+)_")


class UnsafeTarget(Exception):
    """A command aimed at a pool it may not load (not local, id not confirmed) or too hard."""


class OverLimit(UnsafeTarget):
    """A size (users, rate, duration) above its hard maximum without ``--allow-above-max``."""


def resolve_endpoint(endpoint_url: str | None, region: str | None) -> str:
    """The URL a command will call: the local pool by default, AWS's regional one for ``aws``."""
    if endpoint_url is None or not endpoint_url.strip():
        return LOCAL_POOL_URL
    if endpoint_url.strip().lower() == "aws":
        return f"https://cognito-idp.{region or '<region?>'}.amazonaws.com/"
    return endpoint_url.strip()


def is_local_endpoint(endpoint_url: str) -> bool:
    """Whether the URL's host is a loopback address or ``localhost`` (the local pool)."""
    try:
        host = urlsplit(endpoint_url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _region_of(pool_id: str | None, region: str | None) -> str | None:
    if region:
        return region
    match = _POOL_REGION.match(pool_id or "")
    return match.group("region") if match else None


def _has_no_path(url: str) -> bool:
    try:
        return urlsplit(url).path == "" and "://" in url
    except ValueError:
        return False


def describe_target(*, endpoint_url: str | None, region: str | None, pool_id: str | None) -> str:
    """The one line a load command prints before it starts."""
    region = _region_of(pool_id, region)
    url = resolve_endpoint(endpoint_url, region)
    if _has_no_path(url):  # as the clients call it: 'run' and its Locust child say one URL
        url += "/"
    where = "the local pool" if is_local_endpoint(url) else "NOT the local pool"
    return f"target: endpoint {url} ({where}), region {region or '?'}, pool {pool_id or '?'}"


def guard_target(
    *,
    endpoint_url: str | None,
    region: str | None,
    pool_id: str | None,
    confirm_pool_id: str | None,
    stream: TextIO | None = None,
    said: str | None = None,
) -> str:
    """State the target on ``stream`` (``sys.stderr`` as it is at the call, so redirections
    count), unless ``said`` is that very line (a parent printed it); raise
    :class:`UnsafeTarget` unless it is the local pool or ``confirm_pool_id`` repeats
    ``pool_id`` exactly. Returns the line."""
    line = describe_target(endpoint_url=endpoint_url, region=region, pool_id=pool_id)
    if line != said:
        print(line, file=stream or sys.stderr, flush=True)
    url = resolve_endpoint(endpoint_url, _region_of(pool_id, region))
    if is_local_endpoint(url):
        return line
    if not pool_id:
        raise UnsafeTarget(f"{url} is not the local pool and no pool id was given")
    if confirm_pool_id is None:
        raise UnsafeTarget(
            f"{url} is not the local pool: to load pool {pool_id} there, confirm it with "
            f"--confirm-pool-id {pool_id}"
        )
    if confirm_pool_id.strip() != pool_id:
        raise UnsafeTarget(
            f"--confirm-pool-id {confirm_pool_id!r} is not the target pool {pool_id!r}: "
            "refusing to load a pool whose id was not confirmed"
        )
    return line


def guard_messages(
    *,
    endpoint_url: str | None,
    region: str | None,
    pool_id: str | None,
    messages: int | None,
    confirmed: int | None,
    stream: TextIO | None = None,
) -> None:
    """State how many SMS or e-mail messages a run may make the pool send (``None``: no bound,
    e.g. a run without a duration); on a pool that is not local raise :class:`UnsafeTarget`
    unless ``confirmed`` is at least that many. Nothing to say for a run that sends none."""
    if messages == 0:
        return
    shown = "an unbounded number of" if messages is None else f"up to {messages}"
    url = resolve_endpoint(endpoint_url, _region_of(pool_id, region))
    local = is_local_endpoint(url)
    where = "kept in the local pool's message sink" if local else "really sent by the pool"
    print(
        f"this run may cause {shown} SMS or e-mail messages (codes), {where}",
        file=stream or sys.stderr,
        flush=True,
    )
    if local:
        return
    if messages is None:
        raise UnsafeTarget("bound the run (a run time) so the messages it sends can be counted")
    if confirmed is None or confirmed < messages:
        raise UnsafeTarget(
            f"{url} is not the local pool and this run may make it send {messages} messages: "
            f"confirm with --confirm-messages {messages}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Bound:
    """A size's default and hard maximum (``unit`` for messages: users, /s, s)."""

    option: str
    default: float
    maximum: float
    unit: str = ""


#: Defaults and hard maxima, per command and setting. The defaults are what the commands use when
#: nothing is given; above a maximum a command needs ``--allow-above-max``. Documented in
#: docs/security.md.
BOUNDS: Mapping[str, Mapping[str, Bound]] = {
    "run": {
        "users": Bound(option="--users", default=10, maximum=1000, unit="users"),
        "spawn_rate": Bound(option="--spawn-rate", default=5, maximum=100, unit="users/s"),
        "run_time": Bound(option="--run-time", default=30, maximum=3600, unit="s"),
        "processes": Bound(option="--processes", default=0, maximum=16, unit="processes"),
    },
    "provision": {
        "users": Bound(option="--users", default=0, maximum=10000, unit="users"),
        "concurrency": Bound(option="--concurrency", default=16, maximum=64, unit="in flight"),
    },
    "teardown": {
        "concurrency": Bound(option="--concurrency", default=16, maximum=64, unit="in flight"),
    },
    "lockout-probe": {
        "users": Bound(option="--count/--user", default=0, maximum=20, unit="users"),
        "max_attempts": Bound(option="--max-attempts", default=5000, maximum=20000, unit="calls"),
        "max_seconds": Bound(option="--max-seconds", default=0, maximum=7200, unit="s"),
    },
    "demo": {
        "identities": Bound(option="--identities", default=60, maximum=1000, unit="users"),
        "users": Bound(option="--users", default=10, maximum=100, unit="users"),
        "run_time": Bound(option="--run-time", default=30, maximum=600, unit="s"),
    },
}


def add_bound_options(parser: argparse._ActionsContainer) -> None:
    """Add ``--allow-above-max``, the explicit consent to sizes above :data:`BOUNDS`."""
    parser.add_argument(
        "--allow-above-max",
        action="store_true",
        help="allow users, rate, concurrency or duration above this command's hard maximum "
        "(see docs/security.md)",
    )


def check_positive(command: str, values: Mapping[str, float | None]) -> None:
    """Raise ``ValueError`` naming the first size of ``command`` that is not above 0: a run
    with no users, no spawn rate or no time measures nothing, and Locust takes a run time of 0
    as no limit at all (a load that never stops by itself). ``None`` values pass."""
    for name, value in values.items():
        if value is not None and value <= 0:
            endless = " (Locust would run without end)" if name == "run_time" else ""
            option = BOUNDS[command][name].option
            raise ValueError(f"{option} must be above 0, not {value:g}{endless}")


def check_bounds(command: str, values: Mapping[str, float | None], *, allow: bool) -> None:
    """Raise :class:`OverLimit` naming every value of ``command`` above its maximum, unless
    ``allow``; ``None`` values (not given) pass."""
    if allow:
        return
    over = [
        f"{bound.option} {value:g} is above the maximum {bound.maximum:g} {bound.unit}"
        for name, value in values.items()
        if value is not None and value > (bound := BOUNDS[command][name]).maximum
    ]
    if over:
        raise OverLimit("; ".join(over) + " (--allow-above-max to go beyond, deliberately)")
