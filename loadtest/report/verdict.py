"""The validity verdict in one line, for a terminal: what ``report.html``'s banner says.

A run whose latencies the generator distorted (client compute inside its logins, stock misses,
a late event loop, a saturated core) must say so where its user reads first, not only on a page
that may never be opened. The Locust hooks log it at the end of a run, ``report RUN_DIR`` and
``demo`` print it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .html import validity_flags

__all__ = ["Verdict", "verdict"]

#: The banner's words (``report.html.j2``), kept the same on the terminal.
TRUSTWORTHY = "latencies trustworthy"
UNTRUSTWORTHY = "latencies untrustworthy: the generator distorted its own timings"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """Whether the latencies can be trusted, whether anything was measured, the logins judged
    (``None`` in a summary before 1.3), the flags as (name, reason), and ``line``: all of it
    in one line."""

    trustworthy: bool
    measured: bool
    judged: int | None
    flags: list[tuple[str, str]]
    line: str


def verdict(summary: Mapping[str, Any]) -> Verdict:
    """The verdict of a ``summary.json``'s validity section (any version the page reads)."""
    validity: Mapping[str, Any] = summary.get("validity") or {}
    judged = (validity.get("judged") or {}).get("logins")
    flags = validity_flags(validity)
    if validity.get("trustworthy"):
        count = "" if judged is None else f" ({judged} logins judged)"
        return Verdict(
            trustworthy=True, measured=True, judged=judged, flags=flags, line=TRUSTWORTHY + count
        )
    reasons = "; ".join(f"{name}: {reason}" for name, reason in flags)
    if judged == 0:
        why = next((r for n, r in flags if n == "no_logins"), "no login completed")
        line = f"nothing measured: {why}"
        return Verdict(trustworthy=False, measured=False, judged=0, flags=flags, line=line)
    line = f"{UNTRUSTWORTHY}: {reasons or '?'}"
    return Verdict(trustworthy=False, measured=True, judged=judged, flags=flags, line=line)
