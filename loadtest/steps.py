"""Steps of a multi-step command that stop at the first failure, with one line saying why.

A command such as ``cognito-loadtest demo`` or ``pool serve --bootstrap`` runs steps whose output
the next step needs. :func:`step` wraps each: a failure inside it becomes :class:`Stopped`,
carrying one line that names the step, the reason and the log to read, and the top-level CLI
prints that line and exits non-zero. Nothing after the failed step runs, and an expected failure
prints no traceback (an unexpected one is appended to the command's error log instead).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

__all__ = ["StepFailed", "Stopped", "last_line", "step"]


class StepFailed(Exception):
    """A step's own check failed: ``reason`` is the sentence to show, ``log`` the file to read."""

    def __init__(self, reason: str, *, log: Path | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.log = log


class Stopped(Exception):
    """A command stopped at a failed step; ``line`` is all the user needs to see."""

    def __init__(self, line: str, *, exit_code: int = 1) -> None:
        super().__init__(line)
        self.line = line
        self.exit_code = exit_code


@contextmanager
def step(
    command: str,
    title: str,
    *,
    log: Path | None = None,
    errors: Path,
    out: TextIO | None = None,
) -> Iterator[None]:
    """Announce ``title`` (``== 3. Test users``) on ``out`` and run the block as that step.

    ``log`` is the file that tells more when the step fails (a child's output, say); without it,
    and for unexpected errors, ``errors`` gets the traceback and is named instead.
    """
    print(f"\n== {title}", file=out or sys.stdout, flush=True)
    try:
        yield
    except StepFailed as exc:
        raise Stopped(_line(command, title, exc.reason, exc.log or log or errors)) from None
    except Exception as exc:
        _append_traceback(errors, exc)
        reason = f"{type(exc).__name__}: {_first_line(exc)}"
        raise Stopped(_line(command, title, reason, log or errors)) from None


def _line(command: str, title: str, reason: str, log: Path) -> str:
    told = f" (read {log})" if str(log) not in reason else ""
    return f"{command}: step '{title}' failed: {reason}{told}"


def last_line(log: Path) -> str:
    """The last non-empty line of a child's log (its own one-line error, as a rule), or ''."""
    try:
        lines = log.read_text("utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1].strip()[:300] if lines else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no message"


def _append_traceback(errors: Path, exc: BaseException) -> None:
    """Keep the whole story for a bug report; the file is private (it may sit with secrets)."""
    errors.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(errors, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with open(fd, "a", encoding="utf-8") as handle:
        handle.writelines(traceback.format_exception(exc))
