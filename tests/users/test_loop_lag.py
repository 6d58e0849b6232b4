"""The hub's lag sampler: a timer callback on a real gevent hub, stalled for real, that samples
while a login is in flight.

``time.sleep`` is not patched here (nothing imports Locust in this process), so it blocks the
hub the way inline maths or a saturated core does; the timer cannot fire during it.
"""

from __future__ import annotations

import time

import gevent
from hdrh.histogram import HdrHistogram

from loadtest.locust.loop_lag import TICK_S, LoopLagMonitor
from loadtest.report.histograms import decode

STALL_S = 0.05


def _stall_hub_after_ticks(ticks: int) -> None:
    """Let the sampler tick (gevent sleeps), then hold the hub for STALL_S."""
    for _ in range(ticks):
        gevent.sleep(TICK_S)
    time.sleep(STALL_S)  # unpatched: the hub runs nothing meanwhile
    gevent.sleep(2 * TICK_S)


def test_a_stalled_hub_shows_as_a_late_timer_and_stop_flushes_it() -> None:
    flushed: list[HdrHistogram] = []
    monitor = LoopLagMonitor(lambda text: flushed.append(decode(text)), interval_s=3600)
    monitor.hold()  # a login in flight
    monitor.start()
    assert monitor.running
    _stall_hub_after_ticks(3)
    monitor.stop()
    assert not monitor.running
    [histogram] = flushed
    assert histogram.get_total_count() >= 2
    # the timer armed just before the stall fires after it: late by the stall less one tick
    assert histogram.get_max_value() >= (STALL_S - TICK_S) * 1e6 * 0.99


def test_it_flushes_every_interval_from_a_greenlet_and_keeps_sampling() -> None:
    flushed: list[str] = []
    monitor = LoopLagMonitor(flushed.append, interval_s=0.0)  # due at every tick
    monitor.start()
    monitor.hold()
    for _ in range(4):
        gevent.sleep(TICK_S)
    monitor.stop()
    assert len(flushed) >= 2
    assert sum(decode(text).get_total_count() for text in flushed) >= 3


def test_drain_hands_out_each_value_once() -> None:
    monitor = LoopLagMonitor(lambda text: None, interval_s=3600)
    monitor.start()
    monitor.hold()
    gevent.sleep(3 * TICK_S)
    first = monitor.drain()
    monitor.stop()
    assert first is not None
    assert decode(first).get_total_count() >= 1
    assert monitor.drain() is None


def test_with_no_login_in_flight_the_timer_parks_and_a_login_arms_it() -> None:
    flushed: list[HdrHistogram] = []
    monitor = LoopLagMonitor(lambda text: flushed.append(decode(text)), interval_s=3600)
    monitor.start()
    assert not monitor.running  # nothing in flight: no wake-ups for an idle hub
    monitor.hold()
    assert monitor.running
    gevent.sleep(3 * TICK_S)
    monitor.release()
    gevent.sleep(3 * TICK_S)  # the next tick parks it
    assert not monitor.running
    time.sleep(STALL_S)  # a stall with nothing in flight is not sampled
    monitor.stop()
    [histogram] = flushed
    assert histogram.get_total_count() >= 1
    assert histogram.get_max_value() < (STALL_S - TICK_S) * 1e6 * 0.99
