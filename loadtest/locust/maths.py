"""Where a Locust process runs its SRP maths: on native threads (the default) or inline.

``threads`` is the normal path: Compute effects and the background refill of the ephemeral
stock run on :func:`srp_fast.offload.gevent_math_executor`'s native threads, so the gevent hub
keeps serving sockets while an exponentiation runs. ``inline`` runs every piece of maths on the
hub's own thread (and computes each A when it is taken, with no background stock): it exists so
that ``make bench`` can show what the native threads buy, at the same load.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, Future
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

__all__ = ["InlineExecutor", "MathMode", "math_executor_for", "parse_mode"]

P = ParamSpec("P")
T = TypeVar("T")


class MathMode(StrEnum):
    """Where the maths runs (``--cognito-math``)."""

    THREADS = "threads"
    INLINE = "inline"


class InlineExecutor(Executor):
    """Runs each submitted call at once, on the caller's thread, and returns its settled future."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the future carries it, as a pool's would
            future.set_exception(exc)
        return future


def math_executor_for(mode: MathMode, *, niceness: int = 0) -> Executor:
    """The executor a Locust process's drivers run Compute effects on.

    ``niceness`` makes the math threads that many steps nicer than the gevent hub's thread
    (``--cognito-math-niceness``), so that the hub wins a contended core.
    """
    if mode is MathMode.INLINE:
        return InlineExecutor()
    from srp_fast.offload import gevent_math_executor

    return gevent_math_executor(max_workers=max(2, os.cpu_count() or 2), niceness=niceness)


def parse_mode(value: Any) -> MathMode:
    """``--cognito-math``'s value as a :class:`MathMode` (``threads`` when unset)."""
    return MathMode(str(value).strip().lower()) if value else MathMode.THREADS
