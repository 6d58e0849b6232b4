"""Two runs side by side: per label and per flow, percentiles and rates, with the change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from .summary import unfinished
from .tables import Table
from .verdict import verdict

__all__ = ["compare", "print_comparison"]

_FIELDS = ("count", "rate_per_s", "p50", "p90", "p99", "p99_9", "max")


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows ``{section, name, field, a, b, change}``; change is relative (b/a - 1)."""
    rows = []
    for section in ("flows", "requests"):
        names = sorted(set(a.get(section, {})) | set(b.get(section, {})))
        for name in names:
            left, right = a[section].get(name, {}), b[section].get(name, {})
            for field in _FIELDS:
                rows.append(_row(section, name, field, left.get(field), right.get(field)))
    rows.append(_row("throttles", "all", "rate", _throttle(a), _throttle(b)))
    return rows


def _throttle(summary: dict[str, Any]) -> float | None:
    value = summary.get("throttles", {}).get("rate")
    return float(value) if value is not None else None


def _row(section: str, name: str, field: str, a: Any, b: Any) -> dict[str, Any]:
    change = None
    if isinstance(a, int | float) and isinstance(b, int | float) and a:
        change = b / a - 1
    return {"section": section, "name": name, "field": field, "a": a, "b": b, "change": change}


def print_comparison(
    a: dict[str, Any], b: dict[str, Any], out: IO[str], *, names: tuple[str, str]
) -> None:
    """A plain-text table of :func:`compare`, under each run's validity verdict: a change
    between runs whose generator distorted its own timings may be the generator's."""
    said = [verdict(a), verdict(b)]
    for letter, name, run in zip("AB", names, said, strict=True):
        print(f"{letter}: {name}: {run.line}", file=out)
    distorted = [letter for letter, run in zip("AB", said, strict=True) if not run.trustworthy]
    if distorted:
        which = " and ".join(distorted)
        print(
            f"note: the latencies of {which} are not trustworthy (above): a change between "
            "the runs may be the generator's, not the pool's",
            file=out,
        )
    for letter, summary in zip("AB", (a, b), strict=True):
        cut_short = unfinished(summary)
        if cut_short:
            print(f"note: {letter}: {cut_short}", file=out)
    head = ("section", "name", "field", "A", "B", "change")
    for line in Table.of(head, _cells(compare(a, b)), text=(0, 1, 2)).lines():
        print(line, file=out)


def _cells(rows: list[dict[str, Any]]) -> Iterator[list[str]]:
    for row in rows:
        change = "-" if row["change"] is None else f"{row['change']:+.1%}"
        yield [row["section"], row["name"], row["field"], _num(row["a"]), _num(row["b"]), change]


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"
