"""The managed-login pages after the password, over real HTTP on loopback: TOTP enrolment when
pool MFA is ON, the new-password page for a temporary password, the SMS code page (its code
read from the pool's message sink), and each step's quota and lockout accounting."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
import pytest
import requests

from tests.conftest import PASSWORD, App, PoolServer
from tests.oauth.conftest import Hosted, api_app, hosted_pool
from tests.pool.email_mfa import EMAIL_MFA, SES, email_user, last_message
from tests.pool.helpers import tokens

NEW_PASSWORD = "Fresh-Passw0rd!x"
PHONE = "+15555550142"


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} field"
    return unescape(found.group(1))


def _action(page: str) -> str:
    found = re.search(r'action="([^"]+)"', page)
    assert found
    return unescape(found.group(1))


def _error(page: str) -> str | None:
    found = re.search(r'class="error">([^<]*)<', page)
    return unescape(found.group(1)) if found else None


def _password_post(
    hosted: Hosted, web: requests.Session, username: str, password: str = PASSWORD
) -> requests.Response:
    """authorize -> the sign-in form -> its POST; returns the answer to the POST."""
    params = {
        "response_type": "code",
        "client_id": hosted.setup.code_client_id,
        "redirect_uri": hosted.setup.callback_url,
        "scope": "openid email",
        "state": "st",
    }
    start = web.get(
        f"{hosted.base}/oauth2/authorize", params=params, allow_redirects=False, timeout=30
    )
    form = web.get(start.headers["Location"], timeout=30)
    body = {"_csrf": _field(form.text, "_csrf"), "username": username, "password": password}
    return web.post(_action(form.text), data=body, allow_redirects=False, timeout=30)


def _submit(web: requests.Session, page: requests.Response, **fields: str) -> requests.Response:
    body = {"_csrf": _field(page.text, "_csrf"), "session": _field(page.text, "session"), **fields}
    return web.post(_action(page.text), data=body, allow_redirects=False, timeout=30)


def _landed(hosted: Hosted, answer: requests.Response) -> dict[str, list[str]]:
    assert answer.status_code == 302, answer.text
    url = urlparse(answer.headers["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == hosted.setup.callback_url
    query = parse_qs(url.query)
    assert query["state"] == ["st"]
    assert query["code"]
    return query


def _mfa_on(server: PoolServer, hosted: Hosted) -> None:
    server.client().set_user_pool_mfa_config(
        UserPoolId=hosted.setup.pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="ON",
    )


def _setup_secret(page: str) -> tuple[str, str]:
    """The secret shown as text and the otpauth:// URI of the enrolment page."""
    secret = re.search(r'<code id="totpSecret">([A-Z2-7]+)</code>', page)
    uri = re.search(r'href="(otpauth://[^"]+)"', page)
    assert secret
    assert uri
    return secret.group(1), unescape(uri.group(1))


def test_mfa_on_without_a_token_enrols_totp_on_the_page_then_asks_for_it(
    local_pool: PoolServer,
) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    _mfa_on(local_pool, hosted)
    web = requests.Session()
    setup = _password_post(hosted, web, hosted.username)
    assert setup.status_code == 200
    assert 'name="cognitoMfaSetupForm"' in setup.text
    secret, uri = _setup_secret(setup.text)
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth"
    assert parsed.netloc == "totp"
    assert unquote(parsed.path) == f"/AWSCognito:{hosted.username}"
    assert parse_qs(parsed.query) == {"secret": [secret], "issuer": ["AWSCognito"]}
    totp = pyotp.TOTP(secret)
    wrong = _submit(web, setup, totpCode="000000" if totp.now() != "000000" else "111111")
    assert wrong.status_code == 200
    assert _error(wrong.text) == "Code mismatch and fail enable Software Token MFA"
    assert _setup_secret(wrong.text)[0] == secret  # the same secret, shown again
    _landed(hosted, _submit(web, wrong, totpCode=totp.at(local_pool.now()), deviceName="phone"))
    local_pool.advance_clock(30)
    other = requests.Session()
    again = _password_post(hosted, other, hosted.username)
    assert 'name="totpCode"' in again.text
    assert "otpauth" not in again.text
    _landed(hosted, _submit(other, again, totpCode=totp.at(local_pool.now())))


def test_a_spent_enrolment_page_cannot_be_submitted_twice(local_pool: PoolServer) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    _mfa_on(local_pool, hosted)
    web = requests.Session()
    setup = _password_post(hosted, web, hosted.username)
    code = pyotp.TOTP(_setup_secret(setup.text)[0]).at(local_pool.now())
    _landed(hosted, _submit(web, setup, totpCode=code))
    replay = _submit(web, setup, totpCode=code)
    assert replay.status_code == 400
    assert "session can only be used once" in replay.text


def test_a_temporary_password_gets_the_new_password_page(local_pool: PoolServer) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    app = api_app(hosted)
    local_pool.add_user(app, "temporary1", permanent=False)
    web = requests.Session()
    page = _password_post(hosted, web, "temporary1")
    assert page.status_code == 200
    assert 'name="newPassword"' in page.text
    assert "/forceChangePassword?" in _action(page.text)
    differ = _submit(web, page, newPassword=NEW_PASSWORD, confirmNewPassword=NEW_PASSWORD + "y")
    assert _error(differ.text) == "Passwords do not match"
    weak = _submit(web, differ, newPassword="short", confirmNewPassword="short")
    assert (_error(weak.text) or "").startswith("Password did not conform with policy")
    _landed(hosted, _submit(web, weak, newPassword=NEW_PASSWORD, confirmNewPassword=NEW_PASSWORD))
    status = local_pool.client().admin_get_user(UserPoolId=app.pool_id, Username="temporary1")
    assert status["UserStatus"] == "CONFIRMED"
    assert "AccessToken" in tokens(local_pool.client(), app, "temporary1", NEW_PASSWORD)


def test_a_new_password_is_followed_by_enrolment_when_mfa_is_on(local_pool: PoolServer) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    local_pool.add_user(api_app(hosted), "temporary2", permanent=False)
    _mfa_on(local_pool, hosted)
    web = requests.Session()
    page = _password_post(hosted, web, "temporary2")
    setup = _submit(web, page, newPassword=NEW_PASSWORD, confirmNewPassword=NEW_PASSWORD)
    assert setup.status_code == 200
    assert 'name="cognitoMfaSetupForm"' in setup.text
    code = pyotp.TOTP(_setup_secret(setup.text)[0]).at(local_pool.now())
    _landed(hosted, _submit(web, setup, totpCode=code))


def _sms_user(server: PoolServer, hosted: Hosted, name: str) -> App:
    idp, app = server.client(), api_app(hosted)
    idp.set_user_pool_mfa_config(
        UserPoolId=app.pool_id, SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"}
    )
    server.add_user(app, name, attributes={"phone_number": PHONE})
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id, Username=name, SMSMfaSettings={"Enabled": True}
    )
    return app


def _last_code(server: PoolServer, app: App, name: str) -> str:
    found = server.get_json(f"/_pool/messages?username={name}&pool_id={app.pool_id}")
    message = found["messages"][-1]
    assert message["purpose"] == "SMS_MFA"
    assert message["destination"] == "+*******0142"
    return str(message["code"])


def test_sms_mfa_sends_a_code_to_the_sink_and_a_wrong_one_counts(local_pool: PoolServer) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    app = _sms_user(local_pool, hosted, "texted1")
    web = requests.Session()
    page = _password_post(hosted, web, "texted1")
    assert 'name="mfaCode"' in page.text
    assert "+*******0142" in page.text
    code = _last_code(local_pool, app, "texted1")
    wrong = _submit(web, page, mfaCode="0" if code != "0" else "1")
    assert _error(wrong.text) == "Invalid code or auth state for the user."
    user = local_pool.client().admin_get_user(UserPoolId=app.pool_id, Username="texted1")
    assert user["UserStatus"] == "CONFIRMED"
    _landed(hosted, _submit(web, wrong, mfaCode=code))


def test_wrong_sms_codes_lock_the_user_as_the_api_does(local_pool: PoolServer) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    _sms_user(local_pool, hosted, "texted2")
    web = requests.Session()
    page = _password_post(hosted, web, "texted2")
    errors = []
    for _ in range(6):
        page = _submit(web, page, mfaCode="not-a-code")
        errors.append(_error(page.text))
    assert errors[0] == "Invalid code or auth state for the user."
    assert errors[-1] == "Password attempts exceeded"


@pytest.fixture
def throttled_pool(pool_server: object) -> PoolServer:
    """A pool whose UserAuthentication allows one request and then (almost) none."""
    server: PoolServer = pool_server("--test-clock", "--quota", "UserAuthentication=0.001")  # type: ignore[operator]
    return server


def test_each_page_step_is_one_user_authentication_request(throttled_pool: PoolServer) -> None:
    hosted = hosted_pool(throttled_pool, totp=False)
    _mfa_on(throttled_pool, hosted)
    web = requests.Session()
    setup = _password_post(hosted, web, hosted.username)  # the one request allowed
    assert 'name="cognitoMfaSetupForm"' in setup.text
    code = pyotp.TOTP(_setup_secret(setup.text)[0]).at(throttled_pool.now())
    throttled = _submit(web, setup, totpCode=code)
    assert throttled.status_code == 429
    assert "Rate exceeded" in throttled.text


def _email_user(server: PoolServer, hosted: Hosted, name: str) -> App:
    """E-mail MFA on the hosted pool (SES e-mail, as it requires) and a user with it on."""
    idp, app = server.client(), api_app(hosted)
    idp.update_user_pool(UserPoolId=app.pool_id, EmailConfiguration=SES)
    idp.set_user_pool_mfa_config(
        UserPoolId=app.pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration=EMAIL_MFA,
        MfaConfiguration="OPTIONAL",
    )
    email_user(server, idp, app, name)
    return app


def test_email_mfa_asks_for_the_code_sent_and_a_newer_sign_in_supersedes_it(
    local_pool: PoolServer,
) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    app = _email_user(local_pool, hosted, "mailed1")
    first_web, web = requests.Session(), requests.Session()
    first = _password_post(hosted, first_web, "mailed1")
    assert "by EMAIL to m***@e***." in first.text
    first_code = str(last_message(local_pool, app, "mailed1")["code"])
    page = _password_post(hosted, web, "mailed1")  # a newer sign-in: a new code
    message = last_message(local_pool, app, "mailed1")
    assert (message["purpose"], message["medium"]) == ("EMAIL_OTP", "EMAIL")
    stale = _submit(first_web, first, mfaCode=first_code)
    assert _error(stale.text) == "Invalid code or auth state for the user."
    _landed(hosted, _submit(web, page, mfaCode=str(message["code"])))
    user = local_pool.client().admin_get_user(UserPoolId=app.pool_id, Username="mailed1")
    verified = {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email_verified"]
    assert verified == "true"  # a right MFA code verifies the address, as in the API
