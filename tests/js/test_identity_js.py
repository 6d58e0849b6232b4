"""The official JavaScript SDK, amazon-cognito-identity-js, through SMS_MFA, SELECT_MFA_TYPE and
CUSTOM_AUTH against the local pool, by its own callbacks (``mfaRequired``, ``selectMFAType``,
``customChallenge``), on node 20.

The SDK is installed by ``.ci/ensure-js-deps`` (``npm ci`` from tests/js/package-lock.json),
which ``make test`` runs and this module runs too; a missing node or npm fails, never skips.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import enroll_totp, tokens

pytestmark = pytest.mark.e2e

_HERE = Path(__file__).resolve().parent
_ENSURE = _HERE.parents[1] / ".ci" / "ensure-js-deps"
PHONE = "+15550100155"


@pytest.fixture(scope="module")
def node_sdk() -> Path:
    """tests/js with its node_modules installed (npm ci), or a loud failure."""
    done = subprocess.run(
        ["bash", str(_ENSURE)], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    return _HERE / "challenges.mjs"


def sign_in(script: Path, server: PoolServer, app: App, username: str, mode: str) -> Any:
    done = subprocess.run(
        ["node", str(script), server.url, app.pool_id, app.client_id, username, PASSWORD, mode],
        capture_output=True, text=True, timeout=120, check=False, cwd=_HERE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def sms_app(server: PoolServer) -> tuple[Any, App]:
    idp, app = server.client(), server.provision(mfa="OPTIONAL")
    idp.set_user_pool_mfa_config(
        UserPoolId=app.pool_id, SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"}
    )
    return idp, app


def test_identity_js_sms_mfa_through_mfa_required(node_sdk: Path, local_pool: PoolServer) -> None:
    idp, app = sms_app(local_pool)
    local_pool.add_user(app, "js-sms", attributes={"phone_number": PHONE})
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id,
        Username="js-sms",
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    result = sign_in(node_sdk, local_pool, app, "js-sms", "sms")
    assert result == {"ok": True, "events": ["mfaRequired:SMS_MFA:+*******0155", "onSuccess"]}


def test_identity_js_select_mfa_type_then_sms(node_sdk: Path, local_pool: PoolServer) -> None:
    idp, app = sms_app(local_pool)
    local_pool.add_user(app, "js-two", attributes={"phone_number": PHONE})
    enroll_totp(local_pool, idp, tokens(idp, app, "js-two")["AccessToken"])
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id,
        Username="js-two",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    result = sign_in(node_sdk, local_pool, app, "js-two", "select")
    assert result["events"] == [
        'selectMFAType:["SMS_MFA","SOFTWARE_TOKEN_MFA"]',
        "mfaRequired:SMS_MFA:+*******0155",
        "onSuccess",
    ]
    assert result["ok"] is True


def test_identity_js_custom_auth_with_srp_and_a_wrong_answer(
    node_sdk: Path, local_pool: PoolServer
) -> None:
    app = local_pool.provision()
    local_pool.add_user(app, "js-custom")
    result = sign_in(node_sdk, local_pool, app, "js-custom", "custom-srp")
    # a wrong answer, then the captcha's two rounds
    assert result == {"ok": True, "events": ["customChallenge:js-custom"] * 3 + ["onSuccess"]}


def test_identity_js_custom_auth_without_srp(node_sdk: Path, local_pool: PoolServer) -> None:
    app = local_pool.provision()
    local_pool.add_user(app, "js-plain")
    result = sign_in(node_sdk, local_pool, app, "js-plain", "custom-only")
    assert result == {"ok": True, "events": ["customChallenge:js-plain"] * 2 + ["onSuccess"]}


def test_identity_js_custom_auth_failure(node_sdk: Path, local_pool: PoolServer) -> None:
    app = local_pool.provision()
    local_pool.add_user(app, "js-fail")
    result = sign_in(node_sdk, local_pool, app, "js-fail", "custom-fail")
    assert result["ok"] is False
    assert result["events"] == ["customChallenge:js-fail"] * 3 + ["onFailure"]
    assert result["error"] == {
        "code": "NotAuthorizedException",
        "message": "Incorrect username or password.",
    }
