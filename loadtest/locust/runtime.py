"""What all virtual users of one Locust process share: target, identities, maths, signer.

Built once per Locust environment, on first use, from the parsed options. Holds the identity
pool (this worker's share of the identities file), the ephemeral pool and verifier cache, the
native-thread math executor, and the SigV4 signer for Admin* calls.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections import Counter
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import srp_fast
from loadtest.drivers.common import NO_RETRY, RetryPolicy, Signer
from loadtest.drivers.signing import SigV4Signer
from loadtest.flows.context import FlowContext
from loadtest.flows.identities import IdentityPool, partition
from loadtest.flows.identity import load_identities
from loadtest.flows.outcomes import Outcome
from loadtest.target.config import ConfigError, TargetConfig
from loadtest.target.options import target_from

from .maths import MathMode, math_executor_for, parse_mode
from .registry import add_identity_secrets

__all__ = ["EphemeralStock", "Runtime", "existing_runtime", "runtime_for", "utc_now"]

log = logging.getLogger(__name__)

_RUNTIMES: weakref.WeakKeyDictionary[Any, Runtime] = weakref.WeakKeyDictionary()


def utc_now() -> datetime:
    """The wall clock, in UTC (flows get it injected)."""
    return datetime.now(UTC)


class EphemeralStock:
    """Keeps an :class:`srp_fast.EphemeralPool` topped up from the gevent hub.

    Flows take a stocked ephemeral on the hub (``take_ready``: no maths), or compute one in a
    Compute effect on the executor's native threads when the stock is empty. A gevent thread
    pool only accepts work submitted from the hub's thread; so the pool itself never refills
    (it has no executor) and users call :meth:`top_up` from their greenlet.
    """

    def __init__(self, executor: Executor | None, *, target: int = 64) -> None:
        self.pool = srp_fast.EphemeralPool(target=target)
        self._executor, self._low = executor, target // 2
        self._refill: Future[None] | None = None

    def top_up(self) -> None:
        """Start a background refill if the stock is low and none is running.

        Without an executor (inline maths) it never refills: each A is computed when taken.
        """
        if self._executor is None or len(self.pool) > self._low:
            return
        if self._refill and not self._refill.done():
            return
        self._refill = self._executor.submit(self.pool.fill)


@dataclass(slots=True, kw_only=True)
class Runtime:
    """Per-process shared state of a run."""

    config: TargetConfig
    identities: IdentityPool
    context: FlowContext
    executor: Executor
    signer: Signer | None
    ephemerals: EphemeralStock
    retry: RetryPolicy = NO_RETRY
    report_compute: bool = True
    #: Calls and logins by outcome, for the end-of-run summary.
    outcomes: Counter[tuple[str, Outcome]] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line: how calls and logins ended, throttles and lockouts apart."""
        parts = []
        for kind in ("call", "login"):
            counts = {o: n for (k, o), n in sorted(self.outcomes.items()) if k == kind}
            text = " ".join(f"{o.value}={n}" for o, n in counts.items()) or "none"
            parts.append(f"{kind}s: {text}")
        return "cognito outcomes: " + "; ".join(parts)


def existing_runtime(environment: Any) -> Runtime | None:
    """The runtime of an environment if a user built one (never builds)."""
    return _RUNTIMES.get(environment)


def runtime_for(environment: Any) -> Runtime:
    """The runtime of a Locust environment, built on first use."""
    runtime = _RUNTIMES.get(environment)
    if runtime is None:
        runtime = build_runtime(environment)
        _RUNTIMES[environment] = runtime
    return runtime


def build_runtime(environment: Any) -> Runtime:
    """Validate the target, load this worker's identities, start the math pool."""
    config = target_from(environment.parsed_options)
    if config.identities is None:
        raise ConfigError("missing identities file (--cognito-identities or COGNITO_IDENTITIES)")
    index, count = _worker_slot(environment)
    everyone = load_identities(config.identities)
    add_identity_secrets(environment, everyone)
    mine = partition(everyone, index, count)
    log.info("worker %d of %d: %d identities", index, count, len(mine))
    mode = parse_mode(getattr(environment.parsed_options, "cognito_math", None))
    niceness = int(getattr(environment.parsed_options, "cognito_math_niceness", 0) or 0)
    executor = math_executor_for(mode, niceness=niceness)
    ephemerals = EphemeralStock(executor if mode is MathMode.THREADS else None)
    log.info("SRP maths: %s", mode.value)
    context = FlowContext(
        client=config.app_client,
        clock=utc_now,
        ephemerals=ephemerals.pool.take,
        ready_ephemeral=ephemerals.pool.take_ready,
        verifiers=srp_fast.VerifierCache(),
    )
    return Runtime(
        config=config,
        identities=IdentityPool(mine),
        context=context,
        executor=executor,
        signer=_signer(config),
        ephemerals=ephemerals,
        retry=RetryPolicy(attempts=1 + max(0, _retries(environment.parsed_options))),
    )


def _retries(options: Any) -> int:
    return int(getattr(options, "cognito_retries", 0) or 0)


def _worker_slot(environment: Any) -> tuple[int, int]:
    runner = environment.runner
    index = max(0, int(getattr(runner, "worker_index", 0) or 0))
    options = environment.parsed_options
    count = int(getattr(options, "cognito_workers", 0) or 0)
    if count <= 0 and type(runner).__name__ == "WorkerRunner":
        # The master sends its options with the spawn message: under --processes N its
        # expect_workers is N; with workers on several machines it is --expect-workers.
        processes = int(getattr(options, "processes", 0) or 0)
        processes = (os.cpu_count() or 1) if processes == -1 else processes
        count = max(processes, int(getattr(options, "expect_workers", 0) or 0))
        if count <= index:
            log.warning(
                "worker %d does not know how many workers share the identities: set "
                "--cognito-workers (or --expect-workers) on the master, or identities overlap",
                index,
            )
    count = max(count, index + 1, 1)
    return index, count


def _signer(config: TargetConfig) -> Signer | None:
    """The local pool gets dummy credentials, without asking the AWS credentials chain: real
    credentials never sign a request to it, and no lookup leaves the machine (the chain ends
    at the instance metadata service, 169.254.169.254)."""
    if config.is_loopback:
        return SigV4Signer(config.region, access_key="local", secret_key="local")
    try:
        return SigV4Signer(config.region)
    except ValueError:
        log.warning("no AWS credentials: Admin* calls will be sent unsigned")
        return None
