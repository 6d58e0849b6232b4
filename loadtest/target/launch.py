"""Start the local pool as a child process and know where it listens.

For commands that need a target and were not given one (``cognito-loadtest demo``, the
benchmarks): the pool runs as its own process, as a real server would, and stops with the block.
"""

from __future__ import annotations

import os
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

__all__ = [
    "ALL_FLOWS",
    "LOCAL_CREDENTIALS",
    "LOCAL_CREDENTIALS_ENV",
    "LocalApp",
    "LocalPool",
    "PoolStartError",
    "create_app",
    "local_admin_client",
    "local_pool",
]

#: Dummy credentials for the local pool's admin API, which accepts any SigV4 signature: a
#: user's real AWS credentials are never used against it. Keyword arguments of boto3 clients.
LOCAL_CREDENTIALS = {"aws_access_key_id": "AKIDLOCALPOOL", "aws_secret_access_key": "local-pool"}
#: The same, as environment variables for a child process (a Locust run's admin calls).
LOCAL_CREDENTIALS_ENV = {key.upper(): value for key, value in LOCAL_CREDENTIALS.items()}

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
    # the pool's log is private like its state (it sits beside it)
    with open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as err:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        yield LocalPool(url=_await_url(process, log, timeout), process=process, log=log)
    finally:
        _stop(process)


def local_admin_client(url: str, *, attempts: int = 1) -> Any:
    """A boto3 ``cognito-idp`` client for a local pool: dummy credentials, ``attempts`` tries
    per call in all (1: SDK retries off)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": attempts, "mode": "standard"})
    return boto3.client(
        "cognito-idp", endpoint_url=url, region_name="us-east-1", config=config, **LOCAL_CREDENTIALS
    )


#: The ExplicitAuthFlows that let an app client run every flow the toolkit drives.
ALL_FLOWS = (
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalApp:
    """A user pool and its app client (no secret) on a local pool."""

    url: str
    pool_id: str
    client_id: str

    def settings(self) -> dict[str, str | None]:
        """Target settings for :meth:`loadtest.target.config.TargetConfig.from_settings`."""
        return {"pool_id": self.pool_id, "client_id": self.client_id, "endpoint_url": self.url}


def create_app(
    url: str,
    *,
    name: str,
    mfa: str = "OPTIONAL",
    device_tracking: bool = True,
    flows: Sequence[str] = ALL_FLOWS,
) -> LocalApp:
    """A user pool (TOTP enabled unless ``mfa`` is OFF; devices remembered always, without
    asking, when ``device_tracking``) and an app client allowing ``flows``."""
    idp = local_admin_client(url, attempts=5)
    pool: dict[str, Any] = {"PoolName": name}
    if device_tracking:
        pool["DeviceConfiguration"] = {
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        }
    pool_id = idp.create_user_pool(**pool)["UserPool"]["Id"]
    if mfa != "OFF":
        idp.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=mfa,
        )
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName=name, ExplicitAuthFlows=list(flows)
    )["UserPoolClient"]["ClientId"]
    return LocalApp(url=url, pool_id=pool_id, client_id=client_id)


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
