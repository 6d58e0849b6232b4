"""report.html: self-contained, with the run's numbers, charts and the lockout probe."""

from __future__ import annotations

import json
import re
from pathlib import Path

from loadtest.report import summary_from_events
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
    assert "class='banner" in page  # trustworthy or not depends on this process's CPU
    summary = summary_from_events(tmp_path)
    summary["validity"] |= {"trustworthy": False, "warnings": ["loop lag <high>"]}
    page = render_html(summary)
    assert "Latencies untrustworthy" in page
    assert "loop lag &lt;high&gt;" in page
