"""Two runs side by side: per label and per flow, percentiles and rates, with the change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

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
    """A plain-text table of :func:`compare`."""
    print(f"A: {names[0]}\nB: {names[1]}", file=out)
    print(f"{'section':<9} {'name':<46} {'field':<10} {'A':>11} {'B':>11} {'change':>8}", file=out)
    for line in _lines(compare(a, b)):
        print(line, file=out)


def _lines(rows: list[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        change = "-" if row["change"] is None else f"{row['change']:+.1%}"
        yield (
            f"{row['section']:<9} {row['name']:<46} {row['field']:<10} "
            f"{_num(row['a']):>11} {_num(row['b']):>11} {change:>8}"
        )


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"
