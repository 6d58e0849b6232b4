"""An independent OAuth 2.0 / OIDC client against the local pool: authlib (requests client) finds
every endpoint in the discovery document, runs the authorization-code flow with PKCE S256,
checks the ID token against the keys at ``jwks_uri`` (joserfc, authlib's JOSE successor, for
the signature; authlib's ``CodeIDToken`` for iss, aud, nonce and at_hash), refreshes, and gets
client-credentials tokens with the resource server's scopes."""

from __future__ import annotations

import re
import secrets
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.conftest import PASSWORD
from tests.oauth.conftest import Hosted


def _discover(hosted: Hosted) -> dict[str, Any]:
    url = f"{hosted.server.url}/{hosted.setup.pool_id}/.well-known/openid-configuration"
    return dict(requests.get(url, timeout=30).json())


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found
    return found.group(1)


def _action(page: str) -> str:
    found = re.search(r'action="([^"]+)"', page)
    assert found
    return found.group(1).replace("&amp;", "&")


def _browse(hosted: Hosted, url: str) -> str:
    """What the user does in the browser: the form, the TOTP page; returns the callback URL."""
    web = requests.Session()
    form = web.get(url, timeout=30)  # authorize redirects to /login, followed
    page = web.post(
        _action(form.text),
        data={
            "_csrf": _field(form.text, "_csrf"),
            "username": hosted.username,
            "password": PASSWORD,
        },
        timeout=30,
    )
    done = web.post(
        _action(page.text),
        data={
            "_csrf": _field(page.text, "_csrf"),
            "session": _field(page.text, "session"),
            "totpCode": hosted.code(),
        },
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 302, done.text
    return str(done.headers["Location"])


def _id_token_claims(
    hosted: Hosted, meta: dict[str, Any], token: dict[str, Any], nonce: str
) -> CodeIDToken:
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=30).json())
    decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={
            "iss": {"values": [meta["issuer"]]},
            "aud": {"values": [hosted.setup.code_client_id]},
        },
        params={"nonce": nonce, "access_token": token["access_token"]},
    )
    claims.validate(now=int(hosted.server.now()))
    return claims


def test_authlib_discovers_signs_in_with_pkce_validates_and_refreshes(hosted: Hosted) -> None:
    meta = _discover(hosted)
    client = OAuth2Session(
        hosted.setup.code_client_id,
        redirect_uri=hosted.setup.callback_url,
        scope="openid email profile",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    callback = _browse(hosted, url)
    token = client.fetch_token(
        meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert f"state={state}" in callback
    claims = _id_token_claims(hosted, meta, token, nonce)
    assert claims["cognito:username"] == hosted.username
    assert claims["at_hash"]
    info = client.get(meta["userinfo_endpoint"], timeout=30).json()
    assert info["sub"] == claims["sub"]
    renewed = client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    assert renewed["access_token"] != token["access_token"]
    assert "id_token" in renewed


def test_authlib_client_credentials_get_the_resource_servers_scopes(hosted: Hosted) -> None:
    meta = _discover(hosted)
    setup = hosted.setup
    for method in ("client_secret_basic", "client_secret_post"):
        client = OAuth2Session(
            setup.m2m_client_id, setup.m2m_client_secret, token_endpoint_auth_method=method
        )
        token = client.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
        keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=30).json())
        claims = jwt.decode(token["access_token"], keys, algorithms=["RS256"]).claims
        assert claims["scope"].split() == list(setup.custom_scopes)
        assert claims["token_use"] == "access"
        assert "refresh_token" not in token
