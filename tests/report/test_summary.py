"""Histograms merge exactly; the summary validates against its schema; a run folder's events
regenerate it; two runs compare."""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.report import (
    SCHEMA_VERSION,
    Aggregate,
    RunReport,
    build_summary,
    decode,
    fold_in_lockout_probe,
    schema,
    summary_from_events,
    unfinished,
)
from loadtest.report.cli import handle
from loadtest.report.compare import compare
from loadtest.report.histograms import PERCENTILES, new_histogram, to_us

LABEL = "RespondToAuthChallenge:PASSWORD_VERIFIER"


def login(ms: float, outcome: str = "ok", error: str | None = None) -> dict[str, Any]:
    steps = [
        {"label": "InitiateAuth:USER_SRP_AUTH", "outcome": "ok", "ms": ms / 3, "error_type": None},
        {"compute": "PASSWORD_VERIFIER", "ms": 1.5},
        {"label": LABEL, "outcome": outcome, "ms": ms / 2, "error_type": error},
    ]
    return {
        "event": "login",
        "flow": "login:srp",
        "outcome": outcome,
        "error_type": error,
        "total_ms": ms,
        "server_ms": ms / 3 + ms / 2,
        "compute_ms": 1.5,
        "steps": steps,
    }


@settings(deadline=None)  # up to 300 histogram records and merges: no timing asserted
@given(
    values=st.lists(st.floats(0.001, 600_000, allow_nan=False), min_size=1, max_size=300),
    workers=st.integers(1, 5),
    seed=st.integers(0, 2**32),
)
def test_merged_worker_snapshots_equal_one_histogram_of_all_values(
    values: list[float], workers: int, seed: int
) -> None:
    """As the master merges shipped snapshots: same counts, percentiles and max."""
    single = new_histogram()
    parts = [Aggregate() for _ in range(workers)]
    rng = random.Random(seed)
    for ms in values:
        single.record_value(to_us(ms))
        parts[rng.randrange(workers)].add_login(login(ms))
    master = Aggregate()
    for part in parts:  # each ships its snapshot twice over the run: a delta, then the rest
        master.merge(json.loads(json.dumps(part.take())))
    merged = master.histograms["flows"].by_name["login:srp"]
    assert merged.get_total_count() == single.get_total_count() == len(values)
    for _key, pct in PERCENTILES:
        assert merged.get_value_at_percentile(pct) == single.get_value_at_percentile(pct)
    assert merged.get_max_value() == single.get_max_value()
    assert decode(merged.encode().decode()).get_total_count() == len(values)


def test_three_significant_digits() -> None:
    aggregate = Aggregate()
    aggregate.add_login(login(1234.5))
    row = build_summary(aggregate, _run(), source="live")["flows"]["login:srp"]
    assert abs(row["max"] - 1234.5) / 1234.5 < 1e-3


def _run() -> dict[str, Any]:
    return {"run_id": "r", "target": {}, "configuration": {}, "versions": {}, "git_revision": None}


def test_counts_throttles_by_quota_category_and_errors_by_type() -> None:
    aggregate = Aggregate()
    aggregate.add_login(login(10))
    aggregate.add_login(login(10, "throttled", "TooManyRequestsException"))
    aggregate.add_login(login(10, "locked_out", "NotAuthorizedException"))
    summary = build_summary(aggregate, _run(), source="live")
    jsonschema.validate(summary, schema())
    assert summary["throttles"]["by_category"] == {"UserAuthentication": 1}
    assert summary["errors"] == {"TooManyRequestsException": 1, "NotAuthorizedException": 1}
    assert summary["lockouts"] == {"total": 1, "by_flow": {"login:srp": 1}}
    assert summary["requests"][LABEL]["outcomes"] == {"ok": 1, "throttled": 1, "locked_out": 1}
    assert summary["requests"][LABEL]["quota_category"] == "UserAuthentication"
    assert summary["client_compute"]["login:srp"]["p50"] == 1.5


def test_the_timeline_counts_logins_and_throttles_per_second() -> None:
    aggregate = Aggregate()
    for t, outcome in ((100.2, "ok"), (100.9, "ok"), (102.5, "throttled")):
        error = None if outcome == "ok" else "TooManyRequestsException"
        aggregate.add_login(login(10, outcome, error) | {"t": t})
    merged = Aggregate()
    merged.merge(json.loads(json.dumps(aggregate.snapshot())))
    timeline = build_summary(merged, _run(), source="live")["timeline"]
    assert timeline["start"] == 100
    assert timeline["rows"] == [
        {"t": 0, "ok": 2, "throttled_calls": 0},
        {"t": 2, "throttled": 1, "throttled_calls": 1},
    ]


def test_the_quota_view_puts_challenge_responses_apart() -> None:
    aggregate = Aggregate()
    for t in (0.0, 2.0):
        aggregate.add_login(login(10) | {"t": t})
    quotas = build_summary(aggregate, _run(), source="live")["quotas"]
    assert quotas["UserAuthentication"] == {
        "calls": 2, "rate_per_s": 1.0, "quota_rps": 120.0, "share_of_quota": round(1 / 120, 4)
    }  # fmt: skip
    assert quotas["UserAuthentication:challenges"]["quota_rps"] == 360.0


def write_run(run_dir: Path, values: list[float], *, cpu: bool = True) -> dict[str, Any]:
    """A run as a process writes it (events.jsonl, summary.json); returns the live summary.
    ``cpu=False`` leaves out the process's validity event, whose CPU share is this test
    process's own (a busy test machine may flag it)."""
    report = RunReport(run_dir, run=_run() | {"run_id": run_dir.name}, process="local")
    try:
        for ms in values:
            report.login({k: v for k, v in login(ms).items() if k != "event"})
        if cpu:
            report.validity(None)
        report.write_summary()
    finally:
        report.close()
    loaded: dict[str, Any] = json.loads((run_dir / "summary.json").read_text())
    return loaded


def test_a_live_summary_validates_and_events_regenerate_the_same_figures(tmp_path: Path) -> None:
    live = write_run(tmp_path / "run", [5, 7, 9, 100])
    jsonschema.validate(live, schema())
    assert live["schema_version"] == SCHEMA_VERSION
    again = summary_from_events(tmp_path / "run")
    jsonschema.validate(again, schema())
    assert again["source"] == "events.jsonl"
    for section in ("flows", "requests", "server_time", "client_compute"):
        assert without_rates(again[section]) == without_rates(live[section])


def without_rates(rows: dict[str, Any]) -> dict[str, Any]:
    """Rows less their rates (the live and the regenerated run span differ by microseconds)."""
    return {name: {k: v for k, v in row.items() if k != "rate_per_s"} for name, row in rows.items()}


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    write_run(tmp_path, [5, 6])
    with (tmp_path / "events.jsonl").open("a") as handle:
        handle.write('{"event":"login","flow":"login:srp","tot')
    (tmp_path / "summary.json").unlink()
    assert handle_args(str(tmp_path)) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    jsonschema.validate(summary, schema())
    assert summary["flows"]["login:srp"]["count"] == 2


def cut_short(run_dir: Path) -> None:
    """Make a written run look killed: its events lose their last line, ``run_finished``."""
    path = run_dir / "events.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    assert '"event":"run_finished"' in lines[-1]
    path.write_text("".join(lines[:-1]))
    (run_dir / "summary.json").unlink()


def test_a_run_whose_events_never_end_says_it_did_not_finish(tmp_path: Path, capsys: Any) -> None:
    """A killed run's summary is right for what it measured, but covers less than was asked:
    ``report`` says so under the verdict, ``report.html`` in a banner, ``--compare`` in a note.
    A run that ended says nothing of the kind."""
    write_run(tmp_path / "whole", [5, 6], cpu=False)  # the test process's CPU is no matter
    write_run(tmp_path / "killed", [5, 6], cpu=False)
    cut_short(tmp_path / "killed")
    assert handle_args(str(tmp_path / "whole")) == 0
    assert "note:" not in capsys.readouterr().out
    assert "Unfinished run" not in (tmp_path / "whole" / "report.html").read_text()
    assert summary_from_events(tmp_path / "whole")["run"]["unfinished"] == []

    assert handle_args(str(tmp_path / "killed")) == 0
    lines = capsys.readouterr().out.splitlines()
    summary = json.loads((tmp_path / "killed" / "summary.json").read_text())
    jsonschema.validate(summary, schema())
    assert summary["run"]["unfinished"] == ["local"]
    assert summary["flows"]["login:srp"]["count"] == 2  # what it measured is all there
    assert lines[1] == "latencies trustworthy (2 logins judged)"
    assert lines[2].startswith("note: the run did not finish: no end recorded by process local")
    assert "(killed, crashed, or still running)" in lines[2]
    assert lines[0] == str(tmp_path / "killed" / "summary.json")
    assert lines[-1] == f"the report: {tmp_path / 'killed' / 'report.html'}"
    page = (tmp_path / "killed" / "report.html").read_text()
    assert "<b>Unfinished run.</b> The run did not finish: no end recorded by process local" in page

    assert handle_args(None, [str(tmp_path / "whole"), str(tmp_path / "killed")]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert notes == [f"note: B: {lines[2].removeprefix('note: ')}"]


def test_an_unfinished_run_names_the_time_it_was_asked_to_run() -> None:
    run = {"unfinished": ["worker-1"], "duration_s": 12.5, "configuration": {"run_time": 60}}
    assert unfinished({"run": run}) == (
        "the run did not finish: no end recorded by process worker-1 (killed, crashed, or "
        "still running); its figures cover 12.5 s of the 60 s asked"
    )
    assert unfinished({"run": run | {"configuration": {}}}).endswith("cover 12.5 s")
    assert unfinished({"run": run | {"duration_s": None}}).endswith(
        "still running); it recorded no figures"
    )
    assert unfinished({"run": run | {"unfinished": []}}) is None
    assert unfinished({"run": {}}) is None  # a live summary, or one from before 1.7


def test_the_lockout_probe_summary_is_folded_in(tmp_path: Path) -> None:
    probe = {"verdict": "match", "users": [], "run": {"method": "srp"}}
    (tmp_path / "lockout-summary.json").write_text(json.dumps(probe))
    write_run(tmp_path, [5])
    summary = summary_from_events(tmp_path)
    jsonschema.validate(summary, schema())
    assert summary["lockout_probe"] == probe | {"attempts": [], "attempts_truncated": False}


def test_a_probe_that_ran_after_the_load_run_is_folded_into_its_summary(tmp_path: Path) -> None:
    live = write_run(tmp_path, [5, 6])
    probe = {"verdict": "differs", "users": [], "run": {"method": "srp"}}
    (tmp_path / "lockout-summary.json").write_text(json.dumps(probe))
    path = fold_in_lockout_probe(tmp_path)
    summary = json.loads(path.read_text())
    jsonschema.validate(summary, schema())
    assert summary["lockout_probe"] == probe | {"attempts": [], "attempts_truncated": False}
    assert summary["flows"] == live["flows"]
    assert "Lockout probe: differs" in (tmp_path / "report.html").read_text()


def handle_args(run_dir: str | None, compare_dirs: list[str] | None = None) -> int:
    args = argparse.Namespace(
        run_dir=Path(run_dir) if run_dir else None,
        compare=[Path(p) for p in compare_dirs] if compare_dirs else None,
    )
    return handle(args)


def test_compare_shows_the_change(tmp_path: Path, capsys: Any) -> None:
    a = write_run(tmp_path / "a", [10, 10, 10])
    b = write_run(tmp_path / "b", [20, 20, 20])
    rows = {(r["section"], r["name"], r["field"]): r for r in compare(a, b)}
    p50 = rows[("flows", "login:srp", "p50")]
    assert abs(p50["change"] - 1.0) < 1e-2
    assert handle_args(None, [str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "login:srp" in out
    assert "+100" in out


def test_compare_says_which_run_the_generator_distorted(tmp_path: Path, capsys: Any) -> None:
    """A change between two runs may be the generator's: each run's verdict heads the table,
    and a run that cannot be trusted is named in a note."""
    a = write_run(tmp_path / "a", [10, 10, 10], cpu=False)
    b = write_run(tmp_path / "b", [2, 2, 2], cpu=False)  # 1.5 ms of client maths in 2 ms
    assert a["validity"]["trustworthy"]
    assert not b["validity"]["trustworthy"]
    assert handle_args(None, [str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"A: {tmp_path / 'a'}: latencies trustworthy (3 logins judged)"
    assert lines[1].startswith(f"B: {tmp_path / 'b'}: latencies untrustworthy: ")
    assert "client_compute_share: " in lines[1]
    assert lines[2].startswith("note: the latencies of B are not trustworthy (above)")
    assert handle_args(None, [str(tmp_path / "a"), str(tmp_path / "a")]) == 0
    assert not [line for line in capsys.readouterr().out.splitlines() if "note:" in line]


def test_compare_into_a_closed_pipe_stops_without_a_traceback(tmp_path: Path) -> None:
    """``report --compare A B | head -1``: the reader goes away before the table is written.
    The command stops quietly (SIGPIPE's exit status, as a Unix tool), not with a traceback."""
    write_run(tmp_path / "a", [10, 10, 10])
    write_run(tmp_path / "b", [20, 20, 20])
    read, write = os.pipe()
    os.close(read)  # no reader at all: the first write fails, whatever the pipe's buffer
    try:
        done = subprocess.run(
            [sys.executable, "-m", "loadtest.cli", "report", "--compare",
             str(tmp_path / "a"), str(tmp_path / "b")],
            stdout=write, stderr=subprocess.PIPE, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(write)
    assert done.returncode == 128 + signal.SIGPIPE
    assert done.stderr == ""


def test_report_without_events_is_an_error(tmp_path: Path) -> None:
    assert handle_args(str(tmp_path)) == 2
    assert handle_args(None) == 2
    assert handle_args(None, [str(tmp_path), str(tmp_path)]) == 2


def test_compare_prints_to_a_stream() -> None:
    from loadtest.report.compare import print_comparison

    out = io.StringIO()
    summary = {"flows": {}, "requests": {}, "throttles": {"rate": 0.0}}
    print_comparison(summary, summary, out, names=("a", "b"))
    assert "throttles" in out.getvalue()
