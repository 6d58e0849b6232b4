"""``capacity.html``: one self-contained page (inline SVG, no scripts, no network) from
``capacity.json``: the target and its settings, the findings, a chart of each finding and the
step table. The page is ``loadtest/report/templates/capacity.html.j2``; the charts come from
:mod:`loadtest.report.charts`, the same module as ``report.html``'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from loadtest.report.charts import AXIS, PALETTE, Axis, Marker, Series, line_chart, svg
from loadtest.report.html import validity_flags
from loadtest.report.pages import render_page
from loadtest.report.tables import Table

__all__ = ["CAPACITY_HTML", "pool_settings_text", "render", "target_facts", "write_html"]

CAPACITY_HTML = "capacity.html"
SUSTAINED, KNEE, ONSET, MODEL = PALETTE[2], PALETTE[3], PALETTE[1], "#555"
_RATE = Axis(title="scheduled logins/s", unit="logins/s", zero=False)


def write_html(run_dir: Path, result: dict[str, Any]) -> Path:
    """Write ``capacity.html`` beside ``capacity.json``."""
    path = run_dir / CAPACITY_HTML
    path.write_text(render(result), encoding="utf-8")
    return path


def render(result: dict[str, Any]) -> str:
    """The whole page."""
    steps = result["steps"]
    return render_page(
        "capacity.html.j2",
        run_id=str(result["run_id"]),
        target=target_facts(result.get("target") or {}),
        findings=[(str(k), str(v)) for k, v in result["findings"].items()],
        validity=result.get("validity"),
        flags=validity_flags(result.get("validity") or {}),
        sustained=_sustained_chart(result, steps),
        knee=_knee_chart(result, steps),
        onset=_onset_chart(result, steps),
        steps=_table(steps),
    )


# -- the target ------------------------------------------------------------------------------
#: How a ``pool serve`` option reads on the page (the value goes in at ``{}``).
_OPTION_TEXT = {
    "--workers": "{} worker processes",
    "--burst-seconds": "burst {} s",
    "--per-user-rps": "{}/s per user",
    "--time-scale": "time scale {}",
    "--max-in-flight": "at most {} requests in flight per worker",
    "--no-quotas": "no quotas",
}


def target_facts(target: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The target as (name, value) rows a reader can take in: kind, endpoint, ids, and the
    local pool's settings in words rather than its command line."""
    rows = [
        (_TARGET_NAMES.get(k, k.replace("_", " ")), _fact(v))
        for k, v in target.items()
        if k != "pool_options" and v
    ]
    options = target.get("pool_options")
    if options:
        rows.append(("pool settings", "; ".join(pool_settings_text(options))))
    return rows


#: Target keys whose words are not their own: the embedded pool's user-pool configuration
#: (``PoolSetting`` values), apart from the ``pool serve`` settings below it.
_TARGET_NAMES = {"pool_settings": "user pool configuration"}


def _fact(value: Any) -> str:
    """A target value in words: a list (of ``PoolSetting`` members, or their values as
    ``capacity.json`` keeps them) as its values, comma-separated, underscores as spaces."""
    if isinstance(value, list | tuple):
        return ", ".join(str(getattr(v, "value", v)).replace("_", " ") for v in value)
    return str(value)


def pool_settings_text(options: Sequence[str]) -> list[str]:
    """``pool serve`` options in words, e.g. ``["--workers", "2", "--quota",
    "UserAuthentication=36"]`` -> ``["2 worker processes", "quotas: UserAuthentication
    36/s"]``; options it does not know read as their name and value."""
    said, quotas, faults = [], [], []
    for name, value in _option_pairs(options):
        if name == "--quota":
            category, _, rps = (value or "").partition("=")
            quotas.append(f"{category} {rps}/s")
        elif name == "--fault":
            faults.append(value or "")
        elif name in _OPTION_TEXT:
            said.append(_OPTION_TEXT[name].format(value))
        else:
            said.append(f"{name.lstrip('-').replace('-', ' ')} {value or ''}".rstrip())
    if quotas:
        said.append("quotas: " + ", ".join(quotas))
    if faults:
        said.append("injected faults: " + ", ".join(faults))
    return said


def _option_pairs(options: Sequence[str]) -> list[tuple[str, str | None]]:
    """(option, value) pairs; a flag followed by another option (or nothing) has no value."""
    pairs: list[tuple[str, str | None]] = []
    index = 0
    while index < len(options):
        name = options[index]
        following = options[index + 1] if index + 1 < len(options) else None
        has_value = following is not None and not following.startswith("--")
        pairs.append((name, following if has_value else None))
        index += 2 if has_value else 1
    return pairs


# -- charts ----------------------------------------------------------------------------------
def _sustained_chart(result: dict[str, Any], steps: list[dict[str, Any]]) -> Markup:
    rates = [float(s["rate"]) for s in steps]
    series = []
    if rates:  # first, so that the measured lines are drawn over it
        ideal = ((min(rates), min(rates)), (max(rates), max(rates)))
        series.append(Series(name="as scheduled", points=ideal, colour=AXIS, dash=True))
    series += [
        Series(name="started/s", points=tuple((s["rate"], s["achieved_rate"]) for s in steps)),
        Series(name="ok/s", points=tuple((s["rate"], s["ok"] / s["seconds"]) for s in steps)),
    ]
    markers = []
    if result["highest_sustained"]:
        rate = result["highest_sustained"]["rate"]
        markers.append(Marker(x=rate, label=f"sustained {rate:g}/s", colour=SUSTAINED))
    return _chart(
        "Logins per second against the scheduled rate",
        series,
        x=_RATE,
        y=Axis(title="logins/s", unit="logins/s"),
        markers=markers,
    )


def _knee_chart(result: dict[str, Any], steps: list[dict[str, Any]]) -> Markup:
    def curve(key: str) -> tuple[tuple[float, float], ...]:
        return tuple((s["achieved_rate"], s[key]) for s in steps if s[key] is not None)

    markers = []
    if result["knee"]:
        rate = result["knee"]["achieved_rate"]
        markers.append(Marker(x=rate, label=f"knee {rate:.3g}/s", colour=KNEE))
    return _chart(
        "p99 latency against achieved throughput",
        [
            Series(name="p99 from the intended start", points=curve("p99_intended_ms")),
            Series(name="p99 service time", points=curve("p99_service_ms")),
        ],
        x=Axis(title="achieved logins/s", unit="logins/s", zero=False),
        y=Axis(title="p99 (ms)", unit="ms"),
        markers=markers,
    )


def _onset_chart(result: dict[str, Any], steps: list[dict[str, Any]]) -> Markup:
    throttled = tuple((s["rate"], 100 * s["throttle_rate"]) for s in steps)
    dropped = tuple(
        (s["rate"], 100 * s["dropped"] / max(1, s["started"] + s["dropped"])) for s in steps
    )
    markers = []
    if result["onset"]:
        rate = result["onset"]["rate"]
        label = f"onset {rate:g}/s ({result['onset']['category']})"
        markers.append(Marker(x=rate, label=label, colour=ONSET))
    model = result.get("model") or {}
    if model.get("onset_rate"):
        rate = model["onset_rate"]
        markers.append(Marker(x=rate, label=f"model {rate:.3g}/s", colour=MODEL))
    return _chart(
        "Throttled and dropped logins per step",
        [Series(name="throttled %", points=throttled), Series(name="dropped %", points=dropped)],
        x=_RATE,
        y=Axis(title="% of the step's logins", unit="%"),
        markers=markers,
    )


def _chart(title: str, series: list[Series], *, x: Axis, y: Axis, markers: list[Marker]) -> Markup:
    if not any(s.points for s in series):
        return Markup("<p><b>{}</b>: no data.</p>").format(title)
    return svg(line_chart(label=title, title=title, series=series, x=x, y=y, markers=markers))


# -- the steps -------------------------------------------------------------------------------
_COLUMNS = (
    ("stage", "step"),
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


def _table(steps: list[dict[str, Any]]) -> Table:
    rows = [[_cell(step.get(key)) for key, _ in _COLUMNS] for step in steps]
    return Table.of([label for _, label in _COLUMNS], rows, text=(len(_COLUMNS) - 1,))


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)
