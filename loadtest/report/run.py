"""One process's report of a run: its event log, its figures, its summary."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from loadtest.locust.loop_lag import LoopLagMonitor, cpu_and_wall

from .aggregate import Aggregate
from .events import EventLog, login_event
from .html import write_html
from .redact import Redactor
from .summary import SUMMARY_FILE, build_summary, write_summary

__all__ = ["RunReport"]


class RunReport:
    """Writes ``events.jsonl`` as a run goes and ``summary.json`` at its end.

    ``total`` holds everything this process saw or merged; ``outgoing`` only what it has not
    yet shipped (a Locust worker's delta for the master).
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        run: dict[str, Any],
        process: str,
        redactor: Redactor | None = None,
        lag_interval_s: float = 5.0,
    ) -> None:
        self.run_dir, self.run, self.process = run_dir, run, process
        self.redactor = redactor or Redactor()
        self.events = EventLog(run_dir, self.redactor, fields={"process": process})
        self.total, self.outgoing = Aggregate(), Aggregate()
        self._start = (time.process_time(), time.monotonic())
        self.monitor = LoopLagMonitor(self.validity, interval_s=lag_interval_s)
        self.events.emit("run_started", run=run)

    def add_secrets(self, secrets: list[str | None]) -> None:
        """Secrets that must never be written (see :class:`Redactor`)."""
        self.redactor.add_secrets(secrets)

    def login(
        self,
        flow: str,
        steps: list[dict[str, Any]],
        total_ms: float,
        error: BaseException | None,
        **fields: Any,
    ) -> None:
        """Log the canonical event of one login and count it; ``fields`` are added to it (they
        override the computed ones, e.g. ``view`` and ``outcome`` for the open model)."""
        event = login_event(flow, steps, total_ms=total_ms, error=error) | fields
        self.events.emit("login", **event)
        self._count(event)

    def validity(self, loop_lag: str | None = None) -> None:
        """Log and count this process's CPU so far and its loop lag since the last call."""
        cpu, wall = cpu_and_wall(self._start)
        event = {"process": self.process, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3)}
        event["loop_lag"] = loop_lag
        self.events.emit("validity", **event)
        self._count(event | {"event": "validity"})

    def _count(self, event: dict[str, Any]) -> None:
        event = {"event": "login", "t": time.time()} | event
        self.total.add(event)
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
        self.monitor.stop()
        self.events.emit("run_finished")
        self.events.close()
