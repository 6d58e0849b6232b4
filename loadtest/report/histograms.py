"""HDR histograms keyed by name, in microseconds, encoded losslessly for storage and shipping.

Values are recorded as integer microseconds from 0 to one hour with 3 significant digits, so
a 1.234 ms latency and a 12.34 s one are both kept to 0.1 %. ``encode`` gives HdrHistogram's
standard compressed base64 form, which any HdrHistogram library decodes and which merges
exactly: the sum of the workers' histograms is the histogram of all their values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hdrh.histogram import HdrHistogram

__all__ = [
    "HIGHEST_US",
    "PERCENTILES",
    "SIGNIFICANT_DIGITS",
    "HistogramSet",
    "decode",
    "new_histogram",
    "stats",
]

SIGNIFICANT_DIGITS = 3
HIGHEST_US = 3_600_000_000
#: Percentiles every report shows, by their key in summary.json.
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99_9", 99.9))


def new_histogram() -> HdrHistogram:
    """An empty histogram: 0 to 1 h in microseconds, 3 significant digits."""
    return HdrHistogram(1, HIGHEST_US, SIGNIFICANT_DIGITS)


def decode(encoded: str) -> HdrHistogram:
    """A histogram from its base64 encoding."""
    return HdrHistogram.decode(encoded.encode("ascii"))


def to_us(ms: float) -> int:
    """Milliseconds as whole microseconds within the histogram's range."""
    return min(max(round(ms * 1000), 0), HIGHEST_US)


def stats(histogram: HdrHistogram) -> dict[str, Any]:
    """Count, percentiles, max and mean in milliseconds, and the encoded histogram."""
    count = histogram.get_total_count()
    row: dict[str, Any] = {"count": count}
    for key, pct in PERCENTILES:
        row[key] = histogram.get_value_at_percentile(pct) / 1000 if count else None
    row["max"] = histogram.get_max_value() / 1000 if count else None
    row["mean"] = round(histogram.get_mean_value() / 1000, 3) if count else None
    row["histogram"] = histogram.encode().decode("ascii")
    return row


class HistogramSet:
    """Histograms by name (request label, flow, ...), created on first use."""

    def __init__(self) -> None:
        self.by_name: dict[str, HdrHistogram] = {}

    def record(self, name: str, ms: float) -> None:
        """Record one value in milliseconds."""
        self._get(name).record_value(to_us(ms))

    def merge_encoded(self, encoded: Mapping[str, str]) -> None:
        """Add histograms shipped as ``{name: base64}`` (from a worker or a snapshot)."""
        for name, text in encoded.items():
            self._get(name).add(decode(text))

    def encoded(self) -> dict[str, str]:
        """``{name: base64}`` of every histogram."""
        return {name: h.encode().decode("ascii") for name, h in sorted(self.by_name.items())}

    def stats(self) -> dict[str, dict[str, Any]]:
        """:func:`stats` of every histogram, by name."""
        return {name: stats(h) for name, h in sorted(self.by_name.items())}

    def names(self) -> Iterable[str]:
        return sorted(self.by_name)

    def clear(self) -> None:
        self.by_name.clear()

    def _get(self, name: str) -> HdrHistogram:
        histogram = self.by_name.get(name)
        if histogram is None:
            histogram = self.by_name[name] = new_histogram()
        return histogram
