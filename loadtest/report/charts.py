"""The one chart module behind every page (``report.html``, ``capacity.html``, the lockout charts).

A chart is built as data, a :class:`Figure` of shapes in pixels, and drawn by one template
(``templates/chart.svg.j2``): geometry stays testable Python, markup stays in templates, and
every text goes through Jinja2's autoescape. What the module guarantees, so no page repeats it:

- axes whose ticks fall on 1-2-5 values (0, 2, 4, 6 ms; never 2.94 and 5.88), or 1-2-5 per
  decade on a log axis, with light grid lines;
- one palette and one font size, and a text width estimate (:data:`CHAR_PX`) used to keep
  labels apart: the legend sits below the plot and wraps, marker labels stack in rows above it;
- a value on hover through an SVG ``<title>`` (dots for short series, one hover column per x
  for long ones): no script.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from markupsafe import Markup

from .pages import environment

__all__ = [
    "AXIS",
    "CHAR_PX",
    "GRID",
    "INK",
    "LINE_PX",
    "MUTED",
    "PALETTE",
    "WIDTH",
    "Axis",
    "Box",
    "Dot",
    "Figure",
    "Frame",
    "LegendItem",
    "Line",
    "Marker",
    "Polyline",
    "Scale",
    "Series",
    "Shape",
    "Text",
    "Tick",
    "axes",
    "colour",
    "figure",
    "fmt",
    "frame",
    "legend",
    "line_chart",
    "log_ticks",
    "nice_ticks",
    "stacked_bars",
    "svg",
    "text_width",
    "tick_label",
]

#: Series colours, in order (colour-blind safe enough to tell five apart; Tableau's 10).
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
INK, MUTED, AXIS, GRID = "#222", "#666", "#888", "#e8e8e8"
WIDTH = 860
#: Estimated advance of one character of 11 px system-ui text (digits are ~6.1 px, capitals
#: wider): used only to keep labels from running into each other, so it errs wide.
CHAR_PX = 6.6
LINE_PX = 14
#: Above this many points in a chart, hover values come from one column per x, not one dot
#: per point (a 300-row timeline of five series would otherwise carry 1,500 titled dots).
DOT_LIMIT = 240


# -- shapes ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A label; ``rotate`` turns it to read upwards (a y axis title)."""

    kind: ClassVar[str] = "text"
    x: float
    y: float
    text: str
    anchor: str = "start"
    colour: str = INK
    rotate: bool = False
    bold: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """A straight line: an axis, a grid line, a marker, an error bar."""

    kind: ClassVar[str] = "line"
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str = AXIS
    dash: bool = False
    width: float = 1.0
    title: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Polyline:
    """A series' line; its title names the series on hover."""

    kind: ClassVar[str] = "polyline"
    points: tuple[tuple[float, float], ...]
    colour: str
    width: float = 2.0
    dash: bool = False
    title: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Dot:
    """A data point; its title is the point's value on hover."""

    kind: ClassVar[str] = "dot"
    x: float
    y: float
    colour: str
    r: float = 3.0
    title: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Box:
    """A rectangle; ``css`` names its class (tests and styles find shapes by it)."""

    kind: ClassVar[str] = "box"
    x: float
    y: float
    width: float
    height: float
    fill: str = "none"
    stroke: str = "none"
    css: str = ""
    title: str = ""


Shape = Text | Line | Polyline | Dot | Box


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """A whole chart: its size, its accessible label, its title and its shapes in paint order."""

    label: str
    width: float
    height: float
    shapes: tuple[Shape, ...]
    title: str = ""


def svg(figure: Figure) -> Markup:
    """The figure as inline SVG markup (escaped by the template)."""
    return Markup(environment().get_template("chart.svg.j2").render(f=figure))  # noqa: S704


# -- numbers ---------------------------------------------------------------------------------
def text_width(text: str) -> float:
    """Estimated width of ``text`` in pixels at the charts' font size."""
    return len(text) * CHAR_PX


def colour(index: int) -> str:
    """The palette's colour for series ``index``."""
    return PALETTE[index % len(PALETTE)]


def fmt(value: float) -> str:
    """A value for a hover text or a bar's label: four significant digits, no exponent below
    a million."""
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def _nice_step(span: float, count: int) -> float:
    """The 1-2-5 step nearest (on a log scale) to ``span / count``."""
    raw = span / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    ratio = raw / magnitude
    multiple = 1 if ratio < 1.5 else 2 if ratio < 3 else 5 if ratio < 7 else 10
    return multiple * magnitude


def nice_ticks(low: float, high: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Ticks on a 1-2-5 step covering [low, high] in about ``count`` intervals; the first and
    last tick enclose the data, so they make the axis's ends."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    step = _nice_step(high - low, count)
    if integer:
        step = max(1.0, round(step))
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    decimals = max(0, 1 - math.floor(math.log10(step)))
    return [round(i * step, decimals) for i in range(first, last + 1)]


def _clean(value: float) -> float:
    """``value`` without float noise (0.30000000000000004 -> 0.3)."""
    return float(f"{value:.12g}")


def tick_label(value: float, step: float) -> str:
    """A tick's text with as many decimals as its step needs (0.5, 1.0, 1.5 -> 0.5, 1.0, 1.5;
    0, 20, 40 -> 0, 20, 40), thousands separated."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    return f"{value:,.{decimals}f}"


def log_ticks(low: float, high: float, most: int = 9) -> list[float]:
    """1-2-5 ticks per decade covering [low, high] (both > 0), thinned to 1-5 then to powers of
    ten when there would be more than ``most``; the first and last enclose the data."""
    for multiples in ((1, 2, 5), (1, 5), (1,)):
        ticks = _decade_ticks(low, high, multiples)
        if len(ticks) <= most:
            return ticks
    return ticks


def _decade_ticks(low: float, high: float, multiples: tuple[int, ...]) -> list[float]:
    candidates = [
        _clean(m * 10.0**d)
        for d in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
        for m in multiples
    ]
    below = max(c for c in candidates if c <= low * (1 + 1e-9))
    above = min(c for c in candidates if c >= high * (1 - 1e-9))
    return [c for c in candidates if below <= c <= above]


def _log_label(value: float) -> str:
    return f"{value:g}" if value < 1e4 else f"{value:,.0f}"


# -- axes ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Axis:
    """How one axis reads: its title, the unit hover texts append, a log scale, ticks fixed
    by the caller (value, label) instead of 1-2-5 ones, whether it starts at zero, and whether
    only whole numbers make sense (counts, failure numbers)."""

    title: str
    unit: str = ""
    log: bool = False
    ticks: tuple[tuple[float, str], ...] = ()
    zero: bool = True
    integer: bool = False

    def resolve(self, values: Sequence[float], count: int) -> tuple[float, float, tuple[Tick, ...]]:
        """The axis's ends and its ticks for data ``values``."""
        if self.ticks:
            ends = [*values, *(v for v, _ in self.ticks)]
            return min(ends), max(ends), tuple(Tick(value=v, label=s) for v, s in self.ticks)
        if self.log:
            positive = [v for v in values if v > 0] or [1.0]
            ticks = log_ticks(min(positive), max(positive))
            return ticks[0], ticks[-1], tuple(Tick(value=t, label=_log_label(t)) for t in ticks)
        data = [0.0, *values] if self.zero or not values else list(values)
        ticks = nice_ticks(min(data), max(data), count, integer=self.integer)
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        return ticks[0], ticks[-1], tuple(Tick(value=t, label=tick_label(t, step)) for t in ticks)

    def hover(self, value: float) -> str:
        """``value`` with the axis's unit, for a hover text."""
        return f"{fmt(value)} {self.unit}".rstrip()


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """A tick at ``value`` with its text."""

    value: float
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Scale:
    """Data values [low, high] onto pixels [start, end], linearly or by logarithm."""

    low: float
    high: float
    start: float
    end: float
    log: bool = False

    def __call__(self, value: float) -> float:
        low, high = self.low, self.high
        if self.log:
            value, low, high = (math.log10(max(v, 1e-300)) for v in (value, low, high))
        return self.start + (self.end - self.start) * (value - low) / ((high - low) or 1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Frame:
    """A plot area in pixels (``left``..``right`` across, ``top``..``bottom`` down), its two
    scales and ticks, and the y where anything under the x axis may start."""

    left: float
    right: float
    top: float
    bottom: float
    x: Scale
    y: Scale
    x_ticks: tuple[Tick, ...] = ()
    y_ticks: tuple[Tick, ...] = ()

    @property
    def below(self) -> float:
        """Below the x tick labels and the x axis title."""
        return self.bottom + 2 * LINE_PX + 10


def frame(
    *,
    x_axis: Axis,
    xs: Sequence[float],
    y_axis: Axis | None,
    ys: Sequence[float],
    top: float,
    plot_height: float,
    width: float = WIDTH,
    left: float | None = None,
) -> Frame:
    """Scales and ticks for the data; the left margin fits the widest y tick label and the
    y axis title (or is ``left`` when given: a chart with lanes instead of a y axis)."""
    y_low, y_high, y_ticks = y_axis.resolve(ys, 5) if y_axis else (0.0, 1.0, ())
    if left is None:
        widest = max((text_width(t.label) for t in y_ticks), default=0.0)
        left = widest + 8 + (LINE_PX + 6 if y_axis and y_axis.title else 0)
    right = width - 16
    count = max(2, min(10, int((right - left) // 80)))
    x_low, x_high, x_ticks = x_axis.resolve(xs, count)
    bottom = top + plot_height
    return Frame(
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        x=Scale(low=x_low, high=x_high, start=left, end=right, log=x_axis.log),
        y=Scale(low=y_low, high=y_high, start=bottom, end=top, log=bool(y_axis and y_axis.log)),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
    )


def axes(plot: Frame, *, x_title: str, y_title: str = "") -> list[Shape]:
    """Grid lines, both axis lines, tick labels and axis titles of ``plot``."""
    shapes: list[Shape] = []
    for tick in plot.y_ticks:
        y = plot.y(tick.value)
        shapes.append(Line(x1=plot.left, y1=y, x2=plot.right, y2=y, colour=GRID))
        shapes.append(Text(x=plot.left - 6, y=y + 4, text=tick.label, anchor="end", colour=MUTED))
    shapes += _x_ticks(plot)
    shapes.append(Line(x1=plot.left, y1=plot.bottom, x2=plot.right, y2=plot.bottom))
    if plot.y_ticks:
        shapes.append(Line(x1=plot.left, y1=plot.top, x2=plot.left, y2=plot.bottom))
    middle = (plot.left + plot.right) / 2
    shapes.append(Text(x=middle, y=plot.bottom + 2 * LINE_PX + 4, text=x_title, anchor="middle"))
    if y_title:
        shapes.append(
            Text(x=12, y=(plot.top + plot.bottom) / 2, text=y_title, anchor="middle", rotate=True)
        )
    return shapes


def _x_ticks(plot: Frame) -> list[Shape]:
    """x tick marks and labels; a label that would touch the previous one is left out."""
    shapes: list[Shape] = []
    edge = -math.inf
    for tick in plot.x_ticks:
        x = plot.x(tick.value)
        shapes.append(Line(x1=x, y1=plot.bottom, x2=x, y2=plot.bottom + 4))
        size = text_width(tick.label)
        start = min(x - size / 2, plot.right + 14 - size)  # kept inside the figure
        if start > edge + 4:
            shapes.append(Text(x=start, y=plot.bottom + LINE_PX + 4, text=tick.label, colour=MUTED))
            edge = start + size
    return shapes


# -- legend and markers ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class LegendItem:
    """One legend entry; ``swatch`` is ``box``, ``line``, ``dash``, ``dot`` or ``outline``."""

    name: str
    colour: str
    swatch: str = "line"


def legend(
    items: Sequence[LegendItem], *, left: float, top: float, width: float = WIDTH
) -> tuple[list[Shape], float]:
    """The legend in rows from (left, top), wrapping before ``width``; its shapes and the
    height it takes."""
    shapes: list[Shape] = []
    x, y = left, top + 10
    for item in items:
        size = 22 + text_width(item.name) + 14
        if x + size > width - 8 and x > left:
            x, y = left, y + LINE_PX + 2
        shapes += _swatch(item, x, y)
        shapes.append(Text(x=x + 22, y=y + 4, text=item.name))
        x += size
    return shapes, (y - top) + LINE_PX if items else 0.0


def _swatch(item: LegendItem, x: float, y: float) -> list[Shape]:
    if item.swatch == "box":
        return [Box(x=x, y=y - 5, width=16, height=10, fill=item.colour)]
    if item.swatch == "outline":
        return [Box(x=x, y=y - 5, width=16, height=10, stroke=item.colour)]
    if item.swatch == "dot":
        return [Box(x=x + 4, y=y - 4, width=8, height=8, fill=item.colour)]
    dash = item.swatch == "dash"
    return [Line(x1=x, y1=y, x2=x + 16, y2=y, colour=item.colour, width=2, dash=dash)]


def figure(
    *,
    label: str,
    plot: Frame,
    shapes: Sequence[Shape],
    keys: Sequence[LegendItem],
    title: str = "",
    width: float = WIDTH,
) -> Figure:
    """The chart whole: a bold title on top (if any), ``shapes``, and the legend below the
    plot's x axis; the figure is as tall as that."""
    items, height = legend(keys, left=plot.left, top=plot.below, width=width)
    heading = [Text(x=width / 2, y=LINE_PX + 2, text=title, anchor="middle", bold=True)]
    return Figure(
        label=label,
        title=title or label,
        width=width,
        height=plot.below + height + 8,
        shapes=(*(heading if title else []), *shapes, *items),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Marker:
    """A dashed vertical line at ``x`` with a label above the plot."""

    x: float
    label: str
    colour: str = MUTED


def _marker_rows(markers: Sequence[Marker], x: Scale, right: float) -> list[tuple[int, str]]:
    """For each marker, its label's row (0 nearest the plot) and anchor, so that no two
    labels overlap: a label goes right of its line, or left of it near the right edge, in the
    first row where it fits."""
    taken: list[list[tuple[float, float]]] = []
    placed = []
    for marker in markers:
        px, size = x(marker.x), text_width(marker.label)
        anchor = "start" if px + 4 + size <= right else "end"
        span = (px + 4, px + 4 + size) if anchor == "start" else (px - 4 - size, px - 4)
        row = _free_row(taken, span)
        if row == len(taken):
            taken.append([])
        taken[row].append((span[0] - 6, span[1] + 6))
        placed.append((row, anchor))
    return placed


def _free_row(taken: list[list[tuple[float, float]]], span: tuple[float, float]) -> int:
    """The first row whose spans all miss ``span`` (a new row if none)."""
    for index, spans in enumerate(taken):
        if all(span[1] < low or span[0] > high for low, high in spans):
            return index
    return len(taken)


def _markers(plot: Frame, markers: Sequence[Marker], rows: list[tuple[int, str]]) -> list[Shape]:
    shapes: list[Shape] = []
    for marker, (row, anchor) in zip(markers, rows, strict=True):
        px = plot.x(marker.x)
        label_y = plot.top - 6 - row * LINE_PX
        shapes.append(
            Line(x1=px, y1=label_y + 2, x2=px, y2=plot.bottom, colour=marker.colour, dash=True)
        )
        shapes.append(
            Text(
                x=px + (4 if anchor == "start" else -4),
                y=label_y,
                text=marker.label,
                anchor=anchor,
                colour=marker.colour,
            )
        )
    return shapes


# -- line charts -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    """A named line; ``tips`` (one per point) replace the default hover text (name: y at x)."""

    name: str
    points: tuple[tuple[float, float], ...]
    tips: tuple[str, ...] = ()
    colour: str = ""
    dash: bool = False


def line_chart(
    *,
    label: str,
    series: Sequence[Series],
    x: Axis,
    y: Axis,
    markers: Sequence[Marker] = (),
    title: str = "",
    plot_height: float = 220,
    width: float = WIDTH,
) -> Figure:
    """Series as lines over shared axes, markers as dashed lines, the legend below."""
    coloured = _coloured(series)
    points = [p for s in coloured for p in s.points]
    heading = 2 * LINE_PX if title else 6
    xs, ys = [p[0] for p in points] + [m.x for m in markers], [p[1] for p in points]
    plot = frame(x_axis=x, xs=xs, y_axis=y, ys=ys, top=0, plot_height=plot_height, width=width)
    rows = _marker_rows(markers, plot.x, plot.right)
    top = heading + LINE_PX * (1 + max((r for r, _ in rows), default=-1)) + 6
    plot = frame(x_axis=x, xs=xs, y_axis=y, ys=ys, top=top, plot_height=plot_height, width=width)
    shapes = axes(plot, x_title=x.title, y_title=y.title)
    shapes += _markers(plot, markers, rows)
    shapes += [_polyline(plot, s) for s in coloured if len(s.points) > 1]
    hover = _dots if len(points) <= DOT_LIMIT else _columns
    shapes += hover(plot, coloured, x, y)
    keys = [
        LegendItem(name=s.name, colour=s.colour, swatch="dash" if s.dash else "line")
        for s in coloured
    ]
    return figure(label=label, plot=plot, shapes=shapes, keys=keys, title=title, width=width)


def _coloured(series: Sequence[Series]) -> list[Series]:
    """Each series with its colour: its own, else the palette's next (a series coloured by the
    caller, a reference line say, does not use up a palette colour)."""
    free = iter(PALETTE * (1 + len(series) // len(PALETTE)))
    return [s if s.colour else dataclasses.replace(s, colour=next(free)) for s in series]


def _polyline(plot: Frame, series: Series) -> Polyline:
    points = tuple((plot.x(x), plot.y(y)) for x, y in series.points)
    return Polyline(points=points, colour=series.colour, dash=series.dash, title=series.name)


def _tip(series: Series, index: int, x: Axis, y: Axis) -> str:
    if series.tips:
        return series.tips[index]
    px, py = series.points[index]
    return f"{series.name}: {y.hover(py)} at {x.hover(px)}"


def _dots(plot: Frame, series: Sequence[Series], x: Axis, y: Axis) -> list[Shape]:
    """A dot with its value on hover at every point."""
    return [
        Dot(x=plot.x(px), y=plot.y(py), colour=s.colour, title=_tip(s, i, x, y))
        for s in series
        for i, (px, py) in enumerate(s.points)
    ]


def _columns(plot: Frame, series: Sequence[Series], x: Axis, y: Axis) -> list[Shape]:
    """One invisible column per distinct x, its hover text every series' value there."""
    at: dict[float, list[str]] = {}
    for s in series:
        for px, py in s.points:
            at.setdefault(px, []).append(f"{s.name} {y.hover(py)}")
    xs = sorted(at)
    edges = [plot.x(xs[0])] + [(plot.x(a) + plot.x(b)) / 2 for a, b in itertools.pairwise(xs)]
    edges.append(plot.x(xs[-1]))
    return [
        Box(
            x=edges[i],
            y=plot.top,
            width=max(edges[i + 1] - edges[i], 1.0),
            height=plot.bottom - plot.top,
            fill="#000",
            css="hover",
            title=f"{x.hover(value)}: " + "; ".join(at[value]),
        )
        for i, value in enumerate(xs)
    ]


# -- stacked bars ----------------------------------------------------------------------------
def stacked_bars(
    *,
    label: str,
    rows: Sequence[tuple[str, Sequence[float]]],
    parts: Sequence[str],
    x: Axis,
    width: float = WIDTH,
) -> Figure:
    """One horizontal bar per row, stacked from its parts (in ``parts`` order and colours),
    its total written at its end, each part's value on hover; the x axis and legend below."""
    bar, gap = 16, 8
    names = [name for name, _ in rows]
    totals = [sum(values) for _, values in rows]
    left = max(text_width(n) for n in names) + 12
    room = max(text_width(_bar_text(v)) for _, v in rows) + 8
    height = len(rows) * (bar + gap)
    plot = frame(
        x_axis=x,
        xs=totals,
        y_axis=None,
        ys=[],
        top=4,
        plot_height=height,
        width=width - room,
        left=left,
    )
    shapes: list[Shape] = [
        Line(x1=plot.x(t.value), y1=plot.top, x2=plot.x(t.value), y2=plot.bottom, colour=GRID)
        for t in plot.x_ticks
    ]
    shapes += axes(plot, x_title=x.title)
    for index, (name, values) in enumerate(rows):
        shapes += _bar(plot, index * (bar + gap) + plot.top + gap / 2, name, values, parts, x)
    keys = [LegendItem(name=p, colour=colour(i), swatch="box") for i, p in enumerate(parts)]
    return figure(label=label, plot=plot, shapes=shapes, keys=keys, width=width)


def _bar(
    plot: Frame, top: float, name: str, values: Sequence[float], parts: Sequence[str], x: Axis
) -> list[Shape]:
    shapes: list[Shape] = [Text(x=plot.left - 8, y=top + 12, text=name, anchor="end")]
    start = 0.0
    for index, (part, value) in enumerate(zip(parts, values, strict=True)):
        x0, x1 = plot.x(start), plot.x(start + value)
        shapes.append(
            Box(
                x=x0,
                y=top,
                width=max(x1 - x0, 0.0),
                height=16,
                fill=colour(index),
                css="bar",
                title=f"{name}: {part} {x.hover(value)}",
            )
        )
        start += value
    shapes.append(Text(x=plot.x(start) + 4, y=top + 12, text=_bar_text(values), colour=MUTED))
    return shapes


def _bar_text(values: Sequence[float]) -> str:
    if len(values) == 1:
        return fmt(values[0])
    return " + ".join(fmt(v) for v in values) + f" = {fmt(sum(values))}"
