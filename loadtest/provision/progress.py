"""Progress of a run: a carriage-return line with rate and ETA on a terminal, log lines otherwise.

:class:`Progress` is the state and its rendering (sans-I/O: ``now`` is passed in);
:class:`ProgressPrinter` decides when and how to write it. A small ``\\r`` line does all a bar
library would here, so no dependency. Only counts, rates and user names are ever written.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

__all__ = ["Progress", "ProgressPrinter"]

#: On a terminal, redraw at most this often; otherwise write a line this often.
TTY_INTERVAL = 0.2
LOG_INTERVAL = 5.0


@dataclass(slots=True, kw_only=True)
class Progress:
    """Counts of one run. ``total`` is what this invocation set out to do (resumed users aside).

    ``expected_rate`` (from the estimate) gives the ETA until the first job finishes: with many
    jobs in flight at once, the first finish comes late and the observed rate starts near zero.
    """

    verb: str
    total: int
    started: float
    expected_rate: float | None = None
    done: int = 0
    failed: int = 0
    throttled: int = 0

    def bar(self, width: int = 24) -> str:
        """``[#########...............]``: the share finished (done or failed)."""
        filled = width * (self.done + self.failed) // self.total if self.total else width
        return "[" + "#" * filled + "." * (width - filled) + "]"

    def line(self, now: float) -> str:
        """``provisioned 120/200 (60%)  12.3/s  ETA 0:07  throttled 3  failed 0``."""
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        left = self.total - self.done - self.failed
        pace = rate if self.done else (self.expected_rate or 0.0)
        eta = _clock(left / pace) if pace > 0 else "?"
        share = 100 * (self.done + self.failed) // self.total if self.total else 100
        return (
            f"{self.verb} {self.done}/{self.total} ({share}%)  {rate:.1f}/s  ETA {eta}  "
            f"throttled {self.throttled}  failed {self.failed}"
        )


def _clock(seconds: float) -> str:
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressPrinter:
    """Writes :class:`Progress` to ``stream``: redrawn in place on a TTY, periodic lines if not."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._last = float("-inf")
        self._drawn = False

    def update(self, progress: Progress, now: float, *, force: bool = False) -> None:
        """Show the current state if enough time passed since the last (or ``force``)."""
        interval = TTY_INTERVAL if self.tty else LOG_INTERVAL
        if not force and now - self._last < interval:
            return
        self._last = now
        if self.tty:
            self.stream.write(f"\r\x1b[2K{progress.bar()} {progress.line(now)}")
            self._drawn = True
        else:
            self.stream.write(progress.line(now) + "\n")
        self.stream.flush()

    def say(self, message: str) -> None:
        """A message on its own line (below the progress line on a TTY)."""
        self.end_line()
        self.stream.write(message + "\n")
        self.stream.flush()

    def end_line(self) -> None:
        """Leave the progress line in place and move to a new line."""
        if self._drawn:
            self.stream.write("\n")
            self._drawn = False
