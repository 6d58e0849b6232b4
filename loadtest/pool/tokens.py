"""RS256 id and access tokens with Cognito's claims, opaque refresh tokens, and the JWKS.

Two RSA-2048 keys, one for access tokens and one for id tokens ("Amazon Cognito uses a different
key to sign access tokens than the key that signs ID tokens"), persisted in the state file so
tokens outlive a restart. Refresh tokens are sealed (opaque, as Cognito's JWE is). Revocation
(GlobalSignOut) compares the time embedded in a token's ``origin_jti`` (a time-ordered UUID)
with the user's sign-out time, so nothing per token is stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from loadtest.protocol.errors import Messages, NotAuthorized

from .records import AppClient, User
from .sessions import Sealer, SealError, open_refresh, seal_refresh
from .store import Group

__all__ = ["AccessClaims", "GroupClaims", "Minted", "TokenAuthority", "time_uuid", "uuid_time"]

#: Expiry is checked against the pool's own clock (which tests may move), not PyJWT's.
_NO_TIME_CHECKS: Any = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
_BOOLEAN_ATTRIBUTES = frozenset({"email_verified", "phone_number_verified"})


def time_uuid(now: float) -> str:
    """A UUID whose first 48 bits are ``now`` in milliseconds (version 7 layout)."""
    millis = int(now * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | (0x7 << 76) | ((rand >> 64) & 0xFFF) << 64
    value |= (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def uuid_time(text: str) -> float:
    """The time embedded by :func:`time_uuid` (0.0 for anything else)."""
    try:
        return (uuid.UUID(text).int >> 80) / 1000.0
    except (ValueError, AttributeError):
        return 0.0


def _new_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class _SigningKey:
    kid: str
    private: rsa.RSAPrivateKey
    public: rsa.RSAPublicKey

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact RS256 JWS with ``kid`` (PyJWT's output, minus its per-call overhead)."""
        header = _b64url(json.dumps({"kid": self.kid, "alg": "RS256"}).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}"
        signature = self.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    @classmethod
    def from_pem(cls, pem: bytes) -> _SigningKey:
        private = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        public = private.public_key()
        der = public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        kid = base64.b64encode(hashlib.sha256(der).digest()).decode()
        return cls(kid=kid, private=private, public=public)

    def jwk(self) -> dict[str, str]:
        numbers = self.public.public_numbers()
        return {
            "alg": "RS256",
            "e": _b64url_uint(numbers.e),
            "kid": self.kid,
            "kty": "RSA",
            "n": _b64url_uint(numbers.n),
            "use": "sig",
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessClaims:
    """What an operation authorised by AccessToken learns from it."""

    pool_id: str
    sub: str
    username: str
    client_id: str
    origin_jti: str
    device_key: str | None
    issued: float
    scope: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupClaims:
    """What a user's groups put in the tokens (API reference, CreateGroup's Precedence and
    RoleArn; Developer Guide, "Adding groups to a user pool").

    ``cognito:groups`` (both tokens): every group, by precedence (lower first, unset last).
    ``cognito:roles`` (ID token): the role ARNs of those groups, each once, in that order (the
    order is a guess). ``cognito:preferred_role`` (ID token): the role of the group with the
    lowest precedence among those with a role; when groups tied at that precedence name
    different roles, none ("the cognito:preferred_role claim isn't set"). A null precedence
    ranks after every number and ties with other nulls (a reading of "lower Precedence values
    take precedence over groups with higher or null Precedence values").
    """

    names: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    preferred_role: str | None = None

    @classmethod
    def of(cls, groups: Sequence[Group]) -> GroupClaims:
        """The claims of a user's groups, given in precedence order."""
        with_role = [g for g in groups if g.role_arn is not None]
        roles = tuple(dict.fromkeys(str(g.role_arn) for g in with_role))
        return cls(
            names=tuple(g.name for g in groups), roles=roles, preferred_role=_preferred(with_role)
        )

    def access(self) -> dict[str, Any]:
        """The access token's share: ``cognito:groups`` when there are any."""
        return {"cognito:groups": list(self.names)} if self.names else {}

    def id(self) -> dict[str, Any]:
        """The ID token's share: groups, roles and the preferred role, each when present."""
        claims = self.access()
        if self.roles:
            claims["cognito:roles"] = list(self.roles)
        if self.preferred_role is not None:
            claims["cognito:preferred_role"] = self.preferred_role
        return claims


def _preferred(with_role: Sequence[Group]) -> str | None:
    if not with_role:
        return None
    first = with_role[0].precedence
    tied = {g.role_arn for g in with_role if g.precedence == first}
    return tied.pop() if len(tied) == 1 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Minted:
    """Facts a sign-in carries into its tokens."""

    auth_time: int
    origin_jti: str
    device_key: str | None = None
    #: A rotated refresh token keeps the original's expiry (cognito-facts §14.1).
    refresh_expires: float | None = None
    #: OAuth scopes (space-separated) when the tokens come from a domain's token endpoint;
    #: such access tokens carry ``version: 2`` and the ID token ``at_hash`` (facts §17.7).
    scope: str | None = None
    nonce: str | None = None
    #: Under rotation: the refresh token this one was exchanged from, and which of its
    #: children this is (after a fork only the newest child refreshes, §14.2).
    parent_jti: str | None = None
    generation: int = 0


class TokenAuthority:
    """Signs and checks the pool's tokens."""

    def __init__(self, access_pem: bytes, id_pem: bytes, sealer: Sealer, region: str) -> None:
        self._access = _SigningKey.from_pem(access_pem)
        self._id = _SigningKey.from_pem(id_pem)
        self._sealer = sealer
        self._region = region

    new_key_pem = staticmethod(_new_key_pem)

    def issuer(self, pool_id: str) -> str:
        return f"https://cognito-idp.{self._region}.amazonaws.com/{pool_id}"

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS document: both public keys."""
        return {"keys": [self._id.jwk(), self._access.jwk()]}

    def authentication_result(
        self,
        user: User,
        client: AppClient,
        minted: Minted,
        now: float,
        *,
        refresh: bool = True,
        groups: GroupClaims | None = None,
    ) -> dict[str, Any]:
        """AccessToken, IdToken, (RefreshToken,) ExpiresIn and TokenType for a sign-in.

        ``groups``: what the user's groups add to each token (:class:`GroupClaims`).
        """
        event_id = str(uuid.uuid4())
        groups = groups or GroupClaims()
        access = self._access_token(user, client, minted, now, event_id, groups.access())
        id_token = self._id_token(user, client, minted, now, event_id, access, groups.id())
        result: dict[str, Any] = {
            "AccessToken": access,
            "ExpiresIn": int(client.access_seconds),
            "TokenType": "Bearer",
            "IdToken": id_token,
        }
        if refresh:
            result["RefreshToken"] = self._refresh_token(user, client, minted, now)
        return result

    def _access_token(
        self,
        user: User,
        client: AppClient,
        minted: Minted,
        now: float,
        event_id: str,
        extra: Mapping[str, Any],
    ) -> str:
        iat = int(now)
        claims: dict[str, Any] = {
            "sub": user.sub,
            **extra,
            "iss": self.issuer(user.pool_id),
            "client_id": client.id,
            "origin_jti": minted.origin_jti,
            "event_id": event_id,
            "token_use": "access",
            "scope": minted.scope or "aws.cognito.signin.user.admin",
            "auth_time": minted.auth_time,
            "exp": iat + int(client.access_seconds),
            "iat": iat,
            "jti": time_uuid(now),
            "username": user.username,
        }
        if minted.device_key:
            claims["device_key"] = minted.device_key
        if minted.scope is not None:
            claims["version"] = 2
        return self._access.sign(claims)

    def client_token(self, pool_id: str, client: AppClient, scope: str, now: float) -> str:
        """A client-credentials access token: no user, no ID or refresh token (facts §17.7)."""
        iat = int(now)
        claims = {
            "sub": client.id,
            "token_use": "access",
            "scope": scope,
            "auth_time": iat,
            "iss": self.issuer(pool_id),
            "exp": iat + int(client.access_seconds),
            "iat": iat,
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": client.id,
        }
        return self._access.sign(claims)

    def _id_token(
        self,
        user: User,
        client: AppClient,
        minted: Minted,
        now: float,
        event_id: str,
        access: str,
        extra: Mapping[str, Any],
    ) -> str:
        iat = int(now)
        claims: dict[str, Any] = {name: _claim(name, v) for name, v in user.attributes.items()}
        claims.update(
            {
                **extra,
                "sub": user.sub,
                "iss": self.issuer(user.pool_id),
                "cognito:username": user.username,
                "origin_jti": minted.origin_jti,
                "aud": client.id,
                "event_id": event_id,
                "token_use": "id",
                "auth_time": minted.auth_time,
                "exp": iat + int(client.id_seconds),
                "iat": iat,
                "jti": time_uuid(now),
            }
        )
        if minted.scope is not None:
            claims["at_hash"] = _at_hash(access)
        if minted.nonce:
            claims["nonce"] = minted.nonce
        return self._id.sign(claims)

    def _refresh_token(self, user: User, client: AppClient, minted: Minted, now: float) -> str:
        payload: dict[str, Any] = {
            "pool_id": user.pool_id,
            "sub": user.sub,
            "client_id": client.id,
            "origin_jti": minted.origin_jti,
            "auth_time": minted.auth_time,
            "device_key": minted.device_key or "",
            "exp": minted.refresh_expires or now + client.refresh_seconds,
            # Each refresh token's own id: rotation remembers which were used (§14.2).
            "jti": str(uuid.uuid4()),
        }
        if minted.scope is not None:
            payload["scope"] = minted.scope
        if minted.parent_jti is not None:
            payload |= {"parent_jti": minted.parent_jti, "generation": minted.generation}
        return seal_refresh(self._sealer, payload)

    def open_refresh(self, token: object, now: float) -> Mapping[str, Any]:
        """The refresh token's payload; NotAuthorized if forged or expired."""
        try:
            payload = open_refresh(self._sealer, token)
        except SealError as exc:
            raise NotAuthorized(Messages.REFRESH_TOKEN_INVALID) from exc
        if float(payload["exp"]) <= now:
            raise NotAuthorized(Messages.REFRESH_TOKEN_EXPIRED)
        return payload

    def check_access(self, token: object, now: float) -> AccessClaims:
        """Verify an access token's signature, use and expiry; NotAuthorized otherwise."""
        if not isinstance(token, str) or len(token) > 8192:
            raise NotAuthorized(Messages.ACCESS_TOKEN_INVALID)
        try:
            claims = jwt.decode(
                token, self._access.public, algorithms=["RS256"], options=_NO_TIME_CHECKS
            )
        except (jwt.PyJWTError, RecursionError) as exc:  # RecursionError: nested JSON parts
            raise NotAuthorized(Messages.ACCESS_TOKEN_INVALID) from exc
        if claims.get("token_use") != "access":
            raise NotAuthorized(Messages.ACCESS_TOKEN_INVALID)
        try:
            return self._claims(claims, now)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            # signed with our key yet missing or mistyped claims: only the key holder can
            # make one, but it is still an invalid token, not a crash
            raise NotAuthorized(Messages.ACCESS_TOKEN_INVALID) from exc

    @staticmethod
    def _claims(claims: dict[str, Any], now: float) -> AccessClaims:
        if int(claims.get("exp", 0)) <= now:
            raise NotAuthorized(Messages.ACCESS_TOKEN_EXPIRED)
        iss = claims.get("iss", "")
        device_key = claims.get("device_key")
        if not isinstance(iss, str) or not isinstance(device_key, str | None):
            raise TypeError("iss and device_key must be strings")
        return AccessClaims(
            pool_id=iss.rsplit("/", 1)[-1],
            sub=str(claims["sub"]),
            username=str(claims["username"]),
            client_id=str(claims["client_id"]),
            origin_jti=str(claims["origin_jti"]),
            device_key=device_key,
            issued=float(claims["iat"]),
            scope=str(claims.get("scope", "")),
        )


def _at_hash(access_token: str) -> str:
    """OIDC's at_hash: the left half of SHA-256 of the access token, base64url."""
    return _b64url(hashlib.sha256(access_token.encode()).digest()[:16])


def _claim(name: str, value: str) -> Any:
    if name in _BOOLEAN_ATTRIBUTES:
        return value == "true"
    return value
