"""What all virtual users of one Locust process share: target, identities, maths, signer.

Built once per Locust environment (by its :class:`~loadtest.locust.run.LocustRun`) from the
parsed options, and warmed before the first login: the fixed-base table for g and a full stock
of ephemerals, sized so the whole population can start a login at once and the open model's
peak arrival rate is covered for a second (:func:`stock_size`). Holds the identity pool (this
worker's share of the identities file), the ephemeral stock and verifier cache, the
native-thread math executor, and the SigV4 signer for Admin* calls.
"""

from __future__ import annotations

import gc
import logging
import math
import os
from collections import Counter
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import srp_fast
from loadtest.drivers.common import NO_RETRY, RetryPolicy, Signer
from loadtest.drivers.record import LoginRecord
from loadtest.drivers.signing import SigV4Signer
from loadtest.flows.authenticator import warm_signing
from loadtest.flows.codes import CodeSource, MessageBudget, code_source_from
from loadtest.flows.context import FlowContext
from loadtest.flows.identities import IdentityPool, partition
from loadtest.flows.identity import Identity, load_identities
from loadtest.flows.login import ClientSecret
from loadtest.flows.outcomes import Outcome
from loadtest.target.config import ConfigError, TargetConfig
from loadtest.target.options import target_from

from .maths import MathMode, math_executor_for, parse_mode

__all__ = [
    "MIN_STOCK",
    "EphemeralStock",
    "Runtime",
    "build_runtime",
    "stock_size",
    "utc_now",
    "worker_slot",
]

log = logging.getLogger(__name__)

#: The smallest stock kept (the refill starts when half of it is taken).
MIN_STOCK = 64
#: Most users whose x and g^x a process computes before the clock (~0.1 ms each here): the
#: rest are computed at their first login, as before.
MAX_PRIMED = 20_000


def utc_now() -> datetime:
    """The wall clock, in UTC (flows get it injected)."""
    return datetime.now(UTC)


class EphemeralStock:
    """Keeps an :class:`srp_fast.EphemeralPool` topped up from the gevent hub.

    Flows take a stocked ephemeral on the hub (``take_ready``: no maths), or compute one in a
    Compute effect on the executor's native threads when the stock is empty: a miss, counted
    by the pool. A gevent thread pool only accepts work submitted from the hub's thread; so the
    pool itself never refills (it has no executor) and users call :meth:`top_up` from their
    greenlet. ``size`` 0 keeps no stock (every login computes its ephemeral: a starved stock).
    """

    def __init__(
        self,
        executor: Executor | None,
        *,
        size: int = MIN_STOCK,
        bits: int = srp_fast.CLIENT_BITS,
    ) -> None:
        self.size = size
        self.pool = srp_fast.EphemeralPool(target=max(1, size), bits=bits)
        self._executor, self._low = executor, size // 2
        self._refill: Future[None] | None = None

    def warm(self) -> None:
        """Fill the stock now (on the math threads, the calling greenlet waiting)."""
        if self._executor is not None and self.size > 0:
            self._executor.submit(self.pool.fill).result()

    def top_up(self) -> None:
        """Start a background refill if the stock is low and none is running.

        Without an executor (inline maths) or a stock it never refills: each A is computed
        when taken.
        """
        if self._executor is None or self.size <= 0 or len(self.pool) > self._low:
            return
        if self._refill and not self._refill.done():
            return
        self._refill = self._executor.submit(self.pool.fill)


def stock_size(options: Any, *, workers: int, peak_rate: float = 0.0) -> int:
    """Ephemerals one process keeps: ``--cognito-stock`` if set, else enough for each of its
    users to start a login at once twice over (a device login takes two) and for a second of
    its share of the open model's peak arrival rate, and at least :data:`MIN_STOCK`."""
    given = getattr(options, "cognito_stock", None)
    if given is not None and str(given) != "":
        return max(0, int(given))
    users = int(getattr(options, "num_users", 0) or 0)
    share = math.ceil(users / max(1, workers))
    return max(MIN_STOCK, 2 * share, math.ceil(peak_rate / max(1, workers)))


@dataclass(slots=True, kw_only=True)
class Runtime:
    """Per-process shared state of a run."""

    config: TargetConfig
    identities: IdentityPool
    all_identities: list[Identity]
    context: FlowContext
    executor: Executor
    signer: Signer | None
    ephemerals: EphemeralStock
    mode: MathMode = MathMode.THREADS
    retry: RetryPolicy = NO_RETRY
    #: Calls and logins by outcome, for the end-of-run summary.
    outcomes: Counter[tuple[str, Outcome]] = field(default_factory=Counter)
    #: SMS/e-mail messages this process may still cause (issue 16's rail; no limit locally).
    messages: MessageBudget = field(default_factory=lambda: MessageBudget(limit=None))
    #: This process's share of the identities (what its users lease).
    own: list[Identity] = field(default_factory=list)
    #: Users whose x and g^x were computed before the clock (:meth:`prime_verifiers`).
    primed: int = 0
    #: Passkey algorithms whose first signature was made before the clock.
    signing_warmed: list[str] = field(default_factory=list)

    def warm(self) -> None:
        """The fixed-base table for g, a full ephemeral stock, the users' verifiers and each
        passkey algorithm's first signature (:func:`~loadtest.flows.authenticator.warm_signing`),
        before any login; then one garbage collection, and what start-up built (imports, the
        table, the identities) is frozen out of later ones: a full collection holds the GIL
        (~10-15 ms here) and would otherwise scan it all again in the middle of the run."""
        srp_fast.g_table()
        self.ephemerals.warm()
        self.prime_verifiers()
        warmed = warm_signing(i.passkey for i in self.own if i.passkey is not None)
        self.signing_warmed = [algorithm.value for algorithm in warmed]
        gc.collect()
        gc.freeze()

    def prime_verifiers(self) -> int:
        """x and g^x, before the clock, of each own user (up to :data:`MAX_PRIMED`) whose
        SALT and USER_ID_FOR_SRP an earlier sign-in taught (provisioning signs each user in
        once): its first login then spends only the one exponentiation that needs the
        server's B, as every later login does. On the maths threads; how many were primed."""
        cache = self.context.verifiers
        if cache is None:
            return 0
        prefix = self.context.client.pool_name
        known = [
            (i.srp_user_id, i.password, i.srp_salt)
            for i in self.own
            if i.srp_user_id is not None and i.srp_salt is not None
        ][:MAX_PRIMED]

        def prime() -> int:
            return sum(
                cache.prime(prefix=prefix, identity=user, password=password, salt_hex=salt)
                for user, password, salt in known
            )

        if known:
            self.primed = self.executor.submit(prime).result()
        return self.primed

    def count(self, record: LoginRecord[Any]) -> None:
        """Count one login and its calls by outcome."""
        self.outcomes[("login", record.outcome)] += 1
        for call in record.calls:
            self.outcomes[("call", call.outcome)] += 1

    def login_counts(self) -> tuple[int, int]:
        """Logins so far: those that ended ok, and the others."""
        logins = {o: n for (kind, o), n in self.outcomes.items() if kind == "login"}
        ok = logins.get(Outcome.OK, 0)
        return ok, sum(logins.values()) - ok

    def figures(self) -> dict[str, Any]:
        """This process's validity figures: where its maths runs, its stock's hits and misses."""
        pool = self.ephemerals.pool
        return {"math": self.mode.value, "stock_hits": pool.hits, "stock_misses": pool.misses}

    def stock_line(self) -> str:
        """One line about the stock: size, in stock now, hits and misses so far."""
        pool = self.ephemerals.pool
        return (
            f"ephemeral stock {len(pool)}/{self.ephemerals.size} ({self.mode.value} maths), "
            f"{pool.hits} hits, {pool.misses} misses; "
            f"x and g^x of {self.primed} users before the clock"
            + (f"; passkey signing warmed: {', '.join(self.signing_warmed)}"
               if self.signing_warmed else "")
        )  # fmt: skip

    def summary(self) -> str:
        """One line: how calls and logins ended, throttles and lockouts apart."""
        parts = []
        for kind in ("call", "login"):
            counts = {o: n for (k, o), n in sorted(self.outcomes.items()) if k == kind}
            text = " ".join(f"{o.value}={n}" for o, n in counts.items()) or "none"
            parts.append(f"{kind}s: {text}")
        return "cognito outcomes: " + "; ".join(parts) + "; " + self.stock_line()


def build_runtime(environment: Any, *, peak_rate: float = 0.0) -> Runtime:
    """Validate the target, load this worker's identities, start the math pool (not warmed:
    :meth:`Runtime.warm`). ``peak_rate``: the open model's highest arrival rate, if any."""
    options = environment.parsed_options
    config = target_from(options)
    if config.identities is None:
        raise ConfigError("missing identities file (--cognito-identities or COGNITO_IDENTITIES)")
    index, count = worker_slot(environment)
    everyone = load_identities(config.identities)
    mine = partition(everyone, index, count)
    log.info("worker %d of %d: %d identities", index, count, len(mine))
    mode = parse_mode(getattr(options, "cognito_math", None))
    niceness = int(getattr(options, "cognito_math_niceness", 0) or 0)
    executor = math_executor_for(mode, niceness=niceness)
    size = stock_size(options, workers=count, peak_rate=peak_rate)
    secret = ClientSecret(getattr(options, "cognito_srp_secret", None) or ClientSecret.RFC3526)
    ephemerals = EphemeralStock(
        executor if mode is MathMode.THREADS else None, size=size, bits=secret.bits
    )
    log.info("SRP maths: %s, secret a: %s (%d bits)", mode.value, secret.value, secret.bits)
    context = FlowContext(
        client=config.app_client,
        clock=utc_now,
        ephemerals=ephemerals.pool.take,
        ready_ephemeral=ephemerals.pool.take_ready,
        verifiers=srp_fast.VerifierCache(),
        codes=_code_source(options, config),
    )
    return Runtime(
        config=config,
        identities=IdentityPool(mine),
        all_identities=everyone,
        context=context,
        executor=executor,
        signer=_signer(config),
        ephemerals=ephemerals,
        mode=mode,
        retry=RetryPolicy(attempts=1 + max(0, _retries(options))),
        messages=_message_budget(options, config, count),
        own=mine,
    )


def _code_source(options: Any, config: TargetConfig) -> CodeSource | None:
    """Sign-up and recovery codes: ``--cognito-code-source`` if given, else the local pool's
    message sink when the target is local."""
    spec = getattr(options, "cognito_code_source", None)
    try:
        local = config.endpoint_url if config.is_loopback else None
        return code_source_from(spec, local_url=local)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"--cognito-code-source: {exc}") from exc


def _message_budget(options: Any, config: TargetConfig, workers: int) -> MessageBudget:
    """No limit on the local pool; elsewhere this worker's share of --cognito-confirm-messages
    (none confirmed: every login that would send a message is refused)."""
    if config.is_loopback:
        return MessageBudget(limit=None)
    confirmed = int(getattr(options, "cognito_confirm_messages", 0) or 0)
    return MessageBudget(limit=confirmed // max(1, workers))


def _retries(options: Any) -> int:
    return int(getattr(options, "cognito_retries", 0) or 0)


def worker_slot(environment: Any) -> tuple[int, int]:
    """This process's index among the processes that run users, and how many there are."""
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
