"""Compressed events: gzip segments round-trip, rotate by size, and a killed run's segments
still regenerate its report (``report RUN_DIR`` reads plain and compressed alike)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import jsonschema

from loadtest.report import schema
from loadtest.report.events import EventLog, event_files, run_events
from loadtest.report.redact import Redactor
from loadtest.report.segments import GzipSegments, read_gzip_lines, segment_name

from .test_summary import handle_args, login, write_run


def lines(n: int) -> list[str]:
    return [json.dumps({"event": "e", "i": i, "pad": "x" * (i % 50)}) + "\n" for i in range(n)]


def test_blocks_round_trip_and_rotate_into_numbered_segments(tmp_path: Path) -> None:
    ticks = iter(range(10_000))
    sink = GzipSegments(
        tmp_path, "worker-1", block_bytes=2_000, segment_bytes=3_000, clock=lambda: next(ticks)
    )
    written = lines(500)
    for line in written:
        sink.write(line)
        sink.flush()
    sink.close()
    segments = sorted(tmp_path.glob("events-worker-1-*.jsonl.gz"))
    assert len(segments) > 2
    assert segments[0].name == segment_name("worker-1", 0) == "events-worker-1-0000.jsonl.gz"
    assert [line for s in segments for line in read_gzip_lines(s)] == written


def test_a_block_waits_for_size_or_age(tmp_path: Path) -> None:
    now = [0.0]
    sink = GzipSegments(tmp_path, "local", block_bytes=10_000, block_s=2.0, clock=lambda: now[0])
    sink.write(lines(1)[0])
    sink.flush()
    assert sink.path.stat().st_size == 0  # neither big nor old enough: still buffered
    now[0] = 2.5
    sink.write(lines(2)[1])
    sink.flush()
    assert list(read_gzip_lines(sink.path)) == lines(2)
    sink.close()


def test_a_compressed_event_log_is_redacted_and_read_back(tmp_path: Path) -> None:
    log = EventLog(
        tmp_path, Redactor(["hunter2-secret"]), fields={"process": "local"}, compress=True
    )
    try:
        log.emit("login", flow="login:srp", note="pw hunter2-secret", password="x")
    finally:
        log.close()
    assert [p.name for p in event_files(tmp_path)] == ["events-local-0000.jsonl.gz"]
    (event,) = run_events(tmp_path)
    assert event["note"] == "pw [redacted]"
    assert event["password"] == "[redacted]"


KILLED_WRITER = """
import sys
from pathlib import Path
import loadtest.report.segments as segments
segments.BLOCK_BYTES = 1  # every line its own member, so what was logged is on disk
from loadtest.report import RunReport
sys.path.insert(0, sys.argv[2])
from tests.report.test_summary import login
report = RunReport(Path(sys.argv[1]), run={"run_id": "killed"}, process="local", compress=True)
for ms in (5, 6, 7):
    report.login({k: v for k, v in login(ms).items() if k != "event"})
print("logged", flush=True)
sys.stdin.read()
"""


def test_a_killed_compressed_run_regenerates(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    root = str(Path(__file__).resolve().parents[2])
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(run_dir), root],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    assert child.stdout.readline() == "logged\n"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdin.close()
    child.stdout.close()
    (segment,) = run_dir.glob("events-*.jsonl.gz")
    with segment.open("ab") as handle:  # and a member the kill cut short
        handle.write(segment.read_bytes()[:40])
    assert handle_args(str(run_dir)) == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    jsonschema.validate(summary, schema())
    assert summary["flows"]["login:srp"]["count"] == 3


def test_plain_and_compressed_events_of_one_folder_are_read_together(tmp_path: Path) -> None:
    write_run(tmp_path, [5, 6])
    log = EventLog(tmp_path, Redactor(), fields={"process": "worker-0"}, compress=True)
    try:
        log.emit("login", **{k: v for k, v in login(9).items() if k != "event"})
    finally:
        log.close()
    (tmp_path / "summary.json").unlink()
    assert handle_args(str(tmp_path)) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["flows"]["login:srp"]["count"] == 3
