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
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["gevent_math_executor", "math_executor", "run_async"]

P = ParamSpec("P")
T = TypeVar("T")


def math_executor(max_workers: int = 2, *, name: str = "srp-math") -> ThreadPoolExecutor:
    """A dedicated pool of native threads for SRP maths (not for a gevent-patched process)."""
    return ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)


def gevent_math_executor(max_workers: int = 2) -> Executor:
    """A dedicated pool of native threads whose futures cooperate with gevent."""
    from gevent.threadpool import ThreadPoolExecutor as GeventThreadPoolExecutor

    executor: Executor = GeventThreadPoolExecutor(max_workers=max_workers)
    return executor


async def run_async(executor: Executor, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` on ``executor`` and await its result from an asyncio task."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, lambda: fn(*args, **kwargs))
