"""The live "Cognito" tab in Locust's web UI, through Locust's own extension points.

Locust's UI (2.30 and later) shows extra tabs declared in ``web_ui.template_args``:
``extended_tabs`` names a tab, ``extended_tables`` gives its table's columns, and the rows come
with every ``/stats/requests`` poll, under ``extended_stats`` (the UI polls it every few
seconds while a test runs). This module adds:

- the tab: first the validity verdict so far (``report.html``'s banner, live: each flag with
  its reason), then per login flow, its client compute and its out-of-band waits (codes by SMS or
  e-mail, if any), and per API call label (``Operation:CHALLENGE``)
  the HDR count, p50/p90/p99/p99.9/max in ms, and outcomes; then login outcomes, errors by
  Cognito error type, throttles by quota category, lockouts, ephemeral stock misses and logins
  cut short by the end of the run (``stopped``: their calls are in the call rows) by flow,
  and the users' waits for an identity (how often, how long: the identities bound the load)
  (whole logins and client compute live here, not in Locust's own request table, whose
  Aggregated row counts API calls only);
- ``GET /cognito/stats``: the same figures as JSON (with the encoded histograms), and
  ``GET /cognito/stats/csv``: the rows as CSV, linked from the UI's download page.

The figures are the process's :class:`~loadtest.report.aggregate.Aggregate`: a local runner's
own, or on a master everything its workers have shipped so far (merged HDR histograms), so
single-process and ``--processes N`` runs show the same kind of numbers. Without a report
folder (``--cognito-report-dir``) nothing is measured, and the tab says so.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from typing import Any

from loadtest.report.aggregate import Aggregate
from loadtest.report.histograms import PERCENTILES, stats
from loadtest.report.summary import identity_waits, validity
from loadtest.report.verdict import TRUSTWORTHY, UNTRUSTWORTHY, verdict

__all__ = ["COLUMNS", "TAB_KEY", "install_tab", "live_figures", "tab_rows"]

#: The tab's key (also the ``?tab=`` of its URL) and its title.
TAB_KEY = "cognito"
TAB_TITLE = "Cognito"
#: The table's columns: (key, title). Keys have no underscore: the UI camel-cases keys. The
#: Name column's key is not ``name``: Locust's table sorts its rows by their ``name`` unless a
#: header is clicked, which put the verdict among the calls and split each flow from its
#: compute; rows without one keep the order :func:`tab_rows` gives them.
COLUMNS = (
    ("section", "Section"),
    ("label", "Name"),
    ("count", "Count"),
    ("p50", "p50 ms"),
    ("p90", "p90 ms"),
    ("p99", "p99 ms"),
    ("p999", "p99.9 ms"),
    ("max", "Max ms"),
    ("outcomes", "Outcomes"),
)
_PCT_KEYS = {"p50": "p50", "p90": "p90", "p99": "p99", "p99_9": "p999"}
NO_REPORT = (
    "start the run with a report folder: --cognito-report-dir (cognito-loadtest run names one "
    "unless --no-report)"
)


def live_figures(aggregate: Aggregate) -> dict[str, Any]:
    """What the tab and ``/cognito/stats`` show: latencies by flow and by call label (with
    their encoded histograms), and the counts."""
    return {
        "flows": _latencies(aggregate, "flows", aggregate.by_flow),
        "compute": _latencies(aggregate, "compute", {}),
        "out_of_band": _latencies(aggregate, "out_of_band", {}),
        "requests": _latencies(aggregate, "requests", aggregate.by_label),
        "stock_misses": dict(aggregate.counts["stock_misses"]),
        "outcomes": {g: dict(aggregate.counts[g]) for g in ("calls", "logins")},
        "errors": dict(aggregate.counts["errors"]),
        "throttles": dict(aggregate.counts["throttles"]),
        "lockouts": dict(aggregate.counts["lockouts"]),
        "stopped": dict(aggregate.counts["stopped"]),
        "identity_waits": identity_waits(aggregate.processes.values()),
        "validity": validity(aggregate),
    }


def _latencies(aggregate: Aggregate, group: str, outcomes: Mapping[str, Any]) -> dict[str, Any]:
    rows = {}
    for name, histogram in sorted(aggregate.histograms[group].by_name.items()):
        rows[name] = stats(histogram) | {"outcomes": dict(outcomes.get(name, {}))}
    return rows


def tab_rows(figures: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The tab's table rows (one dict per row, keyed by :data:`COLUMNS`)."""
    if figures is None:
        return [_row("no figures", NO_REPORT)]
    rows = _validity_rows(figures.get("validity"))
    groups = (
        ("login flow", "flows"),
        ("client compute", "compute"),
        ("out-of-band wait (codes)", "out_of_band"),
        ("API call", "requests"),
    )
    for section, group in groups:
        for name, row in figures.get(group, {}).items():
            cells = {key: _ms(row[source]) for source, key in _PCT_KEYS.items()}
            cells |= {"max": _ms(row["max"]), "outcomes": _counts(row["outcomes"])}
            rows.append(_row(section, name, row["count"]) | cells)
    for section, counts in (
        ("login outcome", figures["outcomes"]["logins"]),
        ("call outcome", figures["outcomes"]["calls"]),
        ("error", figures["errors"]),
        ("throttled, by quota category", figures["throttles"]),
        ("lockouts, by flow", figures["lockouts"]),
        ("ephemeral stock misses, by flow", figures.get("stock_misses", {})),
        ("logins cut short by the end of the run, by flow", figures.get("stopped", {})),
    ):
        rows += [_row(section, name, count) for name, count in sorted(counts.items())]
    waits = figures.get("identity_waits") or {}
    if waits.get("waits"):  # users waited for an identity: the identities bound the load
        section = "waits for an identity (leased, or TOTP step spent)"
        rows.append(_row(section, "waits", waits["waits"]))
        rows.append(_row(section, "seconds in all", f"{waits['seconds']:.1f}"))
    if not figures["throttles"]:
        rows.append(_row("throttled, by quota category", "none", 0))
    if not figures["lockouts"]:
        rows.append(_row("lockouts, by flow", "none", 0))
    return rows


def _validity_rows(section: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The verdict so far, first: the report's banner, live (each process's CPU and loop lag
    arrive with its validity events, every few seconds); each flag a row, its reason in the
    last column."""
    if section is None:
        return []
    said = verdict({"validity": section})
    if not said.measured:
        return [_row("validity", "nothing measured yet: no login completed")]
    count = said.judged if said.judged is not None else ""
    if said.trustworthy:
        return [_row("validity", f"{TRUSTWORTHY} so far", count)]
    rows = [_row("validity", f"{UNTRUSTWORTHY} (so far)", count)]
    for name, reason in said.flags:
        rows.append(_row("validity flag", name) | {"outcomes": reason})
    return rows


def _row(section: str, name: str, count: int | str = "") -> dict[str, Any]:
    return {key: "" for key, _ in COLUMNS} | {"section": section, "label": name, "count": count}


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def install_tab(web_ui: Any, figures: Callable[[], dict[str, Any] | None]) -> None:
    """Declare the tab on Locust's web UI and serve its figures; ``figures()`` gives the
    current :func:`live_figures`, or ``None`` when the run measures nothing."""
    from flask import Response, request

    web_ui.template_args["extended_tabs"] = [{"title": TAB_TITLE, "key": TAB_KEY}]
    web_ui.template_args["extended_tables"] = [
        {"key": TAB_KEY, "structure": [{"key": k, "title": t} for k, t in COLUMNS]}
    ]
    web_ui.template_args["extended_csv_files"] = [
        {"href": "./cognito/stats/csv", "title": "Download Cognito statistics CSV"}
    ]
    app = web_ui.app

    @app.after_request  # type: ignore[untyped-decorator]
    def add_tab_rows(response: Response) -> Response:
        if not request.path.endswith("/stats/requests") or not response.is_json:
            return response
        payload = response.get_json()
        if isinstance(payload, dict):
            rows = tab_rows(figures())
            payload["extended_stats"] = [{"key": TAB_KEY, "data": rows}]
            response.set_data(json.dumps(payload))
        return response

    @app.route("/cognito/stats")  # type: ignore[untyped-decorator]
    def cognito_stats() -> Response:
        current = figures()
        body = {"measuring": current is not None, "percentiles": [k for k, _ in PERCENTILES]}
        body |= current or {}
        return Response(json.dumps(body), mimetype="application/json")

    @app.route("/cognito/stats/csv")  # type: ignore[untyped-decorator]
    def cognito_stats_csv() -> Response:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=[k for k, _ in COLUMNS])
        writer.writeheader()
        writer.writerows(tab_rows(figures()))
        headers = {"Content-Disposition": "attachment; filename=cognito_stats.csv"}
        return Response(out.getvalue(), mimetype="text/csv", headers=headers)
