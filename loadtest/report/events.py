"""``events.jsonl``: structlog configured once per run, one JSON line per event, flushed per line.

The pipeline is a few small processors: context bound with :mod:`structlog.contextvars`, the
run's fixed fields (run id, process), a wall-clock stamp, the :class:`Redactor`, then the JSON
renderer. structlog's ``WriteLogger`` writes and flushes each line, so a killed run keeps every
event up to its last line. Events:

- ``run_started``: the run's metadata;
- ``login``: the canonical event of one login, with every step (:func:`login_event`);
- ``validity``: every few seconds per process, CPU and wall seconds so far and the event-loop
  lag since the last one (an encoded histogram);
- ``run_finished``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import structlog

from loadtest.drivers.events import CallEvent, Event, Reporter
from loadtest.flows.outcomes import classify
from loadtest.protocol.errors import CognitoError

from .redact import Redactor

__all__ = ["EVENTS_FILE", "EventLog", "StepLog", "error_type", "login_event", "read_events"]

EVENTS_FILE = "events.jsonl"


def error_type(error: BaseException | None) -> str | None:
    """A low-cardinality name for a failure: Cognito's error type, else the exception class."""
    if error is None:
        return None
    if isinstance(error, CognitoError):
        return error.error_type
    return type(error).__name__


@dataclass(slots=True)
class StepLog:
    """A driver reporter that keeps each step of one login (calls and client maths)."""

    forward: Reporter | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        if isinstance(event, CallEvent):
            self.steps.append(
                {
                    "label": event.name,
                    "outcome": event.outcome.value,
                    "ms": round(event.response_time_ms, 3),
                    "error_type": error_type(event.exception),
                    "attempt": event.attempt,
                }
            )
        else:
            self.steps.append({"compute": event.name, "ms": round(event.compute_ms, 3)})
        if self.forward is not None:
            self.forward(event)


def login_event(
    flow: str,
    steps: list[dict[str, Any]],
    *,
    total_ms: float,
    error: BaseException | None,
) -> dict[str, Any]:
    """The canonical event of one login: outcome, total, server and client compute time."""
    calls = [s for s in steps if "label" in s]
    return {
        "flow": flow,
        "outcome": classify(error).value,
        "error_type": error_type(error),
        "total_ms": round(total_ms, 3),
        "server_ms": round(sum(s["ms"] for s in calls), 3),
        "compute_ms": round(sum(s["ms"] for s in steps if "compute" in s), 3),
        "calls": len(calls),
        "steps": steps,
    }


class EventLog:
    """structlog, configured once for a run, writing ``events.jsonl`` in ``run_dir``."""

    def __init__(self, run_dir: Path, redactor: Redactor, *, fields: Mapping[str, Any]) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / EVENTS_FILE
        self.redactor = redactor
        self._file: IO[str] = self.path.open("a", encoding="utf-8")
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                _add_fields(dict(fields)),
                _stamp,
                redactor,
                structlog.processors.JSONRenderer(separators=(",", ":")),
            ],
            logger_factory=structlog.WriteLoggerFactory(self._file),
            cache_logger_on_first_use=False,
        )
        self.log = structlog.get_logger("cognito.report")

    def emit(self, event: str, **values: Any) -> None:
        """Write one event (redacted) as a line."""
        self.log.info(event, **values)

    def close(self) -> None:
        """Stop writing; structlog goes back to its defaults."""
        structlog.reset_defaults()
        self._file.close()


def _add_fields(fields: dict[str, Any]) -> structlog.types.Processor:
    def add(logger: Any, method: str, event_dict: Any) -> Any:
        for key, value in fields.items():
            event_dict.setdefault(key, value)
        return event_dict

    return add


def _stamp(logger: Any, method: str, event_dict: Any) -> Any:
    event_dict.setdefault("t", round(time.time(), 6))
    return event_dict


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete event of an events file; a torn last line (a killed writer) is skipped."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                return
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                yield event
