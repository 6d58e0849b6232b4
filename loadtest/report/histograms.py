"""HDR histograms keyed by name, in microseconds, encoded losslessly for storage and shipping.

Values are recorded as integer microseconds from 0 to one hour with 3 significant digits, so
a 1.234 ms latency and a 12.34 s one are both kept to 0.1 %. ``encode`` gives HdrHistogram's
standard compressed base64 form, which any HdrHistogram library decodes and which merges
exactly: the sum of the workers' histograms is the histogram of all their values.

Recording is on every login's path, and ``hdrh``'s pure-Python ``record_value`` costs ~10 µs a
value through a chain of method calls. A :class:`Recorder` appends the value to a list instead
(~0.1 µs) and folds the list into its histogram in bulk, by the same bucket arithmetic, when
the list is full or the histogram is read: the counts, total, minimum and maximum are those
``record_value`` would have made, value for value (a test checks it against ``hdrh``).

Reading is the same story: ``hdrh``'s ``get_mean_value`` walks every recorded bucket through an
iterator object (~35 ms a histogram here) and each ``get_value_at_percentile`` walks the counts
from zero (~1 ms). :func:`stats` reads all of them in one pass over the non-zero counts, found
by ``itertools.compress`` over a view of the counts at C speed: the same numbers (a test checks
them against ``hdrh``'s own methods) in about a millisecond. It runs on the generator's hub
for every refresh of the live web UI's tab, where ``hdrh``'s way held the hub ~0.5 s every
two seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import compress
from typing import Any

from hdrh.histogram import HdrHistogram

__all__ = [
    "HIGHEST_US",
    "PERCENTILES",
    "SIGNIFICANT_DIGITS",
    "HistogramSet",
    "Recorder",
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


#: Values a :class:`Recorder` holds before folding them in (bounds its memory: ~40 KiB).
FOLD_EVERY = 1024


class Recorder:
    """One HDR histogram with a cheap hot path: values wait in a list, folded in bulk.

    ``record`` takes whole microseconds within the histogram's range (see :func:`to_us`);
    ``histogram()`` folds what waits and returns the :class:`HdrHistogram`, exactly as if each
    value had gone through ``record_value``.
    """

    __slots__ = ("_histogram", "_pending")

    def __init__(self, histogram: HdrHistogram | None = None) -> None:
        self._histogram = histogram if histogram is not None else new_histogram()
        self._pending: list[int] = []

    def record(self, value_us: int) -> None:
        """Record one value (integer microseconds, 0 to :data:`HIGHEST_US`)."""
        pending = self._pending
        pending.append(value_us)
        if len(pending) >= FOLD_EVERY:
            self._fold()

    def histogram(self) -> HdrHistogram:
        """The histogram with every value recorded so far."""
        if self._pending:
            self._fold()
        return self._histogram

    def count(self) -> int:
        """How many values were recorded."""
        return int(self._histogram.get_total_count()) + len(self._pending)

    def reset(self) -> None:
        """Forget every value."""
        self._pending.clear()
        self._histogram.reset()

    def _fold(self) -> None:
        """Add the waiting values to the counts by ``hdrh``'s own index arithmetic (its
        ``_counts_index_for``, inlined) and update total, minimum and maximum as
        ``record_value`` does (raw values, not bucket bounds); a value outside the range is
        dropped, as ``record_value`` drops it."""
        pending, h = self._pending, self._histogram
        if min(pending) < 0 or max(pending) > h.highest_trackable_value:
            pending = [v for v in pending if 0 <= v <= h.highest_trackable_value]
            self._pending.clear()
            if not pending:
                return
        counts, unit, mask = h.counts, h.unit_magnitude, h.sub_bucket_mask
        magnitude, half = h.sub_bucket_half_count_magnitude, h.sub_bucket_half_count
        first = unit + magnitude + 1
        for value, n in Counter(pending).items():
            bucket = (value | mask).bit_length() - first
            counts[((bucket + 1) << magnitude) + (value >> (bucket + unit)) - half] += n
        h.total_count += len(pending)
        h.min_value = min(h.min_value, min(pending))
        h.max_value = max(h.max_value, max(pending))
        pending.clear()


def decode(encoded: str) -> HdrHistogram:
    """A histogram from its base64 encoding."""
    return HdrHistogram.decode(encoded.encode("ascii"))


def to_us(ms: float) -> int:
    """Milliseconds as whole microseconds within the histogram's range."""
    us = round(ms * 1000)
    return us if 0 <= us <= HIGHEST_US else (0 if us < 0 else HIGHEST_US)


def stats(histogram: HdrHistogram) -> dict[str, Any]:
    """Count, percentiles, max and mean in milliseconds, and the encoded histogram."""
    count = histogram.get_total_count()
    row: dict[str, Any] = {"count": count}
    at, mean = _walk(histogram) if count else ({}, 0.0)
    for key, _ in PERCENTILES:
        row[key] = at.get(key, 0) / 1000 if count else None
    row["max"] = histogram.get_max_value() / 1000 if count else None
    row["mean"] = round(mean / 1000, 3) if count else None
    row["histogram"] = histogram.encode().decode("ascii")
    return row


def _walk(h: HdrHistogram) -> tuple[dict[str, int], float]:
    """:data:`PERCENTILES` and the mean of a histogram with values, in microseconds, as
    ``hdrh`` computes them (``get_value_at_percentile``: the highest value equivalent to the
    first bucket whose running count reaches the percentile's target count, 0 if none does;
    ``get_mean_value``: each recorded bucket's median-equivalent value, weighted by its count,
    over the total count), in one pass over the buckets that hold values (the percentiles
    rise, so each is found after the one before). A bucket's lowest value and the size of its
    range are ``hdrh``'s ``get_value_from_index`` and ``_hdr_size_of_equiv_value_range``,
    inlined: a method call per bucket would cost more than the rest."""
    view = memoryview(h.counts)  # a ctypes array: read through a plain view, ~5x faster
    counts: Any = view.cast("B").cast(view.format.lstrip("<>=!@"))  # type: ignore[call-overload]
    targets = [(key, h.get_target_count_at_percentile(pct)) for key, pct in PERCENTILES]
    half, magnitude, unit = (
        h.sub_bucket_half_count,
        h.sub_bucket_half_count_magnitude,
        h.unit_magnitude,
    )
    at: dict[str, int] = {}
    running = weighted = 0
    for index in compress(range(len(counts)), counts):
        n = counts[index]
        bucket, sub = (index >> magnitude) - 1, (index & (half - 1)) + half
        if bucket < 0:
            bucket, sub = 0, sub - half
        lowest, size = sub << (bucket + unit), 1 << (bucket + unit)
        running += n
        weighted += n * (lowest + (size >> 1))
        while len(at) < len(targets) and running >= targets[len(at)][1]:
            at[targets[len(at)][0]] = lowest + size - 1
        if running >= h.total_count and len(at) == len(targets):
            break
    return at, weighted / h.total_count


class HistogramSet:
    """Histograms by name (request label, flow, ...), created on first use."""

    def __init__(self) -> None:
        self._recorders: dict[str, Recorder] = {}

    @property
    def by_name(self) -> dict[str, HdrHistogram]:
        """Every histogram by name, with every value recorded so far."""
        return {name: r.histogram() for name, r in self._recorders.items()}

    def record(self, name: str, ms: float) -> None:
        """Record one value in milliseconds."""
        recorder = self._recorders.get(name)
        if recorder is None:
            recorder = self._recorders[name] = Recorder()
        recorder.record(to_us(ms))

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
        return sorted(self._recorders)

    def clear(self) -> None:
        self._recorders.clear()

    def _get(self, name: str) -> HdrHistogram:
        recorder = self._recorders.get(name)
        if recorder is None:
            recorder = self._recorders[name] = Recorder()
        return recorder.histogram()
