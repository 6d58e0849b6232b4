"""The account journey with the real ``aws`` command against the local pool: sign-up and its
confirmation, a wrong and a reused code, forgot-password, change-password, attributes, groups;
and a sign-in by a verified e-mail alias, and the alias refused to a second user.
Codes come from the pool's message sink, as a person would read them from a mailbox.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.conftest import PoolServer
from tests.pool.test_aws_cli import Aws, aws_command  # noqa: F401  (the session fixture)

pytestmark = pytest.mark.e2e

PASSWORD = "P@ssw0rd-1"
NEW = "N3w-P@ssw0rd"


def _code(server: PoolServer, pool_id: str, user: str, purpose: str) -> str:
    found = server.get_json(f"/_pool/messages?username={user}&pool_id={pool_id}")["messages"]
    return str([m["code"] for m in found if m["purpose"] == purpose][-1])


def _fails(aws: Aws, error: str, *args: str) -> None:
    done = aws.run(*args)
    assert done.returncode != 0
    assert error in done.stderr, done.stderr


def test_the_account_journey_with_the_aws_cli(
    aws_command: Path,  # noqa: F811
    local_pool: PoolServer,
    tmp_path: Path,
) -> None:
    aws = Aws(aws_command, local_pool, tmp_path)
    pool_id = aws(
        "create-user-pool", "--pool-name", "cli-journey", "--auto-verified-attributes", "email"
    )["UserPool"]["Id"]
    client = aws(
        "create-user-pool-client", "--user-pool-id", pool_id, "--client-name", "cli",
        "--explicit-auth-flows", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    ids = ("--client-id", client, "--username", "carol")
    signed = aws("sign-up", *ids, "--password", PASSWORD,
                 "--user-attributes", "Name=email,Value=carol@example.com")  # fmt: skip
    assert signed["UserConfirmed"] is False
    assert signed["CodeDeliveryDetails"]["Destination"] == "c***@e***"
    _fails(aws, "UsernameExistsException", "sign-up", *ids, "--password", PASSWORD)
    _fails(aws, "InvalidPasswordException", "sign-up", "--client-id", client,
           "--username", "dave", "--password", "weak")  # fmt: skip
    code = _code(local_pool, pool_id, "carol", "SIGN_UP")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    _fails(aws, "CodeMismatchException", "confirm-sign-up", *ids, "--confirmation-code", wrong)
    aws("confirm-sign-up", *ids, "--confirmation-code", code)
    _fails(aws, "NotAuthorizedException", "confirm-sign-up", *ids, "--confirmation-code", code)

    aws("forgot-password", *ids)
    reset = _code(local_pool, pool_id, "carol", "FORGOT_PASSWORD")
    confirm = ("confirm-forgot-password", *ids, "--confirmation-code", reset)
    aws(*confirm, "--password", NEW)
    _fails(aws, "ExpiredCodeException", *confirm, "--password", PASSWORD)

    login = aws(
        "initiate-auth", "--client-id", client, "--auth-flow", "USER_PASSWORD_AUTH",
        "--auth-parameters", f"USERNAME=carol,PASSWORD={NEW}",
    )["AuthenticationResult"]["AccessToken"]  # fmt: skip
    aws("change-password", "--access-token", login,
        "--previous-password", NEW, "--proposed-password", PASSWORD)  # fmt: skip
    aws("update-user-attributes", "--access-token", login,
        "--user-attributes", "Name=name,Value=Carol")  # fmt: skip
    aws("create-group", "--user-pool-id", pool_id, "--group-name", "beta")
    aws("admin-add-user-to-group", "--user-pool-id", pool_id, "--username", "carol",
        "--group-name", "beta")  # fmt: skip
    groups = aws("admin-list-groups-for-user", "--user-pool-id", pool_id, "--username", "carol")
    assert [g["GroupName"] for g in groups["Groups"]] == ["beta"]
    aws("update-user-pool-client", "--user-pool-id", pool_id, "--client-id", client,
        "--explicit-auth-flows", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")  # fmt: skip
    listed = aws("list-user-pool-clients", "--user-pool-id", pool_id)["UserPoolClients"]
    assert [c["ClientId"] for c in listed] == [client]


def test_signing_in_by_a_verified_alias_with_the_aws_cli(
    aws_command: Path,  # noqa: F811
    local_pool: PoolServer,
    tmp_path: Path,
) -> None:
    aws = Aws(aws_command, local_pool, tmp_path)
    pool_id = aws(
        "create-user-pool", "--pool-name", "cli-alias", "--auto-verified-attributes", "email",
        "--alias-attributes", "email",
    )["UserPool"]["Id"]  # fmt: skip
    client = aws(
        "create-user-pool-client", "--user-pool-id", pool_id, "--client-name", "cli",
        "--explicit-auth-flows", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    _fails(aws, "InvalidParameterException", "sign-up", "--client-id", client,
           "--username", "erin@example.com", "--password", PASSWORD)  # fmt: skip
    ids = ("--client-id", client, "--username", "erin")
    aws("sign-up", *ids, "--password", PASSWORD,
        "--user-attributes", "Name=email,Value=Erin@Example.com")  # fmt: skip
    by_alias = ("initiate-auth", "--client-id", client, "--auth-flow", "USER_PASSWORD_AUTH",
                "--auth-parameters", f"USERNAME=erin@example.com,PASSWORD={PASSWORD}")  # fmt: skip
    _fails(aws, "UserNotFoundException", *by_alias)  # not an alias until verified
    aws(
        "confirm-sign-up",
        *ids,
        "--confirmation-code",
        _code(local_pool, pool_id, "erin", "SIGN_UP"),
    )
    tokens = aws(*by_alias)["AuthenticationResult"]
    part = tokens["IdToken"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert (claims["cognito:username"], claims["email_verified"]) == ("erin", True)
    found = aws("admin-get-user", "--user-pool-id", pool_id, "--username", "ERIN@example.com")
    assert found["Username"] == "erin"
    aws("sign-up", "--client-id", client, "--username", "frank", "--password", PASSWORD,
        "--user-attributes", "Name=email,Value=erin@example.com")  # fmt: skip
    frank = _code(local_pool, pool_id, "frank", "SIGN_UP")
    _fails(aws, "AliasExistsException", "confirm-sign-up", "--client-id", client,
           "--username", "frank", "--confirmation-code", frank)  # fmt: skip
