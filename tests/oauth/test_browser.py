"""Managed login in a real browser: Debian's Chromium under Playwright (as tests/report's
browser test) signs in with a password and a TOTP code on the local pool's pages and lands on
the callback URL with a code and the state it sent; it also enrols TOTP where the pool requires
MFA and sets a new password for a temporary one. The callback host is not served: the test
answers it inside the browser (``page.route``) and records where the browser went."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pyotp
import pytest
import requests

from tests.conftest import PASSWORD, PoolServer
from tests.oauth.conftest import Hosted, api_app, hosted_pool

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright, headless; fails (never skips) if it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: 'make test' installs it (.ci/ensure-chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


def test_chromium_signs_in_with_password_and_totp_and_lands_on_the_callback(
    browser: Any, hosted: Hosted
) -> None:
    setup = hosted.setup
    landed: list[str] = []

    def callback(route: Any) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p id=done>signed in</p>")

    query = {
        "response_type": "code",
        "client_id": setup.code_client_id,
        "redirect_uri": setup.callback_url,
        "scope": "openid email",
        "state": "c3RhdGUtZnJvbS1icm93c2Vy",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    context = browser.new_context()
    page = context.new_page()
    page.route("http://localhost:8765/**", callback)
    page.goto(f"{hosted.base}/oauth2/authorize?{urlencode(query)}")
    assert "/login?" in page.url
    page.fill("#signInFormUsername", hosted.username)
    page.fill("#signInFormPassword", PASSWORD)
    page.click("input[name=signInSubmitButton]")
    page.wait_for_selector("#totpCodeInput")
    page.fill("#totpCodeInput", hosted.code())
    page.click("input[name=signInSubmitButton]")
    page.wait_for_selector("#done")
    context.close()
    assert len(landed) == 1
    url = urlparse(landed[0])
    assert f"{url.scheme}://{url.netloc}{url.path}" == setup.callback_url
    params = parse_qs(url.query)
    assert params["state"] == [query["state"]]
    # the code is real: redeemed with the verifier of RFC 7636's example challenge
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    redeemed = requests.post(
        f"{hosted.base}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": setup.code_client_id,
            "code": params["code"][0],
            "redirect_uri": setup.callback_url,
            "code_verifier": verifier,
        },
        timeout=30,
    )
    assert redeemed.status_code == 200, redeemed.text
    assert {"access_token", "id_token", "refresh_token"} <= set(redeemed.json())


def test_a_wrong_password_keeps_chromium_on_the_sign_in_page(browser: Any, hosted: Hosted) -> None:
    setup = hosted.setup
    query = {
        "response_type": "code",
        "client_id": setup.code_client_id,
        "redirect_uri": setup.callback_url,
        "state": "s",
    }
    page = browser.new_page()
    page.goto(f"{hosted.base}/login?{urlencode(query)}")
    page.fill("#signInFormUsername", hosted.username)
    page.fill("#signInFormPassword", "Not-the-passw0rd")
    page.click("input[name=signInSubmitButton]")
    page.wait_for_selector("#loginErrorMessage")
    assert page.inner_text("#loginErrorMessage") == "Incorrect username or password."
    assert page.url.startswith(hosted.base + "/login?")
    page.close()


def _open_sign_in(browser: Any, hosted: Hosted, state: str) -> tuple[Any, Any, list[str]]:
    """A new browser context on the sign-in page; the callback is answered in the browser."""
    landed: list[str] = []

    def callback(route: Any) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p id=done>signed in</p>")

    query = {
        "response_type": "code",
        "client_id": hosted.setup.code_client_id,
        "redirect_uri": hosted.setup.callback_url,
        "scope": "openid email",
        "state": state,
    }
    context = browser.new_context()
    page = context.new_page()
    page.route("http://localhost:8765/**", callback)
    page.goto(f"{hosted.base}/oauth2/authorize?{urlencode(query)}")
    return context, page, landed


def _landed_with(landed: list[str], hosted: Hosted, state: str) -> None:
    assert len(landed) == 1
    url = urlparse(landed[0])
    assert f"{url.scheme}://{url.netloc}{url.path}" == hosted.setup.callback_url
    params = parse_qs(url.query)
    assert params["state"] == [state]
    assert params["code"]


def test_chromium_enrols_totp_on_the_page_and_lands_on_the_callback(
    browser: Any, local_pool: PoolServer
) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    local_pool.client().set_user_pool_mfa_config(
        UserPoolId=hosted.setup.pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="ON",
    )
    context, page, landed = _open_sign_in(browser, hosted, "ZW5yb2w")
    page.fill("#signInFormUsername", hosted.username)
    page.fill("#signInFormPassword", PASSWORD)
    page.click("input[name=signInSubmitButton]")
    page.wait_for_selector("#totpSecret")
    secret = page.inner_text("#totpSecret")
    uri = urlparse(page.get_attribute("#totpUri", "href") or "")
    assert uri.scheme == "otpauth"
    assert parse_qs(uri.query)["secret"] == [secret]
    page.fill("#totpSetupCodeInput", pyotp.TOTP(secret).at(local_pool.now()))
    page.click("input[name=signInSubmitButton]")
    page.wait_for_selector("#done")
    context.close()
    _landed_with(landed, hosted, "ZW5yb2w")


def test_chromium_sets_a_new_password_for_a_temporary_one(
    browser: Any, local_pool: PoolServer
) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    local_pool.add_user(api_app(hosted), "browser-temp", permanent=False)
    context, page, landed = _open_sign_in(browser, hosted, "bmV3cHc")
    page.fill("#signInFormUsername", "browser-temp")
    page.fill("#signInFormPassword", PASSWORD)
    page.click("input[name=signInSubmitButton]")
    page.wait_for_selector("#newPasswordInput")
    page.fill("#newPasswordInput", "Browser-Passw0rd!")
    page.fill("#confirmNewPasswordInput", "Browser-Passw0rd!")
    page.click("input[name=signInSubmitButton]")
    page.wait_for_selector("#done")
    context.close()
    _landed_with(landed, hosted, "bmV3cHc")
