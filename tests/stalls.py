"""A witness of the machine's stalls, for the tests that check that a healthy run raises no
flag the generator controls.

Such a test fails, rightly, when the generator distorts its timings. But this VM sometimes
stops every process for 10-150 ms at once (CI saw three logins' PASSWORD_VERIFIER take
145-148 ms at the same instant, the pool's InitiateAuth 64-97 ms beside them). A login then
spends that long "in client maths", and the report is right to flag it: that login's timing is
distorted. It is not the generator's doing, and the test must tell the two apart.

:class:`StallWitness` is a thread in the test's own process, which does next to nothing: it
sleeps ``TICK_S`` at a time and records how late each wake-up was. A stall of the machine
delays it as much as it delays the generator's maths threads. :func:`compute_flags_explained`
accepts the compute flags of a run only when the flow's typical login was healthy and the
witness saw a stall at least half as long as the flagged compute's excess over its median. A
generator that is slow by itself (a regression in the maths, a starved stock) is slow in its
typical login, and leaves the witness quiet: it still fails the test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from loadtest.report.summary import COMPUTE_SHARE_WARNING

__all__ = ["COMPUTE_FLAGS", "StallWitness", "compute_flags_explained", "stall_witness"]

#: How long the witness sleeps between wake-ups (seconds).
TICK_S = 0.005
#: The validity flags that time client compute.
COMPUTE_FLAGS = frozenset({"client_compute_max", "client_compute_share"})


class StallWitness:
    """How late a sleeping thread of this process woke up, at worst, while it ran."""

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self.wakeups = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-witness", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            before = time.perf_counter()
            time.sleep(TICK_S)
            late_ms = (time.perf_counter() - before - TICK_S) * 1000
            self.wakeups += 1
            self.longest_ms = max(self.longest_ms, late_ms)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def __repr__(self) -> str:
        return f"StallWitness(longest_ms={self.longest_ms:.1f}, wakeups={self.wakeups})"


@contextmanager
def stall_witness() -> Iterator[StallWitness]:
    """A :class:`StallWitness` running for the ``with`` block."""
    witness = StallWitness()
    witness.start()
    try:
        yield witness
    finally:
        witness.stop()


def compute_flags_explained(summary: Mapping[str, Any], witness: StallWitness) -> bool:
    """Whether the run's compute flags (if any) are the machine's. For every flagged flow:
    its typical login was not distorted (median compute within the flag's share of the median
    login: a generator slow by itself is slow in every login), and the witness saw a stall at
    least half as long as the flow's slowest compute less its median (the witness is a
    sleeping thread, which the scheduler favours: it may see less of a stall than a busy
    maths thread does)."""
    flagged = [f for f in summary["validity"]["flags"] if f["name"] in COMPUTE_FLAGS]
    for flag in flagged:
        flow = flag["reason"].split(": ", 1)[0]
        compute, login = summary["client_compute"][flow], summary["flows"][flow]
        if compute["p50"] > COMPUTE_SHARE_WARNING * login["p50"]:
            return False
        if witness.longest_ms < (compute["max"] - compute["p50"]) / 2:
            return False
    return True
