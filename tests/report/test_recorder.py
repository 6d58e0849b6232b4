"""The cheap recording path: a Recorder's histogram is the one ``hdrh``'s record_value makes."""

from __future__ import annotations

from hdrh.histogram import HdrHistogram
from hypothesis import example, given, settings
from hypothesis import strategies as st

from loadtest.report.histograms import (
    FOLD_EVERY,
    HIGHEST_US,
    PERCENTILES,
    HistogramSet,
    Recorder,
    decode,
    new_histogram,
    stats,
    to_us,
)

_VALUES = st.lists(
    st.one_of(
        st.integers(0, 5000),  # the exact range and the first buckets' edges
        st.integers(0, HIGHEST_US),
        st.sampled_from([0, 1, 2047, 2048, 2049, 4095, 4096, HIGHEST_US - 1, HIGHEST_US]),
    ),
    min_size=1,
    max_size=3 * FOLD_EVERY,
)
#: No per-example deadline: a test asserts behaviour, never time (a shared machine is slow).
_UNTIMED = settings(deadline=None, max_examples=60)


def _same(a: HdrHistogram, b: HdrHistogram) -> None:
    assert list(a.counts) == list(b.counts)
    for field in ("total_count", "min_value", "max_value"):
        assert getattr(a, field) == getattr(b, field), field
    assert stats(a) == stats(b)


@_UNTIMED
@given(_VALUES)
@example([0])
@example([HIGHEST_US, 1, 2048])
@example([12_345] * (FOLD_EVERY + 1))  # one fold on the way, one on reading
def test_a_recorder_makes_the_histogram_record_value_makes(values: list[int]) -> None:
    recorder, reference = Recorder(), new_histogram()
    for value in values:
        recorder.record(value)
        reference.record_value(value)
    assert recorder.count() == len(values)
    _same(recorder.histogram(), reference)


@_UNTIMED
@given(_VALUES, _VALUES)
def test_reading_between_values_changes_nothing(first: list[int], second: list[int]) -> None:
    recorder, reference = Recorder(), new_histogram()
    for value in first:
        recorder.record(value)
        reference.record_value(value)
    recorder.histogram()
    for value in second:
        recorder.record(value)
        reference.record_value(value)
    _same(recorder.histogram(), reference)


def test_values_outside_the_range_are_dropped_as_record_value_drops_them() -> None:
    recorder, reference = Recorder(), new_histogram()
    for value in (-1, 5, HIGHEST_US * 4, 7):
        recorder.record(value)
        reference.record_value(value)
    _same(recorder.histogram(), reference)
    assert recorder.histogram().get_total_count() == 2


def test_reset_forgets_waiting_and_folded_values() -> None:
    recorder = Recorder()
    for value in range(FOLD_EVERY + 5):
        recorder.record(value)
    recorder.reset()
    assert recorder.count() == 0
    assert recorder.histogram().get_total_count() == 0


def test_a_histogram_set_records_milliseconds_as_hdrh_would() -> None:
    histograms, reference = HistogramSet(), new_histogram()
    for ms in (0.0004, 1.2345, 17.5, 1234.5678, -3.0, 10.0**9):
        histograms.record("login:srp", ms)
        reference.record_value(to_us(ms))
    _same(histograms.by_name["login:srp"], reference)
    assert histograms.stats()["login:srp"] == stats(reference)


def _hdrh_figures(h: HdrHistogram) -> dict[str, object]:
    """What ``hdrh``'s own (slow) methods say, in the units and rounding of :func:`stats`."""
    figures: dict[str, object] = {"count": h.get_total_count()}
    figures |= {key: h.get_value_at_percentile(pct) / 1000 for key, pct in PERCENTILES}
    figures |= {"max": h.get_max_value() / 1000, "mean": round(h.get_mean_value() / 1000, 3)}
    return figures


@_UNTIMED
@given(_VALUES)
@example([0])
@example([HIGHEST_US])
@example([1, 2, 3, 1_000, 1_000_000, HIGHEST_US])
def test_stats_reads_the_figures_hdrh_computes(values: list[int]) -> None:
    """:func:`stats` reads percentiles and mean in one pass of its own: they must be the
    numbers ``hdrh``'s ``get_value_at_percentile`` and ``get_mean_value`` give, for a
    histogram as recorded and as decoded from its encoding (how workers ship theirs)."""
    made = new_histogram()
    for value in values:
        made.record_value(value)
    for h in (made, decode(made.encode().decode("ascii"))):
        row = stats(h)
        assert {key: row[key] for key in _hdrh_figures(h)} == _hdrh_figures(h)


def test_stats_of_merged_histograms_are_hdrh_s() -> None:
    """The master's histograms are sums of the workers' decoded ones."""
    parts = [new_histogram() for _ in range(3)]
    for index, part in enumerate(parts):
        for value in range(1 + index * 700, 40_000 * (index + 1), 37 + index):
            part.record_value(value)
    merged = new_histogram()
    for part in parts:
        merged.add(decode(part.encode().decode("ascii")))
    row = stats(merged)
    assert {key: row[key] for key in _hdrh_figures(merged)} == _hdrh_figures(merged)
    assert row["count"] == sum(p.get_total_count() for p in parts)
