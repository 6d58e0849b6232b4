"""The validity section names each way the generator can distort a run, and only those.

Pure: canonical events in, ``summary.json``'s ``validity`` out. Each flag trips on the figures
that define it and a healthy run raises none; the end-to-end runs that trip them for real are
in ``test_validity_runs.py``.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from loadtest.report import Aggregate, build_summary, new_histogram, schema
from loadtest.report.histograms import to_us
from loadtest.report.summary import COMPUTE_MAX_MS, COMPUTE_SHARE_WARNING, LAG_WARNING_MS

FLOW = "login:srp"


def login(total: float, compute: float, *, misses: int = 0) -> dict[str, Any]:
    """A canonical login event: two calls sharing what compute leaves of ``total``."""
    server = total - compute
    steps = [
        {"label": "InitiateAuth:USER_SRP_AUTH", "outcome": "ok", "ms": server / 2},
        {"compute": "ephemeral", "ms": 0.01, "stocked": misses == 0},
        {"compute": "PASSWORD_VERIFIER", "ms": compute - 0.01},
        {"label": "RespondToAuthChallenge:PASSWORD_VERIFIER", "outcome": "ok", "ms": server / 2},
    ]
    return {
        "event": "login", "flow": FLOW, "outcome": "ok", "error_type": None, "t": 100.0,
        "total_ms": total, "server_ms": server, "compute_ms": compute, "calls": 2,
        "stock_misses": misses, "steps": steps,
    }  # fmt: skip


def process(cpu_s: float = 1.0, *, lag_ms: float = 0.2, **figures: Any) -> dict[str, Any]:
    """A process's validity event: CPU over 10 s of wall time, a loop lag of ``lag_ms``."""
    lag = new_histogram()
    for _ in range(100):
        lag.record_value(to_us(lag_ms))
    figures = {"math": "threads", "stock_hits": 100, "stock_misses": 0} | figures
    return {
        "event": "validity", "process": "local", "cpu_s": cpu_s, "wall_s": 10.0, "t": 101.0,
        "loop_lag": lag.encode().decode("ascii"),
    } | figures  # fmt: skip


def live(*events: dict[str, Any]) -> tuple[Aggregate, dict[str, Any]]:
    """The aggregate of ``events`` and its live summary, checked against the schema."""
    aggregate = Aggregate()
    for event in events:
        aggregate.add(event)
    run = {"run_id": "r", "target": {}, "configuration": {}, "versions": {}, "git_revision": None}
    summary = build_summary(aggregate, run, source="live")
    jsonschema.validate(summary, schema())
    return aggregate, summary


def validity(*events: dict[str, Any]) -> dict[str, Any]:
    section: dict[str, Any] = live(*events)[1]["validity"]
    return section


HEALTHY = [login(20.0, 2.0) for _ in range(50)]


def test_a_healthy_run_is_trustworthy_and_says_nothing() -> None:
    section = validity(*HEALTHY, process())
    assert section["flags"] == []
    assert section["warnings"] == []
    assert section["trustworthy"] is True
    assert section["stock"] == {"hits": 100, "misses": 0, "misses_by_flow": {}}


@pytest.mark.parametrize(
    ("events", "flag", "words"),
    [
        ([*HEALTHY, login(80.0, COMPUTE_MAX_MS + 5)], "client_compute_max", "client maths"),
        ([login(20.0, 20.0 * COMPUTE_SHARE_WARNING + 1)] * 50, "client_compute_share", "p99"),
        ([*HEALTHY, login(20.0, 2.0, misses=1)], "stock_misses", "stock did not have"),
    ],
)
def test_client_compute_and_stock_flags_trip_and_say_which(
    events: list[dict[str, Any]], flag: str, words: str
) -> None:
    section = validity(*events, process(stock_misses=events[-1]["stock_misses"]))
    assert [f["name"] for f in section["flags"]] == [flag]
    assert words in section["flags"][0]["reason"]
    assert section["warnings"] == [section["flags"][0]["reason"]]
    assert section["trustworthy"] is False


@pytest.mark.parametrize(
    ("figures", "flag", "words"),
    [
        ({"math": "inline", "stock_hits": 0}, "inline_maths", "inline"),
        ({"lag_ms": LAG_WARNING_MS * 3}, "loop_lag", "event-loop lag"),
        ({"cpu_s": 9.5}, "generator_cpu", "of a core"),
        ({"stock_misses": 3}, "stock_misses", "3 logins waited"),
    ],
)
def test_process_flags_trip_and_say_which(figures: dict[str, Any], flag: str, words: str) -> None:
    section = validity(*HEALTHY, process(**figures))
    assert [f["name"] for f in section["flags"]] == [flag]
    assert words in section["flags"][0]["reason"]
    assert section["warnings"] == [section["flags"][0]["reason"]]
    assert section["trustworthy"] is False


def test_the_saturation_of_the_issue_trips_every_flag_it_shows() -> None:
    """Issue 13's saturated run: 101 % of a core, compute p50 50 ms and p99 380 ms."""
    slow = [login(400.0, 380.0)] * 5 + [login(120.0, 50.0)] * 95
    section = validity(*slow, process(10.1, lag_ms=40.0))
    assert {f["name"] for f in section["flags"]} == {
        "generator_cpu", "loop_lag", "client_compute_max", "client_compute_share"
    }  # fmt: skip


def test_the_page_banner_names_each_flag_once() -> None:
    """report.html lists a flag by name with its reason, not again as a bare warning."""
    from loadtest.report.html import render_html

    _, summary = live(*HEALTHY, process(stock_misses=2))
    page = render_html(summary)
    assert "Latencies untrustworthy" in page
    assert page.count("2 logins waited for an ephemeral") == 1
    assert "<b>stock_misses</b>: 2 logins waited" in page


def test_the_terminal_verdict_says_what_the_banner_says() -> None:
    """The one line a run ends with (and ``report``, ``demo`` print): the banner's words, the
    logins judged, and every flag by name with its reason."""
    from loadtest.report.verdict import verdict

    _, healthy = live(*HEALTHY, process())
    said = verdict(healthy)
    assert (said.trustworthy, said.measured) == (True, True)
    assert said.line == "latencies trustworthy (50 logins judged)"

    slow = [*HEALTHY, login(80.0, COMPUTE_MAX_MS + 5)]
    _, flagged = live(*slow, process(stock_misses=2, lag_ms=LAG_WARNING_MS * 3))
    said = verdict(flagged)
    assert (said.trustworthy, said.measured) == (False, True)
    assert said.line.startswith(
        "latencies untrustworthy: the generator distorted its own timings: "
    )
    names = [f["name"] for f in flagged["validity"]["flags"]]
    assert set(names) == {"client_compute_max", "stock_misses", "loop_lag"}
    for flag in flagged["validity"]["flags"]:
        assert f"{flag['name']}: {flag['reason']}" in said.line

    _, nothing = live(process(identity_waits=4, identity_wait_s=31.4))
    said = verdict(nothing)
    assert (said.trustworthy, said.measured) == (False, False)
    assert said.line.startswith("nothing measured: no login completed, so nothing here")
    assert "31.4 s in all" in said.line

    # a 1.0 summary: warnings only, no count of judged logins
    old = {"validity": {"trustworthy": False, "warnings": ["loop lag p99 40 ms"]}}
    assert verdict(old).line.endswith("timings: warning: loop lag p99 40 ms")
    assert verdict({"validity": {"trustworthy": True}}).line == "latencies trustworthy"


def test_warm_up_logins_are_written_but_neither_presented_nor_judged() -> None:
    """The open model's warm-up arrivals (``warmup``) are not results: a slow warm-up (a cold
    generator) flags nothing, the summary's figures hold only the measured logins, and the
    validity says how many it judged and how many it left out, as the page does."""
    from loadtest.report.html import render_html

    cold = login(900.0, 800.0, misses=1) | {"warmup": True, "stage": 0}
    cold_view = {"event": "login", "flow": f"{FLOW}:intended", "outcome": "ok",
                 "total_ms": 950.0, "steps": [], "view": "intended", "warmup": True}  # fmt: skip
    _, summary = live(cold, cold_view, cold, *HEALTHY, process())
    section = summary["validity"]
    assert section["trustworthy"] is True, section["flags"]
    assert section["judged"] == {"logins": len(HEALTHY)}
    assert section["excluded"] == {"warmup": 2}
    assert summary["flows"][FLOW]["count"] == len(HEALTHY)
    assert f"{FLOW}:intended" not in summary["flows"]
    assert summary["client_compute"][FLOW]["max"] < COMPUTE_MAX_MS
    page = render_html(summary)
    assert f"judged on the {len(HEALTHY)} logins presented" in page
    assert "2 warm-up logins" in page


def test_a_measured_slow_login_still_flags_beside_a_warm_up() -> None:
    """Leaving the warm-up out does not hide a slow login measured after it."""
    warm = login(20.0, 2.0) | {"warmup": True}
    section = validity(warm, *HEALTHY, login(80.0, COMPUTE_MAX_MS + 5), process())
    assert [f["name"] for f in section["flags"]] == ["client_compute_max"]
    assert section["judged"] == {"logins": len(HEALTHY) + 1}


def test_logins_the_stop_cut_count_with_their_calls_but_are_neither_presented_nor_judged() -> None:
    """A login the end of the run cut short (``stopped``) has a truncated time: it flags
    nothing, is in no latency figure and no login outcome, and is counted (``stopped``,
    ``validity.excluded``); the calls it completed are counted with every call, as Locust
    counted them. The page and the Cognito tab say how many there were."""
    from loadtest.locust.web_tab import live_figures, tab_rows
    from loadtest.report.html import render_html

    cut = login(900.0, 800.0, misses=1) | {"outcome": "stopped", "error_type": "LoginStopped"}
    cut["steps"] = cut["steps"][:3]  # cut during its second call: one call completed
    bare = login(1.0, 0.5) | {"outcome": "stopped", "steps": [], "calls": 0}  # cut before any
    aggregate, summary = live(*HEALTHY, cut, bare, process())
    section = summary["validity"]
    assert section["trustworthy"] is True, section["flags"]
    assert section["judged"] == {"logins": len(HEALTHY)}
    assert section["excluded"] == {"stopped": 2}
    assert summary["stopped"] == {
        "logins": 2, "calls": 1, "by_flow": {FLOW: {"logins": 2, "calls": 1}}
    }  # fmt: skip
    assert summary["outcomes"]["logins"] == {"ok": len(HEALTHY)}
    for group in ("flows", "server_time", "client_compute"):
        assert summary[group][FLOW]["count"] == len(HEALTHY), group
    assert summary["flows"][FLOW]["outcomes"] == {"ok": len(HEALTHY)}
    assert summary["client_compute"][FLOW]["max"] < COMPUTE_MAX_MS
    assert summary["requests"]["InitiateAuth:USER_SRP_AUTH"]["count"] == len(HEALTHY) + 1
    verifier = "RespondToAuthChallenge:PASSWORD_VERIFIER"
    assert summary["requests"][verifier]["count"] == len(HEALTHY)
    assert summary["outcomes"]["calls"] == {"ok": 2 * len(HEALTHY) + 1}
    assert summary["validity"]["stock"]["misses_by_flow"] == {}
    page = render_html(summary)
    assert "2 logins cut short by the end of the run" in page
    assert f"2 ({FLOW} 2); their 1 completed calls are counted" in page
    rows = tab_rows(live_figures(aggregate))
    cut_rows = [r for r in rows if r["section"].startswith("logins cut short")]
    assert [(r["label"], r["count"]) for r in cut_rows] == [(FLOW, 2)]


def test_waits_for_an_identity_are_summed_over_processes_and_said_without_a_flag() -> None:
    """Users that waited for an identity (every fitting one leased, or spent for the TOTP step)
    bound the load the run offered, not its timings (a login's clock starts after its lease):
    the summary sums the processes' waits, the page says so, and no flag is raised."""
    from loadtest.report.html import render_html

    quiet = validity(*HEALTHY, process())
    assert quiet["identity_waits"] == {"waits": 0, "seconds": 0.0}
    worker = process(identity_waits=3, identity_wait_s=2.5) | {"process": "worker-0"}
    other = process(identity_waits=4, identity_wait_s=1.25) | {"process": "worker-1"}
    _, summary = live(*HEALTHY, worker, other)
    section = summary["validity"]
    assert section["identity_waits"] == {"waits": 7, "seconds": 3.75}
    assert section["flags"] == []
    assert section["trustworthy"] is True
    page = render_html(summary)
    assert "the identities bound the load: users waited 7 times, 3.8 s in all" in page
    assert "identities bound the load" not in render_html(live(*HEALTHY, process())[1])


def test_a_run_without_a_login_measured_nothing_and_says_why() -> None:
    """A run that presents no login has no latency to trust, whatever its generator's figures:
    the ``no_logins`` flag says so, with the reasons the run knows (its users waited for
    identities, its logins were all cut short); the page says "Nothing measured", once, and
    the run lasted its process's wall time, not the 0 s its lone validity event spans."""
    from loadtest.report.html import render_html

    waited = process(identity_waits=4, identity_wait_s=31.4)
    _, summary = live(waited)
    section = summary["validity"]
    assert [f["name"] for f in section["flags"]] == ["no_logins"]
    reason = section["flags"][0]["reason"]
    assert reason.startswith("no login completed, so nothing here measures the pool: ")
    assert "users waited 4 times, 31.4 s in all, for an identity free to sign in" in reason
    assert section["warnings"] == [reason]
    assert section["trustworthy"] is False
    assert summary["run"]["duration_s"] == 10.0  # the process's wall time
    page = render_html(summary)
    assert "Nothing measured: no login completed." in page
    assert "Latencies untrustworthy" not in page
    assert "Latencies trustworthy" not in page
    assert page.count("31.4 s in all") == 1  # the flag's reason; the banner does not repeat it
    assert "<p>No logins.</p>" in page
    assert "<p>No API calls.</p>" in page

    cut = login(900.0, 800.0) | {"outcome": "stopped", "error_type": "LoginStopped"}
    warm = login(20.0, 2.0) | {"warmup": True}
    section = validity(cut, cut, warm, process())
    assert section["judged"] == {"logins": 0}
    (flag,) = section["flags"]
    assert flag["name"] == "no_logins"
    assert flag["reason"].endswith(
        "the logins it made are left out of the figures: 2 cut short by the end of the run, "
        "1 in the schedule's warm-up"
    )
    assert "waited" not in flag["reason"]  # no identity waits: not said


def test_one_login_is_measured_and_the_duration_runs_from_the_tests_start() -> None:
    """One login is enough to judge (no ``no_logins``). A run's duration, over which its rates
    are counted, runs from its ``test_started`` mark to its last event with figures (without
    one, as events before 1.6, from its first login)."""
    one = validity(login(20.0, 2.0), process())
    assert one["flags"] == []
    assert one["trustworthy"] is True
    _, summary = live(*HEALTHY, process())
    assert summary["run"]["duration_s"] == 1.0  # logins at t=100, the validity event at 101
    started = {"event": "test_started", "process": "local", "t": 96.0}
    _, summary = live(started, *HEALTHY, process())
    assert summary["run"]["duration_s"] == 5.0  # from the test's start, not its first login
    assert summary["flows"][FLOW]["rate_per_s"] == len(HEALTHY) / 5.0
