"""GetTokensFromRefreshToken and refresh-token rotation over HTTP with boto3 (§14)."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest

from tests.conftest import App, PoolServer
from tests.pool.helpers import error_of, tokens

REUSE = ("RefreshTokenReuseException", "Refresh token reuse detected")


def _app(server: PoolServer, rotation: dict[str, Any] | None, *, secret: bool = False) -> App:
    idp = server.client()
    pool_id = idp.create_user_pool(PoolName="rotation")["UserPool"]["Id"]
    kwargs: dict[str, Any] = {"RefreshTokenRotation": rotation} if rotation else {}
    flows = ["ALLOW_USER_SRP_AUTH"] + ([] if rotation else ["ALLOW_REFRESH_TOKEN_AUTH"])
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="rt", ExplicitAuthFlows=flows, GenerateSecret=secret,
        **kwargs,
    )["UserPoolClient"]  # fmt: skip
    app = App(
        pool_id=pool_id, client_id=client["ClientId"], client_secret=client.get("ClientSecret")
    )
    server.add_user(app, "ann")
    return app


def _exchange(idp: Any, app: App, token: str) -> dict[str, Any]:
    extra = {"ClientSecret": app.client_secret} if app.client_secret else {}
    answer = idp.get_tokens_from_refresh_token(RefreshToken=token, ClientId=app.client_id, **extra)
    return dict(answer["AuthenticationResult"])


def test_rotation_hands_out_a_new_token_and_refuses_the_old_after_the_grace_period(
    local_pool: PoolServer,
) -> None:
    app = _app(local_pool, {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10})
    idp = local_pool.client()
    first = tokens(idp, app, "ann")["RefreshToken"]
    second = _exchange(idp, app, first)["RefreshToken"]
    assert second != first
    newest = _exchange(idp, app, first)["RefreshToken"]  # inside the window: a fork
    local_pool.advance_clock(11)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _exchange(idp, app, first)
    assert error_of(refused) == REUSE
    third = _exchange(idp, app, newest)["RefreshToken"]  # no family revocation
    assert "AccessToken" in _exchange(idp, app, third)


def test_after_a_fork_only_the_newest_child_refreshes(local_pool: PoolServer) -> None:
    """cognito-facts §14.2 (measured): a replay inside the window forks the lineage, and
    then the older child is refused while the newest keeps working."""
    app = _app(local_pool, {"Feature": "ENABLED", "RetryGracePeriodSeconds": 60})
    idp = local_pool.client()
    first = tokens(idp, app, "ann")["RefreshToken"]
    older = _exchange(idp, app, first)["RefreshToken"]
    newest = _exchange(idp, app, first)["RefreshToken"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _exchange(idp, app, older)
    assert error_of(refused) == REUSE
    grandchild = _exchange(idp, app, newest)["RefreshToken"]
    assert "AccessToken" in _exchange(idp, app, grandchild)


def test_a_zero_grace_period_refuses_the_second_exchange_at_once(local_pool: PoolServer) -> None:
    app = _app(local_pool, {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}, secret=True)
    idp = local_pool.client()
    first = tokens(idp, app, "ann")["RefreshToken"]
    _exchange(idp, app, first)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _exchange(idp, app, first)
    assert error_of(refused) == REUSE


def test_refresh_token_auth_is_refused_while_rotation_is_on(local_pool: PoolServer) -> None:
    app = _app(local_pool, {"Feature": "ENABLED"})
    idp = local_pool.client()
    refresh = tokens(idp, app, "ann")["RefreshToken"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=app.client_id,
            AuthParameters={"REFRESH_TOKEN": refresh},
        )
    assert error_of(refused)[0] == "InvalidParameterException"


def test_without_rotation_the_original_token_stays_valid_and_none_is_issued(
    local_pool: PoolServer,
) -> None:
    app = _app(local_pool, None)
    idp = local_pool.client()
    refresh = tokens(idp, app, "ann")["RefreshToken"]
    for _ in range(2):
        answer = _exchange(idp, app, refresh)
        assert "AccessToken" in answer
        assert "RefreshToken" not in answer


def test_a_wrong_client_secret_is_refused(local_pool: PoolServer) -> None:
    app = _app(local_pool, {"Feature": "ENABLED"}, secret=True)
    idp = local_pool.client()
    refresh = tokens(idp, app, "ann")["RefreshToken"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        idp.get_tokens_from_refresh_token(
            RefreshToken=refresh, ClientId=app.client_id, ClientSecret="x" * 51
        )
    assert error_of(refused)[0] == "NotAuthorizedException"


# -- RevokeToken under rotation (cognito-facts §14.2, §14.4; docs/user-auth.md) ---------------
REVOKED = ("NotAuthorizedException", "Refresh Token has been revoked")
ACCESS_REVOKED = ("NotAuthorizedException", "Access Token has been revoked")


def _revoke(idp: Any, app: App, token: str) -> None:
    extra = {"ClientSecret": app.client_secret} if app.client_secret else {}
    idp.revoke_token(Token=token, ClientId=app.client_id, **extra)


def _refused(call: Any, *args: Any) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        call(*args)
    return error_of(refused)


def test_revoking_the_newest_token_ends_the_lineage_and_its_access_tokens(
    local_pool: PoolServer,
) -> None:
    app = _app(local_pool, {"Feature": "ENABLED", "RetryGracePeriodSeconds": 60})
    idp = local_pool.client()
    signed_in = tokens(idp, app, "ann")
    other = tokens(idp, app, "ann")  # another sign-in: its own lineage
    newest = _exchange(idp, app, signed_in["RefreshToken"])
    _revoke(idp, app, newest["RefreshToken"])
    assert _refused(_exchange, idp, app, newest["RefreshToken"]) == REVOKED
    assert _refused(_exchange, idp, app, signed_in["RefreshToken"]) == REVOKED
    for access in (signed_in["AccessToken"], newest["AccessToken"]):
        assert _refused(_get_user, idp, access) == ACCESS_REVOKED
    _revoke(idp, app, newest["RefreshToken"])  # idempotent
    assert idp.get_user(AccessToken=other["AccessToken"])["Username"] == "ann"
    assert "RefreshToken" in _exchange(idp, app, other["RefreshToken"])


def test_revoking_the_original_ends_every_branch(local_pool: PoolServer) -> None:
    app = _app(local_pool, {"Feature": "ENABLED", "RetryGracePeriodSeconds": 60}, secret=True)
    idp = local_pool.client()
    first = tokens(idp, app, "ann")["RefreshToken"]
    _exchange(idp, app, first)
    fork = _exchange(idp, app, first)  # the newest child after a fork
    _revoke(idp, app, first)
    assert _refused(_exchange, idp, app, fork["RefreshToken"]) == REVOKED
    assert _refused(_get_user, idp, fork["AccessToken"]) == ACCESS_REVOKED


def test_revoking_a_rotated_out_token_leaves_the_newest_working(local_pool: PoolServer) -> None:
    app = _app(local_pool, {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0})
    idp = local_pool.client()
    first = tokens(idp, app, "ann")["RefreshToken"]
    middle = _exchange(idp, app, first)["RefreshToken"]
    newest = _exchange(idp, app, middle)
    _revoke(idp, app, middle)
    assert _refused(_exchange, idp, app, middle) == REVOKED
    assert idp.get_user(AccessToken=newest["AccessToken"])["Username"] == "ann"
    assert "RefreshToken" in _exchange(idp, app, newest["RefreshToken"])


def test_without_rotation_a_revoked_token_fails_both_refresh_operations(
    local_pool: PoolServer,
) -> None:
    app = _app(local_pool, None)
    idp = local_pool.client()
    signed_in = tokens(idp, app, "ann")
    refresh = signed_in["RefreshToken"]
    renewed = _exchange(idp, app, refresh)
    _revoke(idp, app, refresh)
    assert _refused(_exchange, idp, app, refresh) == REVOKED
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=app.client_id,
            AuthParameters={"REFRESH_TOKEN": refresh},
        )
    assert error_of(refused) == REVOKED
    assert _refused(_get_user, idp, renewed["AccessToken"]) == ACCESS_REVOKED


def _get_user(idp: Any, access: str) -> Any:
    return idp.get_user(AccessToken=access)
