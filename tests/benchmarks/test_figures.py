"""The benchmarks' one report function: derives ratios, prints every figure, checks targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks._timing import finish, missed
from benchmarks.figures import Figure, Table, at_least, at_most, below, ratio, report, sum_of

TABLES = (
    Table(
        title="t",
        figures=(
            Figure(key="ours_ms", label="ours", unit="ms"),
            Figure(key="theirs_ms", label="theirs", unit="ms"),
            Figure(key="lag_ms", label="lag", unit="ms", target=below(2.0)),
            Figure(key="floor_ms", label="floor", unit="ms", derive=sum_of("ours_ms", "lag_ms")),
            Figure(key="speedup", label="speed-up", unit="x", target=at_least(30),
                   derive=ratio("theirs_ms", "ours_ms")),
            Figure(key="absent_ms", label="not run", unit="ms", target=at_most(1)),
        ),
    ),
)  # fmt: skip


def test_a_ratio_is_derived_printed_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    values = {"ours_ms": 2.0, "theirs_ms": 50.0, "lag_ms": 2.5}
    checks = {c.key: c for c in report(TABLES, values)}
    assert values["speedup"] == 25.0
    assert values["floor_ms"] == 4.5
    assert not checks["speedup"].met
    assert checks["speedup"].target == ">= 30x"
    assert not checks["lag_ms"].met  # 2.5 is not below 2
    assert "absent_ms" not in checks  # a figure not measured checks nothing
    out = capsys.readouterr().out
    assert "25.00x  MISSED target >= 30x" in out
    assert "not measured" in out


def test_met_targets_and_the_written_verdicts(tmp_path: Path) -> None:
    values = {"ours_ms": 1.0, "theirs_ms": 40.0, "lag_ms": 0.5}
    written = finish(TABLES, values, tmp_path / "suite.json")
    assert missed(written) == []
    on_disk = json.loads((tmp_path / "suite.json").read_text())
    assert on_disk["targets"]["speedup"] == {"met": True, "target": ">= 30x"}
    assert on_disk["speedup"] == 40.0
    values["lag_ms"] = float("nan")
    assert missed(finish(TABLES, values, tmp_path / "suite.json")) == ["lag_ms"]
