"""Drive a flow from an asyncio task: aiohttp for calls, a native thread pool for maths."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
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
from srp_fast.offload import math_executor, run_async

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
from .transport import AsyncTransport

__all__ = ["AsyncDriver"]

T = TypeVar("T")


class AsyncDriver:
    """Runs flows over an :class:`~loadtest.drivers.transport.AsyncTransport`.

    Compute effects run on ``executor`` (a dedicated :func:`srp_fast.offload.math_executor` by
    default), so the event loop keeps serving other tasks during the exponentiation.
    """

    def __init__(
        self,
        transport: AsyncTransport,
        *,
        reporter: Reporter | None = None,
        executor: Executor | None = None,
        signer: Signer | None = None,
        retry: RetryPolicy = NO_RETRY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.transport = transport
        self.reporter = reporter or ignore
        self.executor = executor if executor is not None else math_executor()
        self.signer = signer
        self.retry = retry
        self._sleep = sleep

    async def run(self, flow: Flow[T], *, reporter: Reporter | None = None) -> T:
        """Run ``flow`` to its end and return its value (or raise its failure)."""
        report = reporter or self.reporter
        stepper = Stepper(flow)
        effect = stepper.advance()
        while effect is not None:
            try:
                value = await self._perform(effect, report)
            except Exception as exc:
                effect = stepper.fail(exc)
            else:
                effect = stepper.advance(value)
        return stepper.result

    async def _perform(self, effect: Effect, report: Reporter) -> Any:
        if isinstance(effect, Compute):
            return await self._compute(effect, report)
        if isinstance(effect, Fetch):
            raise not_an_api_call(effect)
        return await self._call(effect, report)

    async def _call(self, call: Call, report: Reporter) -> Any:
        headers, body = build_request(call, self.transport.url, self.signer)
        for attempt in itertools.count(1):
            start = time.perf_counter()
            try:
                raw = await self.transport.post(headers, body)
                return settle(call, attempt, start, raw, report)
            except CALL_ERRORS as exc:
                await self._sleep(retry_delay(call, attempt, start, exc, self.retry, report))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _compute(self, effect: Compute, report: Reporter) -> Any:
        start = time.perf_counter()
        stocked: bool | None = None
        try:
            value, stocked = take_ready(effect)
            if value is None:
                value = await self._run(effect)
        except Exception as exc:
            report(compute_event(effect, start, exc, stocked))
            raise
        report(compute_event(effect, start, None, stocked))
        return value

    async def _run(self, effect: Compute) -> Any:
        """Maths on the math executor; an out-of-band wait (a code source's blocking read) on
        the loop's default executor, so it never holds a math thread while it waits for a
        message (the sync and gevent drivers run it on the caller's thread, for the same
        reason)."""
        if effect.kind is ComputeKind.OUT_OF_BAND:
            return await asyncio.get_running_loop().run_in_executor(None, effect.fn, *effect.args)
        return await run_async(self.executor, effect.fn, *effect.args)
