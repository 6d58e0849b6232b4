"""Reports: structured events, HDR histograms, ``summary.json``, run comparison.

A run writes ``reports/<run-id>/events.jsonl`` as it goes (one canonical event per login,
redacted, flushed per line) and ``summary.json`` at its end; ``cognito-loadtest report``
rebuilds the summary from the events alone. See :mod:`loadtest.report.summary` for the schema.
"""

from .aggregate import Aggregate, quota_category
from .events import EVENTS_FILE, EventLog, error_type, login_event, steps_of, view_event
from .histograms import HistogramSet, decode, new_histogram, stats
from .pool_settings import pool_settings
from .redact import REDACTED, Redactor, is_secret_key
from .regenerate import fold_in_lockout_probe, read_events, regenerate, summary_from_events
from .run import RunReport
from .summary import (
    SCHEMA_VERSION,
    SUMMARY_FILE,
    build_summary,
    fold_lockout_probe,
    run_metadata,
    schema,
    unfinished,
    write_summary,
)

__all__ = [
    "EVENTS_FILE",
    "REDACTED",
    "SCHEMA_VERSION",
    "SUMMARY_FILE",
    "Aggregate",
    "EventLog",
    "HistogramSet",
    "Redactor",
    "RunReport",
    "build_summary",
    "decode",
    "error_type",
    "fold_in_lockout_probe",
    "fold_lockout_probe",
    "is_secret_key",
    "login_event",
    "new_histogram",
    "pool_settings",
    "quota_category",
    "read_events",
    "regenerate",
    "run_metadata",
    "schema",
    "stats",
    "steps_of",
    "summary_from_events",
    "unfinished",
    "view_event",
    "write_summary",
]
