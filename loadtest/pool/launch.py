"""Start the local pool as a child process and know where it listens.

For commands that need a target and were not given one (``cognito-loadtest demo``, the
benchmarks): the pool runs as its own process, as a real server would, and stops with the block.
"""

from __future__ import annotations

import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["LOCAL_CREDENTIALS", "LocalPool", "PoolStartError", "local_admin_client", "local_pool"]

#: Dummy credentials for the local pool's admin API, which accepts any SigV4 signature: a
#: user's real AWS credentials are never used against it. Keyword arguments of boto3 clients.
LOCAL_CREDENTIALS = {"aws_access_key_id": "AKIDLOCALPOOL", "aws_secret_access_key": "local-pool"}

_READY_PREFIX = "listening "


class PoolStartError(RuntimeError):
    """The local pool exited or stayed silent instead of announcing its address."""


@dataclass(frozen=True, slots=True)
class LocalPool:
    """A running local pool: its endpoint URL and process."""

    url: str
    process: subprocess.Popen[str]
    log: Path


@contextmanager
def local_pool(
    state: Path, options: Sequence[str] = (), *, timeout: float = 60.0
) -> Iterator[LocalPool]:
    """Run ``cognito-loadtest pool serve --port 0 --state STATE OPTIONS`` for the block.

    Waits for its ``listening http://HOST:PORT`` line; stderr goes to ``STATE.log``. Stopped
    with SIGTERM (SIGKILL after 10 s) when the block ends, however it ends.
    """
    log = state.with_suffix(".log")
    command = [
        sys.executable, "-m", "loadtest.cli", "pool", "serve",
        "--port", "0", "--state", str(state), *options,
    ]  # fmt: skip
    with log.open("a") as err:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        yield LocalPool(url=_await_url(process, log, timeout), process=process, log=log)
    finally:
        _stop(process)


def local_admin_client(url: str, *, retries: int = 1) -> Any:
    """A boto3 ``cognito-idp`` client for a local pool: dummy credentials, bounded retries."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": retries, "mode": "standard"})
    return boto3.client(
        "cognito-idp", endpoint_url=url, region_name="us-east-1", config=config, **LOCAL_CREDENTIALS
    )


def _await_url(process: subprocess.Popen[str], log: Path, timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                break
            line = process.stdout.readline()
            if line.startswith(_READY_PREFIX):
                return line[len(_READY_PREFIX) :].strip()
            if not line:
                raise PoolStartError(f"the local pool exited ({process.wait()}); see {log}")
    raise PoolStartError(f"the local pool did not announce itself within {timeout} s; see {log}")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
