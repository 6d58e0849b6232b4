"""Small helpers to time alternatives fairly on a shared, noisy machine, and to write figures."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .figures import Table, check_tables, report

__all__ = ["finish", "interleaved_ms", "missed", "write_json"]


def interleaved_ms(
    cases: Mapping[str, Callable[[], object]], *, rounds: int, per_round: int
) -> dict[str, float]:
    """Median milliseconds per call of each case, measured in alternating rounds.

    Alternating the cases round by round spreads any background noise over all of them, so the
    ratios between them stay meaningful even when absolute figures wobble.
    """
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            start = time.perf_counter()
            for _ in range(per_round):
                fn()
            samples[name].append((time.perf_counter() - start) * 1000 / per_round)
    return {name: statistics.median(values) for name, values in samples.items()}


def write_json(path: Path, data: Mapping[str, object]) -> None:
    """Write figures as pretty JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def finish(tables: Sequence[Table], values: dict[str, Any], out: Path) -> dict[str, Any]:
    """Print and check the suite's figures, write them with their verdicts to ``out``.

    Returns what was written: the measured and derived values, and under ``targets`` each
    checked figure's target and whether it was met.
    """
    checks = report(tables, values)
    written = {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()}
    written["targets"] = check_tables(checks)
    write_json(out, written)
    return written


def missed(written: Mapping[str, Any]) -> list[str]:
    """The keys of the figures that missed their targets in a suite's written figures."""
    return [key for key, check in written.get("targets", {}).items() if not check["met"]]
