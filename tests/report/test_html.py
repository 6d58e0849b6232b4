"""report.html: self-contained, with the run's numbers, charts and the lockout probe."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from loadtest.report import schema, summary_from_events
from loadtest.report.html import render_html

from .test_summary import handle_args, write_run


def test_the_page_is_self_contained_and_shows_the_numbers(tmp_path: Path) -> None:
    probe = {
        "verdict": "match",
        "run": {},
        "users": [
            {
                "user": "lt-x-00001",
                "locks": [
                    {
                        "phase": "schedule",
                        "failure": 6,
                        "expected_model_s": 2.0,
                        "expected_s": 0.02,
                        "measured_s": 0.021,
                        "error_bar_s": 0.002,
                        "verdict": "match",
                    }
                ],
            }
        ],
    }
    (tmp_path / "lockout-summary.json").write_text(json.dumps(probe))
    write_run(tmp_path, [10, 20, 30])
    page = (tmp_path / "report.html").read_text()
    assert "login:srp" in page
    assert "RespondToAuthChallenge:PASSWORD_VERIFIER" in page
    assert page.count("<svg") >= 3
    assert "Lockout probe: match" in page
    assert "lt-x-00001" in page
    assert not re.search(r"(src|href)\s*=", page)
    assert "<script" not in page


def test_report_regenerates_the_page_and_flags_an_untrustworthy_run(tmp_path: Path) -> None:
    write_run(tmp_path, [5])
    (tmp_path / "report.html").unlink()
    assert handle_args(str(tmp_path)) == 0
    page = (tmp_path / "report.html").read_text()
    assert f"Run {tmp_path.name}" in page
    # trustworthy or not depends on this process's CPU: the page must say what the summary says
    written = json.loads((tmp_path / "summary.json").read_text())
    shown, hidden = ("ok", "bad") if written["validity"]["trustworthy"] else ("bad", "ok")
    assert page.count(f"class='banner {shown}'") == 1
    assert f"class='banner {hidden}'" not in page
    summary = summary_from_events(tmp_path)
    summary["validity"] |= {"trustworthy": False, "warnings": ["loop lag <high>"]}
    page = render_html(summary)
    assert "Latencies untrustworthy" in page
    assert "class='banner ok'" not in page
    assert "<b>warning</b>: loop lag &lt;high&gt;" in page


def test_every_validity_flag_shows_with_its_name_and_reason(tmp_path: Path) -> None:
    """Flags are read from the data: a new one needs no change to the page."""
    summary = write_run(tmp_path, [5])
    flags = {
        "cpu_saturated": {"raised": True, "reason": "worker-1 used 97% of a core"},
        "clock_skew": "worker clocks differ by <40 ms>",
    }
    summary["validity"] |= {"trustworthy": False, "warnings": [], "flags": flags}
    page = render_html(summary)
    assert "<b>cpu_saturated</b>: worker-1 used 97% of a core" in page
    assert "<b>clock_skew</b>: worker clocks differ by &lt;40 ms&gt;" in page
    summary["validity"]["flags"] = [{"name": "loop_lag", "reason": "p99 12 ms"}]
    assert "<b>loop_lag</b>: p99 12 ms" in render_html(summary)


def _lock(failure: int, model_s: float, measured_s: float, started_at: float) -> dict[str, Any]:
    return {
        "phase": "schedule",
        "failure": failure,
        "started_at": started_at,
        "low_s": measured_s * 0.9,
        "high_s": measured_s * 1.1,
        "measured_s": measured_s,
        "error_bar_s": measured_s * 0.1,
        "expected_s": model_s * 0.01,
        "measured_model_s": measured_s / 0.01,
        "expected_model_s": model_s,
        "verdict": "match",
        "seen": bool(model_s),
    }


OUTCOMES = ["success", *["counted"] * 5, "locked", "counted", "locked", "counted"]


def write_probe_run(tmp_path: Path) -> dict[str, Any]:
    """A run folder with a lockout probe of one user (locks at failures 4, 5 and 7, the
    attempts in ``OUTCOMES``, a torn last line) folded in; returns its summary."""
    model = {"threshold": 5, "first_lock": 1.0, "factor": 2.0, "cap": 900.0, "time_scale": 0.01}
    model["description"] = "threshold 5, first lock 1 s, factor 2, cap 900 s, time scale 0.01"
    locks = [_lock(4, 0.0, 0.004, 0.30), _lock(5, 1.0, 0.011, 0.40), _lock(7, 4.0, 0.05, 0.6)]
    probe = {"verdict": "match", "run": {"model": model}, "users": [{"user": "u1", "locks": locks}]}
    (tmp_path / "lockout-summary.json").write_text(json.dumps(probe))
    with (tmp_path / "lockout-events.jsonl").open("w") as events:
        events.write(json.dumps({"event": "run_started", "t": 0.0}) + "\n")
        for seq, outcome in enumerate(OUTCOMES):
            attempt = {"event": "attempt", "user": "u1", "seq": seq, "phase": "schedule"}
            attempt |= {"credential": "wrong", "sent_at": 0.1 * seq, "answered_at": 0.1 * seq}
            events.write(json.dumps(attempt | {"outcome": outcome, "message": "m"}) + "\n")
        events.write('{"event": "attempt", "user": "u1", "sent_a')  # torn by a kill
    return write_run(tmp_path, [10, 20])


def test_the_lockout_timeline_shows_each_attempt_and_locks_against_the_model(
    tmp_path: Path,
) -> None:
    outcomes = OUTCOMES
    summary = write_probe_run(tmp_path)
    jsonschema.validate(summary, schema())
    attempts = summary["lockout_probe"]["attempts"]
    assert [a["outcome"] for a in attempts] == outcomes
    assert "credential" not in attempts[0]
    assert summary["lockout_probe"]["attempts_truncated"] is False

    page = (tmp_path / "report.html").read_text()
    timeline = _svg(page, "lockout timeline")
    assert timeline.count("<circle") == len(outcomes)
    assert timeline.count("r='3' fill='#d62728'") == outcomes.count("counted")
    assert timeline.count("class='lock-measured'") == 2  # measured locks; failure 4 is no lock
    assert "failure 7: measured 0.05 s, model 0.04 s (match)" in timeline
    curve = _svg(page, "locks against the model")
    [model_line] = re.findall(r"<polyline[^>]*points='([^']*)'", curve)
    assert len(model_line.split()) == 3  # the model at n = 5, 6, 7: 1, 2, 4 s
    ys = [float(point.split(",")[1]) for point in model_line.split()]
    # doubling: straight on a log axis (each y is rounded to 0.1 px, so within 4 x 0.05 px)
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2], abs=0.2)
    assert ys[0] - ys[1] > 20  # and visibly apart
    assert curve.count("<circle") == 2
    assert "failure 5: 1.1 model s" in curve
    assert not re.search(r"(src|href)\s*=", page)


def _svg(page: str, label: str) -> str:
    start = page.index(f"aria-label='{label}'")
    return page[start : page.index("</svg>", start)]
