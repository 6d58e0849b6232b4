"""Whether the generator's event loop distorted its timings: the gevent hub's lag.

While work that is being timed is in flight (a login: :meth:`LoopLagMonitor.hold` /
:meth:`~LoopLagMonitor.release`), a ``TICK_S`` timer on the hub records how late it fires and
is armed again from its own callback: when the hub is busy (maths inline, too many users, a
saturated core), every answer waiting on a socket is read late by about as much, and latencies
grow with it. The report reads the encoded histogram.

Why only while a login is in flight: lag distorts a timing only while a call is being timed.
A tick of an idle hub measured the kernel's wake-up latency alone and diluted the p99, and each
wake-up costs CPU of its own (~40 µs on the benchmark machine: 200 a second were 0.45 ms per
login at 20 logins/s, half the report's cost). A stall that starts while a login is in flight
still delays a pending tick; at full load logins are always in flight and the timer never
parks, as before.

Why 5 ms and not 1 ms: the timer is always pending, so any stall of the hub longer than a tick
delays at least one wake-up by all but a tick of it, and the validity flag trips at a p99 of
10 ms (``LAG_WARNING_MS``), twice the tick. A shorter tick adds samples of an idle hub, which
only dilute the p99, at a real price: at 1 ms the sampler was ~1000 wake-ups and HDR records a
second, a few per cent of a core, charged to every login of a run.

Why a timer callback and not a greenlet that sleeps: it measures the same thing (``sleep`` is a
one-shot timer whose callback switches to the sleeping greenlet; here the callback records
itself), without a greenlet switch, a waiter and a timer object made per tick; and the value
goes to a :class:`~loadtest.report.histograms.Recorder`, not through ``hdrh``'s
``record_value``. That trims the Python work of a tick; the wake-up itself costs more, which is
why the timer parks. The histogram is handed to ``flush`` from a greenlet of its own, never from
the hub's callback (which must not block or switch).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent

from loadtest.report.histograms import Recorder, to_us

__all__ = ["TICK_S", "LoopLagMonitor"]

#: How long after it is armed the timer is due (seconds).
TICK_S = 0.005


class LoopLagMonitor:
    """Times a ``TICK_S`` timer on the gevent hub; hands the encoded lag histogram to ``flush``
    every ``interval_s`` and once more when stopped."""

    def __init__(self, flush: Callable[[str], None], *, interval_s: float = 5.0) -> None:
        self._flush, self._interval = flush, interval_s
        self._recorder = Recorder()
        self._timer: Any = None
        self._emitter: Any = None
        self._started = False
        #: Logins in flight: the timer re-arms while there is one, else parks.
        self._held = 0
        self._armed_at = 0.0
        self._due = 0.0

    @property
    def running(self) -> bool:
        """Whether the timer is armed (started, and a login in flight)."""
        return self._timer is not None

    def start(self) -> None:
        """Sample from now on, whenever a login is in flight."""
        if not self._started:
            self._started = True
            self._due = time.monotonic() + self._interval
            if self._held:
                self._arm()

    def stop(self) -> None:
        """Stop timing and flush what was measured since the last flush."""
        if self._started:
            self._started = False
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            if self._emitter is not None:
                self._emitter.kill(block=False)  # not started yet: flushing now instead
            self._emit()

    def hold(self) -> None:
        """A login starts: sample while it is in flight (arms the timer if parked)."""
        self._held += 1
        if self._started and self._timer is None:
            self._arm()

    def release(self) -> None:
        """A login ended: the timer parks at its next tick if none is left in flight."""
        self._held = max(0, self._held - 1)

    def _arm(self) -> None:
        self._timer = gevent.get_hub().loop.timer(TICK_S)
        self._armed_at = time.perf_counter()
        self._timer.start(self._tick)

    def _tick(self) -> None:
        """The timer's callback, on the hub: record the lateness; arm again while a login is
        in flight, else park until one starts."""
        lag_s = time.perf_counter() - self._armed_at - TICK_S
        self._recorder.record(to_us(lag_s * 1000) if lag_s > 0 else 0)
        if not self._started:
            return
        if self._held:
            self._arm()
        else:
            self._timer = None
        if time.monotonic() >= self._due:
            self._due += self._interval
            self._emitter = gevent.spawn(self._emit)

    def drain(self) -> str | None:
        """The encoded lag measured since the last drain (``None`` if nothing), then reset."""
        if not self._recorder.count():
            return None
        encoded: str = self._recorder.histogram().encode().decode("ascii")
        self._recorder.reset()
        return encoded

    def _emit(self) -> None:
        encoded = self.drain()
        if encoded is not None:
            self._flush(encoded)
