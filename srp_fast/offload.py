"""Hand SRP maths to native threads, so an event loop keeps serving its sockets meanwhile.

srp_fast's exponentiations release the GIL (see :func:`srp_fast.powmod`), so they run in
parallel with the thread that serves the network, if they run on a *native* thread:

- asyncio, or plain threads: :func:`math_executor`, a dedicated ``ThreadPoolExecutor``, and
  :func:`run_async` to await a function on it;
- gevent (Locust): :func:`gevent_math_executor`, gevent's ``ThreadPoolExecutor``, whose workers
  are native threads even when ``threading`` is monkey-patched and whose futures a greenlet can
  wait on without blocking the hub. It is a dedicated pool, not the hub's shared one.

Either can also be given to :class:`srp_fast.EphemeralPool` as its background refiller.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["gevent_math_executor", "lower_thread_priority", "math_executor", "run_async"]

P = ParamSpec("P")
T = TypeVar("T")


def lower_thread_priority(niceness: int, *, base: int | None = None) -> None:
    """Make the calling native thread ``niceness`` steps nicer than ``base`` (Linux; else no-op).

    ``base`` defaults to the calling thread's own niceness. On Linux, ``setpriority`` with
    ``PRIO_PROCESS`` and 0 changes only the calling thread (a documented NPTL departure from
    POSIX). A math thread a few steps nicer than the event loop's thread yields the CPU to it
    whenever both are runnable, so a busy core delays the loop's wake-ups less, while the maths
    still gets every cycle the loop leaves. Lowering a priority needs no privilege; setting
    the same value again is a cheap no-op.
    """
    if niceness <= 0 or not sys.platform.startswith("linux"):
        return
    current = os.getpriority(os.PRIO_PROCESS, 0)
    target = min(19, (current if base is None else base) + niceness)
    if target > current:
        os.setpriority(os.PRIO_PROCESS, 0, target)


def math_executor(
    max_workers: int = 2, *, name: str = "srp-math", niceness: int = 0
) -> ThreadPoolExecutor:
    """A dedicated pool of native threads for SRP maths (not for a gevent-patched process).

    ``niceness`` lowers the threads' CPU priority below the caller's event loop
    (:func:`lower_thread_priority`).
    """
    return ThreadPoolExecutor(
        max_workers=max_workers,
        thread_name_prefix=name,
        initializer=lower_thread_priority,
        initargs=(niceness,),
    )


def gevent_math_executor(max_workers: int = 2, *, niceness: int = 0) -> Executor:
    """A dedicated pool of native threads whose futures cooperate with gevent.

    gevent's pool ignores ``initializer``, so with ``niceness`` each task first lowers its
    thread's priority, once per thread (:func:`lower_thread_priority`).
    """
    from gevent.threadpool import ThreadPoolExecutor as GeventThreadPoolExecutor

    executor: Executor = GeventThreadPoolExecutor(max_workers=max_workers)
    return _NiceExecutor(executor, niceness) if niceness > 0 else executor


class _NiceExecutor(Executor):
    """Delegates to ``inner``; each task first makes its thread ``niceness`` steps nicer than
    the thread that created the executor (a syscall of about a microsecond, so no per-thread
    bookkeeping, which monkey-patched ``threading.local`` would make per-greenlet anyway)."""

    def __init__(self, inner: Executor, niceness: int) -> None:
        self._inner, self._niceness = inner, niceness
        self._base = os.getpriority(os.PRIO_PROCESS, 0) if sys.platform.startswith("linux") else 0

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        return self._inner.submit(self._run, fn, *args, **kwargs)

    def _run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        lower_thread_priority(self._niceness, base=self._base)
        return fn(*args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)


async def run_async(executor: Executor, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` on ``executor`` and await its result from an asyncio task."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, lambda: fn(*args, **kwargs))
