"""The managed-login pages a sign-in can meet after its password, and their answers.

One place decides which page follows a verified password (as :mod:`..signin` does for the API;
docs/managed-login.md gives the sources and marks the guesses):

=============================================  ==============================================
after the password                              the page
=============================================  ==============================================
temporary password (FORCE_CHANGE_PASSWORD)      new password (``/forceChangePassword``), then
                                                the rows below
TOTP, SMS or e-mail MFA active                  the preferred factor's page, else TOTP's, else
                                                the first active (``/mfa``): the TOTP code, or
                                                a code sent by SMS or e-mail (to the sink)
pool MFA ON, nothing enrolled                   TOTP enrolment (``/mfa_setup``): the secret as
                                                text and an ``otpauth://`` URI, then a code
otherwise                                       signed in: to the callback
=============================================  ==============================================

Each page's state is a sealed :class:`PageStep` in the form (any worker can open it), used
once when its step succeeds and valid as long as the client's AuthSessionValidity. Each POST
is one UserAuthentication request (quotas page, footnote 2). Wrong TOTP, SMS and e-mail codes
count toward the lockout as the API's answers do; a sent code is the user's one pending MFA code
as the API's is (a newer sign-in's code supersedes it) and a right one marks its address
verified (:func:`..signin.mfa_code_passed`); a wrong enrolment code and a refused new password
do not count (neither does the API's VerifySoftwareToken or NEW_PASSWORD_REQUIRED).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

import srp_fast
from loadtest.protocol.errors import (
    CodeMismatch,
    CognitoError,
    EnableSoftwareTokenMFA,
    ExpiredCode,
    Messages,
    NotAuthorized,
)
from loadtest.protocol.names import Challenge, Endpoint

from .. import codes, totp
from ..admin import check_password_policy
from ..messages import Medium, Purpose, mask_destination
from ..records import AppClient, MfaMode, User, UserStatus
from ..sessions import SealError
from ..signin import (
    SignIn,
    accept_totp,
    active_factors,
    check_lock,
    code_digest,
    count_failure,
    mfa_code_current,
    mfa_code_passed,
    pend_mfa_code,
)
from .common import Domain, OAuthEnv, Stop, error_page
from .grants import AuthorizeRequest
from .page_kit import admit_step, checked, posted_form, show, signed_in

__all__ = [
    "OTPAUTH_ISSUER",
    "PageStep",
    "Step",
    "mfa_setup_submit",
    "mfa_submit",
    "new_password_submit",
    "next_page",
]

_STEP_AAD = b"managed-login-step"
#: The issuer an ``otpauth://`` URI names (Amplify UI's default; what Cognito's page uses is
#: not documented: a guess).
OTPAUTH_ISSUER = "AWSCognito"
#: Shown when the two new passwords differ (wording is a guess).
PASSWORDS_DIFFER = "Passwords do not match"


class Step(StrEnum):
    """A page after the password."""

    TOTP = "totp"
    #: A code sent by SMS (or, once the pool has e-mail MFA, by e-mail): ``PageStep.medium``.
    CODE = "code"
    SETUP = "mfa_setup"
    NEW_PASSWORD = "new_password"


@dataclass(frozen=True, slots=True, kw_only=True)
class PageStep:
    """A page's sealed state: whose sign-in, which step, when, and (a sent code) its digest
    and medium."""

    id: str
    sub: str
    step: Step
    issued: float
    code: str = ""
    medium: str = ""
    #: The sent code's nonce, the user's pending MFA code while no newer sign-in replaced it.
    nonce: str = ""

    def seal(self, env: OAuthEnv) -> str:
        payload = {"id": self.id, "sub": self.sub, "step": str(self.step),
                   "issued": self.issued, "code": self.code, "medium": self.medium,
                   "nonce": self.nonce}  # fmt: skip
        return env.ctx.sealer.seal_urlsafe(payload, _STEP_AAD)

    @classmethod
    def new(
        cls, env: OAuthEnv, user: User, step: Step, code: str = "", medium: str = "",
        nonce: str = "",
    ) -> PageStep:  # fmt: skip
        return cls(id=uuid.uuid4().hex, sub=user.sub, step=step, issued=env.ctx.now(),
                   code=code, medium=medium, nonce=nonce)  # fmt: skip

    @classmethod
    def open(cls, env: OAuthEnv, client: AppClient, text: str, steps: tuple[Step, ...]) -> PageStep:
        """The step of a posted form: sealed here, of an expected kind, fresh and unused."""
        try:
            payload = env.ctx.sealer.open_urlsafe(text, _STEP_AAD)
            found = cls(id=str(payload["id"]), sub=str(payload["sub"]),
                        step=Step(payload["step"]), issued=float(payload["issued"]),
                        code=str(payload.get("code", "")),
                        medium=str(payload.get("medium", "")),
                        nonce=str(payload.get("nonce", "")))  # fmt: skip
        except (SealError, KeyError, ValueError):
            raise Stop(error_page(Messages.SESSION_INVALID)) from None
        if found.step not in steps:
            raise Stop(error_page(Messages.SESSION_INVALID))
        if env.ctx.now() - found.issued > env.ctx.session_seconds(client):
            raise Stop(error_page(Messages.SESSION_EXPIRED))
        if env.ctx.store.used_sessions.is_used(found.id):
            raise Stop(error_page(Messages.SESSION_USED))
        return found

    def use(self, env: OAuthEnv, client: AppClient) -> None:
        """Spend the step (a second submit of the same page is refused)."""
        expires = self.issued + env.ctx.session_seconds(client) + 1.0
        if not env.ctx.store.used_sessions.use(self.id, expires):
            raise Stop(error_page(Messages.SESSION_USED))


@dataclass(frozen=True, slots=True, kw_only=True)
class _Page:
    """One sign-in in progress on the pages: where, through which client, who, what was asked."""

    env: OAuthEnv
    domain: Domain
    client: AppClient
    req: AuthorizeRequest
    request: web.Request
    user: User


# -- which page next ----------------------------------------------------------------------------
def next_page(
    env: OAuthEnv,
    domain: Domain,
    client: AppClient,
    req: AuthorizeRequest,
    request: web.Request,
    user: User,
    *,
    password_done: bool = True,
) -> web.Response:
    """The page after a verified password (the table above), or the callback."""
    at = _Page(env=env, domain=domain, client=client, req=req, request=request, user=user)
    pool = domain.pool
    if password_done and user.status is UserStatus.FORCE_CHANGE_PASSWORD:
        if env.ctx.now() - user.password_set > pool.password_policy.temporary_days * 86400:
            raise NotAuthorized(Messages.TEMPORARY_PASSWORD_EXPIRED)
        return _new_password_page(at, PageStep.new(env, user, Step.NEW_PASSWORD), error="")
    factor = _factor(at)
    if factor is Challenge.SOFTWARE_TOKEN_MFA:
        return _totp_page(at, PageStep.new(env, user, Step.TOTP), error="")
    if factor is not None:
        return _send_code(at, Medium.SMS if factor is Challenge.SMS_MFA else Medium.EMAIL)
    if pool.mfa is MfaMode.ON:
        if not pool.totp_enabled:
            return error_page("MFA is required but no factor can be set up on this page.")
        return _setup_page(at, PageStep.new(env, user, Step.SETUP), error="")
    return signed_in(env, domain, client, req, user)


def _factor(at: _Page) -> Challenge | None:
    """The second factor to ask for: the preferred one if active, else TOTP if active, else
    the first active one (the API would answer SELECT_MFA_TYPE; the page's choice is a guess)."""
    active = active_factors(_sign_in(at))
    mfa = at.user.mfa
    preferred = (
        (Challenge.SMS_MFA, mfa.sms_preferred),
        (Challenge.SOFTWARE_TOKEN_MFA, mfa.totp_preferred),
        (Challenge.EMAIL_OTP, mfa.email_preferred),
    )
    for factor, chosen in preferred:
        if chosen and factor in active:
            return factor
    if Challenge.SOFTWARE_TOKEN_MFA in active:
        return Challenge.SOFTWARE_TOKEN_MFA
    return active[0] if active else None


def _sign_in(at: _Page) -> SignIn:
    return SignIn(pool=at.domain.pool, client=at.client, user=at.user)


def _totp_page(at: _Page, step: PageStep, *, error: str) -> web.Response:
    session = step.seal(at.env)
    return show(at.domain, at.request, "mfa", "mfa", at.req, error=error, session=session)


#: Why a code page's code is sent, by medium (the API's SMS_MFA and EMAIL_OTP).
_PURPOSES = {Medium.SMS: Purpose.SMS_MFA, Medium.EMAIL: Purpose.EMAIL_OTP}


def _send_code(at: _Page, medium: Medium) -> web.Response:
    """Send a code to the user's phone or address (the message sink) and ask for it."""
    message = codes.send(at.env.ctx, at.user, medium, _PURPOSES[medium])
    nonce = pend_mfa_code(at.env.ctx, at.user, at.client)
    code = code_digest(message.code)
    step = PageStep.new(at.env, at.user, Step.CODE, code=code, medium=str(medium), nonce=nonce)
    return _code_page(at, step, error="")


def _code_page(at: _Page, step: PageStep, *, error: str) -> web.Response:
    """The code page: where the code went (masked, as the API's CODE_DELIVERY_DESTINATION)."""
    medium = Medium(step.medium)
    destination = mask_destination(medium, at.user.attributes.get(medium.attribute, ""))
    return show(at.domain, at.request, "code", "mfa", at.req, error=error,
                session=step.seal(at.env), medium=medium.value,
                destination=destination)  # fmt: skip


def _setup_page(at: _Page, step: PageStep, *, error: str) -> web.Response:
    """The TOTP enrolment page: a new secret (kept pending, as AssociateSoftwareToken does) the
    first time, the same one when a wrong code is shown again."""
    user = at.user
    secret = user.mfa.totp_pending
    if secret is None or not error:
        secret = totp.new_secret()
        mfa = replace(user.mfa, totp_pending=secret)
        at.env.ctx.store.users.update(user, mfa=mfa, modified=at.env.ctx.now())
    uri = otpauth_uri(secret, user.username)
    return show(at.domain, at.request, "mfa_setup", "mfa_setup", at.req, error=error,
                session=step.seal(at.env), secret=secret, uri=uri)  # fmt: skip


def otpauth_uri(secret: str, username: str, issuer: str = OTPAUTH_ISSUER) -> str:
    """The Key Uri Format authenticator apps read (``otpauth://totp/ISSUER:NAME?...``)."""
    label = quote(f"{issuer}:{username}")
    return f"otpauth://totp/{label}?{urlencode({'secret': secret, 'issuer': issuer})}"


def _new_password_page(at: _Page, step: PageStep, *, error: str) -> web.Response:
    return show(at.domain, at.request, "new_password", str(Endpoint.NEW_PASSWORD), at.req,
                error=error, session=step.seal(at.env), username=at.user.username)  # fmt: skip


# -- the answers ------------------------------------------------------------------------------
async def _opened(
    env: OAuthEnv, request: web.Request, endpoint: Endpoint, steps: tuple[Step, ...]
) -> tuple[_Page, PageStep, dict[str, str]]:
    """The prologue of every step's POST: checks, CSRF, the sealed step, its user, the quota."""
    domain, client, req = checked(env, request)
    form = await posted_form(request)
    step = PageStep.open(env, client, form.get("session", ""), steps)
    user = env.ctx.store.users.by_sub(domain.pool.id, step.sub)
    if user is None or not user.enabled:
        raise Stop(error_page(Messages.SESSION_INVALID))
    admit_step(env, endpoint, domain, user.username)
    at = _Page(env=env, domain=domain, client=client, req=req, request=request, user=user)
    return at, step, form


async def mfa_submit(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    """A TOTP or sent code: right, signed in; wrong, the page again with the API's message."""
    at, step, form = await _opened(env, request, Endpoint.MFA, (Step.TOTP, Step.CODE))
    try:
        if step.step is Step.TOTP:
            _verify_totp(env, at.user, form.get("totpCode", "")[:16])
        else:
            _verify_code(env, at.user, step, form.get("mfaCode", "")[:16])
    except CognitoError as error:
        if step.step is Step.TOTP:
            return _totp_page(at, step, error=error.message)
        return _code_page(at, step, error=error.message)
    step.use(env, at.client)
    user = at.user
    if step.step is Step.CODE:
        user = mfa_code_passed(env.ctx, _sign_in(at), Medium(step.medium)).user
    return signed_in(env, at.domain, at.client, at.req, user)


def _verify_totp(env: OAuthEnv, user: User, code: str) -> None:
    """As SOFTWARE_TOKEN_MFA: a wrong code counts toward the lockout, a reused one is refused."""
    check_lock(env.ctx, user)
    accept_totp(env.ctx, user, code)


def _verify_code(env: OAuthEnv, user: User, step: PageStep, code: str) -> None:
    """As SMS_MFA and EMAIL_OTP: a wrong code, or one a newer sign-in superseded, counts toward
    the lockout (cognito-facts §4) and keeps the page."""
    check_lock(env.ctx, user)
    current = mfa_code_current(
        env.ctx, user.pool_id, user.sub, digest=step.code, nonce=step.nonce, code=code
    )
    if not current:
        raise count_failure(env.ctx, user, CodeMismatch(Messages.SMS_CODE_MISMATCH))


async def mfa_setup_submit(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    """The enrolment code: right, TOTP is on and preferred and the user is signed in."""
    at, step, form = await _opened(env, request, Endpoint.MFA_SETUP, (Step.SETUP,))
    try:
        user = _enroll(env, at.user, form.get("totpCode", "")[:16], form.get("deviceName", ""))
    except CognitoError as error:
        return _setup_page(at, step, error=error.message)
    step.use(env, at.client)
    return signed_in(env, at.domain, at.client, at.req, user)


def _enroll(env: OAuthEnv, user: User, code: str, device_name: str) -> User:
    """As VerifySoftwareToken then MFA_SETUP: the pending secret becomes the user's token."""
    ctx = env.ctx
    pending = user.mfa.totp_pending
    matched = None if pending is None else totp.matching_step(pending, code, ctx.now())
    if matched is None:
        raise EnableSoftwareTokenMFA(Messages.VERIFY_TOTP_MISMATCH)
    if not ctx.store.totp_steps.accept(user, matched):
        raise ExpiredCode(Messages.TOTP_REPLAYED)
    mfa = replace(user.mfa, totp_secret=pending, totp_pending=None, totp_enabled=True,
                  totp_preferred=True, sms_preferred=False,
                  friendly_name=device_name[:128] or None)  # fmt: skip
    return ctx.store.users.update(user, mfa=mfa, modified=ctx.now())


async def new_password_submit(env: OAuthEnv, request: web.Request) -> web.StreamResponse:
    """A new password for a temporary one: right, the MFA pages or the callback follow."""
    at, step, form = await _opened(env, request, Endpoint.NEW_PASSWORD, (Step.NEW_PASSWORD,))
    password = form.get("newPassword", "")[:256]
    try:
        if password != form.get("confirmNewPassword", "")[:256]:
            raise _Refused(PASSWORDS_DIFFER)
        check_password_policy(at.domain.pool, password)
    except (CognitoError, _Refused) as error:
        return _new_password_page(at, step, error=str(_message(error)))
    user = await _set_password(env, at, password)
    step.use(env, at.client)
    return next_page(env, at.domain, at.client, at.req, at.request, user, password_done=False)


class _Refused(Exception):
    """A form refused before any Cognito rule (its message is the page's)."""


def _message(error: Exception) -> str:
    return error.message if isinstance(error, CognitoError) else str(error)


async def _set_password(env: OAuthEnv, at: _Page, password: str) -> User:
    """As NEW_PASSWORD_REQUIRED: a new verifier, the user CONFIRMED."""
    ctx, user = env.ctx, at.user
    prefix = srp_fast.pool_name(at.domain.pool.id)
    record = await ctx.srp.new_password(prefix, user.username, password)
    changes: dict[str, Any] = {"salt": record.salt, "verifier": record.verifier, "x": record.x}
    return ctx.store.users.update(user, **changes, password_set=ctx.now(),
                                  status=UserStatus.CONFIRMED, modified=ctx.now())  # fmt: skip
