"""Hand SRP maths to native threads, so an event loop keeps serving its sockets meanwhile.

srp_fast's exponentiations release the GIL (see :func:`srp_fast.powmod`), so they run in
parallel with the thread that serves the network, if they run on a *native* thread:

- asyncio, or plain threads: :func:`math_executor`, a dedicated ``ThreadPoolExecutor``, and
  :func:`run_async` to await a function on it;
- gevent (Locust): :func:`gevent_math_executor`, a :class:`HubExecutor`: native threads (even
  when ``threading`` is monkey-patched) whose futures a greenlet waits on without blocking the
  hub, settled through one wake-up watcher on the hub.

Either can also be given to :class:`srp_fast.EphemeralPool` as its background refiller.
"""

from __future__ import annotations

import _queue
import asyncio
import functools
import os
import sys
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, ParamSpec, TypeVar

__all__ = [
    "HubExecutor",
    "gevent_math_executor",
    "lower_thread_priority",
    "math_executor",
    "run_async",
]

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
    """A dedicated pool of native threads whose futures cooperate with gevent: a
    :class:`HubExecutor` made for the calling thread's hub."""
    return HubExecutor(max_workers, niceness=niceness)


class HubExecutor(Executor):
    """Native threads for a gevent hub's maths, with the least hand-off a job can have.

    A job goes to the workers through a C ``SimpleQueue`` (native locks, untouched by
    monkey-patching); a worker runs it with whatever GIL release the job does, appends the
    settled future to a deque and wakes the hub through one ``async`` watcher, made once. On
    the hub the watcher's callback settles every finished future and switches to the
    greenlet waiting on it. gevent's own ``ThreadPoolExecutor`` does the same work with a
    semaphore, an ``AsyncResult`` and a new ``async`` watcher per job (made, started, stopped and
    closed on the hub), which ``make bench`` measured at about twice the hub's CPU per hand-off.

    Create it, submit to it and wait on its futures from the hub's thread (any greenlet);
    the watcher keeps the hub's loop alive only while jobs are in flight. ``niceness`` makes the
    workers that many steps nicer than the thread that created the executor
    (:func:`lower_thread_priority`), set once as each worker starts.
    """

    def __init__(self, max_workers: int = 2, *, niceness: int = 0) -> None:
        from gevent import get_hub
        from gevent.monkey import get_original

        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._jobs: _queue.SimpleQueue[_HubFuture[Any] | None] = _queue.SimpleQueue()
        self._settled: deque[_HubFuture[Any]] = deque()
        self._watcher = get_hub().loop.async_()
        self._watcher.start(self._settle)
        self._watcher.ref = False
        self._in_flight = 0
        self._workers = max_workers
        self._closed = False
        self._forked = False
        _forget_in_children(self)
        base = os.getpriority(os.PRIO_PROCESS, 0) if sys.platform.startswith("linux") else 0
        start = get_original("_thread", "start_new_thread")
        for _ in range(max_workers):
            start(self._work, (niceness, base))

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        if self._closed:
            raise RuntimeError("cannot schedule new futures after shutdown")
        if self._forked:  # its threads and its hub's watcher stayed in the parent
            raise RuntimeError("a HubExecutor made before a fork has no workers in the child")
        future: _HubFuture[T] = _HubFuture(fn, args, kwargs)
        self._in_flight += 1
        if self._in_flight == 1:
            self._watcher.ref = True
        self._jobs.put(future)
        return future

    def _work(self, niceness: int, base: int) -> None:
        """A worker thread: run jobs until told to stop (a ``None``)."""
        lower_thread_priority(niceness, base=base)
        take, settled, wake = self._jobs.get, self._settled.append, self._watcher.send
        while True:
            future = take()
            if future is None:
                return
            future.run()
            settled(future)
            wake()

    def _settle(self) -> None:
        """On the hub: settle every finished job and wake whoever waits on it."""
        settled = self._settled
        while settled:
            future = settled.popleft()
            self._in_flight -= 1
            future.settle()
        if not self._in_flight:
            self._watcher.ref = False

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the workers once the queued jobs are done (``wait`` is not honoured: the
        workers hold no resources worth waiting for)."""
        if not self._closed:
            self._closed = True
            for _ in range(self._workers):
                self._jobs.put(None)


def _forget_in_children(executor: HubExecutor) -> None:
    """Mark ``executor`` unusable in a forked child (Locust's ``--processes`` forks its
    workers): a job submitted there would wait forever for threads that were not forked."""
    ref = weakref.ref(executor)

    def forked() -> None:
        alive = ref()
        if alive is not None:
            alive._forked = True

    os.register_at_fork(after_in_child=forked)


@functools.cache
def _gevent_waiting() -> tuple[Any, Any]:
    """gevent's ``Waiter`` and ``Timeout``, imported on first use (srp_fast does not need
    gevent unless a :class:`HubExecutor` is made)."""
    from gevent import Timeout
    from gevent.hub import Waiter

    return Waiter, Timeout


class _HubFuture(Future[T]):
    """A job of a :class:`HubExecutor`: run on a worker, settled and waited on on the hub.

    ``Future.__init__`` is not called: its condition variable (a gevent lock once
    ``threading`` is patched) would be made per job and never used, since the waiting is a
    gevent ``Waiter`` and the settling happens on the hub's own thread.
    """

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._job: tuple[Callable[..., T], tuple[Any, ...], dict[str, Any]] | None
        self._job = (fn, args, kwargs)
        self._value: T | None = None
        self._error: BaseException | None = None
        self._finished = False  # on the worker
        self._settled = False  # on the hub
        self._waiter: Any = None

    def run(self) -> None:
        """On a worker: run the job, keep its value or exception."""
        assert self._job is not None
        fn, args, kwargs = self._job
        self._job = None
        try:
            self._value = fn(*args, **kwargs)
        except BaseException as exc:  # the future carries it, as a pool's would
            self._error = exc
        self._finished = True

    def settle(self) -> None:
        """On the hub: mark it done and wake the greenlet waiting on it, if any."""
        self._settled = True
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.switch(None)

    def done(self) -> bool:
        return self._settled

    def running(self) -> bool:
        return not self._settled

    def cancelled(self) -> bool:
        return False

    def cancel(self) -> bool:
        return False

    def result(self, timeout: float | None = None) -> T:
        self._wait(timeout)
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._wait(timeout)
        return self._error

    def add_done_callback(self, fn: Callable[[Future[T]], object]) -> None:
        raise NotImplementedError("HubExecutor futures are waited on, not called back")

    def _wait(self, timeout: float | None) -> None:
        if self._settled:
            return
        waiter_type, timeout_type = _gevent_waiting()
        waiter = self._waiter = waiter_type()
        try:
            if timeout is None:
                waiter.get()
            else:
                with timeout_type(timeout, FutureTimeout):
                    waiter.get()
        except BaseException:  # killed or timed out while waiting: nobody to wake any more
            self._waiter = None
            raise
        if not self._settled:  # pragma: no cover - only settle() switches back here
            raise CancelledError

    def __repr__(self) -> str:
        state = "finished" if self._settled else "pending"
        return f"<_HubFuture {state}>"


async def run_async(executor: Executor, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` on ``executor`` and await its result from an asyncio task."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, lambda: fn(*args, **kwargs))
