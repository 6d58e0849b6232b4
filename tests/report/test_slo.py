"""SLO thresholds: parsed strictly, checked against a summary, and setting the exit code."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from loadtest.report import Aggregate, build_summary
from loadtest.report.cli import handle
from loadtest.report.slo import check, parse_slo
from loadtest.report.verdict import verdict

from .test_summary import LABEL, login, write_run


def summary() -> dict[str, Any]:
    aggregate = Aggregate()
    for ms in (100, 200, 300, 400):
        aggregate.add_login(login(ms))
    aggregate.add_login(login(50, "throttled", "TooManyRequestsException"))
    run = {"run_id": "r", "target": {}, "configuration": {}, "versions": {}, "git_revision": None}
    return build_summary(aggregate, run, source="live")


@pytest.mark.parametrize(
    ("text", "passed"),
    [
        ("login:srp p99<800ms", True),
        ("login:srp p99<0.3s", False),
        ("login:srp max<=401", True),  # HDR: within 0.1 %
        ("login:srp p50 > 100 ms", True),
        (f"{LABEL} p99.9<1s", True),
        ("throttle_rate<0.1%", False),  # 1 throttled call of 10
        ("throttle_rate<=10%", True),
        ("failure_rate<0.25", True),  # 1 of 5 logins
        ("login:other p99<1s", False),  # never measured: not a pass
    ],
)
def test_thresholds(text: str, passed: bool) -> None:
    [result] = check(summary(), [parse_slo(text)])
    assert result.passed is passed, result.line()


@pytest.mark.parametrize("text", ["p99<800ms", "login:srp p95<1s", "throttle_rate<<1", "x"])
def test_malformed_thresholds_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an SLO"):
        parse_slo(text)


def run_report(run_dir: Path, *slos: str) -> int:
    return handle(argparse.Namespace(run_dir=run_dir, compare=None, slo=list(slos)))


def test_report_exit_code_follows_the_slos(tmp_path: Path, capsys: Any) -> None:
    write_run(tmp_path, [10, 20])
    assert run_report(tmp_path, "login:srp p99<1s") == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert capsys.readouterr().out.splitlines()[1] == verdict(summary).line  # the banner's words
    assert run_report(tmp_path, "login:srp p99<1s", "login:srp max<1ms") == 1
    assert "FAIL login:srp max<1ms" in capsys.readouterr().out
    assert run_report(tmp_path, "nonsense") == 2
