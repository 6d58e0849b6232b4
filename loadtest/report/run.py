"""One process's report of a run: its event log, its figures, its summary.

Pure of any load generator: it takes canonical events (:func:`~.events.login_event`) and a
process's validity figures, whoever produced them (the Locust adapter measures the loop lag).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .aggregate import Aggregate
from .events import EventLog
from .html import write_html
from .redact import Redactor
from .summary import SUMMARY_FILE, build_summary, write_summary

__all__ = ["RunReport", "cpu_and_wall"]


def cpu_and_wall(start: tuple[float, float]) -> tuple[float, float]:
    """CPU and wall seconds since ``start`` (a pair of ``process_time``, ``monotonic``); CPU
    counts every thread of the process, the native math threads included."""
    return time.process_time() - start[0], time.monotonic() - start[1]


class RunReport:
    """Writes ``events.jsonl`` as a run goes and ``summary.json`` at its end.

    ``total`` holds everything this process saw or merged; ``outgoing`` only what it has not
    yet shipped (a Locust worker's delta for the master), kept only when ``ships``: a process
    that ships nothing would record every value in a second set of histograms for nothing.
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        run: dict[str, Any],
        process: str,
        redactor: Redactor | None = None,
        compress: bool = False,
        ships: bool = False,
    ) -> None:
        self.run_dir, self.run, self.process = run_dir, run, process
        self.redactor = redactor or Redactor()
        fields = {"process": process}
        self.events = EventLog(run_dir, self.redactor, fields=fields, compress=compress)
        self.total, self.outgoing = Aggregate(), Aggregate()
        self.ships = ships
        self._start = (time.process_time(), time.monotonic())
        self._closed = False
        self.events.emit("run_started", run=run)

    def add_secrets(self, secrets: list[str | None]) -> None:
        """Secrets that must never be written (see :class:`Redactor`)."""
        self.redactor.add_secrets(secrets)

    def login(self, event: dict[str, Any], **fields: Any) -> None:
        """Log one login's canonical event (:func:`~.events.login_event`, or a
        :func:`~.events.view_event`) and count it; ``fields`` are added to it (an open-model
        arrival's stage and due time, a drop's reason). After :meth:`close` it is dropped:
        structlog's default logger would print it unredacted, and a summary written later
        would present a login ``events.jsonl`` does not hold."""
        if self._closed:
            return
        event = event | fields
        self.events.emit("login", **event)
        self._count(event)

    def test_started(self) -> None:
        """Mark the start of a test (Locust's ``test_start``): the run's duration, and so its
        rates, count from the earliest one, not from its first login's end."""
        if self._closed:
            return
        self.events.emit("test_started")
        self._count({"event": "test_started"})

    def validity(self, loop_lag: str | None = None, **figures: Any) -> None:
        """Log and count this process's CPU so far, its loop lag since the last call (encoded)
        and its other ``figures`` so far (math mode, stock hits and misses)."""
        if self._closed:
            return
        cpu, wall = cpu_and_wall(self._start)
        event = {"process": self.process, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3)}
        event |= figures | {"loop_lag": loop_lag}
        self.events.emit("validity", **event)
        self._count(event | {"event": "validity"})

    def _count(self, event: dict[str, Any]) -> None:
        event = {"event": "login", "t": time.time()} | event
        self.total.add(event)
        if self.ships:
            self.outgoing.add(event)

    def merge(self, snapshot: dict[str, Any] | None) -> None:
        """Add a worker's shipped snapshot (on the master)."""
        if snapshot:
            self.total.merge(snapshot)

    def take(self) -> dict[str, Any]:
        """What this process has not shipped yet; then forget it."""
        return self.outgoing.take()

    def write_summary(self) -> Path:
        """Write ``summary.json`` and ``report.html`` from what this process saw and merged."""
        summary = build_summary(self.total, self.run, source="live", run_dir=self.run_dir)
        path = self.run_dir / SUMMARY_FILE
        write_summary(path, summary)
        write_html(self.run_dir, summary)
        return path

    def close(self) -> None:
        self.events.emit("run_finished")
        self._closed = True
        self.events.close()
