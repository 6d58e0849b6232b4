"""Refresh-token rotation at the token endpoint (cognito-facts §14.2, §17.4; docs/user-auth.md):
authlib, an independent OAuth client, signs in with the code grant and follows rotation; plain
HTTP shows the old token refused after the grace period and a revocation holding at both the
token endpoint and the API."""

from __future__ import annotations

import re
import secrets
from typing import Any

import botocore.exceptions
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.conftest import PASSWORD
from tests.oauth.conftest import Hosted, hosted_pool
from tests.pool.helpers import error_of

GRACE = 10


def _rotating_client(hosted: Hosted, grace: int = GRACE) -> str:
    """A public code-grant client of the hosted pool with RefreshTokenRotation on."""
    setup = hosted.setup
    client = hosted.server.client().create_user_pool_client(
        UserPoolId=setup.pool_id,
        ClientName="rotating",
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[setup.callback_url],
        SupportedIdentityProviders=["COGNITO"],
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": grace},
    )["UserPoolClient"]
    return str(client["ClientId"])


def _signed_in(hosted: Hosted, client_id: str) -> tuple[OAuth2Session, dict[str, Any]]:
    """authlib's code grant with PKCE through the classic sign-in form (no MFA)."""
    session = OAuth2Session(
        client_id,
        redirect_uri=hosted.setup.callback_url,
        scope="openid email",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = secrets.token_urlsafe(48)
    url, _state = session.create_authorization_url(
        f"{hosted.base}/oauth2/authorize", code_verifier=verifier
    )
    web = requests.Session()
    form = web.get(url, timeout=30)
    action = re.search(r'action="([^"]+)"', form.text)
    csrf = re.search(r'name="_csrf" value="([^"]*)"', form.text)
    assert action
    assert csrf
    done = web.post(
        action.group(1).replace("&amp;", "&"),
        data={"_csrf": csrf.group(1), "username": hosted.username, "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 302, done.text
    token = session.fetch_token(
        f"{hosted.base}/oauth2/token",
        authorization_response=done.headers["Location"],
        code_verifier=verifier,
    )
    return session, dict(token)


def _refresh(hosted: Hosted, client_id: str, refresh_token: str) -> requests.Response:
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    return requests.post(f"{hosted.base}/oauth2/token", data=form, timeout=30)


@pytest.fixture
def plain(local_pool: Any) -> Hosted:
    return hosted_pool(local_pool, totp=False)


def test_authlib_follows_rotation_and_the_old_token_is_refused_after_the_grace_period(
    plain: Hosted,
) -> None:
    client_id = _rotating_client(plain)
    session, first = _signed_in(plain, client_id)
    second = session.refresh_token(f"{plain.base}/oauth2/token")
    assert set(second) >= {"access_token", "id_token", "refresh_token", "token_type"}
    assert second["refresh_token"] != first["refresh_token"]
    third = session.refresh_token(f"{plain.base}/oauth2/token")  # authlib sends the newest
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])
    retry = _refresh(plain, client_id, second["refresh_token"])  # inside the window
    assert retry.status_code == 200
    assert "refresh_token" in retry.json()
    plain.server.advance_clock(GRACE + 1)
    late = _refresh(plain, client_id, first["refresh_token"])
    assert (late.status_code, late.json()) == (400, {"error": "invalid_grant"})
    newest = _refresh(plain, client_id, retry.json()["refresh_token"])
    assert newest.status_code == 200  # no family revocation (measured, facts §14.2)


def test_the_api_and_the_token_endpoint_share_one_rotation_and_one_revocation(
    plain: Hosted,
) -> None:
    client_id = _rotating_client(plain, grace=0)
    _session, first = _signed_in(plain, client_id)
    idp = plain.server.client()
    rotated = idp.get_tokens_from_refresh_token(
        RefreshToken=first["refresh_token"], ClientId=client_id
    )["AuthenticationResult"]
    spent = _refresh(plain, client_id, first["refresh_token"])
    assert spent.json() == {"error": "invalid_grant"}  # already rotated by the API
    newest = _refresh(plain, client_id, rotated["RefreshToken"]).json()
    assert "id_token" in newest  # the lineage kept its openid scope through the API's rotation
    gone = requests.post(
        f"{plain.base}/oauth2/revoke",
        data={"token": newest["refresh_token"], "client_id": client_id},
        timeout=30,
    )
    assert gone.status_code == 200
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        idp.get_tokens_from_refresh_token(RefreshToken=newest["refresh_token"], ClientId=client_id)
    assert error_of(refused) == ("NotAuthorizedException", "Refresh Token has been revoked")
    bearer = {"Authorization": f"Bearer {newest['access_token']}"}
    info = requests.get(f"{plain.base}/oauth2/userInfo", headers=bearer, timeout=30)
    assert info.status_code == 401
