"""Text forms every command line shares: durations (``90``, ``30s``, ``250ms``, ``5m``,
``1h30m``), ``CATEGORY=RPS`` quota rates and counts (users, processes, attempts).

One parser each, so that ``run -t``, a pool fault's ``latency:50ms``, an open-model stage's
``20:1m`` and every ``--quota`` read the same text the same way. A value that does not parse
raises :class:`BadValue` with one line naming the input and the form expected; it is both a
``ValueError`` and argparse's ``ArgumentTypeError``, so a parser given ``type=parse_duration``
prints that line as it is.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

from .quotas import QuotaCategory

__all__ = ["BadValue", "count_at_least", "parse_duration", "parse_quota", "parse_quota_limit"]

_NUMBER = r"\d+(?:\.\d+)?"
_DURATION = re.compile(
    rf"(?:(?P<h>{_NUMBER})h)?(?:(?P<m>{_NUMBER})m(?!s))?(?:(?P<s>{_NUMBER})s)?(?:(?P<ms>{_NUMBER})ms)?"
)
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_OFF = frozenset({"off", "none", "unlimited"})


class BadValue(ValueError, argparse.ArgumentTypeError):
    """A command-line value that does not parse; the message says what was expected."""


def parse_duration(text: str) -> float:
    """Seconds of ``90``, ``1.5``, ``30s``, ``250ms``, ``5m``, ``1h30m`` (units in that order)."""
    cleaned = text.strip().lower()
    if re.fullmatch(_NUMBER, cleaned):
        return float(cleaned)
    match = _DURATION.fullmatch(cleaned)
    if not cleaned or match is None:
        raise BadValue(f"not a duration: {text!r} (e.g. 90, 30s, 250ms, 5m, 1h30m)")
    return sum(float(v) * _UNIT_SECONDS[unit] for unit, v in match.groupdict().items() if v)


def count_at_least(minimum: int) -> Callable[[str], int]:
    """A parser of whole numbers no smaller than ``minimum`` (``type=count_at_least(1)``): a
    count of users, processes or attempts below it means nothing, and a negative one used to
    slip through as a slice or a loop that never ends (``lockout-probe --count -78`` probed
    the first 2 of 80 identities)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise BadValue(f"expected a whole number of at least {minimum}, got {text!r}")
        return value

    return parse


def _category(name: str, text: str) -> QuotaCategory:
    wanted = name.strip().lower()
    for category in QuotaCategory:
        if category.value.lower() == wanted:
            return category
    names = ", ".join(c.value for c in QuotaCategory)
    raise BadValue(
        f"unknown quota category {name.strip()!r} in {text!r} "
        f"(use CATEGORY=RPS with one of {names})"
    )


def _split(text: str) -> tuple[QuotaCategory, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise BadValue(f"not a quota: {text!r} (use CATEGORY=RPS, e.g. UserAuthentication=200)")
    return _category(name, text), value.strip()


def _rate(value: str, text: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and rate > 0):
        raise BadValue(f"not a quota: {text!r} (the rate must be a number above 0)")
    return rate


def parse_quota(text: str) -> tuple[QuotaCategory, float]:
    """``UserAuthentication=200`` as (category, requests per second); names in any case."""
    category, value = _split(text)
    return category, _rate(value, text)


def parse_quota_limit(text: str) -> tuple[QuotaCategory, float | None]:
    """Like :func:`parse_quota`, and ``CATEGORY=off`` (or none, unlimited) gives ``None``."""
    category, value = _split(text)
    if value.lower() in _OFF:
        return category, None
    return category, _rate(value, text)
