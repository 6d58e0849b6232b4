"""Time for the pool's logic: an injected wall clock, a test offset, and the time scale.

No pool logic calls ``time.time()`` itself: it asks a :class:`Clock`, so tests can move time
forward (``--test-clock``) instead of sleeping, and ``--time-scale`` can shrink the lockout,
idle-reset and session durations without touching the code that applies them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Clock", "OffsetClock", "SystemClock", "TimeScale"]


class Clock(Protocol):
    """Wall-clock seconds since the epoch, as the pool's logic sees them."""

    def now(self) -> float: ...


class SystemClock:
    """The real wall clock."""

    __slots__ = ()

    def now(self) -> float:
        return time.time()


class OffsetClock:
    """The wall clock plus an offset held in memory shared by every worker process.

    Tests advance it through ``POST /_pool/clock`` (only with ``--test-clock``), so a
    three-minute session expiry or a TOTP step change happens without waiting. A frozen clock
    (``--freeze-clock``) moves only when told, so durations measured with it are exact.
    """

    __slots__ = ("_base", "_offset")

    def __init__(self, offset: Any, *, frozen_at: float | None = None) -> None:
        self._offset = offset  # a multiprocessing.RawValue("d") created before the fork
        self._base = frozen_at

    def now(self) -> float:
        """Wall time plus the offset; with ``frozen_at``, that instant plus the offset only."""
        base = time.time() if self._base is None else self._base
        return base + float(self._offset.value)

    def advance(self, seconds: float) -> float:
        """Move time forward (never back); returns the new offset."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset.value = float(self._offset.value) + seconds
        return float(self._offset.value)


@dataclass(frozen=True, slots=True)
class TimeScale:
    """Multiplies the durations the pool enforces (lockout, idle reset, sessions)."""

    factor: float = 1.0

    def __post_init__(self) -> None:
        if not self.factor > 0:
            raise ValueError("the time scale must be positive")

    def seconds(self, model_seconds: float) -> float:
        """The real duration that stands for ``model_seconds`` of the model."""
        return model_seconds * self.factor
