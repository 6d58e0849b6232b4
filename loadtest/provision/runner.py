"""Run one async job per item with bounded concurrency, bounded time, progress and clean Ctrl-C.

Shared by provisioning and teardown. ``concurrency`` worker tasks pull items from one iterator,
so at most that many jobs are in flight and no task exists per item (a run of 100 000 users
holds 16 tasks, not 100 000). Each job has a time limit. Ctrl-C (SIGINT) or SIGTERM once: stop
taking items, let the in-flight ones finish (each within its time limit); a second time: cancel
them. Either way the caller's ``on_done`` has only ever seen whole results, so what it wrote
stays consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from loadtest.flows import FlowError
from loadtest.protocol.errors import CognitoError, TransportError

from .progress import Progress, ProgressPrinter

__all__ = ["JOB_ERRORS", "Interrupt", "Outcome", "run_jobs"]

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")

#: What a job may fail with without stopping the others: the service's refusals, transport
#: failures, the flows' own errors, and its time limit.
JOB_ERRORS = (CognitoError, TransportError, FlowError, TimeoutError)

#: Stop early when this many jobs failed and none succeeded: the target is wrong, not a user.
FAIL_FAST_AFTER = 10


@dataclass(slots=True)
class Interrupt:
    """Ctrl-C state: ``stop`` ends scheduling; ``abandon`` cancels what is in flight."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    signal_number: int | None = None
    _workers: list[asyncio.Task[None]] = field(default_factory=list)

    def request(self, signal_number: int, printer: ProgressPrinter) -> None:
        """The first signal stops scheduling; the second abandons in-flight jobs."""
        if self.stop.is_set():
            printer.say("second interrupt: abandoning the jobs in flight")
            for task in self._workers:
                task.cancel()
            return
        self.signal_number = signal_number
        self.stop.set()
        printer.say("interrupted: finishing the jobs in flight (interrupt again to abandon them)")

    @contextlib.contextmanager
    def handling_signals(self, printer: ProgressPrinter) -> Iterator[None]:
        """Route SIGINT and SIGTERM to :meth:`request` for the block."""
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, self.request, number, printer)
        try:
            yield
        finally:
            for number in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(number)


@dataclass(slots=True, kw_only=True)
class Outcome:
    """How a batch of jobs ended."""

    done: int = 0
    failed: int = 0
    gave_up: bool = False
    interrupted: bool = False


@dataclass(slots=True, kw_only=True)
class _Batch(Generic[I, R]):
    items: Iterator[I]
    job: Callable[[I], Awaitable[R]]
    on_done: Callable[[I, R], None]
    describe: Callable[[I], str]
    timeout: float
    progress: Progress
    printer: ProgressPrinter
    interrupt: Interrupt
    outcome: Outcome = field(default_factory=Outcome)


async def run_jobs(
    items: Iterable[I],
    job: Callable[[I], Awaitable[R]],
    *,
    on_done: Callable[[I, R], None],
    describe: Callable[[I], str],
    concurrency: int,
    timeout: float,
    progress: Progress,
    printer: ProgressPrinter,
    interrupt: Interrupt,
    throttles: Callable[[], int] = lambda: 0,
) -> Outcome:
    """Run ``job`` on every item (see the module docstring); ``on_done`` gets each result.

    A job that fails with one of :data:`JOB_ERRORS` is reported by ``describe(item)`` and its
    error's text, and the others go on; anything else is a bug and propagates.
    """
    batch = _Batch(
        items=iter(items),
        job=job,
        on_done=on_done,
        describe=describe,
        timeout=timeout,
        progress=progress,
        printer=printer,
        interrupt=interrupt,
    )
    workers = [asyncio.create_task(_worker(batch)) for _ in range(max(1, concurrency))]
    interrupt._workers = workers
    ticker = asyncio.create_task(_tick(progress, printer, throttles))
    try:
        results = await asyncio.gather(*workers, return_exceptions=True)
    finally:
        ticker.cancel()
        progress.throttled = throttles()
        printer.update(progress, asyncio.get_running_loop().time(), force=True)
        printer.end_line()
    _raise_bugs(results)
    batch.outcome.interrupted = interrupt.stop.is_set()
    return batch.outcome


def _raise_bugs(results: list[BaseException | None]) -> None:
    for result in results:
        if isinstance(result, Exception):
            raise result


async def _worker(batch: _Batch[I, R]) -> None:
    while not batch.interrupt.stop.is_set() and not batch.outcome.gave_up:
        item = next(batch.items, None)
        if item is None:
            return
        await _one(batch, item)


async def _one(batch: _Batch[I, R], item: I) -> None:
    outcome, progress = batch.outcome, batch.progress
    try:
        async with asyncio.timeout(batch.timeout):
            result = await batch.job(item)
    except JOB_ERRORS as exc:
        _failed(batch, item, exc)
        return
    except Exception:
        outcome.gave_up = True  # a bug: stop the other workers too, then let it surface
        raise
    batch.on_done(item, result)
    outcome.done = progress.done = outcome.done + 1


def _failed(batch: _Batch[I, R], item: I, exc: BaseException) -> None:
    """Report one failed job; give up when the first ones all failed (the target is wrong)."""
    outcome = batch.outcome
    outcome.failed = batch.progress.failed = outcome.failed + 1
    batch.printer.say(f"{batch.describe(item)}: failed: {_reason(exc, batch.timeout)}")
    if outcome.failed >= FAIL_FAST_AFTER and outcome.done == 0 and not outcome.gave_up:
        outcome.gave_up = True
        batch.printer.say(f"giving up: the first {FAIL_FAST_AFTER} all failed")


def _reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"not finished within {timeout:g} s"
    if isinstance(exc, CognitoError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


async def _tick(progress: Progress, printer: ProgressPrinter, throttles: Callable[[], int]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        progress.throttled = throttles()
        printer.update(progress, loop.time())
        await asyncio.sleep(0.2)
