"""Memory shared by the pool's worker processes, created once before they fork.

Quota buckets must be counted across workers (a capacity test looks for the throttle onset to
within 10 %), a stall must pause every worker, and the test clock must move for all of them.
Anonymous shared memory (``multiprocessing.RawArray``/``RawValue``) inherited through ``fork``
does this without a broker process.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["SharedMemory"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedMemory:
    """Counters shared by all workers: quota buckets, the clock offset, the stall deadline."""

    buckets: Any
    lock: Any
    clock_offset: Any
    stall_until: Any
    frozen_at: Any

    @classmethod
    def create(cls, bucket_slots: int) -> SharedMemory:
        """Allocate it (call in the parent, before forking workers)."""
        return cls(
            buckets=multiprocessing.RawArray("d", 2 * bucket_slots),
            lock=multiprocessing.Lock(),
            clock_offset=multiprocessing.RawValue("d", 0.0),
            stall_until=multiprocessing.RawValue("d", 0.0),
            frozen_at=multiprocessing.RawValue("d", time.time()),
        )
