"""The validity verdict in one line, for a terminal: what ``report.html``'s banner says.

A run whose latencies the generator distorted (client compute inside its logins, stock misses,
a late event loop, a saturated core) must say so where its user reads first, not only on a page
that may never be opened. The Locust hooks log it at the end of a run, ``report RUN_DIR`` and
``demo`` print it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .html import validity_flags

__all__ = ["Verdict", "verdict"]

#: The banner's words (``report.html.j2``), kept the same on the terminal.
TRUSTWORTHY = "latencies trustworthy"
UNTRUSTWORTHY = "latencies untrustworthy: the generator distorted its own timings"


class Verdict:
    """``trustworthy``, and ``line``: the verdict and its reasons in one line."""

    __slots__ = ("line", "measured", "trustworthy")

    def __init__(self, *, trustworthy: bool, measured: bool, line: str) -> None:
        self.trustworthy, self.measured, self.line = trustworthy, measured, line


def verdict(summary: Mapping[str, Any]) -> Verdict:
    """The verdict of a ``summary.json``'s validity section (any version the page reads)."""
    validity: Mapping[str, Any] = summary.get("validity") or {}
    judged = (validity.get("judged") or {}).get("logins")
    flags = validity_flags(validity)
    if validity.get("trustworthy"):
        count = "" if judged is None else f" ({judged} logins judged)"
        return Verdict(trustworthy=True, measured=True, line=TRUSTWORTHY + count)
    reasons = "; ".join(f"{name}: {reason}" for name, reason in flags)
    if judged == 0:
        why = next((r for n, r in flags if n == "no_logins"), "no login completed")
        return Verdict(trustworthy=False, measured=False, line=f"nothing measured: {why}")
    return Verdict(trustworthy=False, measured=True, line=f"{UNTRUSTWORTHY}: {reasons or '?'}")
