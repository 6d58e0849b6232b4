"""The identities file of a provisioning run: append-only, fsynced, owner-only, resumable.

Each completed user is appended as one JSON line (the format of
:meth:`loadtest.flows.Identity.to_json`, read by the Locust users) with a single ``write`` on a
descriptor opened ``O_APPEND``, then fsynced; a user is done exactly when its line is on disk.
The file is created mode 0600 (it holds passwords, TOTP seeds and device passwords) and forced
back to 0600 if it was wider. A run holds an exclusive lock on it, so two runs cannot both
append the same users.

Resuming reads the file back: the users it holds are done, the others are owed. A kill can at
worst leave a last line without its newline; that line is cut off (its user is redone). Any
other malformed line, a duplicate, or a name that is not one of the run's stops the run: the
file is not ours to guess about.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

from loadtest.flows import Identity

from .naming import RunNaming

__all__ = ["IdentitiesFile", "IdentitiesFileError", "Resumed"]

_MODE = 0o600


class IdentitiesFileError(ValueError):
    """The identities file cannot be resumed as it is."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Resumed:
    """What an existing file already holds: done users by index, and a cut partial line."""

    done: dict[int, Identity]
    dropped_partial_line: bool = False
    existed: bool = False


class IdentitiesFile:
    """An open identities file of one run; use :meth:`open` and :meth:`append`."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def open(cls, path: Path, naming: RunNaming) -> tuple[IdentitiesFile, Resumed]:
        """Open (creating, 0600) and lock ``path`` for appending; read back what it holds.

        The lock (``flock``, held while the file is open) makes a second run on the same file
        fail at once instead of both appending the same users.
        """
        existed = path.exists()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, _MODE)
        try:
            _lock(fd, path)
            os.fchmod(fd, _MODE)
            resumed = _read(path, fd, naming)
            if not existed:
                _fsync_dir(path.parent)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd), Resumed(
            done=resumed.done, dropped_partial_line=resumed.dropped_partial_line, existed=existed
        )

    def append(self, identity: Identity) -> None:
        """Write one user's line and fsync it: after this returns, the user is done."""
        line = json.dumps(identity.to_json(), separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        if os.write(self._fd, data) != len(data):
            raise OSError(f"short write to {self.path}")
        os.fsync(self._fd)

    def close(self) -> None:
        """Close the descriptor (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> IdentitiesFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lock(fd: int, path: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise IdentitiesFileError(f"{path} is in use by another provisioning run") from None


def _read(path: Path, fd: int, naming: RunNaming) -> Resumed:
    data = path.read_bytes()
    dropped = bool(data) and not data.endswith(b"\n")
    if dropped:
        data = data[: data.rfind(b"\n") + 1]
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    done: dict[int, Identity] = {}
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if line.strip():
            index, identity = _parse(path, number, line, naming)
            if index in done:
                raise IdentitiesFileError(f"{path}:{number}: {identity.username} appears twice")
            done[index] = identity
    return Resumed(done=done, dropped_partial_line=dropped)


def _parse(path: Path, number: int, line: str, naming: RunNaming) -> tuple[int, Identity]:
    try:
        identity = Identity.from_json(json.loads(line))
    except ValueError as exc:
        raise IdentitiesFileError(f"{path}:{number}: {exc}") from None
    index = naming.index_of(identity.username)
    if index is None:
        raise IdentitiesFileError(
            f"{path}:{number}: {identity.username!r} is not a user of run {naming.run!r} "
            f"(expected {naming.prefix}NNNNN); use the run's own file or another --run"
        )
    return index, identity


def _fsync_dir(folder: Path) -> None:
    """Make a new file's directory entry durable too."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
