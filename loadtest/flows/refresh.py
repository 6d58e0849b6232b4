"""REFRESH_TOKEN_AUTH, and GetTokensFromRefreshToken that follows refresh-token rotation."""

from __future__ import annotations

from dataclasses import replace

from loadtest.protocol.names import AuthFlow, Operation

from .context import FlowContext
from .effects import Flow, FlowError, call
from .results import LoginResult, Tokens, tokens_from

__all__ = ["refresh", "refresh_after", "rotate", "rotate_after"]


def refresh(
    ctx: FlowContext, refresh_token: str, *, username: str, device_key: str | None = None
) -> Flow[Tokens]:
    """Refresh tokens. ``username`` feeds SECRET_HASH; ``device_key`` if the login used one.

    Without refresh-token rotation Cognito sends no new RefreshToken: the given one is kept.
    """
    parameters = {"REFRESH_TOKEN": refresh_token, **ctx.client.secret_hash(username)}
    if device_key:
        parameters["DEVICE_KEY"] = device_key
    body = {
        "AuthFlow": AuthFlow.REFRESH_TOKEN_AUTH,
        "ClientId": ctx.client.client_id,
        "AuthParameters": parameters,
    }
    label = f"{Operation.INITIATE_AUTH}:{AuthFlow.REFRESH_TOKEN_AUTH}"
    response = yield from call(Operation.INITIATE_AUTH, body, label)
    tokens = tokens_from(response.get("AuthenticationResult"), label)
    if tokens.refresh_token is None:
        tokens = _with_refresh_token(tokens, refresh_token)
    return tokens


def _with_refresh_token(tokens: Tokens, refresh_token: str) -> Tokens:
    return replace(tokens, refresh_token=refresh_token)


def refresh_after(ctx: FlowContext, login: LoginResult) -> Flow[Tokens]:
    """Refresh the tokens of a finished login, with its device key if it had one."""
    if login.tokens.refresh_token is None:
        raise FlowError("the login returned no refresh token")
    return (
        yield from refresh(
            ctx, login.tokens.refresh_token, username=login.username, device_key=login.device_key
        )
    )


def rotate(ctx: FlowContext, refresh_token: str, *, device_key: str | None = None) -> Flow[Tokens]:
    """GetTokensFromRefreshToken (cognito-facts §14.1): the raw ClientSecret, not a hash.

    Under rotation the answer carries a new refresh token, which the caller must use from
    then on (the old one is refused after the client's grace period); without rotation none
    comes back and the given one is kept.
    """
    body: dict[str, str] = {"RefreshToken": refresh_token, "ClientId": ctx.client.client_id}
    if ctx.client.client_secret:
        body["ClientSecret"] = ctx.client.client_secret
    if device_key:
        body["DeviceKey"] = device_key
    label = str(Operation.GET_TOKENS_FROM_REFRESH_TOKEN)
    response = yield from call(Operation.GET_TOKENS_FROM_REFRESH_TOKEN, body, label)
    tokens = tokens_from(response.get("AuthenticationResult"), label)
    if tokens.refresh_token is None:
        tokens = _with_refresh_token(tokens, refresh_token)
    return tokens


def rotate_after(ctx: FlowContext, login: LoginResult) -> Flow[Tokens]:
    """GetTokensFromRefreshToken for a finished login (or the session of the last rotation)."""
    if login.tokens.refresh_token is None:
        raise FlowError("the login returned no refresh token")
    return (yield from rotate(ctx, login.tokens.refresh_token, device_key=login.device_key))
