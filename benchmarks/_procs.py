"""Start servers for benchmarks and read their CPU time from the OS."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from loadtest.target.launch import free_port

__all__ = [
    "ROOT",
    "child_env",
    "free_port",
    "process_tree_cpu_s",
    "process_tree_rss_mib",
    "running",
    "wait_for_port",
]

_TICK = os.sysconf("SC_CLK_TCK")
#: The checkout that holds ``benchmarks/`` (not installed: children find it through PYTHONPATH).
ROOT = Path(__file__).resolve().parent.parent


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this environment) with the checkout first on PYTHONPATH, so a child
    process (a Locust run, a helper server) can import ``benchmarks`` from any folder."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Block until 127.0.0.1:port accepts; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


@contextmanager
def running(cmd: Sequence[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server for the duration of the block; its output goes to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, proc)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _proc_stats() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, utime + stime + cutime + cstime in ticks), for every live process."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            # after the command: state ppid ... utime(12) stime(13) cutime(14) cstime(15)
            stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    return stats


def _tree(pid: int, stats: dict[int, tuple[int, int]]) -> set[int]:
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _) in stats.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return tree


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and all its live descendants, from /proc.

    Each live process counts its own time plus that of its children it has already reaped, so
    nothing is counted twice.
    """
    stats = _proc_stats()
    return sum(stats[p][1] for p in _tree(pid, stats) if p in stats) / _TICK


def process_tree_rss_mib(pid: int) -> float:
    """Resident memory (VmRSS) of a process and all its live descendants, in MiB.

    Pages shared between a parent and its forked children count once per process, so a
    forked pool's figure overstates its footprint; its slope over time is what matters.
    """
    total_kib = 0
    for p in _tree(pid, _proc_stats()):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024
