"""``events.jsonl``: structlog configured once per run, one JSON line per event, flushed per line.

The pipeline is a few small processors: context bound with :mod:`structlog.contextvars`, the
run's fixed fields (run id, process), a wall-clock stamp, the :class:`Redactor`, then the JSON
renderer. structlog's ``WriteLogger`` writes and flushes each line, so a killed run keeps every
event up to its last line. With ``compress``, the lines go instead to gzip segments
(:mod:`.segments`, ``events-<process>-NNNN.jsonl.gz``), written a block at a time: a day's run
fits on a laptop's disk, and a killed run loses at most its last block. :func:`run_events`
reads a run folder back either way. Events:

- ``run_started``: the run's metadata;
- ``test_started``: Locust started the test (the run's duration counts from the first);
- ``login``: the canonical event of one login, with every step (:func:`login_event`);
- ``validity``: every few seconds per process, CPU and wall seconds so far, the event-loop
  lag since the last one (an encoded histogram), where its maths runs and its ephemeral stock's
  hits and misses so far;
- ``run_finished``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, TextIO, cast

import structlog

from loadtest.drivers.events import CallEvent, Event
from loadtest.drivers.record import LoginRecord
from loadtest.flows.effects import ComputeKind
from loadtest.flows.outcomes import classify
from loadtest.protocol.errors import CognitoError
from loadtest.protocol.quotas import DomainThrottled

from .redact import Redactor
from .segments import SEGMENT_GLOB, GzipSegments, read_gzip_lines

__all__ = [
    "EVENTS_FILE",
    "EventLog",
    "error_type",
    "event_files",
    "has_events",
    "login_event",
    "read_events",
    "run_events",
    "steps_of",
    "view_event",
]

EVENTS_FILE = "events.jsonl"


def error_type(error: BaseException | None) -> str | None:
    """A low-cardinality name for a failure: Cognito's error type, else the exception class."""
    if error is None:
        return None
    if isinstance(error, CognitoError):
        return error.error_type
    return type(error).__name__


def steps_of(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Each step of one login as it is logged: calls with label, outcome, time, error type and
    attempt (and ``quota``, the domain limit that throttled it, if one did); client maths
    with its time, and ``stocked`` when it had a stock; an out-of-band wait (a code's
    delivery) under its own key, ``out_of_band``, with its time."""
    steps: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, CallEvent):
            steps.append(
                {
                    "label": event.name,
                    "outcome": event.outcome.value,
                    "ms": round(event.response_time_ms, 3),
                    "error_type": error_type(event.exception),
                    "attempt": event.attempt,
                }
            )
            if isinstance(event.exception, DomainThrottled):  # not the label's category
                steps[-1]["quota"] = event.exception.limit.value
        else:
            key = "out_of_band" if event.kind is ComputeKind.OUT_OF_BAND else "compute"
            step: dict[str, Any] = {key: event.name, "ms": round(event.compute_ms, 3)}
            if event.stocked is not None:
                step["stocked"] = event.stocked
            steps.append(step)
    return steps


def login_event(record: LoginRecord[Any]) -> dict[str, Any]:
    """The canonical event of one login: outcome, total, server and client compute time, its
    out-of-band waits if it had any (``out_of_band_ms``: codes by SMS or e-mail), stock misses
    and every step, all derived from its record."""
    event = {
        "flow": record.flow,
        "outcome": record.outcome.value,
        "error_type": error_type(record.error),
        "total_ms": round(record.total_ms, 3),
        "server_ms": round(record.server_ms, 3),
        "compute_ms": round(record.compute_ms, 3),
        "calls": len(record.calls),
        "stock_misses": record.stock_misses,
        "steps": steps_of(record.events),
    }
    if record.waits:
        event["out_of_band_ms"] = round(record.out_of_band_ms, 3)
    return event


def view_event(
    flow: str, total_ms: float, error: BaseException | None, *, view: str
) -> dict[str, Any]:
    """Another view of a login already counted (the open model's latency from its intended
    start, or an arrival it dropped): a ``flows`` row only, never a second login."""
    return {
        "flow": flow,
        "outcome": classify(error).value,
        "error_type": error_type(error),
        "total_ms": round(total_ms, 3),
        "steps": [],
        "view": view,
    }


class EventLog:
    """structlog, configured once for a run, writing ``events.jsonl`` in ``run_dir``."""

    def __init__(
        self,
        run_dir: Path,
        redactor: Redactor,
        *,
        fields: Mapping[str, Any],
        compress: bool = False,
    ) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.redactor = redactor
        self._file: IO[str] | GzipSegments
        if compress:
            self._file = GzipSegments(run_dir, str(fields.get("process", "local")))
            self.path = self._file.path
        else:
            self.path = run_dir / EVENTS_FILE
            self._file = self.path.open("a", encoding="utf-8")
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                _add_fields(dict(fields)),
                _stamp,
                redactor,
                structlog.processors.JSONRenderer(serializer=_encode),
            ],
            logger_factory=structlog.WriteLoggerFactory(cast(TextIO, self._file)),
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


def _fallback(value: Any) -> Any:
    """What structlog's JSON renderer writes for a value JSON cannot: ``__structlog__()``, else
    ``repr``."""
    try:
        return value.__structlog__()
    except AttributeError:
        return repr(value)


#: One compact encoder for every line: ``json.dumps`` with arguments builds a new encoder per
#: call, and a line is written per login.
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_fallback)


def _encode(event_dict: Any, **_: Any) -> str:
    """The JSON line of an event (structlog's renderer passes its own ``default``, unused)."""
    return _ENCODER.encode(event_dict)


def _add_fields(fields: dict[str, Any]) -> structlog.types.Processor:
    def add(logger: Any, method: str, event_dict: Any) -> Any:
        for key, value in fields.items():
            event_dict.setdefault(key, value)
        return event_dict

    return add


def _stamp(logger: Any, method: str, event_dict: Any) -> Any:
    event_dict.setdefault("t", round(time.time(), 6))
    return event_dict


def event_files(run_dir: Path) -> list[Path]:
    """A run folder's event files: ``events.jsonl`` if written, then its gzip segments."""
    plain = run_dir / EVENTS_FILE
    return ([plain] if plain.is_file() else []) + sorted(run_dir.glob(SEGMENT_GLOB))


def has_events(run_dir: Path) -> bool:
    """Whether a run folder holds any event file (plain or compressed)."""
    return bool(event_files(run_dir))


def run_events(run_dir: Path) -> Iterator[dict[str, Any]]:
    """Every complete event of a run folder, plain and compressed files alike."""
    for path in event_files(run_dir):
        yield from read_events(path)


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete event of an events file (``.gz``: a gzip segment); a torn last line (a
    killed writer) is skipped."""
    if path.suffix == ".gz":
        yield from _parse(read_gzip_lines(path))
        return
    with path.open(encoding="utf-8") as handle:
        yield from _parse(handle)


def _parse(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if not line.endswith("\n"):
            return
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict):
            yield event
