"""Start the local pool as a child process and know where it listens.

For commands that need a target and were not given one (``cognito-loadtest demo``, capacity,
the benchmarks) and for the tests: the pool runs as its own process, as a real server would,
started through its command line, so this client-side module never imports the server package
(:mod:`loadtest.pool`). :func:`local_pool` stops it with the block; :func:`start_pool` hands
back a :class:`LocalPool` to stop (or kill) when the caller chooses.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ALL_FLOWS",
    "CAPTCHA_TRIGGERS",
    "FIRST_FACTORS",
    "LOCAL_CREDENTIALS",
    "LOCAL_CREDENTIALS_ENV",
    "RELYING_PARTY",
    "SES_EMAIL",
    "LocalApp",
    "LocalPool",
    "PoolStartError",
    "create_app",
    "free_port",
    "local_admin_client",
    "local_pool",
    "start_pool",
]

#: Dummy credentials for the local pool's admin API, which accepts any SigV4 signature: a
#: user's real AWS credentials are never used against it. Keyword arguments of boto3 clients.
LOCAL_CREDENTIALS = {"aws_access_key_id": "AKIDLOCALPOOL", "aws_secret_access_key": "local-pool"}
#: The same, as environment variables for a child process (a Locust run's admin calls).
LOCAL_CREDENTIALS_ENV = {key.upper(): value for key, value in LOCAL_CREDENTIALS.items()}

_READY_PREFIX = "listening "
_STOP_TIMEOUT = 10.0


class PoolStartError(RuntimeError):
    """The local pool exited or stayed silent instead of announcing its address."""


@dataclass(frozen=True, slots=True)
class LocalPool:
    """A running local pool: its endpoint URL, process and log file."""

    url: str
    process: subprocess.Popen[str]
    log: Path

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after 10 s); nothing if it has already exited."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close()

    def kill(self) -> None:
        """SIGKILL and wait, as a crash would."""
        self.process.kill()
        self.process.wait(timeout=_STOP_TIMEOUT)
        self._close()

    def _close(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_pool(
    state: Path,
    options: Sequence[str] = (),
    *,
    timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
    die_with_parent: bool = False,
) -> LocalPool:
    """Start ``cognito-loadtest pool serve --port 0 --state STATE OPTIONS`` and wait for its
    ``listening http://HOST:PORT`` line; stderr goes to ``STATE.log`` (mode 0600).

    ``die_with_parent`` asks Linux to SIGTERM the pool when this process dies (tests: a
    ``kill -9`` of pytest leaves no server behind). :class:`PoolStartError` if it exits or
    stays silent; it is stopped first.
    """
    log = state.with_suffix(".log")
    command = [
        sys.executable, "-m", "loadtest.cli", "pool", "serve",
        "--port", "0", "--state", str(state), *options,
    ]  # fmt: skip
    # the pool's log is private like its state (it sits beside it)
    with open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as err:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=None if env is None else dict(env),
            preexec_fn=_die_with_parent if die_with_parent else None,
        )
    pool = LocalPool(url="", process=process, log=log)
    try:
        url = _await_url(process, log, timeout)
    except BaseException:
        pool.stop()
        raise
    return LocalPool(url=url, process=process, log=log)


@contextmanager
def local_pool(
    state: Path, options: Sequence[str] = (), *, timeout: float = 60.0
) -> Iterator[LocalPool]:
    """Run the local pool (:func:`start_pool`) for the block; stopped when the block ends,
    however it ends."""
    pool = start_pool(state, options, timeout=timeout)
    try:
        yield pool
    finally:
        pool.stop()


def free_port() -> int:
    """A loopback TCP port that was free a moment ago (for a server told to bind it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


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
    "ALLOW_CUSTOM_AUTH",
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


#: The first factors a choice-based (USER_AUTH) pool allows: all of them.
FIRST_FACTORS = ("PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN")
#: The relying party of the local pool's passkeys (the software authenticator's origin's host).
RELYING_PARTY = "localhost"
#: A pool's EmailConfiguration sending through Amazon SES (``DEVELOPER``), which e-mail MFA
#: needs; the identity is on the reserved example.com domain.
SES_EMAIL = {
    "EmailSendingAccount": "DEVELOPER",
    "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/no-reply@example.com",
}
#: The example custom-auth challenge, as ``pool serve --trigger`` options.
CAPTCHA_TRIGGERS = tuple(
    f"{name}=loadtest.scenarios.triggers.captcha:{name}"
    for name in ("define_auth_challenge", "create_auth_challenge", "verify_auth_challenge_response")
)


def create_app(
    url: str,
    *,
    name: str,
    mfa: str = "OPTIONAL",
    device_tracking: bool = True,
    flows: Sequence[str] = ALL_FLOWS,
    remember_on_prompt: bool = False,
    user_auth: bool = False,
    sms_mfa: bool = False,
    email_mfa: bool = False,
) -> LocalApp:
    """A user pool (TOTP enabled unless ``mfa`` is OFF; devices remembered, always or on the
    user's prompt, when ``device_tracking``) and an app client allowing ``flows``.

    ``user_auth``: choice-based sign-in, every first factor allowed, passkeys for
    :data:`RELYING_PARTY`, and ALLOW_USER_AUTH on the client; ``sms_mfa``: SMS as an MFA factor
    (users turn it on themselves, as with TOTP); ``email_mfa``: e-mail as an MFA factor, which
    Cognito allows only to a pool sending e-mail through SES (:data:`SES_EMAIL`; the local
    pool keeps the setting and sends nothing)."""
    idp = local_admin_client(url, attempts=5)
    # sign-up codes go by e-mail (issue 19's signup flow); users without an e-mail get none
    pool: dict[str, Any] = {"PoolName": name, "AutoVerifiedAttributes": ["email"]}
    if device_tracking:
        pool["DeviceConfiguration"] = {
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": remember_on_prompt,
        }
    if user_auth:
        pool["Policies"] = {"SignInPolicy": {"AllowedFirstAuthFactors": list(FIRST_FACTORS)}}
    if email_mfa:
        pool["EmailConfiguration"] = dict(SES_EMAIL)
    pool_id = idp.create_user_pool(**pool)["UserPool"]["Id"]
    if mfa != "OFF" or user_auth or sms_mfa or email_mfa:
        config = _mfa_config(mfa, user_auth=user_auth, sms_mfa=sms_mfa, email_mfa=email_mfa)
        idp.set_user_pool_mfa_config(UserPoolId=pool_id, **config)
    allowed = [*flows, *(["ALLOW_USER_AUTH"] if user_auth else [])]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName=name, ExplicitAuthFlows=allowed
    )["UserPoolClient"]["ClientId"]
    return LocalApp(url=url, pool_id=pool_id, client_id=client_id)


def _mfa_config(mfa: str, *, user_auth: bool, sms_mfa: bool, email_mfa: bool) -> dict[str, Any]:
    """SetUserPoolMfaConfig's arguments for a pool made by :func:`create_app`."""
    config: dict[str, Any] = {"MfaConfiguration": mfa}
    if mfa != "OFF":
        config["SoftwareTokenMfaConfiguration"] = {"Enabled": True}
    if sms_mfa:
        config["SmsMfaConfiguration"] = {"SmsAuthenticationMessage": "{####}"}
    if email_mfa:
        config["EmailMfaConfiguration"] = {"Message": "Your code is {####}"}
    if user_auth:
        config["WebAuthnConfiguration"] = {"RelyingPartyId": RELYING_PARTY}
    return config


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


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when its parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
