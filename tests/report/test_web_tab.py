"""The live "Cognito" tab: its rows come from the HDR histograms and counters; on a real Flask
app its rows ride on ``/stats/requests``; in a real single-process Locust web run they grow."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify

from loadtest.locust.web_tab import COLUMNS, NO_REPORT, TAB_KEY, install_tab, live_figures, tab_rows
from loadtest.report import Aggregate
from loadtest.report.histograms import stats
from tests.e2e.locust_runs import provision, target_env

from .live_web import LiveLocust
from .test_summary import LABEL, login

_POLLS = 240  # of 0.25 s: how long a live run may take to show growth (bounded)


def _aggregate() -> Aggregate:
    aggregate = Aggregate()
    for ms in (10, 20, 30, 40, 1234.5):
        aggregate.add_login(login(ms))
    aggregate.add_login(login(50, "throttled", "TooManyRequestsException"))
    aggregate.add_login(login(60, "locked_out", "NotAuthorizedException"))
    return aggregate


def _by_name(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["section"], row["label"]): row for row in rows}


def test_rows_carry_the_hdr_percentiles_and_the_counts() -> None:
    aggregate = _aggregate()
    rows = _by_name(tab_rows(live_figures(aggregate)))
    flow = rows[("login flow", "login:srp")]
    expected = stats(aggregate.histograms["flows"].by_name["login:srp"])
    assert flow["count"] == expected["count"] == 7
    assert flow["p99"] == f"{expected['p99']:.4g}"
    assert flow["max"] == f"{expected['max']:.4g}"
    assert float(flow["p50"]) <= float(flow["p90"]) <= float(flow["p999"]) <= float(flow["max"])
    assert flow["outcomes"] == "locked_out 1, ok 5, throttled 1"
    call = rows[("API call", LABEL)]
    assert call["count"] == 7
    assert call["outcomes"] == "locked_out 1, ok 5, throttled 1"
    assert rows[("throttled, by quota category", "UserAuthentication")]["count"] == 1
    assert rows[("lockouts, by flow", "login:srp")]["count"] == 1
    assert rows[("error", "TooManyRequestsException")]["count"] == 1
    assert rows[("login outcome", "ok")]["count"] == 5
    assert all(set(row) == {key for key, _ in COLUMNS} for row in rows.values())


def test_client_compute_and_stock_misses_have_their_own_rows() -> None:
    """Whole logins and client compute live in the tab, since Locust's table counts API calls
    only."""
    aggregate = _aggregate()
    aggregate.add_login(login(10) | {"stock_misses": 1})
    rows = _by_name(tab_rows(live_figures(aggregate)))
    compute = rows[("client compute", "login:srp")]
    assert compute["count"] == 8
    assert compute["max"] == "1.5"
    assert rows[("ephemeral stock misses, by flow", "login:srp")]["count"] == 1


def test_the_tab_opens_with_the_verdict_so_far() -> None:
    """The report's banner, live: a run whose generator distorts its timings says so while it
    runs, with each flag and its reason, not only in report.html at the end."""
    aggregate = _aggregate()
    rows = tab_rows(live_figures(aggregate))
    assert rows[0]["section"] == "validity"
    assert (rows[0]["label"], rows[0]["count"]) == ("latencies trustworthy so far", 7)
    assert rows[1]["section"] == "login flow"

    aggregate.add_login(login(10) | {"stock_misses": 1})
    figures = live_figures(aggregate)
    assert figures["validity"]["trustworthy"] is False
    rows = tab_rows(figures)
    assert rows[0]["label"].startswith("latencies untrustworthy: the generator distorted")
    assert rows[0]["count"] == 8
    assert rows[1]["section"] == "validity flag"
    assert rows[1]["label"] == "stock_misses"
    assert rows[1]["outcomes"].startswith("1 login waited for an ephemeral")

    [first] = [r for r in tab_rows(live_figures(Aggregate())) if r["section"] == "validity"]
    assert first["label"] == "nothing measured yet: no login completed"


def test_without_a_report_folder_the_tab_says_what_to_do() -> None:
    assert tab_rows(None) == [tab_rows(None)[0]]
    assert tab_rows(None)[0]["label"] == NO_REPORT
    empty = _by_name(tab_rows(live_figures(Aggregate())))
    assert empty[("throttled, by quota category", "none")]["count"] == 0


class _WebUI:
    """What install_tab uses of Locust's WebUI: its template args and its Flask app."""

    def __init__(self) -> None:
        self.template_args: dict[str, Any] = {}
        self.app = Flask("locust-like")

        @self.app.route("/stats/requests")
        def request_stats() -> Any:
            return jsonify({"state": "running", "stats": []})


def test_the_tab_is_declared_and_its_rows_ride_on_the_stats_poll() -> None:
    web_ui, aggregate = _WebUI(), _aggregate()
    install_tab(web_ui, lambda: live_figures(aggregate))
    assert web_ui.template_args["extended_tabs"] == [{"title": "Cognito", "key": TAB_KEY}]
    structure = web_ui.template_args["extended_tables"][0]["structure"]
    assert [column["key"] for column in structure] == [key for key, _ in COLUMNS]
    client = web_ui.app.test_client()
    polled = client.get("/stats/requests").get_json()
    assert polled["state"] == "running"
    [extended] = polled["extended_stats"]
    assert extended["key"] == TAB_KEY
    assert extended["data"] == tab_rows(live_figures(aggregate))
    aggregate.add_login(login(5))
    again = client.get("/stats/requests").get_json()["extended_stats"][0]["data"]
    assert _by_name(again)[("login flow", "login:srp")]["count"] == 8
    figures = client.get("/cognito/stats").get_json()
    assert figures["measuring"] is True
    assert figures["flows"]["login:srp"]["count"] == 8
    assert figures["flows"]["login:srp"]["histogram"]  # lossless: the encoded HDR histogram
    text = client.get("/cognito/stats/csv").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(text)))) == len(again)


@pytest.mark.e2e
def test_single_process_web_run_shows_growing_figures(
    pool_server: Callable[..., Any], tmp_path: Path
) -> None:
    """A real local-runner Locust in web mode: the tab's rows on /stats/requests grow, and
    match /cognito/stats (the --processes 2 case is the browser test's)."""
    pool = pool_server("--no-quotas")
    app = pool.provision()
    provision(pool, app, 4, tmp_path / "ids.jsonl", totp=False)
    settings = target_env(pool, app, tmp_path / "ids.jsonl")
    settings["COGNITO_REPORT_DIR"] = str(tmp_path / "run")
    with LiveLocust("srp", settings, tmp_path, users=2, seconds=60) as live:
        first = _wait_for_logins(live, above=0)
        later = _wait_for_logins(live, above=first)
        figures = live.get_json("/cognito/stats")
        assert figures["flows"]["login:srp"]["count"] >= later > first
        assert figures["validity"]["judged"]["logins"] >= later  # the verdict so far
        row = figures["requests"]["RespondToAuthChallenge:PASSWORD_VERIFIER"]
        assert 0 < row["p50"] <= row["p99"] <= row["max"]
        assert_api_calls_only(live)
        assert live.stop() == 0, live.output()


def assert_api_calls_only(live: LiveLocust) -> None:
    """Locust's own table in the web UI: every row a Cognito API call, and the Aggregated row
    their sum (no login or compute pseudo-requests inflating it). Locust memoizes the poll for
    a moment, so it is read until it holds rows (bounded)."""
    for _ in range(_POLLS):
        polled = live.get_json("/stats/requests")
        rows = [r for r in polled["stats"] if r["name"] != "Aggregated"]
        if rows:
            break
        time.sleep(0.25)
    [total] = [r for r in polled["stats"] if r["name"] == "Aggregated"]
    assert {r["method"] for r in rows} == {"cognito"}
    assert {r["name"] for r in rows} >= {"InitiateAuth:USER_SRP_AUTH"}
    assert total["num_requests"] == sum(r["num_requests"] for r in rows) > 0


def _wait_for_logins(live: LiveLocust, *, above: int) -> int:
    for _ in range(_POLLS):
        polled = live.get_json("/stats/requests")
        rows = _by_name(polled.get("extended_stats", [{}])[0].get("data", []))
        count = rows.get(("login flow", "login:srp"), {}).get("count", 0)
        if count > above:
            return int(count)
        assert live.process is not None
        assert live.process.poll() is None, live.output()
        time.sleep(0.25)
    pytest.fail(f"no more than {above} logins shown: {live.output()}")


def test_waits_for_an_identity_have_their_rows_once_there_are_any() -> None:
    """The processes' waits for an identity (from their validity events) are summed in the
    tab: how often and how long users waited, the load the identities let the run offer."""
    aggregate = _aggregate()
    rows = _by_name(tab_rows(live_figures(aggregate)))
    assert not [key for key in rows if key[0].startswith("waits for an identity")]
    for name, waits, seconds in (("worker-0", 2, 1.5), ("worker-1", 3, 2.25)):
        aggregate.add(
            {"event": "validity", "process": name, "cpu_s": 1.0, "wall_s": 5.0, "t": 1.0}
            | {"identity_waits": waits, "identity_wait_s": seconds}
        )
    rows = _by_name(tab_rows(live_figures(aggregate)))
    section = "waits for an identity (leased, or TOTP step spent)"
    assert rows[(section, "waits")]["count"] == 5
    assert rows[(section, "seconds in all")]["count"] == "3.8"
