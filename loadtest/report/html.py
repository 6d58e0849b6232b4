"""``report.html``: one self-contained page (no network, no scripts) rendered from a summary.

First a validity banner, then per-flow and per-call latency tables, HDR percentile curves
(drawn from the encoded histograms), client compute against server time, outcomes, errors and
throttles by quota category, and the lockout probe when it ran (its timeline and its locks
against the model: :mod:`.lockout_charts`). The page is ``templates/report.html.j2``; this
module turns the summary into that template's plain values and charts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .charts import Axis, Series, line_chart, stacked_bars, svg
from .histograms import decode
from .lockout_charts import lock_curve, lock_timeline
from .pages import render_page
from .summary import unfinished, waited_for_identities
from .tables import Table

__all__ = ["REPORT_FILE", "render_html", "validity_flags", "write_html"]

REPORT_FILE = "report.html"
#: Percentiles drawn on the curve (x axis: 1/(1-p), log scale, as HdrHistogram plots do).
_CURVE = (0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99)
_CURVE_TICKS = (0, 50, 90, 99, 99.9, 99.99)
_LATENCY_HEAD = ("name", "count", "per s", "p50", "p90", "p99", "p99.9", "max")


def write_html(run_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.html`` beside the summary; returns its path."""
    path = run_dir / REPORT_FILE
    path.write_text(render_html(summary), encoding="utf-8")
    return path


def render_html(summary: dict[str, Any]) -> str:
    """The whole page."""
    run = summary["run"]
    return render_page(
        "report.html.j2",
        run_id=str(run.get("run_id")),
        validity=_validity(summary["validity"]),
        unfinished=_sentence(unfinished(summary)),
        run_facts=_run_facts(run, summary["source"]),
        rates=_rates_chart(summary.get("timeline", {}).get("rows", [])),
        flows=_latency_table(summary["flows"], extra=("outcomes",)),
        flow_curves=_curves(summary["flows"], "login latency by percentile"),
        split=_split_bars(
            summary["server_time"], summary["client_compute"], summary.get("out_of_band") or {}
        ),
        out_of_band=_out_of_band(summary.get("out_of_band") or {}),
        requests=_latency_table(summary["requests"], extra=("quota_category", "outcomes")),
        request_curves=_curves(summary["requests"], "call latency by percentile"),
        outcomes=_outcomes(summary),
        quotas=_quotas(summary.get("quotas", {})),
        lockout=_lockout(summary.get("lockout_probe")),
    )


def _sentence(text: str | None) -> str | None:
    return text[:1].upper() + text[1:] if text else None


# -- validity --------------------------------------------------------------------------------
def _validity(validity: dict[str, Any]) -> dict[str, Any]:
    lag = validity.get("loop_lag_ms") or {}
    cpu = ", ".join(
        f"{p['process']} {p['cpu_share_of_core']:.0%}" for p in validity.get("processes", [])
    )
    facts = (
        f"event-loop lag p50 {_ms(lag.get('p50'))}, p99 {_ms(lag.get('p99'))}, "
        f"max {_ms(lag.get('max'))}; generator CPU (share of a core): {cpu or 'not measured'}"
    )
    judged = (validity.get("judged") or {}).get("logins")
    return {
        "trustworthy": bool(validity.get("trustworthy")),
        "measured": judged != 0,  # a summary before 1.3 has no count: it measured something
        "facts": facts + _judged(validity),
        "flags": validity_flags(validity),
    }


def _judged(validity: Mapping[str, Any]) -> str:
    """Which logins the verdict is about, and those the figures leave out."""
    judged = (validity.get("judged") or {}).get("logins")
    if judged == 0:
        return ""  # the no_logins flag says what there is to say, and why
    text = "" if judged is None else f"; judged on the {judged} logins presented"
    excluded = validity.get("excluded") or {}
    if excluded.get("warmup"):
        text += (
            f"; {excluded['warmup']} warm-up logins (the schedule's warm-up) are in events.jsonl "
            "but not in these figures"
        )
    if excluded.get("stopped"):
        text += (
            f"; {excluded['stopped']} logins cut short by the end of the run are in events.jsonl "
            "and their calls in the call counts, but not in the login figures"
        )
    waits = validity.get("identity_waits") or {}
    if waits.get("waits"):
        text += (
            f"; the identities bound the load: {waited_for_identities(waits)}, so the run "
            "offered less load than its users could; more identities let more logins run"
        )
    return text


def validity_flags(validity: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every flag the summary raises against its own timings, as (name, reason), read from the
    data as it comes: ``flags`` as a mapping of name to reason (or to an object with a
    ``reason``), or as a list of objects with ``name`` and ``reason``; then ``warnings``
    (plain reasons, named ``warning``). A new flag shows up without a change here."""
    flags = validity.get("flags") or {}
    if isinstance(flags, Mapping):
        found = [(str(name), _reason(value)) for name, value in flags.items()]
    else:
        found = [(str(f.get("name", "flag")), _reason(f)) for f in flags]
    reasons = {reason for _, reason in found}  # a flag's reason is also in warnings (1.2)
    return found + [("warning", str(w)) for w in validity.get("warnings") or [] if w not in reasons]


def _reason(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("reason") or value.get("message") or _pairs(value))
    return str(value)


# -- run facts -------------------------------------------------------------------------------
def _run_facts(run: dict[str, Any], source: str) -> list[tuple[str, str]]:
    return [
        ("target", ", ".join(f"{k}={v}" for k, v in run.get("target", {}).items() if v)),
        ("pool", _pool_facts(run.get("pool"))),
        ("duration", f"{run.get('duration_s')} s"),
        ("git revision", run.get("git_revision") or "-"),
        ("versions", ", ".join(f"{k} {v}" for k, v in run.get("versions", {}).items() if v)),
        ("written from", source),
    ]


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


# -- tables ----------------------------------------------------------------------------------
def _latency_table(rows: dict[str, Any], *, extra: Sequence[str]) -> Table:
    body = []
    for name, row in rows.items():
        cells = [name, row["count"], _num(row.get("rate_per_s"))]
        cells += [_num(row[k]) for k in ("p50", "p90", "p99", "p99_9", "max")]
        body.append([*cells, *(_pairs(row.get(key)) for key in extra)])
    width = len(_LATENCY_HEAD)
    text = (0, *range(width, width + len(extra)))
    return Table.of([*_LATENCY_HEAD, *extra], body, text=text)


def _outcomes(summary: dict[str, Any]) -> list[tuple[str, str]]:
    throttles = summary["throttles"]
    return [
        ("calls", _pairs(summary["outcomes"]["calls"])),
        ("logins", _pairs(summary["outcomes"]["logins"])),
        ("logins cut short by the end of the run", _stopped(summary.get("stopped"))),
        ("errors by type", _pairs(summary["errors"]) or "none"),
        ("throttles", f"{throttles['total']} ({throttles['rate']:.2%} of calls)"),
        ("throttles by quota category", _pairs(throttles["by_category"]) or "none"),
        ("lockouts", _pairs(summary["lockouts"]["by_flow"]) or "none"),
    ]


def _stopped(stopped: Mapping[str, Any] | None) -> str:
    """How many logins the run's stop cut, by flow, and the calls they completed (1.4)."""
    if not stopped or not stopped.get("logins"):
        return "none"
    flows = ", ".join(f"{flow} {row['logins']}" for flow, row in stopped["by_flow"].items())
    return (
        f"{stopped['logins']} ({flows}); their {stopped['calls']} completed calls are counted "
        "with the calls, their truncated times in no latency"
    )


def _quotas(quotas: dict[str, Any]) -> Table:
    head = ["quota category", "calls", "per s", "default quota per s", "share"]
    rows = []
    for name, row in quotas.items():
        share = row["share_of_quota"]
        cells = [name, row["calls"], _num(row["rate_per_s"]), _num(row["quota_rps"])]
        rows.append([*cells, "-" if share is None else f"{share:.1%}"])
    return Table.of(head, rows)


# -- charts ----------------------------------------------------------------------------------
def _curves(rows: dict[str, Any], label: str) -> Markup | None:
    """Latency by percentile, one line per row, from its encoded histogram."""
    series = [_curve(name, row) for name, row in rows.items() if row["count"]]
    if not series:
        return None
    ticks = tuple((_log_odds(p), f"p{p:g}") for p in _CURVE_TICKS)
    return svg(
        line_chart(
            label=label,
            series=series,
            x=Axis(title="percentile (log scale of 1/(1-p))", ticks=ticks),
            y=Axis(title="latency (ms)", unit="ms"),
        )
    )


def _curve(name: str, row: dict[str, Any]) -> Series:
    histogram = decode(row["histogram"])
    values = [histogram.get_value_at_percentile(p) / 1000 for p in _CURVE]
    return Series(
        name=name,
        points=tuple((_log_odds(p), v) for p, v in zip(_CURVE, values, strict=True)),
        tips=tuple(f"{name} p{p:g}: {v:.4g} ms" for p, v in zip(_CURVE, values, strict=True)),
    )


def _log_odds(percentile: float) -> float:
    """Where percentile ``p`` sits across: log10(1/(1-p)), so p90, p99, p99.9 are equally apart."""
    return math.log10(1 / (1 - percentile / 100))


def _rates_chart(rows: list[dict[str, Any]]) -> Markup | None:
    """Logins per second by outcome and throttled calls per second, against seconds."""
    names = sorted({k for row in rows for k in row if k != "t"})
    if not names:
        return None
    series = [
        Series(name=name, points=tuple((float(r["t"]), float(r.get(name, 0))) for r in rows))
        for name in names
    ]
    return svg(
        line_chart(
            label="rates over time",
            series=series,
            x=Axis(title="seconds since the first login", unit="s"),
            y=Axis(title="per second", unit="/s"),
        )
    )


def _split_bars(
    server: dict[str, Any], compute: dict[str, Any], out_of_band: dict[str, Any]
) -> Markup | None:
    """Server time, client maths and (if any login waited for a code) the out-of-band wait
    per login, p50 of each."""
    names = [n for n in server if server[n]["count"]]
    if not names:
        return None
    groups = (server, compute, out_of_band) if out_of_band else (server, compute)
    rows = [(name, tuple(g.get(name, {}).get("p50") or 0.0 for g in groups)) for name in names]
    parts = ("server", "client compute", "out-of-band wait")[: len(groups)]
    return svg(
        stacked_bars(
            label="client compute and server time per login",
            rows=rows,
            parts=parts,
            x=Axis(title="p50 per login (ms)", unit="ms"),
        )
    )


def _out_of_band(rows: dict[str, Any]) -> Table | None:
    """The waits for codes sent by SMS or e-mail, per flow, if any login had one."""
    return _latency_table(rows, extra=()) if rows else None


# -- the lockout probe -----------------------------------------------------------------------
_LOCK_HEAD = ("user", "phase", "failure", "model s", "expected s", "measured s", "± s", "verdict")


def _lockout(probe: dict[str, Any] | None) -> dict[str, Any] | None:
    if not probe:
        return None
    model = (probe.get("run") or {}).get("model") or {}
    return {
        "verdict": str(probe.get("verdict")),
        "about": str(model["description"]) if "description" in model else "",
        "timeline": lock_timeline(probe),
        "curve": lock_curve(probe, model),
        "table": Table.of(_LOCK_HEAD, _lock_rows(probe), text=(0, 1, 7)),
    }


def _lock_rows(probe: dict[str, Any]) -> Iterable[list[Any]]:
    for user in probe.get("users", []):
        for lock in user.get("locks", []):
            cells = [user.get("user"), lock.get("phase"), lock.get("failure")]
            cells += [_num(lock.get(k)) for k in ("expected_model_s", "expected_s")]
            cells += [_num(lock.get("measured_s")), _num(lock.get("error_bar_s"))]
            yield [*cells, lock.get("verdict")]


# -- text ------------------------------------------------------------------------------------
def _pairs(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
    return "" if value is None else str(value)


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:.3g} ms"
