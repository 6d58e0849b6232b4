"""The official JS SDK, amazon-cognito-identity-js on node 20, against the local pool over HTTP:
signUp, confirmRegistration, forgotPassword, confirmPassword, changePassword and
updateAttributes, with success and Cognito's errors (an existing username, a weak password,
a wrong, a reused and an expired code). The SDK is installed with ``npm ci`` from the lock file
on first use (``tests/js/package-lock.json``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PoolServer

pytestmark = pytest.mark.e2e

_HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """``tests/js/node_modules``, installed from the lock file if missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node 20 and npm are needed for the JS SDK tests (apt-get install nodejs npm)")
    modules = _HERE / "node_modules"
    if not (modules / "amazon-cognito-identity-js").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=_HERE, check=True, timeout=600)
    return modules


def _journey(server: PoolServer, pool_id: str, client_id: str, username: str) -> dict[str, Any]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ENDPOINT": server.url.rstrip("/") + "/",
        "POOL_ID": pool_id,
        "CLIENT_ID": client_id,
        "USERNAME": username,
    }
    done = subprocess.run(
        ["node", str(_HERE / "journey.mjs")],
        env=env, cwd=_HERE, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


def test_the_account_journey_with_amazon_cognito_identity_js(
    node_modules: Path, local_pool: PoolServer
) -> None:
    idp = local_pool.client()
    pool_id = idp.create_user_pool(PoolName="js-journey", AutoVerifiedAttributes=["email"])[
        "UserPool"
    ]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="js", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    username = f"lt-js-{uuid.uuid4().hex[:8]}"
    out = _journey(local_pool, pool_id, client_id, username)
    assert uuid.UUID(out["signUp"]["sub"])
    assert out["signUp"]["delivery"] == {
        "Destination": "l***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
    }  # fmt: skip
    assert out["signUpExisting"] == {
        "error": "UsernameExistsException", "message": "User already exists",
    }  # fmt: skip
    assert out["signUpWeak"]["error"] == "InvalidPasswordException"
    assert out["confirmWrong"]["error"] == "CodeMismatchException"
    assert out["confirm"] == "SUCCESS"
    assert out["confirmReused"]["error"] == "NotAuthorizedException"
    assert out["forgot"]["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert out["confirmPasswordWrong"]["error"] == "CodeMismatchException"
    assert out["confirmPassword"] == "SUCCESS"
    assert out["confirmPasswordReused"]["error"] == "ExpiredCodeException"
    assert out["confirmPasswordExpired"] == {
        "error": "ExpiredCodeException",
        "message": "Invalid code provided, please request a code again.",
    }
    assert out["changePasswordWrong"]["error"] == "NotAuthorizedException"
    assert out["changePassword"] == "SUCCESS"
    assert out["updateAttributes"] == "SUCCESS"
    assert out["attributes"]["name"] == "Jay Ess"
    assert out["attributes"]["email_verified"] == "true"
    assert out["signedInWithLastPassword"] is True
