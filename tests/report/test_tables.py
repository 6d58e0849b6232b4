"""The one table helper: widths measured from the cells, text left and numbers right, notes
kept in place, the same table on a page."""

from __future__ import annotations

from loadtest.report.html import render_html
from loadtest.report.tables import Note, Table


def test_columns_are_as_wide_as_their_widest_cell() -> None:
    table = Table.of(
        ("user", "fail", "verdict"),
        [("u1", 5, "match"), ("a-much-longer-user-name", 12, None)],
        text=(0, 2),
    )
    assert table.lines(rule=True) == [
        "user                     fail  verdict",
        "--------------------------------------",
        "u1                          5  match",
        "a-much-longer-user-name    12  -",
    ]


def test_notes_sit_between_rows_and_do_not_widen_columns() -> None:
    rows = [("u1", 1), Note("u1 -> match (finished)"), ("u2", 22), Note("verdict: match")]
    lines = Table.of(("user", "n"), rows).lines(indent="  ")
    assert lines == [
        "  user   n",
        "  u1     1",
        "  u1 -> match (finished)",
        "  u2    22",
        "  verdict: match",
    ]


def test_without_a_header_and_no_trailing_spaces() -> None:
    lines = Table.of((), [("stopped:", "ceiling"), ("onset against the model:", "+0.0%")],
                     text=(0, 1)).lines(gap=1)  # fmt: skip
    assert lines == ["stopped:                 ceiling", "onset against the model: +0.0%"]
    assert all(line == line.rstrip() for line in lines)


def test_the_page_renders_the_same_table_with_numbers_right_aligned(tmp_path: object) -> None:
    from .test_summary import write_run

    summary = write_run(tmp_path, [10, 20])  # type: ignore[arg-type]
    page = render_html(summary)
    assert "<th class='text'>quota_category</th>" in page
    assert "<td class='text'>login:srp</td><td>2</td><td>" in page
