"""``report.html``: one self-contained page (no network, no scripts) rendered from a summary.

First a validity banner, then per-flow and per-call latency tables, HDR percentile curves
(inline SVG drawn here from the encoded histograms), client compute against server time,
outcomes, errors and throttles by quota category, and the lockout probe when it ran (its
timeline and its locks against the model: :mod:`.lockout_charts`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from .histograms import decode
from .lockout_charts import lock_curve, lock_timeline

__all__ = ["REPORT_FILE", "render_html", "write_html"]

REPORT_FILE = "report.html"
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
#: Percentiles drawn on the curve (x axis: 1/(1-p), log scale, as HdrHistogram plots do).
_CURVE = (0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99)
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:.2em .6em;text-align:right;
border-bottom:1px solid #ddd}th:first-child,td:first-child{text-align:left}
.banner{padding:.8em 1em;border-radius:.3em;margin-bottom:1.5em}
.ok{background:#e6f4ea;border:1px solid #2ca02c}.bad{background:#fdecea;border:1px solid #d62728}
svg text{font-size:11px;font-family:system-ui,sans-serif}code{font-size:.9em}
"""


def write_html(run_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.html`` beside the summary; returns its path."""
    path = run_dir / REPORT_FILE
    path.write_text(render_html(summary), encoding="utf-8")
    return path


def render_html(summary: dict[str, Any]) -> str:
    """The whole page."""
    run = summary["run"]
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>cognito-loadtest "
        f"{escape(str(run.get('run_id')))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Run {escape(str(run.get('run_id')))}</h1>",
        _banner(summary["validity"]),
        _run_facts(run, summary["source"]),
        "<h2>Rates over time (per second)</h2>",
        _time_chart(summary.get("timeline", {}).get("rows", [])),
        "<h2>Logins by flow</h2>",
        _latency_table(summary["flows"], extra=("outcomes",)),
        _curves(summary["flows"]),
        "<h2>Client compute and server time per login (p50, ms)</h2>",
        _split_bars(summary["server_time"], summary["client_compute"]),
        "<h2>API calls by label</h2>",
        _latency_table(summary["requests"], extra=("quota_category", "outcomes")),
        _curves(summary["requests"]),
        "<h2>Outcomes, errors and throttles</h2>",
        _outcomes(summary),
        "<h2>Achieved rates against the default quotas</h2>",
        _quotas(summary.get("quotas", {})),
        _lockout(summary.get("lockout_probe")),
        "</body></html>",
    ]
    return "\n".join(parts)


def _banner(validity: dict[str, Any]) -> str:
    lag = validity["loop_lag_ms"]
    cpu = ", ".join(
        f"{escape(p['process'])} {p['cpu_share_of_core']:.0%}" for p in validity["processes"]
    )
    facts = (
        f"event-loop lag p50 {_ms(lag['p50'])}, p99 {_ms(lag['p99'])}, max {_ms(lag['max'])}; "
        f"generator CPU (share of a core): {cpu or 'not measured'}"
    )
    if validity["trustworthy"]:
        return f"<div class='banner ok'><b>Latencies trustworthy.</b> {facts}</div>"
    items = "".join(f"<li>{escape(w)}</li>" for w in validity["warnings"])
    return (
        f"<div class='banner bad'><b>Latencies untrustworthy: the generator distorted its own "
        f"timings.</b> {facts}<ul>{items}</ul></div>"
    )


def _run_facts(run: dict[str, Any], source: str) -> str:
    rows = [
        ("target", ", ".join(f"{k}={v}" for k, v in run.get("target", {}).items() if v)),
        ("pool", _pool_facts(run.get("pool"))),
        ("duration", f"{run.get('duration_s')} s"),
        ("git revision", run.get("git_revision") or "-"),
        ("versions", ", ".join(f"{k} {v}" for k, v in run.get("versions", {}).items() if v)),
        ("written from", source),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _pool_facts(pool: dict[str, Any] | None) -> str:
    """The target pool in a line: a real pool's ids, or the local pool's settings."""
    if not pool:
        return "-"
    if pool.get("kind") != "local":
        return f"{pool.get('kind')} pool {pool.get('pool_id')} in {pool.get('region')}"
    settings = pool.get("settings")
    if not settings:
        return f"local pool ({pool.get('error') or 'settings unknown'})"
    lockout, quotas = settings["lockout"], settings["quotas"]
    facts = [
        f"local pool, time scale {settings['time_scale']:g}",
        f"lockout after {lockout['threshold']} failures: {lockout['first_lock_s']:g} s "
        f"x{lockout['factor']:g} up to {lockout['cap_s']:g} s",
        "quotas " + ("on" if quotas["enabled"] else "off"),
    ]
    if settings.get("faults"):
        facts.append(f"{len(settings['faults'])} injected fault(s)")
    if "pool" in settings:
        app = settings["pool"]
        facts.append(
            f"MFA {app['mfa']}, device tracking {'on' if app['device_tracking'] else 'off'}"
        )
    return "; ".join(facts)


def _latency_table(rows: dict[str, Any], *, extra: Sequence[str]) -> str:
    head = ["name", "count", "per s", "p50", "p90", "p99", "p99.9", "max", *extra]
    lines = [_tr(head, "th")]
    for name, row in rows.items():
        cells = [name, row["count"], _num(row.get("rate_per_s"))]
        cells += [_num(row[k]) for k in ("p50", "p90", "p99", "p99_9", "max")]
        cells += [_extra(row.get(key)) for key in extra]
        lines.append(_tr(cells, "td"))
    return "<table>" + "".join(lines) + "</table><p>Latencies in ms (HDR, 3 digits).</p>"


def _extra(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
    return "" if value is None else str(value)


def _tr(cells: Iterable[Any], tag: str) -> str:
    return "<tr>" + "".join(f"<{tag}>{escape(str(c))}</{tag}>" for c in cells) + "</tr>"


def _curves(rows: dict[str, Any]) -> str:
    """Latency by percentile, one line per row, from its encoded histogram."""
    series = []
    for name, row in rows.items():
        if row["count"]:
            histogram = decode(row["histogram"])
            points = [(p, histogram.get_value_at_percentile(p) / 1000) for p in _CURVE]
            series.append((name, points))
    if not series:
        return ""
    return _line_chart(series)


def _line_chart(series: list[tuple[str, list[tuple[float, float]]]]) -> str:
    width, height, left, bottom = 720, 260, 60, 30
    top = max(max(v for _, v in points) for _, points in series) or 1.0
    xmax = math.log10(1 / (1 - _CURVE[-1] / 100))

    def x(p: float) -> float:
        return left + (width - left - 10) * math.log10(1 / (1 - p / 100)) / xmax

    def y(v: float) -> float:
        return height - bottom - (height - bottom - 10) * v / top

    parts = [f"<svg width='{width}' height='{height + 16 * len(series)}' role='img'>"]
    parts += _axes(width, height, left, bottom, top, x)
    for index, (name, points) in enumerate(series):
        path = " ".join(f"{x(p):.1f},{y(v):.1f}" for p, v in points)
        parts += _line_with_legend(index, name, path, left, height)
    parts.append("</svg>")
    return "".join(parts)


def _line_with_legend(index: int, name: str, path: str, left: int, height: int) -> list[str]:
    """Series ``index``: its polyline, and its legend row below a chart ``height`` tall."""
    colour = _COLOURS[index % len(_COLOURS)]
    ly = height + 12 + 16 * index
    return [
        f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{path}'/>",
        f"<rect x='{left}' y='{ly - 9}' width='10' height='10' fill='{colour}'/>",
        f"<text x='{left + 16}' y='{ly}'>{escape(name)}</text>",
    ]


def _axes(width: int, height: int, left: int, bottom: int, top: float, x: Any) -> list[str]:
    base = height - bottom
    parts = [
        f"<line x1='{left}' y1='{base}' x2='{width - 10}' y2='{base}' stroke='#888'/>",
        f"<line x1='{left}' y1='10' x2='{left}' y2='{base}' stroke='#888'/>",
        f"<text x='4' y='16'>{top:.4g} ms</text><text x='4' y='{base}'>0</text>",
    ]
    for p in (50, 90, 99, 99.9, 99.99):
        parts.append(f"<text x='{x(p) - 12:.1f}' y='{base + 16}'>p{p:g}</text>")
    return parts


def _time_chart(rows: list[dict[str, Any]]) -> str:
    """Logins per second by outcome and throttled calls per second, against seconds."""
    names = sorted({k for row in rows for k in row if k != "t"})
    if not names:
        return "<p>No logins.</p>"
    width, height, left, bottom = 720, 220, 60, 30
    end = max(row["t"] for row in rows) or 1
    top = max(row.get(n, 0) for row in rows for n in names) or 1

    def point(t: float, v: float) -> str:
        px = left + (width - left - 10) * t / end
        return f"{px:.1f},{height - bottom - (height - bottom - 10) * v / top:.1f}"

    parts = [f"<svg width='{width}' height='{height + 16 * len(names)}' role='img'>"]
    parts.append(f"<line x1='{left}' y1='{height - bottom}' x2='{width - 10}' "
                 f"y2='{height - bottom}' stroke='#888'/>")  # fmt: skip
    parts.append(f"<text x='4' y='16'>{top:.4g}/s</text>")
    parts.append(f"<text x='{width - 60}' y='{height - 8}'>{end:g} s</text>")
    for index, name in enumerate(names):
        path = " ".join(point(row["t"], row.get(name, 0)) for row in rows)
        parts += _line_with_legend(index, name, path, left, height)
    parts.append("</svg>")
    return "".join(parts)


def _split_bars(server: dict[str, Any], compute: dict[str, Any]) -> str:
    names = [n for n in server if server[n]["count"]]
    if not names:
        return "<p>No logins.</p>"
    top = max((server[n]["p50"] or 0) + (compute.get(n, {}).get("p50") or 0) for n in names)
    width, label, row = 720, 180, 22
    parts = [f"<svg width='{width}' height='{row * len(names) + 24}' role='img'>"]
    for index, name in enumerate(names):
        s, c = server[name]["p50"] or 0, compute.get(name, {}).get("p50") or 0
        y, scale = index * row + 4, (width - label - 80) / (top or 1)
        parts.append(f"<text x='0' y='{y + 13}'>{escape(name)}</text>")
        parts.append(f"<rect x='{label}' y='{y}' width='{s * scale:.1f}' height='16' "
                     "fill='#1f77b4'/>")  # fmt: skip
        parts.append(f"<rect x='{label + s * scale:.1f}' y='{y}' width='{c * scale:.1f}' "
                     "height='16' fill='#ff7f0e'/>")  # fmt: skip
        parts.append(f"<text x='{label + (s + c) * scale + 4:.1f}' y='{y + 13}'>"
                     f"{s:.4g} + {c:.4g}</text>")  # fmt: skip
    legend_y = row * len(names) + 18
    parts.append(f"<text x='{label}' y='{legend_y}' fill='#1f77b4'>server</text>")
    parts.append(f"<text x='{label + 60}' y='{legend_y}' fill='#ff7f0e'>client compute</text>")
    parts.append("</svg>")
    return "".join(parts)


def _outcomes(summary: dict[str, Any]) -> str:
    throttles = summary["throttles"]
    rows = [
        ("calls", _extra(summary["outcomes"]["calls"])),
        ("logins", _extra(summary["outcomes"]["logins"])),
        ("errors by type", _extra(summary["errors"]) or "none"),
        ("throttles", f"{throttles['total']} ({throttles['rate']:.2%} of calls)"),
        ("throttles by quota category", _extra(throttles["by_category"]) or "none"),
        ("lockouts", _extra(summary["lockouts"]["by_flow"]) or "none"),
    ]
    return "<table>" + "".join(_tr(r, "td") for r in rows) + "</table>"


def _quotas(quotas: dict[str, Any]) -> str:
    lines = [_tr(["quota category", "calls", "per s", "default quota per s", "share"], "th")]
    for name, row in quotas.items():
        share = row["share_of_quota"]
        cells = [name, row["calls"], _num(row["rate_per_s"]), _num(row["quota_rps"])]
        lines.append(_tr([*cells, "-" if share is None else f"{share:.1%}"], "td"))
    return "<table>" + "".join(lines) + "</table>"


def _lockout(probe: dict[str, Any] | None) -> str:
    if not probe:
        return ""
    head = ["user", "phase", "failure", "model s", "expected s", "measured s", "± s", "verdict"]
    lines = [_tr(head, "th")]
    for user in probe.get("users", []):
        for lock in user.get("locks", []):
            cells = [user.get("user"), lock.get("phase"), lock.get("failure")]
            cells += [_num(lock.get(k)) for k in ("expected_model_s", "expected_s")]
            cells += [_num(lock.get("measured_s")), _num(lock.get("error_bar_s"))]
            lines.append(_tr([*cells, lock.get("verdict")], "td"))
    verdict = escape(str(probe.get("verdict")))
    model = (probe.get("run") or {}).get("model") or {}
    about = f"<p>Model: {escape(str(model['description']))}.</p>" if "description" in model else ""
    return (
        f"<h2>Lockout probe: {verdict}</h2>{about}"
        "<h3>Lockout timeline: attempts and locks over time</h3>"
        f"{lock_timeline(probe)}"
        "<h3>Locks measured against the model, by counted failure</h3>"
        f"{lock_curve(probe, model)}<table>{''.join(lines)}</table>"
    )


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:.3g} ms"
