"""What a run adds up to: histograms and counters built from canonical events.

The same code consumes live events (in a Locust process) and the lines of ``events.jsonl`` (when
a summary is regenerated after a crash), so both give the same summary. A snapshot is plain JSON
(encoded histograms and counts) that a Locust worker ships to the master, which merges it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from loadtest.flows.outcomes import Outcome
from loadtest.protocol.quotas import label_category

from .histograms import HistogramSet

__all__ = ["HISTOGRAM_GROUPS", "Aggregate", "quota_category", "throttle_category"]

#: Histogram groups: API calls by label, whole logins by flow, and per login its server time,
#: its client compute time and its out-of-band waits (codes by SMS or e-mail), kept apart; the
#: generator's event-loop lag.
HISTOGRAM_GROUPS = ("requests", "flows", "server", "compute", "out_of_band", "loop_lag")
#: ``excluded``: logins written but not results, by reason (``warmup``, ``stopped``);
#: ``stopped``: logins the end of the run cut short, by flow, and ``stopped_calls`` the calls
#: they completed.
_COUNTER_GROUPS = (
    "calls", "logins", "errors", "throttles", "lockouts", "stock_misses", "excluded",
    "stopped", "stopped_calls",
)  # fmt: skip
#: The outcome of a login the end of the run cut short.
STOPPED = Outcome.STOPPED.value
#: Per-process figures a ``validity`` event may carry beside CPU and wall time.
_PROCESS_FIGURES = ("math", "stock_hits", "stock_misses", "identity_waits", "identity_wait_s")


def quota_category(label: str) -> str:
    """The quota category of a call label (``Operation:CHALLENGE``, or ``POST /login``), or
    ``unknown``."""
    try:
        return label_category(label).value
    except (ValueError, KeyError):
        return "unknown"


def throttle_category(step: Mapping[str, Any]) -> str:
    """Where a throttled step is counted: the domain limit it names (``quota``), else its
    label's quota category."""
    return str(step.get("quota") or quota_category(str(step["label"])))


class Aggregate:
    """Histograms and counters of one process, or of several merged."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.histograms = {group: HistogramSet() for group in HISTOGRAM_GROUPS}
        self.counts: dict[str, Counter[str]] = {g: Counter() for g in _COUNTER_GROUPS}
        self.by_label: dict[str, Counter[str]] = {}
        self.by_flow: dict[str, Counter[str]] = {}
        self.processes: dict[str, dict[str, Any]] = {}
        #: Logins by outcome, and throttled calls, per whole second of wall time.
        self.timeline: dict[int, Counter[str]] = {}
        self.first_ts: float | None = None
        self.last_ts: float | None = None

    # -- consuming events -----------------------------------------------------------------
    def add_login(self, event: Mapping[str, Any]) -> None:
        """One canonical ``login`` event: its flow, total, server and compute time, steps.

        An event with a ``view`` (the open model's latency of a login from its intended start,
        or an arrival it dropped) only adds a row to ``flows``: its login, if any, counted once.
        A warm-up login (``warmup``: due in the open model's warm-up) is not a result: it is
        only counted as excluded, and its views not at all. Nor is a login the end of the run
        cut short (outcome ``stopped``): its time is truncated, so it is in no latency figure
        and no login outcome, only counted (``stopped``, ``excluded``); but the calls it
        completed happened, so they are counted as every other call is.
        """
        if event.get("warmup"):
            if not event.get("view"):
                self.counts["excluded"]["warmup"] += 1
            return
        flow, outcome = str(event["flow"]), event["outcome"]
        if event.get("view"):
            self.histograms["flows"].record(flow, float(event["total_ms"]))
            self.by_flow.setdefault(flow, Counter())[outcome] += 1
            self._seen(event.get("t"))
            return
        if outcome == STOPPED:
            self._add_stopped(flow, event)
            return
        self.histograms["flows"].record(flow, float(event["total_ms"]))
        self.histograms["server"].record(flow, float(event["server_ms"]))
        self.histograms["compute"].record(flow, float(event["compute_ms"]))
        if event.get("out_of_band_ms") is not None:
            self.histograms["out_of_band"].record(flow, float(event["out_of_band_ms"]))
        self.counts["logins"][outcome] += 1
        self.by_flow.setdefault(flow, Counter())[outcome] += 1
        if outcome == "locked_out":
            self.counts["lockouts"][flow] += 1
        if event.get("stock_misses"):
            self.counts["stock_misses"][flow] += int(event["stock_misses"])
        second = self._second(event.get("t"))
        second[outcome] += 1
        for step in event.get("steps", ()):
            if "label" in step:
                self._add_call(step)
                second["throttled_calls"] += step["outcome"] == "throttled"
        self._seen(event.get("t"))

    def _add_stopped(self, flow: str, event: Mapping[str, Any]) -> None:
        """A login the end of the run cut short: counted apart, and its completed calls
        counted as every call is (the success path keeps its own loop: no extra call)."""
        self.counts["stopped"][flow] += 1
        self.counts["excluded"][STOPPED] += 1
        second = self._second(event.get("t"))
        for step in event.get("steps", ()):
            if "label" in step:
                self._add_call(step)
                second["throttled_calls"] += step["outcome"] == "throttled"
                self.counts["stopped_calls"][flow] += 1
        self._seen(event.get("t"))

    def _second(self, t: Any) -> Counter[str]:
        key = int(t) if isinstance(t, int | float) else 0
        return self.timeline.setdefault(key, Counter())

    def _add_call(self, step: Mapping[str, Any]) -> None:
        label, outcome = str(step["label"]), str(step["outcome"])
        self.histograms["requests"].record(label, float(step["ms"]))
        self.counts["calls"][outcome] += 1
        self.by_label.setdefault(label, Counter())[outcome] += 1
        if step.get("error_type"):
            self.counts["errors"][str(step["error_type"])] += 1
        if outcome == "throttled":
            self.counts["throttles"][throttle_category(step)] += 1

    def add_validity(self, event: Mapping[str, Any]) -> None:
        """A ``validity`` event: a process's CPU and wall seconds so far, its loop lag since
        the last one (encoded), where its maths runs and its stock's hits and misses so far."""
        figures: dict[str, Any] = {"cpu_s": float(event["cpu_s"]), "wall_s": float(event["wall_s"])}
        figures |= {key: event[key] for key in _PROCESS_FIGURES if event.get(key) is not None}
        self.processes[str(event["process"])] = figures
        if event.get("loop_lag"):
            self.histograms["loop_lag"].merge_encoded({"loop_lag": event["loop_lag"]})
        self._seen(event.get("t"))

    def add(self, event: Mapping[str, Any]) -> None:
        """Any event from ``events.jsonl``; those that carry no figures are ignored."""
        kind = event.get("event")
        if kind == "login":
            self.add_login(event)
        elif kind == "validity":
            self.add_validity(event)
        elif kind == "test_started":
            self._seen(event.get("t"))

    def _seen(self, t: Any) -> None:
        if isinstance(t, int | float):
            self.first_ts = t if self.first_ts is None else min(self.first_ts, t)
            self.last_ts = t if self.last_ts is None else max(self.last_ts, t)

    # -- shipping and merging -------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything as plain JSON: encoded histograms and counts."""
        return {
            "histograms": {g: h.encoded() for g, h in self.histograms.items()},
            "counts": {g: dict(c) for g, c in self.counts.items()},
            "by_label": {k: dict(c) for k, c in self.by_label.items()},
            "by_flow": {k: dict(c) for k, c in self.by_flow.items()},
            "processes": dict(self.processes),
            "span": [self.first_ts, self.last_ts],
            "timeline": {str(k): dict(c) for k, c in self.timeline.items()},
        }

    def merge(self, snapshot: Mapping[str, Any]) -> None:
        """Add a snapshot (a worker's, or another process's)."""
        for group, encoded in snapshot.get("histograms", {}).items():
            self.histograms[group].merge_encoded(encoded)
        for group, counts in snapshot.get("counts", {}).items():
            self.counts[group].update(counts)
        for name, counts in snapshot.get("by_label", {}).items():
            self.by_label.setdefault(name, Counter()).update(counts)
        for name, counts in snapshot.get("by_flow", {}).items():
            self.by_flow.setdefault(name, Counter()).update(counts)
        self.processes.update(snapshot.get("processes", {}))
        for t in snapshot.get("span", ()):
            self._seen(t)
        for second, counts in snapshot.get("timeline", {}).items():
            self.timeline.setdefault(int(second), Counter()).update(counts)

    def take(self) -> dict[str, Any]:
        """A snapshot, after which this aggregate starts empty (a worker's delta)."""
        snapshot = self.snapshot()
        self._reset()
        return snapshot
