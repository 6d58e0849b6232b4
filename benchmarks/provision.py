"""Provisioning speed: users per second against the local pool, and the estimate against reality.

Two figures, each from a fresh local pool process (its own state file) on this machine:

1. **Unpaced**: quotas off on the pool, no client-side limits; users per second for the full
   plan (password, TOTP, device) and for the bare one (password only). This is the cost of the
   toolkit and the pool, which share the machine's cores.
2. **Paced**: the pool enforcing Cognito's default quotas, the client pacing by the same
   defaults; the printed estimate (the bottleneck category's bound) beside the measured time.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from pathlib import Path
from typing import Any

from loadtest.provision import Plan, ProgressPrinter, ProvisionSettings, RateLimits, provision
from loadtest.target.config import TargetConfig
from loadtest.target.launch import LocalPool, create_app, local_pool

from ._timing import finish
from .figures import Figure, Table, ratio

__all__ = ["TABLES", "measure", "run"]

UNPACED_USERS = 300
PACED_USERS = 100
CONCURRENCY = 16


def _app(pool: LocalPool) -> TargetConfig:
    """A pool with optional TOTP and remembered devices, and an SRP app client."""
    app = create_app(pool.url, name="bench-provision", flows=("ALLOW_USER_SRP_AUTH",))
    return TargetConfig.from_settings(app.settings())


def _run(
    target: TargetConfig, folder: Path, run: str, users: int, plan: Plan, limits: RateLimits
) -> dict[str, Any]:
    settings = ProvisionSettings(
        target=target,
        users=users,
        identities=folder / f"{run}.jsonl",
        run=run,
        plan=plan,
        limits=limits,
        concurrency=CONCURRENCY,
    )
    printer = ProgressPrinter(io.StringIO(), tty=False)
    report = asyncio.run(provision(settings, printer=printer))
    if not report.complete:
        raise RuntimeError(f"bench run {run} left {report.failed} users failed")
    return {
        "users": users,
        "seconds": round(report.seconds, 3),
        "users_per_s": round(users / report.seconds, 2),
        "estimate_s": round(report.estimate.seconds, 3),
        "throttles": report.throttles,
    }


def measure() -> dict[str, Any]:
    """Unpaced (quotas off) and paced (default quotas) provisioning, each on a fresh pool."""
    full, bare = Plan(totp=True, device=True), Plan(totp=False, device=False)
    with tempfile.TemporaryDirectory(prefix="bench-provision-") as tmp:
        folder = Path(tmp)
        with local_pool(folder / "unpaced.sqlite", ["--no-quotas"]) as pool:
            target = _app(pool)
            unlimited = RateLimits.unlimited()
            unpaced_full = _run(target, folder, "full", UNPACED_USERS, full, unlimited)
            unpaced_bare = _run(target, folder, "bare", UNPACED_USERS, bare, unlimited)
        with local_pool(folder / "paced.sqlite") as pool:
            paced = _run(_app(pool), folder, "paced", PACED_USERS, full, RateLimits())
    return {
        "concurrency": CONCURRENCY,
        "unpaced_full": unpaced_full,
        "unpaced_bare": unpaced_bare,
        "paced_default_quotas": paced,
        "unpaced_full_users_per_s": unpaced_full["users_per_s"],
        "unpaced_bare_users_per_s": unpaced_bare["users_per_s"],
        "paced_seconds": paced["seconds"],
        "paced_estimate_s": paced["estimate_s"],
        "paced_throttles": paced["throttles"],
    }


def run(*, out: Path) -> dict[str, Any]:
    """Measure, print and check the figures, write ``out``; returns what was written."""
    return finish(TABLES, measure(), out)


TABLES = (
    Table(
        title=f"Provisioning against the local pool (same machine, concurrency {CONCURRENCY})",
        figures=(
            Figure(key="unpaced_full_users_per_s", label="quotas off, TOTP + device",
                   unit="/s", note=f"{UNPACED_USERS} users"),
            Figure(key="unpaced_bare_users_per_s", label="quotas off, password only",
                   unit="/s", note=f"{UNPACED_USERS} users"),
            Figure(key="paced_seconds", label="default quotas, TOTP + device", unit="s",
                   note=f"{PACED_USERS} users"),
            Figure(key="paced_estimate_s", label="estimate at default quotas", unit="s"),
            Figure(key="paced_actual_over_estimate", label="actual / estimate", unit="x",
                   derive=ratio("paced_seconds", "paced_estimate_s")),
            Figure(key="paced_throttles", label="throttles, paced", unit="count"),
        ),
    ),
)  # fmt: skip
