"""The capacity run's default target: the embedded local pool, with users made for the mix.

Provisioning is itself throttled by the quotas under test, so the pool first runs with
``--no-quotas`` while the provisioning job makes the users (three groups: without MFA, with a
TOTP authenticator, with TOTP and a remembered device), then restarts on the same state file
with the quotas under test. The identities file and the pool's state hold secrets: they go in a
private folder (mode 0700, files 0600).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from loadtest.flows import dump_identities, load_identities
from loadtest.protocol.quotas import PER_USER_RPS, QuotaCategory
from loadtest.target.launch import LocalApp, LocalPool, create_app, local_pool

from .kinds import IdentityNeeds

__all__ = ["EmbeddedPool", "embedded_pool", "pool_options", "provision_for"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddedPool:
    """A running local pool with the quotas under test, its app and identities file."""

    pool: LocalPool
    app: LocalApp
    identities: Path


def pool_options(
    quotas: Mapping[QuotaCategory, float],
    *,
    burst_seconds: float,
    workers: int,
    faults: Sequence[str] = (),
) -> list[str]:
    """``pool serve`` options for the quotas under test.

    A burst shorter than a second would also shrink each user's bucket (10 requests/s, so 2
    tokens at 0.2 s) below the 3 or 4 calls one login sends back to back; the per-user rate is
    raised so that the per-user bucket still holds 10 tokens, as with the default 1 s burst.
    """
    options = ["--workers", str(workers), "--burst-seconds", f"{burst_seconds:g}"]
    if burst_seconds < 1.0:
        options += ["--per-user-rps", f"{PER_USER_RPS / burst_seconds:g}"]
    for category, rps in sorted(quotas.items()):
        options += ["--quota", f"{category.value}={rps:g}"]
    for fault in faults:
        options += ["--fault", fault]
    return options


def provision_for(url: str, needs: IdentityNeeds, private: Path, run: str) -> tuple[LocalApp, Path]:
    """A user pool (MFA optional, devices remembered) with the users ``needs`` asks for, made
    by the provisioning job against a pool without quotas; returns the app and the merged
    identities file."""
    from loadtest.provision import ProvisionSettings, provision
    from loadtest.provision.plan import Plan
    from loadtest.provision.ratelimit import RateLimits
    from loadtest.target.config import TargetConfig

    app = create_app(url, name=f"capacity-{run}")
    target = TargetConfig.from_settings(app.settings())
    groups = (
        ("plain", needs.plain, Plan(totp=False, device=False, email=True)),
        ("totp", needs.totp, Plan(totp=True, device=False, email=True)),
        ("device", needs.device, Plan(totp=True, device=True, email=True)),
    )
    merged = []
    for name, count, plan in groups:
        if count <= 0:
            continue
        path = private / f"identities-{name}.jsonl"
        settings = ProvisionSettings(
            target=target,
            users=count,
            identities=path,
            run=f"{run}-{name}"[:40],
            plan=plan,
            limits=RateLimits.unlimited(),
        )
        report = asyncio.run(provision(settings))
        if not report.complete:
            raise RuntimeError(
                f"provisioning {name} users did not complete: {report.failed} failed"
            )
        merged += load_identities(path)
    path = private / "identities.jsonl"
    dump_identities(merged, path)
    os.chmod(path, 0o600)
    return app, path


@contextlib.contextmanager
def embedded_pool(
    private: Path,
    needs: IdentityNeeds,
    options: Sequence[str],
    *,
    run: str,
) -> Iterator[EmbeddedPool]:
    """Provision on a quota-free pool, then serve the same state with ``options``."""
    if private.exists() and any(private.iterdir()):
        raise FileExistsError(f"{private} is not empty: a run id is used once (pass another)")
    private.mkdir(mode=0o700, parents=True, exist_ok=True)
    state = private / "pool.sqlite"
    with local_pool(state, ["--no-quotas", "--workers", "2"]) as pool:
        app, identities = provision_for(pool.url, needs, private, run)
    with local_pool(state, options) as pool:
        app = LocalApp(url=pool.url, pool_id=app.pool_id, client_id=app.client_id)
        yield EmbeddedPool(pool=pool, app=app, identities=identities)
