"""Managed login and the OAuth 2.0 endpoints of the local pool, over real HTTP on loopback.

A scripted browser (requests, with its cookie jar) walks authorize -> /login (CSRF cookie and
form token) -> /mfa -> the callback, then the token endpoint redeems the code with PKCE.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests

from tests.conftest import PASSWORD, PoolServer
from tests.oauth.conftest import Hosted, hosted_pool


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _authorize_params(hosted: Hosted, challenge: str, state: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": hosted.setup.code_client_id,
        "redirect_uri": hosted.setup.callback_url,
        "scope": "openid email loadtest-api/read",
        "state": state,
        "nonce": "n-0S6_WzA2Mj",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} field"
    return found.group(1)


def _action(page: str) -> str:
    found = re.search(r'action="([^"]+)"', page)
    assert found
    return found.group(1).replace("&amp;", "&")


def _sign_in(
    hosted: Hosted, web: requests.Session, state: str, challenge: str, password: str = PASSWORD
) -> requests.Response:
    """authorize -> login form -> POST; returns the answer to the password POST."""
    start = web.get(
        f"{hosted.base}/oauth2/authorize",
        params=_authorize_params(hosted, challenge, state),
        allow_redirects=False,
        timeout=30,
    )
    assert start.status_code == 302
    form = web.get(start.headers["Location"], timeout=30)
    assert form.status_code == 200
    assert web.cookies.get("XSRF-TOKEN") == _field(form.text, "_csrf")
    body = {
        "_csrf": _field(form.text, "_csrf"),
        "username": hosted.username,
        "password": password,
        "cognitoAsfData": "",
    }
    return web.post(_action(form.text), data=body, allow_redirects=False, timeout=30)


def _through_mfa(hosted: Hosted, web: requests.Session, page: requests.Response) -> str:
    """Answer the TOTP page; returns the callback URL."""
    assert "totpCode" in page.text
    body = {
        "_csrf": _field(page.text, "_csrf"),
        "session": _field(page.text, "session"),
        "totpCode": hosted.code(),
    }
    done = web.post(_action(page.text), data=body, allow_redirects=False, timeout=30)
    assert done.status_code == 302, done.text
    return done.headers["Location"]


def _redeem(hosted: Hosted, code: str, verifier: str) -> requests.Response:
    return requests.post(
        f"{hosted.base}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": hosted.setup.code_client_id,
            "code": code,
            "redirect_uri": hosted.setup.callback_url,
            "code_verifier": verifier,
        },
        timeout=30,
    )


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_password_and_totp_lead_to_the_callback_and_the_code_to_tokens(hosted: Hosted) -> None:
    web = requests.Session()
    verifier, challenge = _pkce()
    mfa_page = _sign_in(hosted, web, "st-1", challenge)
    assert mfa_page.status_code == 200
    callback = urlparse(_through_mfa(hosted, web, mfa_page))
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == hosted.setup.callback_url
    query = parse_qs(callback.query)
    assert query["state"] == ["st-1"]
    answer = _redeem(hosted, query["code"][0], verifier)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert set(tokens) == {"access_token", "id_token", "refresh_token", "token_type", "expires_in"}
    access, ident = _claims(tokens["access_token"]), _claims(tokens["id_token"])
    assert access["scope"] == "email loadtest-api/read openid"
    assert access["version"] == 2
    assert ident["nonce"] == "n-0S6_WzA2Mj"
    assert ident["aud"] == hosted.setup.code_client_id
    assert _redeem(hosted, query["code"][0], verifier).json() == {"error": "invalid_grant"}


def test_a_wrong_pkce_verifier_is_refused(hosted: Hosted) -> None:
    web = requests.Session()
    _verifier, challenge = _pkce()
    callback = _through_mfa(hosted, web, _sign_in(hosted, web, "s", challenge))
    code = parse_qs(urlparse(callback).query)["code"][0]
    answer = _redeem(hosted, code, secrets.token_urlsafe(48))
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})


def test_the_session_cookie_skips_the_form_on_the_next_authorize(hosted: Hosted) -> None:
    web = requests.Session()
    _verifier, challenge = _pkce()
    _through_mfa(hosted, web, _sign_in(hosted, web, "a", challenge))
    again = web.get(
        f"{hosted.base}/oauth2/authorize",
        params=_authorize_params(hosted, challenge, "b"),
        allow_redirects=False,
        timeout=30,
    )
    assert again.status_code == 302
    assert again.headers["Location"].startswith(hosted.setup.callback_url + "?code=")
    out = web.get(
        f"{hosted.base}/logout",
        params={"client_id": hosted.setup.code_client_id, "logout_uri": hosted.setup.logout_url},
        allow_redirects=False,
        timeout=30,
    )
    assert (out.status_code, out.headers["Location"]) == (302, hosted.setup.logout_url)
    after = web.get(
        f"{hosted.base}/oauth2/authorize",
        params=_authorize_params(hosted, challenge, "c"),
        allow_redirects=False,
        timeout=30,
    )
    assert "/login?" in after.headers["Location"]


def test_a_post_without_the_csrf_cookie_is_refused(hosted: Hosted) -> None:
    web = requests.Session()
    _verifier, challenge = _pkce()
    params = _authorize_params(hosted, challenge, "s")
    form = web.get(f"{hosted.base}/login", params=params, timeout=30)
    stranger = requests.post(
        _action(form.text),
        data={
            "_csrf": _field(form.text, "_csrf"),
            "username": hosted.username,
            "password": PASSWORD,
        },
        allow_redirects=False,
        timeout=30,
    )
    assert stranger.status_code == 403


def test_wrong_passwords_show_cognitos_message_and_count_toward_the_lockout(
    local_pool: PoolServer,
) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    _verifier, challenge = _pkce()
    messages = []
    for _ in range(6):
        page = _sign_in(hosted, requests.Session(), "s", challenge, password="Wrong-0ne!")
        assert page.status_code == 200
        messages.append(re.search(r'class="error">([^<]*)<', page.text).group(1))  # type: ignore[union-attr]
    assert messages[0] == "Incorrect username or password."
    assert messages[-1] == "Password attempts exceeded"


def test_an_unknown_redirect_uri_is_an_error_page_not_a_redirect(hosted: Hosted) -> None:
    params = _authorize_params(hosted, _pkce()[1], "s")
    params["redirect_uri"] = "https://evil.example/cb"
    answer = requests.get(
        f"{hosted.base}/oauth2/authorize", params=params, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 400
    assert "text/html" in answer.headers["Content-Type"]


def test_a_plain_code_challenge_method_is_redirected_as_invalid_request(hosted: Hosted) -> None:
    params = _authorize_params(hosted, _pkce()[1], "s")
    params["code_challenge_method"] = "plain"
    answer = requests.get(
        f"{hosted.base}/oauth2/authorize", params=params, allow_redirects=False, timeout=30
    )
    query = parse_qs(urlparse(answer.headers["Location"]).query)
    assert query == {"error": ["invalid_request"], "state": ["s"]}


def _m2m(hosted: Hosted, **form: str) -> requests.Response:
    setup = hosted.setup
    return requests.post(
        f"{hosted.base}/oauth2/token",
        data={"grant_type": "client_credentials", **form},
        auth=(setup.m2m_client_id, setup.m2m_client_secret),
        timeout=30,
    )


def test_client_credentials_carry_the_resource_servers_scopes(hosted: Hosted) -> None:
    answer = _m2m(hosted)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    claims = _claims(body["access_token"])
    assert claims["scope"] == "loadtest-api/read loadtest-api/write"
    assert claims["client_id"] == hosted.setup.m2m_client_id
    assert "username" not in claims
    narrowed = _claims(_m2m(hosted, scope="loadtest-api/write").json()["access_token"])
    assert narrowed["scope"] == "loadtest-api/write"
    assert _m2m(hosted, scope="openid").json() == {"error": "invalid_scope"}


def test_client_secret_in_the_body_works_and_a_wrong_one_is_invalid_client(
    hosted: Hosted,
) -> None:
    setup, url = hosted.setup, f"{hosted.base}/oauth2/token"
    body = {"grant_type": "client_credentials", "client_id": setup.m2m_client_id}
    good = requests.post(url, data={**body, "client_secret": setup.m2m_client_secret}, timeout=30)
    assert good.status_code == 200
    bad = requests.post(url, data={**body, "client_secret": "nope"}, timeout=30)
    assert (bad.status_code, bad.json()) == (400, {"error": "invalid_client"})
    odd = requests.post(url, data={**body, "grant_type": "password"}, timeout=30)
    assert odd.json() == {"error": "unsupported_grant_type"}
    assert bad.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_user_info_refresh_and_revoke(hosted: Hosted) -> None:
    web = requests.Session()
    verifier, challenge = _pkce()
    callback = _through_mfa(hosted, web, _sign_in(hosted, web, "s", challenge))
    code = parse_qs(urlparse(callback).query)["code"][0]
    tokens = _redeem(hosted, code, verifier).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    info = requests.get(f"{hosted.base}/oauth2/userInfo", headers=bearer, timeout=30).json()
    assert info["username"] == hosted.username
    assert info["email"] == f"{hosted.username}@example.com"
    m2m_bearer = {"Authorization": f"Bearer {_m2m(hosted).json()['access_token']}"}
    refused = requests.get(f"{hosted.base}/oauth2/userInfo", headers=m2m_bearer, timeout=30)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    refresh = {
        "grant_type": "refresh_token",
        "client_id": hosted.setup.code_client_id,
        "refresh_token": tokens["refresh_token"],
    }
    renewed = requests.post(f"{hosted.base}/oauth2/token", data=refresh, timeout=30).json()
    assert set(renewed) == {"access_token", "id_token", "token_type", "expires_in"}
    revoke = {"token": tokens["refresh_token"], "client_id": hosted.setup.code_client_id}
    gone = requests.post(f"{hosted.base}/oauth2/revoke", data=revoke, timeout=30)
    assert (gone.status_code, gone.text) == (200, "")
    again = requests.post(f"{hosted.base}/oauth2/token", data=refresh, timeout=30)
    assert again.json() == {"error": "invalid_grant"}
    after = requests.get(f"{hosted.base}/oauth2/userInfo", headers=bearer, timeout=30)
    assert after.status_code == 401


def test_discovery_points_every_url_at_the_local_pool(hosted: Hosted) -> None:
    server = hosted.server
    doc = server.get_json(f"/{hosted.setup.pool_id}/.well-known/openid-configuration")
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "revocation_endpoint",
        "end_session_endpoint",
    ):
        assert doc[key].startswith(hosted.base + "/"), key
    assert doc["jwks_uri"] == f"{server.url}/{hosted.setup.pool_id}/.well-known/jwks.json"
    assert server.get_json(doc["jwks_uri"].removeprefix(server.url))["keys"]


def test_domain_and_resource_server_operations(hosted: Hosted) -> None:
    idp, setup = hosted.server.client(), hosted.setup
    described = idp.describe_user_pool_domain(Domain=setup.domain)["DomainDescription"]
    assert (described["UserPoolId"], described["Status"]) == (setup.pool_id, "ACTIVE")
    servers = idp.list_resource_servers(UserPoolId=setup.pool_id, MaxResults=10)
    assert [s["Identifier"] for s in servers["ResourceServers"]] == ["loadtest-api"]
    scopes = idp.describe_resource_server(UserPoolId=setup.pool_id, Identifier="loadtest-api")
    assert [s["ScopeName"] for s in scopes["ResourceServer"]["Scopes"]] == ["read", "write"]
    client = idp.describe_user_pool_client(UserPoolId=setup.pool_id, ClientId=setup.code_client_id)[
        "UserPoolClient"
    ]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["CallbackURLs"] == [setup.callback_url]
    with pytest.raises(idp.exceptions.ScopeDoesNotExistException):
        idp.create_user_pool_client(
            UserPoolId=setup.pool_id,
            ClientName="x",
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthScopes=["other/scope"],
        )
    idp.delete_user_pool_domain(Domain=setup.domain, UserPoolId=setup.pool_id)
    assert idp.describe_user_pool_domain(Domain=setup.domain)["DomainDescription"] == {}
    gone = requests.get(f"{hosted.base}/login", timeout=30)
    assert gone.status_code == 404


def test_the_implicit_grant_puts_the_tokens_in_the_fragment(hosted: Hosted) -> None:
    setup = hosted.setup
    implicit = hosted.server.client().create_user_pool_client(
        UserPoolId=setup.pool_id,
        ClientName="implicit",
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["implicit"],
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[setup.callback_url],
    )["UserPoolClient"]["ClientId"]
    web = requests.Session()
    params = {
        "response_type": "token",
        "client_id": implicit,
        "redirect_uri": setup.callback_url,
        "scope": "openid",
        "state": "imp",
    }
    form = web.get(f"{hosted.base}/login", params=params, timeout=30)
    page = web.post(
        _action(form.text),
        data={
            "_csrf": _field(form.text, "_csrf"),
            "username": hosted.username,
            "password": PASSWORD,
        },
        timeout=30,
    )
    callback = urlparse(_through_mfa(hosted, web, page))
    assert callback.query == ""
    fragment = parse_qs(callback.fragment)
    assert fragment["state"] == ["imp"]
    assert fragment["token_type"] == ["Bearer"]
    assert _claims(fragment["access_token"][0])["scope"] == "openid"
    assert _claims(fragment["id_token"][0])["aud"] == implicit
    assert "refresh_token" not in fragment
