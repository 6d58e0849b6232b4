"""The account journey as sans-I/O flows: sign-up with confirmation, forgot-password with
confirmation, change-password and a profile update.

Each ends with a signed-in user, so each returns a :class:`LoginResult` like the login flows
and fits the catalogue, the drivers and the Locust users unchanged:

- :func:`sign_up`: SignUp, the code from the context's code source (``code:SIGN_UP``, client
  time), ConfirmSignUp, then the first SRP sign-in. The user is new: its name carries
  :data:`SIGNUP_PREFIX` (under the synthetic ``lt-``), so ``teardown --prefix lt-signup-``
  removes what a run made;
- :func:`forgot_password`: ForgotPassword, the code, ConfirmForgotPassword with a fresh
  password (kept on the identity), then an SRP sign-in with it;
- :func:`change_password`: an SRP sign-in, then ChangePassword (kept on the identity);
- :func:`update_profile`: an SRP sign-in, then UpdateUserAttributes of an attribute that needs
  no verification (``name`` by default), so no code is sent.

Passwords are drawn from the context's random source, always of the shape
:data:`GENERATED_PASSWORD`, so the secrets scan can look for every one a run made without
knowing it; codes come only from the code source (the local pool's sink, or the user's
callable against a real pool).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from loadtest.protocol.names import Operation

from .codes import CodeRequest, read_code
from .context import FlowContext
from .effects import Flow, UnexpectedResponse, call
from .identity import Identity
from .login import LoginOptions, srp_login
from .results import LoginResult, Note

__all__ = [
    "GENERATED_PASSWORD",
    "SIGNUP_PREFIX",
    "change_password",
    "forgot_password",
    "new_password",
    "new_signup_identity",
    "sign_up",
    "update_profile",
]

#: Users a sign-up run creates are named ``lt-signup-<hex>``: synthetic, and findable by prefix.
SIGNUP_PREFIX = "lt-signup-"

_NO_DEVICE = LoginOptions(use_device=False)


#: Every password :func:`new_password` makes (sign-up, recovery, change, NEW_PASSWORD_REQUIRED).
#: They live only in memory, so the secrets scan cannot list them: it searches for this shape.
GENERATED_PASSWORD = re.compile(r"Aa1![0-9a-f]{24}")


def new_password(ctx: FlowContext) -> str:
    """A password every default policy accepts: all four classes, 28 characters, of the shape
    :data:`GENERATED_PASSWORD`."""
    return "Aa1!" + ctx.rand(12).hex()


def new_signup_identity(ctx: FlowContext) -> Identity:
    """A fresh synthetic identity for one sign-up."""
    return Identity(username=SIGNUP_PREFIX + ctx.rand(8).hex(), password=new_password(ctx))


def _code_request(
    ctx: FlowContext, username: str, response: dict[str, Any], purpose: str, label: str
) -> CodeRequest:
    details = response.get("CodeDeliveryDetails")
    if not isinstance(details, dict) or "DeliveryMedium" not in details:
        raise UnexpectedResponse(label, "no CodeDeliveryDetails: the pool sent no code")
    return CodeRequest(
        pool_id=ctx.client.pool_id,
        username=username,
        medium=str(details["DeliveryMedium"]),
        destination=str(details.get("Destination", "")),
        purpose=purpose,
    )


def _with_client(ctx: FlowContext, username: str, body: dict[str, Any]) -> dict[str, Any]:
    secret = ctx.client.secret_hash(username).get("SECRET_HASH")
    extra = {"SecretHash": secret} if secret else {}
    return {"ClientId": ctx.client.client_id, "Username": username, **body, **extra}


def _then(login: LoginResult, label: str, note: Note | None = None) -> LoginResult:
    notes = login.notes | ({note} if note else set())
    return replace(login, calls=(*login.calls, label), notes=frozenset(notes))


def sign_up(identity: Identity, ctx: FlowContext, email: str | None = None) -> Flow[LoginResult]:
    """SignUp with an e-mail, ConfirmSignUp with the code sent, then the first sign-in."""
    address = email or f"{identity.username}@example.com"
    body = {
        "Password": identity.password,
        "UserAttributes": [{"Name": "email", "Value": address}],
    }
    label = str(Operation.SIGN_UP)
    answer = yield from call(Operation.SIGN_UP, _with_client(ctx, identity.username, body), label)
    request = _code_request(ctx, identity.username, answer, "SIGN_UP", label)
    code = yield from read_code(ctx.codes, request)
    confirm = _with_client(ctx, identity.username, {"ConfirmationCode": code})
    yield from call(Operation.CONFIRM_SIGN_UP, confirm, str(Operation.CONFIRM_SIGN_UP))
    login = yield from srp_login(identity, ctx, _NO_DEVICE)
    return replace(login, calls=(label, str(Operation.CONFIRM_SIGN_UP), *login.calls))


def forgot_password(identity: Identity, ctx: FlowContext) -> Flow[LoginResult]:
    """ForgotPassword, ConfirmForgotPassword with a fresh password, a sign-in with it."""
    label = str(Operation.FORGOT_PASSWORD)
    body = _with_client(ctx, identity.username, {})
    answer = yield from call(Operation.FORGOT_PASSWORD, body, label)
    request = _code_request(ctx, identity.username, answer, "FORGOT_PASSWORD", label)
    code = yield from read_code(ctx.codes, request)
    password = new_password(ctx)
    confirm = _with_client(ctx, identity.username, {"ConfirmationCode": code, "Password": password})
    confirm_label = str(Operation.CONFIRM_FORGOT_PASSWORD)
    yield from call(Operation.CONFIRM_FORGOT_PASSWORD, confirm, confirm_label)
    identity.password = password
    login = yield from srp_login(identity, ctx, _NO_DEVICE)
    calls = (label, confirm_label, *login.calls)
    return replace(login, calls=calls, notes=login.notes | {Note.PASSWORD_CHANGED})


def change_password(identity: Identity, ctx: FlowContext) -> Flow[LoginResult]:
    """Sign in, then ChangePassword to a fresh password (kept on the identity)."""
    login = yield from srp_login(identity, ctx, _NO_DEVICE)
    password = new_password(ctx)
    body = {
        "AccessToken": login.tokens.access_token,
        "PreviousPassword": identity.password,
        "ProposedPassword": password,
    }
    label = str(Operation.CHANGE_PASSWORD)
    yield from call(Operation.CHANGE_PASSWORD, body, label)
    identity.password = password
    return _then(login, label, Note.PASSWORD_CHANGED)


def update_profile(
    identity: Identity, ctx: FlowContext, attribute: str = "name"
) -> Flow[LoginResult]:
    """Sign in, then UpdateUserAttributes of one attribute that needs no verification."""
    login = yield from srp_login(identity, ctx, _NO_DEVICE)
    value = f"lt {ctx.rand(4).hex()}"
    body = {
        "AccessToken": login.tokens.access_token,
        "UserAttributes": [{"Name": attribute, "Value": value}],
    }
    label = str(Operation.UPDATE_USER_ATTRIBUTES)
    yield from call(Operation.UPDATE_USER_ATTRIBUTES, body, label)
    return _then(login, label)
