"""The chart module: 1-2-5 ticks, labels kept apart, the legend below the plot, values on hover,
and every text escaped. (Real text measurement in Chromium: ``test_browser.py``.)"""

from __future__ import annotations

import itertools
import math
import re

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from loadtest.report.charts import (
    CHAR_PX,
    WIDTH,
    Axis,
    Dot,
    Figure,
    Marker,
    Series,
    Text,
    line_chart,
    log_ticks,
    nice_ticks,
    svg,
    tick_label,
)


def _mantissa(step: float) -> float:
    step = float(f"{step:.9g}")
    return round(step / 10 ** math.floor(math.log10(step)), 6)


@given(
    low=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    span=st.floats(min_value=1e-6, max_value=1e7, allow_nan=False),
)
@example(low=0.0, span=5.88)  # the old axes' 2.94 and 5.88
@example(low=0.0, span=224.5)
@example(low=9.0, span=12.0)
def test_ticks_step_by_one_two_or_five_and_enclose_the_data(low: float, span: float) -> None:
    assume(span > abs(low) * 1e-6)  # a range a chart can show at all
    high = low + span
    ticks = nice_ticks(low, high)
    step = ticks[1] - ticks[0]
    assert _mantissa(step) in {1.0, 2.0, 5.0}
    assert ticks[0] <= low + step * 1e-6
    assert ticks[-1] >= high - step * 1e-6
    assert 2 <= len(ticks) <= 12
    assert all(math.isclose(b - a, step, rel_tol=1e-6) for a, b in itertools.pairwise(ticks))


def _labels(low: float, high: float) -> list[str]:
    ticks = nice_ticks(low, high)
    return [tick_label(t, ticks[1] - ticks[0]) for t in ticks]


def test_tick_labels_read_as_round_numbers() -> None:
    assert _labels(0, 5.88) == ["0", "1", "2", "3", "4", "5", "6"]
    assert _labels(0, 0.7) == ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]
    assert _labels(0, 224.5) == ["0", "50", "100", "150", "200", "250"]
    assert _labels(0, 31000) == [f"{v:,}" for v in range(0, 35001, 5000)]
    assert nice_ticks(5, 16, 4, integer=True) == [4, 6, 8, 10, 12, 14, 16]
    assert nice_ticks(5, 7, 8, integer=True) == [5, 6, 7]  # never a half failure


def test_log_ticks_are_one_two_five_per_decade_and_thin_out() -> None:
    assert log_ticks(0.9, 4.2) == [0.5, 1, 2, 5]
    wide = log_ticks(0.5, 900)
    assert wide[0] <= 0.5
    assert wide[-1] >= 900
    assert len(wide) <= 9
    assert {_mantissa(t) for t in wide} <= {1.0, 2.0, 5.0}


def _texts(figure: Figure) -> list[Text]:
    return [s for s in figure.shapes if isinstance(s, Text)]


def _box(text: Text) -> tuple[float, float, float, float]:
    """The label's box as the module estimates it (left, top, right, bottom)."""
    width = len(text.text) * CHAR_PX
    if text.rotate:  # reads upwards, centred on y
        return text.x - 11, text.y - width / 2, text.x + 3, text.y + width / 2
    left = {"start": text.x, "middle": text.x - width / 2, "end": text.x - width}[text.anchor]
    return left, text.y - 11, left + width, text.y + 3


def _overlap(a: Text, b: Text) -> bool:
    (al, at, ar, ab), (bl, bt, br, bb) = _box(a), _box(b)
    return min(ar, br) > max(al, bl) and min(ab, bb) > max(at, bt)


def _onset_chart(markers: list[Marker]) -> Figure:
    steps = [(9.0 + 1.5 * i, max(0.0, 4.0 * (i - 4))) for i in range(9)]
    return line_chart(
        label="onset",
        title="Throttled and dropped logins per step",
        series=[Series(name="throttled %", points=tuple(steps)),
                Series(name="dropped %", points=tuple((x, 0.0) for x, _ in steps))],
        x=Axis(title="scheduled logins/s", zero=False),
        y=Axis(title="% of the step's logins", unit="%"),
        markers=markers,
    )  # fmt: skip


def test_marker_labels_stack_instead_of_running_into_each_other_or_the_legend() -> None:
    markers = [
        Marker(x=15.0, label="onset 15/s (UserResourceUpdate)"),
        Marker(x=15.2, label="model 15.2/s"),
        Marker(x=21.0, label="the ceiling, right at the edge"),
    ]
    figure = _onset_chart(markers)
    texts = _texts(figure)
    labels = [t for t in texts if t.text in {m.label for m in markers}]
    assert len(labels) == 3
    assert len({t.y for t in labels}) >= 2  # the close pair is on two rows
    for index, a in enumerate(texts):
        for b in texts[index + 1 :]:
            assert not _overlap(a, b), (a, b)
    edge = next(t for t in labels if t.text.startswith("the ceiling"))
    assert edge.anchor == "end"  # turned left of its line, not cut off by the figure
    assert all(_box(t)[0] >= 0 and _box(t)[2] <= WIDTH for t in texts)
    axis_title = next(t for t in texts if t.text == "scheduled logins/s")
    legend = [t for t in texts if t.text in {"throttled %", "dropped %"}]
    assert all(t.y > axis_title.y for t in legend)  # the legend sits below the plot
    assert max(t.y for t in legend) < figure.height


def test_every_point_says_its_value_on_hover() -> None:
    figure = _onset_chart([])
    dots = [s for s in figure.shapes if isinstance(s, Dot)]
    assert len(dots) == 18
    assert "throttled %: 16 % at 21" in {d.title for d in dots}
    markup = str(svg(figure))
    assert markup.count("<circle") == markup.count("<title>throttled %: ") + markup.count(
        "<title>dropped %: "
    )


def test_a_long_series_hovers_by_column_with_every_series_value() -> None:
    rows = [(float(t), float(t % 7)) for t in range(300)]
    figure = line_chart(
        label="rates",
        series=[Series(name="ok", points=tuple(rows)),
                Series(name="throttled_calls", points=tuple((t, 1.0) for t, _ in rows))],
        x=Axis(title="seconds", unit="s"),
        y=Axis(title="per second", unit="/s"),
    )  # fmt: skip
    markup = str(svg(figure))
    assert "<circle" not in markup
    assert markup.count("class='hover'") == 300
    assert "<title>12 s: ok 5 /s; throttled_calls 1 /s</title>" in markup


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "a'b\"c&d"])
def test_every_text_is_escaped(name: str) -> None:
    figure = line_chart(
        label=name,
        title=name,
        series=[Series(name=name, points=((0.0, 1.0), (1.0, 2.0)))],
        x=Axis(title=name),
        y=Axis(title=name),
        markers=[Marker(x=0.5, label=name)],
    )
    markup = str(svg(figure))
    assert "<script" not in markup
    assert name not in markup
    assert re.search(r"aria-label='[^'<>]*'", markup)
