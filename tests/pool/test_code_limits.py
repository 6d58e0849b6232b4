"""Per-user hourly limits on code and password operations (cognito-facts §5), over HTTP with
boto3: kept with ``--user-code-limits``, counted per user and group of operations, lifted when
the user's hour is over; not kept by default."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from loadtest.protocol.names import Operation
from loadtest.protocol.quotas import HOURLY_USER_LIMITS
from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import srp_login
from tests.pool.test_account_journey import _error, _journey_pool

LIMITED = ("LimitExceededException", "Attempt limit exceeded, please try after some time.")
OTHER = "0ther-Passw0rd!"


def _user(server: PoolServer, app: App, name: str) -> None:
    server.add_user(
        app, name, attributes={"email": f"{name}@example.com", "email_verified": "true"}
    )


def test_change_password_is_limited_per_user_per_hour(
    pool_server: Callable[..., PoolServer],
) -> None:
    pool = pool_server("--user-code-limits", "--test-clock", "--no-quotas")
    app, idp = _journey_pool(pool), pool.client()
    _user(pool, app, "lt-limit-a")
    _user(pool, app, "lt-limit-b")
    token = srp_login(idp, app, "lt-limit-a")["AuthenticationResult"]["AccessToken"]
    limit = HOURLY_USER_LIMITS[Operation.CHANGE_PASSWORD].count
    passwords = [PASSWORD, OTHER]
    for turn in range(limit):
        idp.change_password(AccessToken=token, PreviousPassword=passwords[turn % 2],
                            ProposedPassword=passwords[(turn + 1) % 2])  # fmt: skip
    current = passwords[limit % 2]
    with pytest.raises(ClientError) as limited:
        idp.change_password(AccessToken=token, PreviousPassword=current, ProposedPassword=current)
    assert _error(limited) == LIMITED
    other = srp_login(idp, app, "lt-limit-b")["AuthenticationResult"]["AccessToken"]
    idp.change_password(AccessToken=other, PreviousPassword=PASSWORD, ProposedPassword=OTHER)
    pool.advance_clock(3600)
    token = srp_login(idp, app, "lt-limit-a", current)["AuthenticationResult"]["AccessToken"]
    idp.change_password(AccessToken=token, PreviousPassword=current, ProposedPassword=PASSWORD)


def test_forgot_password_and_its_confirmation_share_one_count(
    pool_server: Callable[..., PoolServer],
) -> None:
    pool = pool_server("--user-code-limits", "--test-clock", "--no-quotas")
    app, idp = _journey_pool(pool), pool.client()
    _user(pool, app, "lt-limit-r")
    ids = {"ClientId": app.client_id, "Username": "lt-limit-r"}
    limit = HOURLY_USER_LIMITS[Operation.FORGOT_PASSWORD].count
    for _ in range(limit - 1):
        idp.forgot_password(**ids)
    with pytest.raises(ClientError) as wrong:  # counts, though the code is wrong
        idp.confirm_forgot_password(**ids, ConfirmationCode="000000", Password=OTHER)
    assert _error(wrong)[0] == "CodeMismatchException"
    with pytest.raises(ClientError) as limited:
        idp.forgot_password(**ids)
    assert _error(limited) == LIMITED


def test_the_default_pool_keeps_no_hourly_limit(local_pool: PoolServer) -> None:
    app, idp = _journey_pool(local_pool), local_pool.client()
    _user(local_pool, app, "lt-limit-free")
    for _ in range(HOURLY_USER_LIMITS[Operation.FORGOT_PASSWORD].count + 1):
        idp.forgot_password(ClientId=app.client_id, Username="lt-limit-free")
