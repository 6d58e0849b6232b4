"""The lockout probe's two charts in ``report.html``, as inline SVG (no script, no network).

- the timeline: one lane per probed user against seconds on the probe's clock; each attempt a
  dot coloured by outcome, each lock a bar as measured (solid) above a bar as long as the model
  says (outline);
- the curve: lock length in model seconds (log scale) by counted failure n, the model's curve
  (2^(n-5) s with Cognito's defaults, capped) against each measured lock and its error bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

__all__ = ["lock_curve", "lock_timeline"]

WIDTH = 720
MEASURED = "#1f77b4"
OUTCOME_COLOURS = {
    "counted": "#d62728",
    "locked": "#ff7f0e",
    "success": "#2ca02c",
    "throttled": "#9467bd",
}
OTHER = "#7f7f7f"
_LEFT, _LANE = 120, 44


def _locks(probe: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(str(u.get("user")), lock) for u in probe.get("users", []) for lock in u["locks"]]


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"


# -- the timeline -------------------------------------------------------------------------------
def lock_timeline(probe: dict[str, Any]) -> str:
    """Attempts and locks of every probed user over time."""
    attempts = probe.get("attempts") or []
    locks = [  # brackets below the threshold that saw no refusal are not locks
        (user, lock)
        for user, lock in _locks(probe)
        if lock.get("started_at") is not None and (lock.get("expected_s") or lock.get("seen"))
    ]
    users = sorted({str(a["user"]) for a in attempts} | {u for u, _ in locks})
    if not users:
        return "<p>No attempts recorded.</p>"
    end = _timeline_end(attempts, [lock for _, lock in locks])

    def x(t: float) -> float:
        return _LEFT + (WIDTH - _LEFT - 10) * t / end

    lanes = {user: 10 + index * _LANE for index, user in enumerate(users)}
    bottom = 10 + len(users) * _LANE
    parts = [f"<svg width='{WIDTH}' height='{bottom + 44}' role='img' "
             "aria-label='lockout timeline'>"]  # fmt: skip
    parts += _time_axis(bottom, end, lanes)
    parts += [_lock_bars(lanes[user], lock, x) for user, lock in locks]
    parts += [_attempt_dot(lanes[str(a["user"])], a, x) for a in attempts]
    parts += _timeline_legend(bottom + 34)
    parts.append("</svg>")
    return "".join(parts)


def _timeline_end(attempts: list[dict[str, Any]], locks: list[dict[str, Any]]) -> float:
    ends = [float(a["answered_at"]) for a in attempts]
    for lock in locks:
        length = max(lock.get("high_s") or lock.get("low_s") or 0, lock.get("expected_s") or 0)
        ends.append(float(lock["started_at"]) + length)
    return max(ends) or 1.0


def _time_axis(bottom: int, end: float, lanes: dict[str, int]) -> list[str]:
    parts = [
        f"<line x1='{_LEFT}' y1='{bottom}' x2='{WIDTH - 10}' y2='{bottom}' stroke='#888'/>",
        f"<text x='{_LEFT}' y='{bottom + 14}'>0</text>",
        f"<text x='{WIDTH - 70}' y='{bottom + 14}'>{end:.3g} s</text>",
    ]
    parts += [f"<text x='0' y='{top + 24}'>{escape(u[-16:])}</text>" for u, top in lanes.items()]
    return parts


def _lock_bars(top: int, lock: dict[str, Any], x: Callable[[float], float]) -> str:
    """The measured lock (the middle of its bracket; else at least its low end) over the lock
    the model expects."""
    start = float(lock["started_at"])
    measured = lock.get("measured_s")
    span = float(measured if measured is not None else lock.get("low_s") or 0)
    expected = float(lock.get("expected_s") or 0)
    tip = escape(
        f"failure {lock.get('failure')}: measured {_num(measured)} s, "
        f"model {_num(lock.get('expected_s'))} s ({lock.get('verdict')})"
    )
    return (
        f"<rect x='{x(start):.1f}' y='{top + 6}' width='{x(span) - _LEFT:.1f}' height='8' "
        f"fill='{MEASURED}' opacity='.6'><title>{tip}</title></rect>"
        f"<rect x='{x(start):.1f}' y='{top + 28}' width='{x(expected) - _LEFT:.1f}' height='8' "
        f"fill='none' stroke='{MEASURED}'/>"
    )


def _attempt_dot(top: int, attempt: dict[str, Any], x: Callable[[float], float]) -> str:
    colour = OUTCOME_COLOURS.get(str(attempt["outcome"]), OTHER)
    t = float(attempt["answered_at"])
    tip = escape(f"{attempt['phase']}: {attempt['outcome']} at {t:.3f} s")
    return (
        f"<circle cx='{x(t):.1f}' cy='{top + 21}' r='3' fill='{colour}'><title>{tip}</title>"
        "</circle>"
    )


def _timeline_legend(y: int) -> list[str]:
    items = [("lock: measured", MEASURED), *OUTCOME_COLOURS.items(), ("other", OTHER)]
    parts, lx = [], 10
    for name, colour in [*items, ("outline: model lock", "#222")]:
        parts.append(f"<text x='{lx}' y='{y}' fill='{colour}'>{escape(name)}</text>")
        lx += 7 * len(name) + 18  # about 7 px a character at 11 px
    return parts


# -- the curve ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class _Point:
    """One measured lock in model seconds; ``high`` None: only a lower bound was seen."""

    failure: int
    low: float
    mid: float | None
    high: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class _LogAxes:
    """Failure n across, seconds up on a log2 scale from 2^low to 2^high."""

    first: int
    last: int
    low: int
    high: int
    height: int = 260
    left: int = 70
    bottom: int = 30

    def x(self, n: float) -> float:
        return (
            self.left
            + 20
            + (WIDTH - self.left - 50) * (n - self.first) / ((self.last - self.first) or 1)
        )

    def y(self, seconds: float) -> float:
        exponent = math.log2(max(seconds, 2.0**self.low))
        usable = self.height - self.bottom - 10
        return self.height - self.bottom - usable * (exponent - self.low) / (self.high - self.low)


def lock_curve(probe: dict[str, Any], model: dict[str, Any]) -> str:
    """Measured locks against the model's curve, by counted failure."""
    rows = [lock for _, lock in _locks(probe) if (lock.get("expected_model_s") or 0) > 0]
    if not rows:
        return "<p>No lock past the threshold was probed.</p>"
    curve = _model_curve(rows, model)
    points = _points(rows, float(model.get("time_scale") or 1.0))
    values = [*curve.values(), *(v for p in points for v in (p.low, p.mid, p.high) if v)]
    axes = _LogAxes(
        first=min(curve),
        last=max(curve),
        low=math.floor(math.log2(min(values))) - 1,
        high=math.ceil(math.log2(max(values))) + 1,
    )
    parts = [f"<svg width='{WIDTH}' height='{axes.height + 20}' role='img' "
             "aria-label='locks against the model'>"]  # fmt: skip
    parts += _log_axes(axes, sorted(curve))
    path = " ".join(f"{axes.x(n):.1f},{axes.y(v):.1f}" for n, v in sorted(curve.items()))
    parts.append(f"<polyline fill='none' stroke='#888' stroke-width='2' points='{path}'/>")
    parts += [_error_bar(axes, point) for point in points]
    parts.append(f"<text x='{axes.left + 10}' y='{axes.height + 14}'>grey: the model; blue: "
                 "measured (dot, with its error bar; a bar to the top: at least); "
                 "x: counted failure n</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _model_curve(rows: list[dict[str, Any]], model: dict[str, Any]) -> dict[int, float]:
    """Model seconds by failure n: the probe's expectations, filled in from the model's
    parameters (first lock x factor^(n - threshold), capped) when the probe names them."""
    curve = {int(r["failure"]): float(r["expected_model_s"]) for r in rows}
    if {"threshold", "first_lock", "factor", "cap"} <= model.keys():
        for n in range(min(curve), max(curve) + 1):
            length = model["first_lock"] * model["factor"] ** (n - int(model["threshold"]))
            curve[n] = min(float(model["cap"]), float(length))
    return curve


def _points(rows: list[dict[str, Any]], scale: float) -> list[_Point]:
    return [
        _Point(
            failure=int(lock["failure"]),
            low=float(lock.get("low_s") or 0) / scale,
            mid=None if lock.get("measured_model_s") is None else float(lock["measured_model_s"]),
            high=None if lock.get("high_s") is None else float(lock["high_s"]) / scale,
        )
        for lock in rows
    ]


def _log_axes(axes: _LogAxes, failures: list[int]) -> list[str]:
    base = axes.height - axes.bottom
    parts = [
        f"<line x1='{axes.left}' y1='{base}' x2='{WIDTH - 10}' y2='{base}' stroke='#888'/>",
        f"<line x1='{axes.left}' y1='10' x2='{axes.left}' y2='{base}' stroke='#888'/>",
    ]
    for exponent in range(axes.low, axes.high + 1, max(1, (axes.high - axes.low) // 8)):
        parts.append(f"<text x='4' y='{axes.y(2.0**exponent) + 4:.1f}'>{2.0**exponent:g} s</text>")
    step = max(1, len(failures) // 20)
    parts += [f"<text x='{axes.x(n) - 4:.1f}' y='{base + 16}'>{n}</text>" for n in failures[::step]]
    return parts


def _error_bar(axes: _LogAxes, point: _Point) -> str:
    x = f"{axes.x(point.failure):.1f}"
    top = point.high if point.high is not None else 2.0**axes.high
    bar = (
        f"<line x1='{x}' y1='{axes.y(point.low):.1f}' x2='{x}' y2='{axes.y(top):.1f}' "
        f"stroke='{MEASURED}'/>"
    )
    if point.mid is None:
        return bar
    return (
        f"{bar}<circle cx='{x}' cy='{axes.y(point.mid):.1f}' r='4' fill='{MEASURED}'>"
        f"<title>failure {point.failure}: {point.mid:.4g} model s</title></circle>"
    )
