"""Compressed event logs: gzip segments, each a run of complete gzip members.

A day's run at a few hundred logins a second writes gigabytes of ``events.jsonl``; gzip takes
it down by an order of magnitude. A stream compressed as one member would be unreadable past a
kill, so the writer compresses each *block* of lines (up to ``block_bytes`` of text, or what
``block_s`` seconds wrote, whichever comes first) as one complete gzip member and appends it
with one write: a killed run loses at most its last unwritten block. Segments rotate by size
(``events-<process>-NNNN.jsonl.gz``), one writer per file, so processes sharing a run folder
never interleave, and a finished segment can be moved or deleted alone.

:func:`read_gzip_lines` reads a segment back member by member, and stops at a member cut short.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

__all__ = ["SEGMENT_GLOB", "GzipSegments", "read_gzip_lines", "segment_name"]

#: Every compressed segment of a run folder.
SEGMENT_GLOB = "events-*.jsonl.gz"
#: Text compressed per member: large enough for gzip's ratio, small enough to lose little.
BLOCK_BYTES = 256 * 1024
#: A block is written at least this often (seconds) while events arrive.
BLOCK_S = 2.0
#: A segment is closed past this many compressed bytes (~1.6 GiB of events at 12x).
SEGMENT_BYTES = 128 * 1024 * 1024
_LEVEL = 6
_READ = 1 << 16


def segment_name(process: str, index: int) -> str:
    """``events-local-0000.jsonl.gz``: a process's ``index``-th segment."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in process)
    return f"events-{safe}-{index:04d}.jsonl.gz"


class GzipSegments:
    """A text sink for structlog's ``WriteLogger``: lines are buffered, compressed a block at a
    time into complete gzip members, and appended to size-rotated segment files."""

    def __init__(
        self,
        run_dir: Path,
        process: str,
        *,
        block_bytes: int | None = None,
        block_s: float | None = None,
        segment_bytes: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Limits left ``None`` take the module's values (read now, so a test may set them)."""
        self.run_dir, self.process = run_dir, process
        self._limits = (
            BLOCK_BYTES if block_bytes is None else block_bytes,
            BLOCK_S if block_s is None else block_s,
            SEGMENT_BYTES if segment_bytes is None else segment_bytes,
        )
        self._clock = clock
        self._lines: list[str] = []
        self._size = 0
        self._since = clock()
        self._index = self._first_free_index()
        self._file: IO[bytes] = self._open()

    @property
    def path(self) -> Path:
        """The segment being written."""
        return self.run_dir / segment_name(self.process, self._index)

    def write(self, text: str) -> None:
        self._lines.append(text)
        self._size += len(text)

    def flush(self) -> None:
        """Called after every line: writes a block once it is big or old enough."""
        block_bytes, block_s, _ = self._limits
        if self._size >= block_bytes or self._clock() - self._since >= block_s:
            self._write_block()

    def close(self) -> None:
        """Write what is buffered and close the segment."""
        self._write_block()
        self._file.close()

    def _write_block(self) -> None:
        self._since = self._clock()
        if not self._lines:
            return
        data = "".join(self._lines).encode("utf-8")
        self._lines, self._size = [], 0
        self._file.write(_member(data))
        self._file.flush()
        if self._file.tell() >= self._limits[2]:
            self._file.close()
            self._index += 1
            self._file = self._open()

    def _open(self) -> IO[bytes]:
        return self.path.open("ab")

    def _first_free_index(self) -> int:
        index = 0
        while (self.run_dir / segment_name(self.process, index)).exists():
            index += 1
        return index


def _member(data: bytes) -> bytes:
    """One complete gzip member (header, deflate stream, CRC and size) of ``data``."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def read_gzip_lines(path: Path) -> Iterator[str]:
    """The lines of a segment's complete members, in order; a member cut short by a kill (or
    damaged) ends the reading, its text up to the cut still given (a torn last line included:
    the caller skips a line without its newline)."""
    with path.open("rb") as handle:
        yield from _lines(_decompressed(handle))


def _decompressed(handle: IO[bytes]) -> Iterator[bytes]:
    member = zlib.decompressobj(wbits=31)
    while chunk := member.unused_data or handle.read(_READ):
        if member.eof:
            member = zlib.decompressobj(wbits=31)
        try:
            yield member.decompress(chunk)
        except zlib.error:
            return
        if member.eof and not member.unused_data:
            member = zlib.decompressobj(wbits=31)


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.decode("utf-8", errors="replace") + "\n"
    if pending:
        yield pending.decode("utf-8", errors="replace")
