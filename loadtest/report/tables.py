"""One table helper for every table the toolkit prints or renders.

A :class:`Table` is a header, rows of cells and which columns hold text (left-aligned; the
others are numbers, aligned right). The same value feeds a page (``macros.html.j2``'s ``data``)
and a terminal (:meth:`Table.lines`): column widths are measured from the cells, never
hand-counted, so a long user name or request label widens its column instead of shifting every
column after it. No dependency: the whole job is forty lines, and a library (tabulate,
prettytable) would add borders and options the commands do not want.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Note", "Table", "cell"]


def cell(value: object) -> str:
    """A cell's text: ``None`` as ``-``, everything else as ``str`` gives it."""
    return "-" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Note:
    """A line printed as it is between a text table's rows (not measured, not aligned): a
    verdict under a user's rows, say. Pages leave notes out."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """A header, rows and the indexes of the text columns (the rest are numbers)."""

    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    text: frozenset[int] = frozenset({0})
    notes: tuple[tuple[int, Note], ...] = ()

    @classmethod
    def of(
        cls,
        head: Sequence[str],
        rows: Iterable[Sequence[object] | Note],
        *,
        text: Iterable[int] = (0,),
    ) -> Table:
        """A table from any cells (see :func:`cell`); a :class:`Note` among the rows is kept
        for the text form, after the rows before it."""
        kept: list[tuple[str, ...]] = []
        notes: list[tuple[int, Note]] = []
        for row in rows:
            if isinstance(row, Note):
                notes.append((len(kept), row))
            else:
                kept.append(tuple(cell(c) for c in row))
        return cls(head=tuple(head), rows=tuple(kept), text=frozenset(text), notes=tuple(notes))

    def lines(self, *, indent: str = "", gap: int = 2, rule: bool = False) -> list[str]:
        """The table as text lines: the header (if any), a rule under it if asked, the rows."""
        widths = self._widths()
        out = [self._line(self.head, widths, indent, gap)] if self.head else []
        if rule and out:
            out.append(indent + "-" * (len(out[0]) - len(indent)))
        for index, row in enumerate(self.rows):
            out += [indent + n.text for at, n in self.notes if at == index]
            out.append(self._line(row, widths, indent, gap))
        out += [indent + n.text for at, n in self.notes if at == len(self.rows)]
        return out

    def _widths(self) -> list[int]:
        columns = max([len(self.head), *(len(r) for r in self.rows)])
        every = [self.head, *self.rows] if self.head else list(self.rows)
        return [max((len(r[i]) for r in every if i < len(r)), default=0) for i in range(columns)]

    def _line(self, cells: Sequence[str], widths: Sequence[int], indent: str, gap: int) -> str:
        padded = (
            c.ljust(w) if i in self.text else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        )
        return (indent + (" " * gap).join(padded)).rstrip()
