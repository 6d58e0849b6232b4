"""The OAuth 2.0 rules of a domain, as pure functions: requests checked, codes sealed, PKCE.

Errors are :class:`OAuthError` carrying the RFC 6749 ``error`` code Cognito answers with
(cognito-facts §17.4). Authorization codes are sealed (AES-GCM, like Sessions): any worker can
redeem them; single use is one row in ``used_sessions``. Cognito's codes are UUIDs; ours are
longer opaque strings (a guess-free departure: nothing reads a code but the pool).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..records import AppClient
from ..sessions import Sealer, SealError

__all__ = [
    "CODE_SECONDS",
    "AuthorizeRequest",
    "CodeGrant",
    "OAuthError",
    "authorize_request",
    "client_from_basic",
    "granted_scopes",
    "pkce_matches",
]

#: "a one time use code that is valid for five minutes" (dg-2023 authorization-endpoint).
CODE_SECONDS = 300.0
_CODE_AAD = b"oauth2-code"
_USER_SCOPES = frozenset({"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"})


class OAuthError(Exception):
    """An OAuth error answer: ``{"error": code}`` with an HTTP status (400 unless said)."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(error)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizeRequest:
    """The parameters of ``/oauth2/authorize`` (and ``/login``), checked."""

    client_id: str
    redirect_uri: str
    response_type: str
    state: str | None
    scope: str
    code_challenge: str | None
    nonce: str | None

    def query(self) -> dict[str, str]:
        """The parameters to carry to the next page."""
        items = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": self.response_type,
            "scope": self.scope,
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256" if self.code_challenge else None,
            "nonce": self.nonce,
        }
        return {k: v for k, v in items.items() if v is not None}


def redirect_target(client: AppClient | None, query: Mapping[str, str]) -> str:
    """The redirect_uri if it may be redirected to; OAuthError (shown as a page) otherwise."""
    if client is None or not client.oauth.enabled:
        raise OAuthError("invalid_request", "Invalid client_id.")
    uri = query.get("redirect_uri", "")
    if uri not in client.oauth.callback_urls:
        raise OAuthError("redirect_mismatch", "redirect_mismatch")
    return uri


def authorize_request(client: AppClient, query: Mapping[str, str]) -> AuthorizeRequest:
    """The checked request, or OAuthError to send back to the redirect_uri (facts §17.2)."""
    response_type = query.get("response_type", "")
    if response_type not in ("code", "token"):
        raise OAuthError("invalid_request", "response_type must be code or token")
    flow = "code" if response_type == "code" else "implicit"
    if not client.oauth.allows(flow):
        raise OAuthError("unauthorized_client")
    challenge, method = query.get("code_challenge"), query.get("code_challenge_method")
    if (challenge is None) != (method is None) or (method is not None and method != "S256"):
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    return AuthorizeRequest(
        client_id=client.id,
        redirect_uri=query["redirect_uri"],
        response_type=response_type,
        state=query.get("state"),
        scope=_requested_scopes(client, query.get("scope")),
        code_challenge=challenge,
        nonce=query.get("nonce"),
    )


def _requested_scopes(client: AppClient, text: str | None) -> str:
    """Unknown scopes are ignored; none asked means all the client's (facts §17.2)."""
    allowed = client.oauth.scopes
    asked = allowed if not text else frozenset(text.split()) & allowed
    if not asked:
        raise OAuthError("invalid_scope")
    return " ".join(sorted(asked))


def granted_scopes(client: AppClient, text: str | None) -> str:
    """Client-credentials scopes: custom ones only, all the client's if none asked."""
    custom = client.oauth.custom_scopes
    if not text:
        asked = custom
    else:
        asked = frozenset(text.split())
        if asked - custom:
            raise OAuthError("invalid_scope")
    if not asked:
        raise OAuthError("invalid_scope")
    return " ".join(sorted(asked))


def pkce_matches(challenge: str, verifier: str) -> bool:
    """S256 (RFC 7636 §4.6): BASE64URL(SHA256(verifier)) equals the challenge."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(computed.encode(), challenge.encode("ascii", "replace"))


def client_from_basic(header: str) -> tuple[str, str] | None:
    """``Authorization: Basic base64(client_id:client_secret)``, or None if absent/malformed."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeGrant:
    """What an authorization code stands for: who signed in, for which request, when."""

    id: str
    pool_id: str
    client_id: str
    sub: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    nonce: str | None
    auth_time: int
    origin_jti: str
    issued: float

    @classmethod
    def new(cls, *, request: AuthorizeRequest, pool_id: str, sub: str, **times: Any) -> CodeGrant:
        return cls(
            id=uuid.uuid4().hex,
            pool_id=pool_id,
            client_id=request.client_id,
            sub=sub,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            code_challenge=request.code_challenge,
            nonce=request.nonce,
            **times,
        )

    def seal(self, sealer: Sealer) -> str:
        payload = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return sealer.seal_urlsafe(payload, _CODE_AAD)

    @classmethod
    def open(cls, sealer: Sealer, text: str) -> CodeGrant:
        """The grant of a code; OAuthError ``invalid_grant`` if it is not one of ours."""
        try:
            payload = sealer.open_urlsafe(text, _CODE_AAD)
            return cls(**payload)
        except (SealError, TypeError, ValueError) as exc:
            raise OAuthError("invalid_grant") from exc


def user_scopes(scope: str) -> bool:
    """Whether a scope string names a user scope (openid, email, ...)."""
    return bool(_USER_SCOPES & set(scope.split()))
