"""What a probe leaves behind: the events file as it goes, the summary and the table at the end.

- ``lockout-events.jsonl``: one JSON object per line, appended and flushed as things happen
  (``run_started``, ``attempt``, ``lock`` once its end is seen, ``user_done``,
  ``run_finished``), so a killed probe keeps everything it measured;
- ``lockout-summary.json``: per user, every lock measured against the model, the verdicts and
  the differences stated in words; and the run's verdict;
- a table on stdout.

Nothing secret is written: which password was sent is recorded as ``wrong``/``correct`` only.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from loadtest.report.tables import Note, Table

from .inference import LockMeasure, Verdict
from .model import LockoutModel
from .records import Attempt

__all__ = [
    "EVENTS_FILE",
    "SUMMARY_FILE",
    "EventLog",
    "overall_verdict",
    "print_table",
    "user_summary",
    "user_verdict",
    "write_summary",
]

EVENTS_FILE = "lockout-events.jsonl"
SUMMARY_FILE = "lockout-summary.json"
_DIFFERENT = frozenset({Verdict.LONGER, Verdict.SHORTER})


class EventLog:
    """Appends events to a JSON-lines file, flushed one by one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def write(self, event: dict[str, Any], *, t: float | None = None) -> None:
        """Append one event, stamped with UTC wall time (and the probe clock ``t``)."""
        stamped = {"ts": datetime.now(UTC).isoformat(timespec="microseconds"), **event}
        if t is not None:
            stamped["t"] = round(t, 6)
        self._file.write(json.dumps(stamped, separators=(",", ":")) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def user_verdict(locks: Sequence[LockMeasure], *, unexplained: bool = False) -> Verdict:
    """``longer``/``shorter`` if any lock differs (the first difference), else ``match`` if
    some lock was measured, else ``inconclusive``; ``inconclusive`` too when the probe was
    stopped by an answer the model cannot explain (``unexplained``): the locks it did not reach
    are not known to match."""
    for lock in locks:
        if lock.verdict in _DIFFERENT:
            return lock.verdict
    if unexplained or any(lock.verdict is Verdict.INCONCLUSIVE for lock in locks):
        return Verdict.INCONCLUSIVE
    if any(lock.verdict is Verdict.MATCH and lock.expected for lock in locks):
        return Verdict.MATCH
    return Verdict.INCONCLUSIVE


def user_summary(
    user: str,
    attempts: Sequence[Attempt],
    locks: Sequence[LockMeasure],
    model: LockoutModel,
    *,
    done_reason: str,
    unexplained: bool = False,
) -> dict[str, Any]:
    """One user's part of the summary (``unexplained``: see :func:`user_verdict`)."""
    verdict = user_verdict(locks, unexplained=unexplained)
    return {
        "user": user,
        "verdict": "differs" if verdict in _DIFFERENT else verdict.value,
        "done": done_reason,
        "attempts": len(attempts),
        "outcomes": dict(Counter(a.outcome.value for a in attempts)),
        "differences": [lock.statement() for lock in locks if lock.verdict in _DIFFERENT],
        "locks": [_row(lock, model) for lock in locks],
    }


def _row(lock: LockMeasure, model: LockoutModel) -> dict[str, Any]:
    row = lock.to_json(model)
    del row["event"], row["user"]
    return row


def overall_verdict(users: Iterable[dict[str, Any]]) -> str:
    """``differs`` if any user differs, ``match`` if all match, else ``inconclusive``."""
    verdicts = {user["verdict"] for user in users}
    if "differs" in verdicts:
        return "differs"
    if verdicts == {"match"}:
        return "match"
    return "inconclusive"


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Write the summary atomically (a partial file never replaces a good one)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def print_table(summary: dict[str, Any], out: IO[str]) -> None:
    """The per-lock table: model vs measured, real seconds, with each verdict."""
    run = summary["run"]
    print(f"lockout probe: {run['model']['description']}; method {run['method']}", file=out)
    head = ("user", "phase", "fail", "model s", "expected", "measured", "± s", "polls", "verdict")
    for line in Table.of(head, _table_rows(summary["users"]), text=(0, 1, 8)).lines():
        print(line, file=out)
    print(f"verdict: {summary['verdict']}", file=out)


def _table_rows(users: list[dict[str, Any]]) -> Iterator[list[Any] | Note]:
    """Each user's locks, then the user's verdict and differences as notes under them."""
    for user in users:
        yield from (_table_row(user["user"], row) for row in user["locks"])
        yield Note(f"{user['user']} -> {user['verdict']} ({user['done']})")
        yield from (Note(f"    {difference}") for difference in user["differences"])


def _table_row(user: str, row: dict[str, Any]) -> list[Any]:
    measured, error_bar = _num(row["measured_s"]), _num(row["error_bar_s"])
    if row["high_s"] is None:
        measured = f">={row['low_s']:.4g}"
    elif not row["polls"]:  # never refused: lifted (if ever on) within the bracket's top
        measured, error_bar = f"<={row['high_s']:.4g}", "-"
    verdict = row["verdict"]
    if verdict == "match" and row["expected_s"] and not row["seen"]:
        verdict += " (not seen: below resolution)"
    if row["off_by_s"]:
        verdict += f" by {row['off_by_s']:.4g} s"
    model, expected = f"{row['expected_model_s']:.4g}", f"{row['expected_s']:.4g}"
    return [user, row["phase"], row["failure"], model, expected, measured, error_bar,
            row["polls"], verdict]  # fmt: skip


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
