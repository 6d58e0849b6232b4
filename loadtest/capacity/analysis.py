"""What a step ramp showed, step by step, from the open model's events; sans-I/O.

Each line of ``events.jsonl`` written by the open model carries its step (``stage``): a login's
canonical event (service time, outcome, every call), its ``intended`` view (latency from the
time it was due) and each ``dropped`` arrival. :class:`StepTally` adds them up per step; the
functions below read the steps:

- :func:`onset`: the first step from which at least ``threshold`` of the logins were throttled
  in consecutive steps, and the quota category it came from. The pool's
  TooManyRequestsException names no category, so the category is inferred: from the
  operations that were throttled (each counts in one
  category, :func:`loadtest.protocol.quotas.category_of`), and, when several categories were
  throttled, the quota model breaks the tie: the one it loads most at that step's rate;
- :func:`knee`: the knee of the latency-vs-throughput curve (p99 from the intended start against
  achieved logins/s), by the largest distance below the chord from the first to the last step,
  both axes scaled to [0, 1] (Kneedle's idea: where the curve bends up the most);
- :func:`highest_sustained`: the highest step that kept every SLO, counting from the start
  until the first step that broke one (sustained: no step below it failed);
- :func:`stop_reason`: whether a finished step trips a stop condition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from loadtest.report.aggregate import quota_category, throttle_category
from loadtest.report.histograms import HistogramSet

from .schedule import Stage

__all__ = [
    "Limits",
    "StepResult",
    "StepTally",
    "highest_sustained",
    "infer_category",
    "knee",
    "onset",
    "stop_reason",
]

#: A knee needs the p99 to grow at least this many times over the ramp (else it is noise).
KNEE_RISE = 2.0
#: A step counts as sustained when it started at least this share of its scheduled logins.
ACHIEVED_SHARE = 0.95


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Thresholds on a step: throttled and failed shares of its logins, p99 from the intended
    start (ms). Used both as SLOs and as stop conditions."""

    throttle_rate: float
    error_rate: float
    p99_ms: float

    def broken(self, step: StepResult) -> str | None:
        """The first limit the step breaks, as text, or ``None``."""
        if step.throttle_rate > self.throttle_rate:
            return f"throttle rate {step.throttle_rate:.2%} > {self.throttle_rate:.2%}"
        if step.error_rate > self.error_rate:
            return f"error rate {step.error_rate:.2%} > {self.error_rate:.2%}"
        if step.p99_intended_ms is not None and step.p99_intended_ms > self.p99_ms:
            return f"p99 {step.p99_intended_ms:.0f} ms > {self.p99_ms:.0f} ms"
        return None


@dataclass(slots=True, kw_only=True)
class StepResult:
    """What one step of the ramp showed."""

    stage: int
    rate: float
    seconds: float
    scheduled: int
    started: int = 0
    dropped: int = 0
    ok: int = 0
    throttled: int = 0
    failed: int = 0
    throttled_calls: dict[str, int] = field(default_factory=dict)
    #: Throttled calls by the limit they name (a domain limit) or their label's category.
    throttled_by: dict[str, int] = field(default_factory=dict)
    p50_service_ms: float | None = None
    p99_service_ms: float | None = None
    p50_intended_ms: float | None = None
    p99_intended_ms: float | None = None

    @property
    def achieved_rate(self) -> float:
        """Logins started per second."""
        return self.started / self.seconds

    @property
    def throttle_rate(self) -> float:
        """Share of the started logins that a throttle ended."""
        return self.throttled / self.started if self.started else 0.0

    @property
    def error_rate(self) -> float:
        """Share of the arrivals that failed otherwise or were dropped."""
        arrivals = self.started + self.dropped
        return (self.failed + self.dropped) / arrivals if arrivals else 0.0

    @property
    def throttled_categories(self) -> dict[str, int]:
        """Throttled calls by quota category (or domain limit)."""
        if self.throttled_by:
            return dict(self.throttled_by)
        counts: Counter[str] = Counter()
        for label, count in self.throttled_calls.items():
            counts[quota_category(label)] += count
        return dict(counts)

    def as_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "rate": round(self.rate, 4),
            "seconds": self.seconds,
            "scheduled": self.scheduled,
            "started": self.started,
            "achieved_rate": round(self.achieved_rate, 4),
            "dropped": self.dropped,
            "ok": self.ok,
            "throttled": self.throttled,
            "failed": self.failed,
            "throttle_rate": round(self.throttle_rate, 5),
            "error_rate": round(self.error_rate, 5),
            "throttled_calls": dict(sorted(self.throttled_calls.items())),
            "throttled_categories": dict(sorted(self.throttled_categories.items())),
            "p50_service_ms": self.p50_service_ms,
            "p99_service_ms": self.p99_service_ms,
            "p50_intended_ms": self.p50_intended_ms,
            "p99_intended_ms": self.p99_intended_ms,
        }


class StepTally:
    """Adds up the open model's events per step (``stage``)."""

    def __init__(
        self, stages: Sequence[Stage], *, warmup: int = 0, scheduled: Sequence[int] | None = None
    ) -> None:
        """``scheduled``: the arrivals the schedule put in each step, when they are not the
        integral of its rate (poisson arrivals: a step holds as many as the draws gave it)."""
        self.stages, self.warmup = list(stages), warmup
        counts = list(scheduled) if scheduled is not None else [round(s.arrivals) for s in stages]
        self.steps = [
            StepResult(
                stage=i,
                rate=(s.start_rate + s.end_rate) / 2,
                seconds=s.seconds,
                scheduled=counts[i],
            )
            for i, s in enumerate(self.stages)
        ]
        self._service, self._intended = HistogramSet(), HistogramSet()
        #: The schedule's start (wall clock), as the events give it.
        self.start: float | None = None

    def add(self, event: Mapping[str, Any]) -> None:
        """One event of ``events.jsonl`` (others than the open model's logins are ignored)."""
        stage = event.get("stage")
        if event.get("event") != "login" or not isinstance(stage, int):
            return
        if not 0 <= stage < len(self.steps):
            return
        self._start_from(event)
        step, view, key = self.steps[stage], event.get("view"), str(stage)
        if view == "dropped":
            step.dropped += 1
        elif view == "intended":
            self._intended.record(key, float(event["total_ms"]))
        elif event.get("outcome") != "stopped":  # cut short by the stop: not a result
            self._add_login(step, event)
            self._service.record(key, float(event["total_ms"]))

    def _start_from(self, event: Mapping[str, Any]) -> None:
        if isinstance(event.get("t0"), int | float):
            t0 = float(event["t0"])
            self.start = t0 if self.start is None else min(self.start, t0)

    @staticmethod
    def _add_login(step: StepResult, event: Mapping[str, Any]) -> None:
        step.started += 1
        outcome = event.get("outcome")
        if outcome == "ok":
            step.ok += 1
        elif outcome == "throttled":
            step.throttled += 1
        else:
            step.failed += 1
        for call in event.get("steps", ()):
            if call.get("outcome") == "throttled":
                label = str(call.get("label"))
                step.throttled_calls[label] = step.throttled_calls.get(label, 0) + 1
                by = throttle_category(call)
                step.throttled_by[by] = step.throttled_by.get(by, 0) + 1

    def add_all(self, events: Iterable[Mapping[str, Any]]) -> StepTally:
        for event in events:
            self.add(event)
        return self

    def results(self, upto: int | None = None) -> list[StepResult]:
        """Every step after the warm-up that started an arrival (or up to ``upto``), with its
        percentiles."""
        found = []
        for step in self.steps[self.warmup : None if upto is None else upto + 1]:
            key = str(step.stage)
            for name, histograms in (("service", self._service), ("intended", self._intended)):
                histogram = histograms.by_name.get(key)
                if histogram is not None and histogram.get_total_count():
                    setattr(step, f"p50_{name}_ms", histogram.get_value_at_percentile(50) / 1000)
                    setattr(step, f"p99_{name}_ms", histogram.get_value_at_percentile(99) / 1000)
            if step.started or step.dropped:
                found.append(step)
        return found

    def end_of(self, stage: int) -> float | None:
        """When a step's arrivals end (wall clock), once the schedule's start is known."""
        if self.start is None:
            return None
        return self.start + sum(s.seconds for s in self.stages[: stage + 1])


def stop_reason(step: StepResult, stop: Limits) -> str | None:
    """Why the ramp should stop after this step, if it should."""
    broken = stop.broken(step)
    return f"step {step.stage} ({step.rate:g}/s): {broken}" if broken else None


def onset(
    steps: Sequence[StepResult], threshold: float, *, consecutive: int = 1
) -> StepResult | None:
    """The first step from which at least ``threshold`` of the started logins were throttled in
    ``consecutive`` steps in a row (fewer if the ramp ended first): a burst of throttles below
    the quota (a token bucket overflowing on a latency hiccup) is not the onset."""
    hits = [bool(s.started) and s.throttled / s.started >= threshold for s in steps]
    for index in range(len(steps)):
        if all(hits[index : index + max(1, consecutive)]):
            return steps[index]
    return None


def infer_category(step: StepResult, loads: Mapping[str, float] | None) -> tuple[str, str]:
    """The quota category a step's throttles came from, and how it was told.

    ``loads``: the quota model's demand/quota per category at the step's rate (``None``: no
    model). Returns ``(category, method)``.
    """
    observed = step.throttled_categories
    if not observed:
        return "unknown", "no throttled call"
    if len(observed) == 1:
        return next(iter(observed)), "the only category of the throttled operations"
    if loads:
        best = max(observed, key=lambda c: (loads.get(c, 0.0), observed[c]))
        return best, "of the throttled operations' categories, the one the model loads most"
    best = max(observed, key=lambda c: observed[c])
    return best, "the category of the most throttled calls (no model)"


def knee(steps: Sequence[StepResult]) -> StepResult | None:
    """The step at the knee of p99 (from the intended start) against achieved logins/s: the
    point furthest below the chord joining the first and the last point, axes scaled to [0, 1].
    ``None`` with fewer than 3 points, or a p99 that never doubles (flat within noise), or a
    curve that never bends up."""
    points = [(s.achieved_rate, s.p99_intended_ms, s) for s in steps if s.p99_intended_ms]
    if len(points) < 3:
        return None
    xs = [p[0] for p in points]
    ys = [float(p[1] or 0.0) for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if x1 <= x0 or y1 < KNEE_RISE * y0:
        return None  # flat within noise: no knee
    nx = [(x - x0) / (x1 - x0) for x in xs]
    ny = [(y - y0) / (y1 - y0) for y in ys]
    slope = (ny[-1] - ny[0]) / (nx[-1] - nx[0]) if nx[-1] != nx[0] else 0.0
    gaps = [ny[0] + slope * (x - nx[0]) - y for x, y in zip(nx, ny, strict=True)]
    best = max(range(len(points)), key=lambda i: gaps[i])
    return points[best][2] if gaps[best] > 0 else None


def highest_sustained(steps: Sequence[StepResult], slo: Limits) -> StepResult | None:
    """The highest step of the unbroken run of steps from the start that kept every SLO and
    started at least 95 % of their scheduled logins."""
    best = None
    for step in steps:
        if slo.broken(step) or step.started < ACHIEVED_SHARE * step.scheduled:
            break
        best = step
    return best
