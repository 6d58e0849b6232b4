"""Tokens: RS256 with two kids, Cognito's claims, the JWKS, refresh, and global sign-out."""

from __future__ import annotations

import json
import urllib.request
import uuid

import jwt
import pytest
from botocore.exceptions import ClientError

from tests.conftest import PoolServer

from .helpers import error_of, tokens

pytestmark = pytest.mark.e2e


def test_tokens_verify_against_the_jwks(local_pool: PoolServer) -> None:
    idp, app = local_pool.client(), local_pool.provision()
    local_pool.add_user(app, "t", attributes={"email": "t@example.com", "email_verified": "true"})
    result = tokens(idp, app, "t")
    url = f"{local_pool.url}/{app.pool_id}/.well-known/jwks.json"
    with urllib.request.urlopen(url, timeout=10) as response:
        jwks = json.loads(response.read())
    assert len(jwks["keys"]) == 2
    assert all(k["alg"] == "RS256" and k["use"] == "sig" for k in jwks["keys"])
    keys = {k["kid"]: jwt.PyJWK(k) for k in jwks["keys"]}
    access_kid = jwt.get_unverified_header(result["AccessToken"])["kid"]
    id_kid = jwt.get_unverified_header(result["IdToken"])["kid"]
    assert access_kid != id_kid
    assert {access_kid, id_kid} == set(keys)
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{app.pool_id}"
    access = jwt.decode(
        result["AccessToken"], keys[access_kid], algorithms=["RS256"], issuer=issuer,
        options={"verify_iat": False},
    )  # fmt: skip
    ident = jwt.decode(
        result["IdToken"], keys[id_kid], algorithms=["RS256"], issuer=issuer,
        audience=app.client_id, options={"verify_iat": False},
    )  # fmt: skip
    assert access["token_use"] == "access"
    assert access["client_id"] == app.client_id
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert access["username"] == "t"
    assert {"sub", "origin_jti", "event_id", "auth_time", "exp", "iat", "jti"} <= set(access)
    assert ident["token_use"] == "id"
    assert ident["cognito:username"] == "t"
    assert ident["email"] == "t@example.com"
    assert ident["email_verified"] is True
    assert ident["sub"] == access["sub"]
    assert uuid.UUID(ident["sub"])
    assert ident["exp"] - ident["iat"] == 3600


def test_refresh_keeps_auth_time_and_returns_no_refresh_token(local_pool: PoolServer) -> None:
    idp, app = local_pool.client(), local_pool.provision()
    local_pool.add_user(app, "r")
    first = tokens(idp, app, "r")
    refreshed = idp.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH",
        ClientId=app.client_id,
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    assert "RefreshToken" not in refreshed
    old = jwt.decode(first["AccessToken"], options={"verify_signature": False})
    new = jwt.decode(refreshed["AccessToken"], options={"verify_signature": False})
    assert new["auth_time"] == old["auth_time"]
    assert new["origin_jti"] == old["origin_jti"]
    assert new["jti"] != old["jti"]


def test_global_sign_out_revokes_access_and_refresh_tokens(local_pool: PoolServer) -> None:
    idp, app = local_pool.client(), local_pool.provision()
    local_pool.add_user(app, "s")
    first = tokens(idp, app, "s")
    idp.global_sign_out(AccessToken=first["AccessToken"])
    with pytest.raises(ClientError) as excinfo:
        idp.get_user(AccessToken=first["AccessToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has been revoked")
    with pytest.raises(ClientError) as excinfo:
        idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=app.client_id,
            AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has been revoked")
    local_pool.advance_clock(0.01)
    second = tokens(idp, app, "s")
    assert idp.get_user(AccessToken=second["AccessToken"])["Username"] == "s"
    idp.admin_user_global_sign_out(UserPoolId=app.pool_id, Username="s")
    with pytest.raises(ClientError):
        idp.get_user(AccessToken=second["AccessToken"])


def test_expired_and_forged_access_tokens(local_pool: PoolServer) -> None:
    idp, app = local_pool.client(), local_pool.provision()
    local_pool.add_user(app, "e")
    access = tokens(idp, app, "e")["AccessToken"]
    forged = jwt.encode({"token_use": "access"}, "k" * 32, algorithm="HS256")
    with pytest.raises(ClientError) as excinfo:
        idp.get_user(AccessToken=forged)
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Access Token")
    local_pool.advance_clock(3601)
    with pytest.raises(ClientError) as excinfo:
        idp.get_user(AccessToken=access)
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has expired")
