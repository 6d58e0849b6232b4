"""Whether the generator's event loop distorted its timings: the gevent hub's lag.

A greenlet sleeps ``TICK_S`` in a loop and records how late it wakes: when the gevent hub is
busy (maths inline, too many users, a saturated core), every answer waiting on a socket is read
late by about as much, and latencies grow with it. The report reads the encoded histogram.

Why 5 ms and not 1 ms: the timer is always pending, so any stall of the hub longer than a tick
delays at least one wake-up by all but a tick of it, and the validity flag trips at a p99 of
10 ms (``LAG_WARNING_MS``), twice the tick. A shorter tick adds samples of an idle hub, which
only dilute the p99, at a real price: at 1 ms the sampler was ~1000 wake-ups and HDR records a
second, a few per cent of a core, charged to every login of a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent

from loadtest.report.histograms import new_histogram, to_us

__all__ = ["LoopLagMonitor"]

#: How long the sampler sleeps between wake-ups (seconds).
TICK_S = 0.005


class LoopLagMonitor:
    """Times a ``TICK_S`` sleep on the gevent hub; hands the encoded lag histogram to ``flush``
    every ``interval_s`` and once more when stopped."""

    def __init__(self, flush: Callable[[str], None], *, interval_s: float = 5.0) -> None:
        self._flush, self._interval = flush, interval_s
        self._histogram = new_histogram()
        self._greenlet: Any = None

    def start(self) -> None:
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        """Stop timing and flush what was measured since the last flush."""
        if self._greenlet is not None:
            self._greenlet.kill(block=True)
            self._greenlet = None
            self._emit()

    def _run(self) -> None:
        due = time.monotonic() + self._interval
        while True:
            start = time.perf_counter()
            gevent.sleep(TICK_S)
            lag_ms = (time.perf_counter() - start - TICK_S) * 1000
            self._histogram.record_value(to_us(max(lag_ms, 0.0)))
            if time.monotonic() >= due:
                self._emit()
                due += self._interval

    def drain(self) -> str | None:
        """The encoded lag measured since the last drain (``None`` if nothing), then reset."""
        if not self._histogram.get_total_count():
            return None
        encoded: str = self._histogram.encode().decode("ascii")
        self._histogram.reset()
        return encoded

    def _emit(self) -> None:
        encoded = self.drain()
        if encoded is not None:
            self._flush(encoded)
