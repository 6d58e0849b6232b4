"""Figures declared once, as data, and the one function that prints them and checks their targets.

A benchmark suite measures raw values (a dict keyed by figure key); its figures say what each key
is called, its unit and, where the project promises something, its target. A ratio is a figure
too, derived from two others (``ratio("pycognito_ms", "critical_path_ms")``), so "30x faster than
pycognito" is one declaration, printed and checked in the same place as the figures it divides.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Check",
    "Figure",
    "Table",
    "Target",
    "at_least",
    "at_most",
    "below",
    "check_tables",
    "ratio",
    "report",
    "sum_of",
]

Values = Mapping[str, Any]
Derive = Callable[[Values], float]

_UNITS: dict[str, str] = {
    "ms": "{:.3f} ms",
    "s": "{:.1f} s",
    "/s": "{:.0f} /s",
    "x": "{:.2f}x",
    "count": "{:.0f}",
    "/login": "{:.1f} /login",
    "MiB": "{:.1f} MiB",
    "GiB": "{:.2f} GiB",
    "MiB/h": "{:+.1f} MiB/h",
    "B": "{:.0f} B",
    "%": "{:.1f} %",
    "us": "{:.1f} us",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A bound a figure must meet: ``op`` is ``<=``, ``>=`` or ``<``."""

    op: str
    value: float

    def met(self, value: float) -> bool:
        compare = {"<=": operator.le, ">=": operator.ge, "<": operator.lt}[self.op]
        return bool(compare(value, self.value)) and not math.isnan(value)

    def describe(self, unit: str) -> str:
        return f"{self.op} {self.value:g}{'x' if unit == 'x' else ' ' + unit}"


def at_most(value: float) -> Target:
    return Target(op="<=", value=value)


def at_least(value: float) -> Target:
    return Target(op=">=", value=value)


def below(value: float) -> Target:
    return Target(op="<", value=value)


def ratio(numerator: str, denominator: str) -> Derive:
    """A derived figure: one measured value over another."""

    def derive(values: Values) -> float:
        bottom = float(values[denominator])
        return float(values[numerator]) / bottom if bottom else math.inf

    return derive


def sum_of(*keys: str) -> Derive:
    """A derived figure: the sum of measured values (e.g. a floor: maths plus calls)."""
    return lambda values: sum(float(values[key]) for key in keys)


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """One figure: its JSON key, printed label, unit, an optional target and a short note.

    ``derive``, if given, computes the value from the suite's other values instead of
    reading it (ratios, floors).
    """

    key: str
    label: str
    unit: str
    target: Target | None = None
    note: str = ""
    derive: Derive | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """Figures printed together under one title."""

    title: str
    figures: Sequence[Figure]


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """A figure's value against its target."""

    key: str
    value: float
    target: str
    met: bool


def report(tables: Sequence[Table], values: dict[str, Any]) -> list[Check]:
    """Derive, print and check every figure of ``tables``; derived values are added to ``values``.

    Returns one :class:`Check` per figure with a target. A figure whose value is missing (a
    suite part that did not run, e.g. moto not installed) prints as such and checks nothing.
    """
    checks: list[Check] = []
    for table in tables:
        print(f"\n{table.title}")
        width = max(len(f.label) for f in table.figures)
        for figure in table.figures:
            if figure.derive is not None and _can_derive(figure, values):
                values[figure.key] = figure.derive(values)
            line, check = _line(figure, values.get(figure.key))
            print(f"  {figure.label:<{width}}  {line}")
            if check is not None:
                checks.append(check)
    return checks


def check_tables(checks: Sequence[Check]) -> dict[str, dict[str, Any]]:
    """The checks as JSON: ``{key: {"target": "<= 1.2x", "met": true}}``."""
    return {c.key: {"target": c.target, "met": c.met} for c in checks}


def _can_derive(figure: Figure, values: Values) -> bool:
    assert figure.derive is not None
    try:
        figure.derive(values)
    except (KeyError, TypeError, ValueError):
        return False
    return True


def _line(figure: Figure, value: Any) -> tuple[str, Check | None]:
    if value is None:
        return f"{'-':>14}  not measured", None
    text = _UNITS.get(figure.unit, "{} " + figure.unit).format(value)
    if figure.target is None:
        return f"{text:>14}  {figure.note}".rstrip(), None
    wanted = figure.target.describe(figure.unit)
    met = figure.target.met(float(value))
    verdict = "ok" if met else "MISSED"
    line = f"{text:>14}  {verdict:<6} target {wanted}" + (f"; {figure.note}" if figure.note else "")
    return line, Check(key=figure.key, value=float(value), target=wanted, met=met)
