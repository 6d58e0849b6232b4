"""The seeds' TOTP walkthrough run with the real ``aws`` command against the local pool.

awscli pins botocore exactly (which conflicts with aiobotocore), so it lives in its own venv,
``.venv-awscli`` at the repository root, created here on first use.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.conftest import PoolServer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("aws-cli")]

_ROOT = Path(__file__).resolve().parents[2]
_VENV = _ROOT / ".venv-awscli"
_INSTALL_TIMEOUT = 900


@pytest.fixture(scope="session")
def aws_command() -> Path:
    """The ``aws`` executable of the dedicated venv, installed from PyPI if missing.

    Several modules use this fixture and pytest-xdist runs them on several workers: the first
    to come installs under an exclusive lock on a file beside the venv, the others wait for it
    and find ``aws`` there (``venv --clear`` by two workers at once failed with "Directory not
    empty")."""
    aws = _VENV / "bin" / "aws"
    with open(_ROOT / ".venv-awscli.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not aws.exists():
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", str(_VENV)],
                check=True,
                timeout=_INSTALL_TIMEOUT,
            )
            subprocess.run(
                [str(_VENV / "bin" / "pip"), "install", "--quiet", "awscli"],
                check=True,
                timeout=_INSTALL_TIMEOUT,
            )
    return aws


class Aws:
    """``aws cognito-idp ...`` against one endpoint, with dummy credentials."""

    def __init__(self, command: Path, server: PoolServer, home: Path) -> None:
        self._command, self._server = command, server
        self._env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "AWS_ACCESS_KEY_ID": "AKIDLOCALPOOL",
            "AWS_SECRET_ACCESS_KEY": "local-pool-secret",
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
            "AWS_PAGER": "",
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [
            str(self._command), "cognito-idp", *args,
            "--endpoint-url", self._server.url, "--region", "us-east-1", "--output", "json",
        ]  # fmt: skip
        return subprocess.run(
            command, env=self._env, capture_output=True, text=True, timeout=120, check=False
        )

    def shell(self, script: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``script`` in bash, as a user types it: ``aws`` on PATH, ``$ENDPOINT`` set."""
        path = f"{self._command.parent}:{self._env['PATH']}"
        extra = {
            "PATH": path,
            "ENDPOINT": self._server.url,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_DEFAULT_OUTPUT": "json",
        }
        return subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env={**self._env, **extra, **env},
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )

    def __call__(self, *args: str) -> Any:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}


def test_seed_walkthrough_with_the_aws_cli(
    aws_command: Path, local_pool: PoolServer, tmp_path: Path
) -> None:
    aws = Aws(aws_command, local_pool, tmp_path)
    pool_id = aws("create-user-pool", "--pool-name", "seed-walkthrough")["UserPool"]["Id"]
    aws(
        "set-user-pool-mfa-config", "--user-pool-id", pool_id,
        "--software-token-mfa-configuration", "Enabled=true", "--mfa-configuration", "OPTIONAL",
    )  # fmt: skip
    client_id = aws(
        "create-user-pool-client", "--user-pool-id", pool_id, "--client-name", "seed",
        "--explicit-auth-flows", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    aws(
        "admin-create-user", "--user-pool-id", pool_id, "--username", "Bob",
        "--message-action", "SUPPRESS",
    )  # fmt: skip
    aws(
        "admin-set-user-password", "--user-pool-id", pool_id, "--username", "Bob",
        "--password", "P@ssw0rd", "--permanent",
    )  # fmt: skip
    login = [
        "admin-initiate-auth", "--user-pool-id", pool_id, "--client-id", client_id,
        "--auth-flow", "ADMIN_USER_PASSWORD_AUTH",
        "--auth-parameters", "USERNAME=Bob,PASSWORD=P@ssw0rd",
    ]  # fmt: skip
    access = aws(*login)["AuthenticationResult"]["AccessToken"]

    secret = aws("associate-software-token", "--access-token", access)["SecretCode"]
    totp = pyotp.TOTP(secret)
    verified = aws(
        "verify-software-token", "--access-token", access,
        "--user-code", totp.at(local_pool.now()), "--friendly-device-name", "BobPhone",
    )  # fmt: skip
    assert verified == {"Status": "SUCCESS"}
    aws(
        "set-user-mfa-preference", "--access-token", access,
        "--software-token-mfa-settings", "Enabled=true,PreferredMfa=true",
    )  # fmt: skip
    aws(
        "admin-set-user-mfa-preference", "--user-pool-id", pool_id, "--username", "Bob",
        "--software-token-mfa-settings", "Enabled=true,PreferredMfa=true",
    )  # fmt: skip

    challenge = aws(*login)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert challenge["ChallengeParameters"] == {
        "FRIENDLY_DEVICE_NAME": "BobPhone",
        "USER_ID_FOR_SRP": "Bob",
    }
    local_pool.advance_clock(30)  # the code that verified the token is spent
    code = totp.at(local_pool.now())
    done = aws.shell(_WALKTHROUGH, POOL=pool_id, CLIENT=client_id, CODE=code, WRONG=_other(code))
    assert done.returncode == 0, done.stderr
    first, wrong, answer = done.stdout.split("\n---\n")
    assert first.startswith("AYAB")
    assert "CodeMismatchException" in wrong
    result = json.loads(answer)["AuthenticationResult"]
    assert result["ExpiresIn"] == 3600
    assert result["TokenType"] == "Bearer"
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(result)
    assert json.loads(answer)["ChallengeParameters"] == {}


#: The walkthrough's MFA step as the seeds type it: the Session in a shell variable, passed as
#: ``--session "$S"`` (a Session starting with ``-`` would be read as an option: issue 16).
#: A wrong code first (the Session survives it), then the right one.
_WALKTHROUGH = """
S=$(aws cognito-idp admin-initiate-auth --endpoint-url "$ENDPOINT" \
      --user-pool-id "$POOL" --client-id "$CLIENT" --auth-flow ADMIN_USER_PASSWORD_AUTH \
      --auth-parameters 'USERNAME=Bob,PASSWORD=P@ssw0rd' --query Session --output text)
printf '%s\n---\n' "$S"
if aws cognito-idp admin-respond-to-auth-challenge --endpoint-url "$ENDPOINT" \
      --user-pool-id "$POOL" --client-id "$CLIENT" --challenge-name SOFTWARE_TOKEN_MFA \
      --challenge-responses "USERNAME=Bob,SOFTWARE_TOKEN_MFA_CODE=$WRONG" --session "$S" 2>&1
then exit 3; fi
printf '\n---\n'
aws cognito-idp admin-respond-to-auth-challenge --endpoint-url "$ENDPOINT" \
      --user-pool-id "$POOL" --client-id "$CLIENT" --challenge-name SOFTWARE_TOKEN_MFA \
      --challenge-responses "USERNAME=Bob,SOFTWARE_TOKEN_MFA_CODE=$CODE" --session "$S"
"""


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"
