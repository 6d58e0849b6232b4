"""The sans-I/O managed-login flow through the pages after the password, over real HTTP on the
local pool: it enrols TOTP where the pool requires MFA, sets a new password for a temporary one,
reads an SMS code from the message sink, and names each request by its step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import requests

import srp_fast
from loadtest.drivers.fetch import fetch_url, page_of
from loadtest.flows import AppClient, FlowContext, LocalSinkCodes
from loadtest.flows.effects import MissingCredential, UnexpectedResponse
from loadtest.flows.hosted import MAX_PAGES, Fetch, HostedOptions, Page, managed_login, run_http
from loadtest.flows.identity import Identity
from loadtest.flows.results import LoginResult, Note
from loadtest.protocol.errors import InvalidPassword
from tests.conftest import PASSWORD, PoolServer
from tests.oauth.conftest import Hosted, api_app, hosted_pool
from tests.pool.email_mfa import EMAIL_MFA, SES, email_user

NEW_PASSWORD = "Fresh-Passw0rd!y"
PHONE = "+15555550143"
START = ["GET /oauth2/authorize", "GET /login", "POST /login"]
REDEEM = ["POST /oauth2/token:authorization_code"]


def _context(server: PoolServer, hosted: Hosted) -> FlowContext:
    client = AppClient(pool_id=hosted.setup.pool_id, client_id=hosted.setup.code_client_id)
    return FlowContext(
        client=client,
        clock=lambda: datetime.fromtimestamp(server.now(), UTC),
        ephemerals=srp_fast.new_ephemeral,
        codes=LocalSinkCodes(base_url=server.url),
    )


def _run(
    server: PoolServer, hosted: Hosted, identity: Identity, options: HostedOptions | None = None
) -> tuple[LoginResult, list[str]]:
    """One managed login, as a browser without one: no redirects followed, no cookie jar."""
    labels: list[str] = []

    def send(fetch: Fetch) -> Page:
        labels.append(fetch.label)
        answer = requests.request(
            fetch.method,
            fetch_url(hosted.base, fetch),
            data=fetch.form,
            headers=dict(fetch.headers),
            allow_redirects=False,
            timeout=30,
        )
        return page_of(answer.status_code, answer.raw.headers.items(), answer.content)

    options = options or HostedOptions(callback_url=hosted.setup.callback_url)
    return run_http(managed_login(identity, _context(server, hosted), options), send), labels


def test_the_flow_enrols_totp_where_mfa_is_required_and_uses_it_next_time(
    local_pool: PoolServer,
) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    local_pool.client().set_user_pool_mfa_config(
        UserPoolId=hosted.setup.pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="ON",
    )
    identity = Identity(username=hosted.username, password=PASSWORD)
    result, labels = _run(local_pool, hosted, identity)
    assert labels == [*START, "POST /mfa_setup", *REDEEM]
    assert result.notes == {Note.MFA_ENROLLED}
    assert result.tokens.id_token
    assert identity.totp_secret is not None
    local_pool.advance_clock(30)
    again, labels = _run(local_pool, hosted, identity)
    assert labels == [*START, "POST /mfa", *REDEEM]
    assert again.notes == {Note.TOTP_SENT}


def test_the_flow_sets_a_new_password_for_a_temporary_one(local_pool: PoolServer) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    local_pool.add_user(api_app(hosted), "temporary3", permanent=False)
    identity = Identity(username="temporary3", password=PASSWORD)
    options = HostedOptions(callback_url=hosted.setup.callback_url, new_password=NEW_PASSWORD)
    result, labels = _run(local_pool, hosted, identity, options)
    assert labels == [*START, "POST /forceChangePassword", *REDEEM]
    assert result.notes == {Note.PASSWORD_CHANGED}
    assert identity.password == NEW_PASSWORD
    _again, labels = _run(local_pool, hosted, identity, options)
    assert labels == [*START, *REDEEM]


def test_without_a_new_password_the_flow_stops_with_a_missing_credential(
    local_pool: PoolServer,
) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    local_pool.add_user(api_app(hosted), "temporary4", permanent=False)
    with pytest.raises(MissingCredential):
        _run(local_pool, hosted, Identity(username="temporary4", password=PASSWORD))


def test_the_flow_reads_the_sms_code_from_the_sink(local_pool: PoolServer) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    idp, app = local_pool.client(), api_app(hosted)
    idp.set_user_pool_mfa_config(
        UserPoolId=app.pool_id, SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"}
    )
    local_pool.add_user(app, "texted3", attributes={"phone_number": PHONE})
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id, Username="texted3", SMSMfaSettings={"Enabled": True}
    )
    result, labels = _run(local_pool, hosted, Identity(username="texted3", password=PASSWORD))
    assert labels == [*START, "POST /mfa", *REDEEM]
    assert result.notes == {Note.CODE_READ}


def test_the_flow_reads_an_email_mfa_code_from_the_sink(local_pool: PoolServer) -> None:
    hosted = hosted_pool(local_pool, totp=False)
    idp, app = local_pool.client(), api_app(hosted)
    idp.update_user_pool(UserPoolId=app.pool_id, EmailConfiguration=SES)
    idp.set_user_pool_mfa_config(
        UserPoolId=app.pool_id, EmailMfaConfiguration=EMAIL_MFA, MfaConfiguration="OPTIONAL"
    )
    email_user(local_pool, idp, app, "mailed2")
    result, labels = _run(local_pool, hosted, Identity(username="mailed2", password=PASSWORD))
    assert labels == [*START, "POST /mfa", *REDEEM]
    assert result.notes == {Note.CODE_READ}


def _scripted(pages: list[Page]) -> tuple[list[str], Callable[[Fetch], Page]]:
    """A send that answers each Fetch with the next page (the last one repeated)."""
    labels: list[str] = []

    def send(fetch: Fetch) -> Page:
        labels.append(fetch.label)
        return pages[min(len(labels) - 1, len(pages) - 1)]

    return labels, send


_FORM = Page(status=200, body='<input type="hidden" name="_csrf" value="t">')
_AUTHORIZE = Page(status=302, location="http://127.0.0.1:9/domain/d/login?client_id=c")
_CODE_PAGE = Page(
    status=200,
    body="<p>We have delivered the authentication code by SMS to +*******0142. Please enter"
    ' it.</p><input name="_csrf" value="t"><input name="session" value="s"><input name="mfaCode">',
)


def _offline_context() -> FlowContext:
    return FlowContext(
        client=AppClient(pool_id="us-east-1_x", client_id="c"),
        clock=lambda: datetime.now(UTC),
        ephemerals=srp_fast.new_ephemeral,
        codes=lambda request: "123456",
    )


def test_a_page_that_never_ends_stops_the_flow_after_max_pages() -> None:
    labels, send = _scripted([_AUTHORIZE, _FORM, _CODE_PAGE])
    identity = Identity(username="u", password="p")
    with pytest.raises(UnexpectedResponse, match=f"more than {MAX_PAGES} pages"):
        run_http(managed_login(identity, _offline_context()), send)
    assert labels[3:] == ["POST /mfa"] * MAX_PAGES


def test_a_refused_new_password_raises_the_apis_typed_error() -> None:
    page = Page(
        status=200,
        body='<input name="_csrf" value="t"><input name="session" value="s">'
        '<input name="newPassword"><p class="error">Password did not conform with policy</p>',
    )
    _labels, send = _scripted([_AUTHORIZE, _FORM, page])
    options = HostedOptions(new_password="New-Passw0rd!")
    identity = Identity(username="u", password="p")
    with pytest.raises(InvalidPassword):
        run_http(managed_login(identity, _offline_context(), options), send)
    assert identity.password == "p"
