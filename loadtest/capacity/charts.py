"""``capacity.html``: one self-contained page (inline SVG, no scripts, no network) from
``capacity.json``: the findings, the step table, and a chart of each finding."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

__all__ = ["CAPACITY_HTML", "line_chart", "render", "write_html"]

CAPACITY_HTML = "capacity.html"
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
_W, _H, _PAD = 760, 300, 60
#: Room on the right for the legend.
_LEGEND = 150
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:.2em .6em;text-align:right;
border-bottom:1px solid #ddd}th:first-child,td:first-child{text-align:left}
svg text{font-size:11px;font-family:system-ui,sans-serif}
"""

Series = tuple[str, Sequence[tuple[float, float]]]
Marker = tuple[float, str, str]


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    markers: Sequence[Marker] = (),
) -> str:
    """An SVG line chart: each series a polyline with dots, each marker a dashed vertical line
    (x, label, colour)."""
    points = [p for _, pts in series for p in pts]
    if not points:
        return f"<p><b>{escape(title)}</b>: no data.</p>"
    xs = [p[0] for p in points] + [m[0] for m in markers]
    x0, x1 = min(xs), max(xs)
    y1 = max(p[1] for p in points) or 1.0
    x1 = x1 if x1 > x0 else x0 + 1

    def sx(x: float) -> float:
        return _PAD + (x - x0) / (x1 - x0) * (_W - _PAD - _LEGEND)

    def sy(y: float) -> float:
        return _H - _PAD - y / (y1 * 1.1) * (_H - 2 * _PAD)

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{_W}' height='{_H}' role='img'>",
        f"<title>{escape(title)}</title>",
        f"<text x='{_W / 2}' y='16' text-anchor='middle'><tspan font-weight='bold'>"
        f"{escape(title)}</tspan></text>",
        _axes(x0, x1, y1, sx, sy, x_label, y_label),
    ]
    for index, (name, pts) in enumerate(series):
        colour = _COLOURS[index % len(_COLOURS)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{path}'/>")
        parts += [
            f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='3' fill='{colour}'/>" for x, y in pts
        ]
        parts.append(
            f"<text x='{_W - _LEGEND + 10}' y='{40 + 14 * index}' fill='{colour}'>"
            f"{escape(name)}</text>"
        )
    for x, label, colour in markers:
        parts.append(
            f"<line x1='{sx(x):.1f}' x2='{sx(x):.1f}' y1='{_PAD - 10}' y2='{_H - _PAD}' "
            f"stroke='{colour}' stroke-dasharray='4 3'/>"
            f"<text x='{sx(x) + 3:.1f}' y='{_PAD - 12}' fill='{colour}'>{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _axes(x0: float, x1: float, y1: float, sx: Any, sy: Any, x_label: str, y_label: str) -> str:
    parts = [
        f"<line x1='{_PAD}' y1='{_H - _PAD}' x2='{_W - _LEGEND}' y2='{_H - _PAD}' stroke='#888'/>",
        f"<line x1='{_PAD}' y1='{_PAD - 10}' x2='{_PAD}' y2='{_H - _PAD}' stroke='#888'/>",
        f"<text x='{(_W - _LEGEND + _PAD) / 2}' y='{_H - 12}' text-anchor='middle'>"
        f"{escape(x_label)}</text>",
        f"<text x='12' y='{_H / 2}' transform='rotate(-90 12 {_H / 2})' text-anchor='middle'>"
        f"{escape(y_label)}</text>",
    ]
    for i in range(5):
        x = x0 + (x1 - x0) * i / 4
        y = y1 * i / 4
        parts.append(
            f"<text x='{sx(x):.1f}' y='{_H - _PAD + 14}' text-anchor='middle'>{x:.3g}</text>"
        )
        parts.append(
            f"<text x='{_PAD - 4}' y='{sy(y) + 4:.1f}' text-anchor='end'>{_tick(y)}</text>"
        )
    return "".join(parts)


def _tick(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def write_html(run_dir: Path, result: dict[str, Any]) -> Path:
    """Write ``capacity.html`` beside ``capacity.json``."""
    path = run_dir / CAPACITY_HTML
    path.write_text(render(result), encoding="utf-8")
    return path


def render(result: dict[str, Any]) -> str:
    """The whole page."""
    steps = result["steps"]
    return "\n".join(
        [
            "<!doctype html><html><head><meta charset='utf-8'><title>capacity "
            f"{escape(str(result['run_id']))}</title><style>{_STYLE}</style></head><body>",
            f"<h1>Capacity run {escape(str(result['run_id']))}</h1>",
            f"<p>{escape(result['target_line'])}</p>",
            _findings(result),
            "<h2>Highest rate sustained within the SLOs</h2>",
            _sustained_chart(result, steps),
            "<h2>Knee of latency against throughput</h2>",
            _knee_chart(result, steps),
            "<h2>Throttle onset</h2>",
            _onset_chart(result, steps),
            "<h2>Steps</h2>",
            _table(steps),
            "<p>Per-login detail: <a href='report.html'>report.html</a> and summary.json.</p>",
            "</body></html>",
        ]
    )


def _findings(result: dict[str, Any]) -> str:
    rows = [(k, v) for k, v in result["findings"].items()]
    body = "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _sustained_chart(result: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    achieved = [(s["rate"], s["achieved_rate"]) for s in steps]
    ok = [(s["rate"], s["ok"] / s["seconds"]) for s in steps]
    markers = []
    if result["highest_sustained"]:
        rate = result["highest_sustained"]["rate"]
        markers.append((rate, f"sustained {rate:g}/s", "#2ca02c"))
    return line_chart(
        "Logins per second against the scheduled rate",
        [("started/s", achieved), ("ok/s", ok)],
        x_label="scheduled logins/s",
        y_label="logins/s",
        markers=markers,
    )


def _knee_chart(result: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    def curve(key: str) -> list[tuple[float, float]]:
        return [(s["achieved_rate"], s[key]) for s in steps if s[key] is not None]

    markers = []
    if result["knee"]:
        knee = result["knee"]
        markers.append((knee["achieved_rate"], f"knee {knee['achieved_rate']:.3g}/s", "#9467bd"))
    return line_chart(
        "p99 latency against achieved throughput",
        [
            ("p99 from intended start", curve("p99_intended_ms")),
            ("p99 service", curve("p99_service_ms")),
        ],
        x_label="achieved logins/s",
        y_label="ms",
        markers=markers,
    )


def _onset_chart(result: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    throttled = [(s["rate"], 100 * s["throttle_rate"]) for s in steps]
    dropped = [(s["rate"], 100 * s["dropped"] / max(1, s["started"] + s["dropped"])) for s in steps]
    markers = []
    if result["onset"]:
        rate = result["onset"]["rate"]
        markers.append((rate, f"onset {rate:g}/s ({result['onset']['category']})", "#d62728"))
    model = result.get("model") or {}
    if model.get("onset_rate"):
        markers.append((model["onset_rate"], f"model {model['onset_rate']:.3g}/s", "#555"))
    return line_chart(
        "Throttled and dropped logins per step",
        [("throttled %", throttled), ("dropped %", dropped)],
        x_label="scheduled logins/s",
        y_label="% of the step's logins",
        markers=markers,
    )


_COLUMNS = (
    ("rate", "rate/s"),
    ("achieved_rate", "started/s"),
    ("ok", "ok"),
    ("throttled", "throttled"),
    ("failed", "failed"),
    ("dropped", "dropped"),
    ("p99_service_ms", "p99 service ms"),
    ("p99_intended_ms", "p99 intended ms"),
    ("throttled_categories", "throttled calls by category"),
)


def _table(steps: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{escape(label)}</th>" for _, label in _COLUMNS)
    rows = []
    for step in steps:
        cells = "".join(f"<td>{escape(_cell(step[key]))}</td>" for key, _ in _COLUMNS)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)
