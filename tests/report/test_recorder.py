"""The cheap recording path: a Recorder's histogram is the one ``hdrh``'s record_value makes."""

from __future__ import annotations

from hdrh.histogram import HdrHistogram
from hypothesis import example, given, settings
from hypothesis import strategies as st

from loadtest.report.histograms import (
    FOLD_EVERY,
    HIGHEST_US,
    HistogramSet,
    Recorder,
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
