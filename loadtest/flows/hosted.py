"""Managed login and client credentials as sans-I/O flows over HTTP endpoints.

These flows yield :class:`Fetch` effects (one HTTP request to a user-pool domain endpoint,
relative to the domain's base URL, which only the performer knows) instead of JSON operations,
and are resumed with a :class:`Page`. They do what a browser does without one: follow the
authorize redirect to ``/login``, keep the ``XSRF-TOKEN`` cookie and send it back with the
form's ``_csrf`` field, answer the pages after the password (a new password for a temporary
one, TOTP enrolment, a TOTP or SMS code), check the ``state`` on the callback, and redeem the
code with its PKCE verifier (cognito-facts §17.2-§17.4; docs/managed-login.md). Each request's
``label`` names its step: ``GET /oauth2/authorize``, ``GET /login``, ``POST /login``,
``POST /forceChangePassword``, ``POST /mfa_setup``, ``POST /mfa``,
``POST /oauth2/token:authorization_code``, ``POST /oauth2/token:client_credentials``.

No clock, socket or randomness here: ``FlowContext`` gives the time and random bytes. One
exception: an SMS code is read by calling ``FlowContext.codes`` inline, because these flows
yield only :class:`Fetch` effects (the code source is injected, like the clock; under gevent
its HTTP is cooperative).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from html import unescape
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from loadtest.protocol.errors import (
    CognitoError,
    EnableSoftwareTokenMFA,
    InvalidPassword,
    NotAuthorized,
    TooManyRequests,
)
from loadtest.protocol.names import Endpoint, GrantType

from .codes import CodeRequest
from .context import FlowContext
from .effects import Fetch, FlowError, MissingCredential, Page, UnexpectedResponse
from .identity import Identity
from .results import LoginResult, Note, Tokens
from .totp import take_code

__all__ = [
    "DEFAULT_CALLBACK",
    "MAX_PAGES",
    "Fetch",
    "HostedOptions",
    "HttpFlow",
    "Page",
    "TokenCache",
    "TokenRefused",
    "cached_client_credentials",
    "client_credentials",
    "managed_login",
    "run_http",
]

T = TypeVar("T")
#: provision_oauth's default callback: never served, only matched and parsed.
DEFAULT_CALLBACK = "http://localhost:8765/callback"


HttpFlow = Generator[Fetch, Page, T]
#: Pages a sign-in may pass after the password (new password, enrolment or a code, ...).
MAX_PAGES = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class HostedOptions:
    """The code-grant client's callback, the scopes a managed login asks for, and the new
    password it sets when the page asks for one (a temporary password; kept on the identity)."""

    callback_url: str = DEFAULT_CALLBACK
    scope: str = "openid email"
    new_password: str | None = field(default=None, repr=False)


def run_http(flow: HttpFlow[T], send: Callable[[Fetch], Page]) -> T:
    """Drive a flow with a blocking (or gevent-cooperative) ``send``."""
    try:
        page = send(next(flow))
        while True:
            page = send(flow.send(page))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _check(page: Page, label: str, status: int) -> Page:
    if page.status == 429:
        raise TooManyRequests("Rate exceeded")
    if page.status != status:
        raise UnexpectedResponse(label, f"HTTP {page.status}, expected {status}")
    return page


def _field(page: Page, name: str, label: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page.body)
    if found is None:
        raise UnexpectedResponse(label, f"no {name} field on the page")
    return unescape(found.group(1))


def _error_on(page: Page) -> str | None:
    found = re.search(r'class="error">([^<]*)<', page.body)
    return unescape(found.group(1)) if found else None


def _pkce(ctx: FlowContext) -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(ctx.rand(32)).decode().rstrip("=")
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _query_of(url: str | None, label: str) -> dict[str, str]:
    if not url:
        raise UnexpectedResponse(label, "a redirect without Location")
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def managed_login(
    identity: Identity, ctx: FlowContext, options: HostedOptions | None = None
) -> HttpFlow[LoginResult]:
    """Authorize -> the sign-in form -> (the pages after the password) -> callback -> code
    redemption. The identity keeps a TOTP secret enrolled and a new password set on the way."""
    options = options or HostedOptions()
    notes: set[Note] = set()
    verifier, challenge = _pkce(ctx)
    state = base64.urlsafe_b64encode(ctx.rand(12)).decode()
    query = {
        "response_type": "code",
        "client_id": ctx.client.client_id,
        "redirect_uri": options.callback_url,
        "scope": options.scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    label = "GET /oauth2/authorize"
    start = _check(
        (yield Fetch(method="GET", endpoint=Endpoint.AUTHORIZE, query=query, label=label)),
        label,
        302,
    )
    if (start.location or "").startswith(options.callback_url):
        done = start  # a live managed-login session cookie: no form (facts §17.3)
    else:
        query = _query_of(start.location, label)
        done = yield from _sign_in(identity, ctx, options, query, notes)
    callback = _query_of(done.location, "callback")
    if callback.get("state") != state or "code" not in callback:
        raise UnexpectedResponse("callback", "no code, or not the state sent")
    tokens = yield from _redeem(ctx, callback["code"], verifier, options.callback_url)
    return LoginResult(tokens=tokens, username=identity.username, notes=frozenset(notes))


def _sign_in(
    identity: Identity,
    ctx: FlowContext,
    options: HostedOptions,
    query: dict[str, str],
    notes: set[Note],
) -> HttpFlow[Page]:
    label = "GET /login"
    form = _check(
        (
            yield Fetch(
                method="GET", endpoint=Endpoint.LOGIN, query=query, label=label, detail="page"
            )
        ),
        label,
        200,
    )
    csrf = form.cookies.get("XSRF-TOKEN") or _field(form, "_csrf", label)
    cookies = {"Cookie": f"XSRF-TOKEN={csrf}"}
    body = {
        "_csrf": csrf,
        "username": identity.username,
        "password": identity.password,
        "cognitoAsfData": "",
        "signInSubmitButton": "Sign in",
    }
    label = "POST /login"
    page = yield Fetch(
        method="POST", endpoint=Endpoint.LOGIN, query=query, form=body, headers=cookies, label=label
    )
    return (yield from _after_password(identity, ctx, options, query, page, cookies, notes))


def _page_kind(page: Page, label: str) -> Endpoint | None:
    """Which step a page asks for (None: signed in, a redirect to the callback)."""
    if page.status == 302:
        return None
    _check(page, label, 200)
    for marker, kind in _PAGE_MARKERS:
        if marker in page.body:
            return kind
    raise NotAuthorized(_error_on(page) or "sign-in refused")


#: How a page is told apart, in order (the enrolment page has a totpCode field too).
_PAGE_MARKERS = (
    ('name="cognitoMfaSetupForm"', Endpoint.MFA_SETUP),
    ('name="newPassword"', Endpoint.NEW_PASSWORD),
    ('name="totpCode"', Endpoint.MFA),
    ('name="mfaCode"', Endpoint.MFA),
)


def _after_password(
    identity: Identity,
    ctx: FlowContext,
    options: HostedOptions,
    query: dict[str, str],
    page: Page,
    cookies: Mapping[str, str],
    notes: set[Note],
) -> HttpFlow[Page]:
    """Answer each page after the password until the redirect to the callback (bounded)."""
    label = "POST /login"
    for _ in range(MAX_PAGES):
        kind = _page_kind(page, label)
        if kind is None:
            return page
        label = f"POST /{kind}"
        body, secret = _answer_page(identity, ctx, options, page, label)
        page = yield Fetch(
            method="POST", endpoint=kind, query=query, form=body, headers=cookies, label=label
        )
        if page.status == 200 and _error_on(page):
            raise _STEP_ERRORS[kind](_error_on(page) or "")
        if page.status in (200, 302):
            notes.add(_keep(identity, options, kind, secret, sms="mfaCode" in body))
    raise UnexpectedResponse(label, f"more than {MAX_PAGES} pages after the password")


def _answer_page(
    identity: Identity, ctx: FlowContext, options: HostedOptions, page: Page, label: str
) -> tuple[dict[str, str], str | None]:
    """The form that answers a page (its ``_csrf``, sealed ``session`` and the step's field),
    and the enrolment page's TOTP secret, which is kept only once the pool accepts it."""
    body = {"_csrf": _field(page, "_csrf", label), "session": _field(page, "session", label)}
    if 'name="cognitoMfaSetupForm"' in page.body:
        secret = _setup_secret(page, label)
        code = take_code(identity, secret, ctx.clock(), next_step=ctx.totp_next_step)
        return body | {"totpCode": code, "deviceName": ctx.totp_device_name}, secret
    if 'name="newPassword"' in page.body:
        if not options.new_password:
            raise MissingCredential("new password", identity.username)
        new = options.new_password
        return body | {"newPassword": new, "confirmNewPassword": new}, None
    if 'name="mfaCode"' in page.body:
        return body | {"mfaCode": _sms_code(identity, ctx, page, label)}, None
    if identity.totp_secret is None:
        raise MissingCredential("TOTP secret", identity.username)
    code = take_code(identity, identity.totp_secret, ctx.clock(), next_step=ctx.totp_next_step)
    return body | {"totpCode": code}, None


def _keep(
    identity: Identity, options: HostedOptions, kind: Endpoint, secret: str | None, *, sms: bool
) -> Note:
    """Keep what an accepted step changed on the identity; the note that says what it did."""
    if kind is Endpoint.MFA_SETUP and secret is not None:
        identity.totp_secret = secret
        return Note.MFA_ENROLLED
    if kind is Endpoint.NEW_PASSWORD and options.new_password:
        identity.password = options.new_password
        return Note.PASSWORD_CHANGED
    return Note.CODE_READ if sms else Note.TOTP_SENT


#: The typed error a step's page raises when it shows an error (the API's counterpart's).
_STEP_ERRORS: dict[Endpoint, type[CognitoError]] = {
    Endpoint.MFA: NotAuthorized,
    Endpoint.MFA_SETUP: EnableSoftwareTokenMFA,
    Endpoint.NEW_PASSWORD: InvalidPassword,
}


def _setup_secret(page: Page, label: str) -> str:
    """The TOTP secret of the enrolment page, from its ``otpauth://`` URI."""
    found = re.search(r'href="(otpauth://[^"]+)"', page.body)
    secret = parse_qs(urlsplit(unescape(found.group(1))).query).get("secret") if found else None
    if not secret:
        raise UnexpectedResponse(label, "no otpauth URI on the enrolment page")
    return secret[0]


def _sms_code(identity: Identity, ctx: FlowContext, page: Page, label: str) -> str:
    """The code the pool sent, from the context's code source (the local pool's sink)."""
    if ctx.codes is None:
        raise MissingCredential("code source", identity.username)
    found = re.search(r"by (SMS|EMAIL) to ([^.<]+)\.", page.body)
    medium, destination = (found.group(1), unescape(found.group(2))) if found else ("SMS", "")
    purpose = "EMAIL_OTP" if medium == "EMAIL" else "SMS_MFA"
    request = CodeRequest(pool_id=ctx.client.pool_id, username=identity.username,
                          medium=medium, destination=destination, purpose=purpose)  # fmt: skip
    return ctx.codes(request)


def _token_answer(page: Page, label: str) -> dict[str, Any]:
    try:
        answer = json.loads(page.body)
    except ValueError as exc:
        raise UnexpectedResponse(label, "not JSON") from exc
    if page.status == 429:
        raise TooManyRequests("Rate exceeded")
    if page.status != 200 or not isinstance(answer, dict) or "access_token" not in answer:
        raise TokenRefused(label, str(answer.get("error") if isinstance(answer, dict) else ""))
    return answer


class TokenRefused(FlowError):
    """The token endpoint answered ``{"error": ...}``."""

    def __init__(self, label: str, error: str) -> None:
        super().__init__(f"{label}: {error}")
        self.error = error


def _redeem(ctx: FlowContext, code: str, verifier: str, callback: str) -> HttpFlow[Tokens]:
    form = {"client_id": ctx.client.client_id, "code": code, "redirect_uri": callback}
    return (
        yield from _token(ctx, GrantType.AUTHORIZATION_CODE, form | {"code_verifier": verifier})
    )


def _token(ctx: FlowContext, grant: GrantType, form: dict[str, str]) -> HttpFlow[Tokens]:
    """One POST to the token endpoint (the client's secret by HTTP Basic), named by grant."""
    label = f"POST /oauth2/token:{grant}"
    page = yield Fetch(
        method="POST",
        endpoint=Endpoint.TOKEN,
        form={"grant_type": str(grant), **form},
        label=label,
        detail=str(grant),
        headers=_basic(ctx),
    )
    answer = _token_answer(page, label)
    return Tokens(
        access_token=answer["access_token"],
        id_token=answer.get("id_token", ""),
        refresh_token=answer.get("refresh_token"),
        expires_in=int(answer.get("expires_in", 3600)),
    )


def _basic(ctx: FlowContext) -> dict[str, str]:
    client = ctx.client
    if not client.client_secret:
        return {}
    pair = f"{client.client_id}:{client.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def client_credentials(ctx: FlowContext, scope: str | None = None) -> HttpFlow[Tokens]:
    """One client-credentials token (secret by HTTP Basic): ClientAuthentication, 150/s."""
    return (yield from _token(ctx, GrantType.CLIENT_CREDENTIALS, {"scope": scope} if scope else {}))


@dataclass(slots=True)
class TokenCache:
    """A machine client's token kept until ``margin`` seconds before it expires: what a
    well-behaved service does, and what keeps it far below ClientAuthentication's 150/s."""

    margin: float = 60.0
    tokens: Tokens | None = None
    expires_at: float = 0.0
    fetched: int = 0

    def valid(self, now: float) -> Tokens | None:
        return self.tokens if self.tokens is not None and now < self.expires_at else None

    def keep(self, tokens: Tokens, now: float) -> None:
        self.tokens, self.expires_at = tokens, now + tokens.expires_in - self.margin
        self.fetched += 1


def cached_client_credentials(
    ctx: FlowContext, cache: TokenCache, scope: str | None = None
) -> HttpFlow[Tokens]:
    """The cached token while it is fresh; a new one (one request) otherwise."""
    now = ctx.clock().timestamp()
    kept = cache.valid(now)
    if kept is not None:
        return kept
    tokens = yield from client_credentials(ctx, scope)
    cache.keep(tokens, now)
    return tokens
