"""The lockout probe's two charts in ``report.html``, drawn with :mod:`.charts` (no script).

- the timeline: one lane per probed user against seconds on the probe's clock; each attempt a
  dot coloured by outcome, each lock a bar as measured (solid) above a bar as long as the model
  says (outline);
- the curve: lock length in model seconds (log scale) by counted failure n, the model's curve
  (2^(n-5) s with Cognito's defaults, capped) against each measured lock and its error bar.

Every dot and bar says its values on hover.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from .charts import (
    AXIS,
    PALETTE,
    Axis,
    Box,
    Dot,
    Frame,
    LegendItem,
    Line,
    Polyline,
    Shape,
    Text,
    axes,
    figure,
    fmt,
    frame,
    svg,
    text_width,
)

__all__ = ["MEASURED", "OUTCOME_COLOURS", "lock_curve", "lock_timeline"]

MEASURED = PALETTE[0]
OUTCOME_COLOURS = {
    "counted": PALETTE[1],
    "locked": PALETTE[4],
    "success": PALETTE[2],
    "throttled": PALETTE[3],
}
OTHER = "#7f7f7f"
_LANE = 44


def _locks(probe: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(str(u.get("user")), lock) for u in probe.get("users", []) for lock in u["locks"]]


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"


# -- the timeline -------------------------------------------------------------------------------
def lock_timeline(probe: dict[str, Any]) -> Markup:
    """Attempts and locks of every probed user over time."""
    attempts = probe.get("attempts") or []
    locks = [  # brackets below the threshold that saw no refusal are not locks
        (user, lock)
        for user, lock in _locks(probe)
        if lock.get("started_at") is not None and (lock.get("expected_s") or lock.get("seen"))
    ]
    users = sorted({str(a["user"]) for a in attempts} | {u for u, _ in locks})
    if not users:
        return Markup("<p>No attempts recorded.</p>")
    left = max(text_width(u) for u in users) + 14
    plot = frame(
        x_axis=Axis(title="seconds on the probe's clock", unit="s"),
        xs=[0.0, _timeline_end(attempts, [lock for _, lock in locks])],
        y_axis=None,
        ys=[],
        top=6,
        plot_height=len(users) * _LANE + 4,
        left=left,
    )
    lanes = {user: plot.top + index * _LANE for index, user in enumerate(users)}
    shapes = axes(plot, x_title="seconds on the probe's clock")
    shapes += [Text(x=left - 8, y=top + 25, text=u, anchor="end") for u, top in lanes.items()]
    shapes += [s for user, lock in locks for s in _lock_bars(plot, lanes[user], lock)]
    shapes += [_attempt_dot(plot, lanes[str(a["user"])], a) for a in attempts]
    return svg(figure(label="lockout timeline", plot=plot, shapes=shapes, keys=_timeline_legend()))


def _timeline_end(attempts: list[dict[str, Any]], locks: list[dict[str, Any]]) -> float:
    ends = [float(a["answered_at"]) for a in attempts]
    for lock in locks:
        length = max(lock.get("high_s") or lock.get("low_s") or 0, lock.get("expected_s") or 0)
        ends.append(float(lock["started_at"]) + length)
    return max(ends) or 1.0


def _lock_bars(plot: Frame, top: float, lock: dict[str, Any]) -> list[Shape]:
    """The measured lock (the middle of its bracket; else at least its low end) over the lock
    the model expects."""
    start = float(lock["started_at"])
    measured = lock.get("measured_s")
    span = float(measured if measured is not None else lock.get("low_s") or 0)
    expected = float(lock.get("expected_s") or 0)
    tip = (
        f"failure {lock.get('failure')}: measured {_num(measured)} s, "
        f"model {_num(lock.get('expected_s'))} s ({lock.get('verdict')})"
    )
    x0 = plot.x(start)
    return [
        Box(
            x=x0,
            y=top + 6,
            width=plot.x(start + span) - x0,
            height=8,
            fill=MEASURED,
            css="lock-measured",
            title=tip,
        ),
        Box(
            x=x0,
            y=top + 28,
            width=plot.x(start + expected) - x0,
            height=8,
            stroke=MEASURED,
            title=f"failure {lock.get('failure')}: the model's lock, {_num(expected)} s",
        ),
    ]


def _attempt_dot(plot: Frame, top: float, attempt: dict[str, Any]) -> Dot:
    colour = OUTCOME_COLOURS.get(str(attempt["outcome"]), OTHER)
    t = float(attempt["answered_at"])
    tip = f"{attempt['phase']}: {attempt['outcome']} at {t:.3f} s"
    return Dot(x=plot.x(t), y=top + 21, colour=colour, title=tip)


def _timeline_legend() -> list[LegendItem]:
    outcomes = [*OUTCOME_COLOURS.items(), ("other", OTHER)]
    return [
        LegendItem(name="lock, measured", colour=MEASURED, swatch="box"),
        LegendItem(name="lock, as the model says", colour=MEASURED, swatch="outline"),
        *(LegendItem(name=f"attempt: {name}", colour=c, swatch="dot") for name, c in outcomes),
    ]


# -- the curve ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class _Point:
    """One measured lock in model seconds; ``high`` None: only a lower bound was seen."""

    failure: int
    low: float
    mid: float | None
    high: float | None


def lock_curve(probe: dict[str, Any], model: dict[str, Any]) -> Markup:
    """Measured locks against the model's curve, by counted failure."""
    rows = [lock for _, lock in _locks(probe) if (lock.get("expected_model_s") or 0) > 0]
    if not rows:
        return Markup("<p>No lock past the threshold was probed.</p>")
    curve = _model_curve(rows, model)
    points = _points(rows, float(model.get("time_scale") or 1.0))
    values = [*curve.values(), *(v for p in points for v in (p.low, p.mid, p.high) if v)]
    plot = frame(
        x_axis=Axis(title="counted failure n", integer=True, zero=False),
        xs=[min(curve) - 0.5, max(curve) + 0.5],  # room for the end bars
        y_axis=Axis(title="lock (model seconds, log scale)", log=True),
        ys=values,
        top=10,
        plot_height=240,
    )
    path = tuple((plot.x(n), plot.y(v)) for n, v in sorted(curve.items()))
    shapes = axes(plot, x_title="counted failure n", y_title="lock (model s, log scale)")
    shapes.append(Polyline(points=path, colour=AXIS, title="the model"))
    shapes += [s for point in points for s in _error_bar(plot, point)]
    label = "locks against the model"
    return svg(figure(label=label, plot=plot, shapes=shapes, keys=_curve_legend()))


def _curve_legend() -> list[LegendItem]:
    return [
        LegendItem(name="the model", colour=AXIS),
        LegendItem(name="measured: middle of the bracket", colour=MEASURED, swatch="dot"),
        LegendItem(name="bracket (to the top: at least its low end)", colour=MEASURED),
    ]


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


def _error_bar(plot: Frame, point: _Point) -> list[Shape]:
    """The bracket as a vertical bar with caps (to the top of the axis if it has no upper
    end), and its middle as a dot."""
    x = plot.x(point.failure)
    low = plot.y(point.low) if point.low > 0 else plot.bottom
    high = plot.y(point.high) if point.high is not None else plot.top
    bracket = f"{fmt(point.low)} to {'?' if point.high is None else fmt(point.high)}"
    tip = f"failure {point.failure}: between {bracket} model s"
    shapes: list[Shape] = [
        Line(x1=x, y1=low, x2=x, y2=high, colour=MEASURED, title=tip),
        Line(x1=x - 4, y1=low, x2=x + 4, y2=low, colour=MEASURED),
    ]
    if point.high is not None:
        shapes.append(Line(x1=x - 4, y1=high, x2=x + 4, y2=high, colour=MEASURED))
    if point.mid is not None:
        shapes.append(
            Dot(
                x=x,
                y=plot.y(point.mid),
                r=4,
                colour=MEASURED,
                title=f"failure {point.failure}: {point.mid:.4g} model s ({bracket})",
            )
        )
    return shapes
