"""Small helpers to time alternatives fairly on a shared, noisy machine."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["interleaved_ms", "print_table", "write_json"]


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


def print_table(title: str, rows: list[tuple[str, str, str]]) -> None:
    """Print a three-column table: what, figure, comment."""
    print(f"\n{title}")
    width = max(len(r[0]) for r in rows)
    for name, figure, note in rows:
        print(f"  {name:<{width}}  {figure:>14}  {note}")


def write_json(path: Path, data: Mapping[str, object]) -> None:
    """Write figures as pretty JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
