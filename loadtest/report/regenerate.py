"""Rebuild a run's summary from ``events.jsonl`` alone (after a crash, or to re-render)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .aggregate import Aggregate
from .events import read_events, run_events
from .html import write_html
from .summary import SUMMARY_FILE, build_summary, fold_lockout_probe, write_summary

__all__ = ["fold_in_lockout_probe", "read_events", "regenerate", "summary_from_events"]


def summary_from_events(run_dir: Path) -> dict[str, Any]:
    """The summary of a run folder's events (``events.jsonl`` and any gzip segments).

    ``run.unfinished`` names each process whose events begin (``run_started``) but never end
    (``run_finished``): killed, crashed, or still running as the summary is made."""
    aggregate = Aggregate()
    run: dict[str, Any] = {}
    started: set[str] = set()
    finished: set[str] = set()
    for event in run_events(run_dir):
        kind = event.get("event")
        if kind == "run_started":
            run = run or dict(event.get("run") or {})
            started.add(str(event.get("process")))
        elif kind == "run_finished":
            finished.add(str(event.get("process")))
        aggregate.add(event)
    run["unfinished"] = sorted(started - finished)
    run.setdefault("run_id", run_dir.name)
    for key in ("target", "configuration", "versions"):
        run.setdefault(key, {})
    run.setdefault("git_revision", None)
    return build_summary(aggregate, run, source="events.jsonl", run_dir=run_dir)


def regenerate(run_dir: Path) -> Path:
    """Write ``summary.json`` and ``report.html`` from ``events.jsonl``; returns the summary's
    path."""
    path = run_dir / SUMMARY_FILE
    summary = summary_from_events(run_dir)
    write_summary(path, summary)
    write_html(run_dir, summary)
    return path


def fold_in_lockout_probe(run_dir: Path) -> Path:
    """After a lockout probe wrote ``lockout-summary.json`` into a run folder whose load run
    already wrote its summary: put the probe into ``summary.json`` and ``report.html``.

    The load run's own summary is kept as written (it may hold workers' figures that only the
    master saw); without one, it is rebuilt from ``events.jsonl``.
    """
    path = run_dir / SUMMARY_FILE
    if path.is_file():
        summary: dict[str, Any] = json.loads(path.read_text("utf-8"))
    else:
        summary = summary_from_events(run_dir)
    fold_lockout_probe(summary, run_dir)
    write_summary(path, summary)
    write_html(run_dir, summary)
    return path
