"""Drive a flow with blocking calls: plain sync code, and (subclassed in
:mod:`loadtest.locust.driver`) gevent with native-thread maths.

Under gevent the same loop is cooperative: the transport yields to the hub while it waits for
the network, and Compute effects run on :class:`srp_fast.offload.HubExecutor`'s native threads,
which do the GIL-free exponentiation while the greenlet waits on the future without blocking
the hub.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from loadtest.flows.effects import (
    Call,
    Compute,
    ComputeKind,
    Effect,
    Fetch,
    Flow,
    not_an_api_call,
)

from .common import (
    CALL_ERRORS,
    NO_RETRY,
    RetryPolicy,
    Signer,
    build_request,
    compute_event,
    ignore,
    retry_delay,
    settle,
    take_ready,
)
from .events import Reporter
from .stepper import Stepper
from .transport import Transport

__all__ = ["SyncDriver"]

T = TypeVar("T")


class SyncDriver:
    """Runs flows over a blocking :class:`~loadtest.drivers.transport.Transport`.

    ``executor`` runs Compute effects (inline when ``None``); ``reporter`` receives every
    :class:`CallEvent` and :class:`ComputeEvent`; ``signer`` signs Admin* calls; ``retry`` is
    off by default.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        reporter: Reporter | None = None,
        executor: Executor | None = None,
        signer: Signer | None = None,
        retry: RetryPolicy = NO_RETRY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self.reporter = reporter or ignore
        self.executor = executor
        self.signer = signer
        self.retry = retry
        self._sleep = sleep

    def run(self, flow: Flow[T], *, reporter: Reporter | None = None) -> T:
        """Run ``flow`` to its end and return its value (or raise its failure)."""
        report = reporter or self.reporter
        stepper = Stepper(flow)
        effect = stepper.advance()
        while effect is not None:
            try:
                value = self._perform(effect, report)
            except Exception as exc:
                effect = stepper.fail(exc)
            else:
                effect = stepper.advance(value)
        return stepper.result

    def _perform(self, effect: Effect, report: Reporter) -> Any:
        if isinstance(effect, Compute):
            return self._compute(effect, report)
        if isinstance(effect, Fetch):
            raise not_an_api_call(effect)
        return self._call(effect, report)

    def _call(self, call: Call, report: Reporter) -> Any:
        headers, body = build_request(call, self.transport.url, self.signer)
        for attempt in itertools.count(1):
            start = time.perf_counter()
            try:
                raw = self.transport.post(headers, body)
                return settle(call, attempt, start, raw, report)
            except CALL_ERRORS as exc:
                self._sleep(retry_delay(call, attempt, start, exc, self.retry, report))
        raise AssertionError("unreachable")  # pragma: no cover

    def _compute(self, effect: Compute, report: Reporter) -> Any:
        start = time.perf_counter()
        stocked: bool | None = None
        try:
            value, stocked = take_ready(effect)
            if value is None:
                value = self._run_maths(effect)
        except Exception as exc:
            report(compute_event(effect, start, exc, stocked))
            raise
        report(compute_event(effect, start, None, stocked))
        return value

    def _run_maths(self, effect: Compute) -> Any:
        """Maths on the executor; an out-of-band wait (a code source's read) on the caller's
        thread, so it never holds a maths thread (under gevent its I/O yields to the hub)."""
        if self.executor is None or effect.kind is ComputeKind.OUT_OF_BAND:
            return effect.fn(*effect.args)
        return self.executor.submit(effect.fn, *effect.args).result()
