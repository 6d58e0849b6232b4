"""Passkeys (WebAuthn) in the pool: configuration, registration, and WEB_AUTHN verification.

cognito-facts §13. Every check of a credential is done by py_webauthn (``webauthn`` on PyPI):
CBOR, COSE keys, attestation (``none`` and ``packed``), the RP id hash, the UP/UV flags, the
signature (ES256 and RS256 accepted, as Cognito's are) and the signature counter. This module
only decides what to expect and turns the library's refusals into Cognito's error names:

===================================  =================================================
origin not ``https://<rpId>``, a     WebAuthnOriginNotAllowedException (§13.3's
subdomain, or ``http://localhost``   recommendation; Cognito's rule is unconfirmed)
RP id hash mismatch, or the pool's   WebAuthnRelyingPartyMismatchException
RP id changed since Start
Complete with no pending Start       WebAuthnChallengeNotFoundException
Complete through another app client  WebAuthnClientMismatchException
another algorithm or a bad           WebAuthnCredentialNotSupportedException
attestation
a sign-in assertion that does not    NotAuthorizedException ``Incorrect username or
verify (challenge, signature, an     password.`` (a guess: Cognito's error for these is
unknown credential, the counter)     unconfirmed)
===================================  =================================================

Registration challenges wait in the store for at most five minutes (unconfirmed: a guess);
sign-in challenges live in the sealed, single-use Session, so a replayed assertion meets a
fresh challenge and fails.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_client_data_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from loadtest.protocol.errors import (
    CognitoError,
    InvalidParameter,
    LimitExceeded,
    Messages,
    NotAuthorized,
    ResourceNotFound,
    WebAuthnChallengeNotFound,
    WebAuthnClientMismatch,
    WebAuthnConfigurationMissing,
    WebAuthnCredentialNotSupported,
    WebAuthnNotEnabled,
    WebAuthnOriginNotAllowed,
    WebAuthnRelyingPartyMismatch,
)

from .access import caller
from .context import PoolContext
from .params import Params
from .records import MfaState, Pool, User
from .store import Passkey, PendingRegistration

__all__ = [
    "MAX_PASSKEYS",
    "WebAuthnSettings",
    "complete_web_authn_registration",
    "delete_web_authn_credential",
    "list_web_authn_credentials",
    "options_for",
    "passkey_mfa",
    "passkey_mfa_preference",
    "request_options",
    "settings",
    "start_web_authn_registration",
    "verify_assertion",
]

#: "Passkey/WebAuthn authenticators per user: 20", not adjustable (§13.1).
MAX_PASSKEYS = 20
_ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
_REGISTRATION_SECONDS = 300.0
_MULTI_FACTOR = "MULTI_FACTOR_WITH_USER_VERIFICATION"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebAuthnSettings:
    """SetUserPoolMfaConfig's WebAuthnConfiguration."""

    rp_id: str
    user_verification: str = "preferred"
    #: FactorConfiguration MULTI_FACTOR_WITH_USER_VERIFICATION: a passkey with user
    #: verification may satisfy MFA, for users who turn it on (:func:`passkey_mfa`).
    multi_factor: bool = False

    @property
    def uv_required(self) -> bool:
        return self.user_verification == "required"


def settings(pool: Pool) -> WebAuthnSettings:
    """The pool's passkey settings; WebAuthnConfigurationMissing without a relying party id."""
    raw = pool.raw.get("WebAuthnConfiguration")
    if not isinstance(raw, Mapping) or not raw.get("RelyingPartyId"):
        raise WebAuthnConfigurationMissing(
            "The user pool doesn't have a configured relying party id or a user pool domain."
        )
    return WebAuthnSettings(
        rp_id=str(raw["RelyingPartyId"]),
        user_verification=str(raw.get("UserVerification") or "preferred"),
        multi_factor=raw.get("FactorConfiguration") == _MULTI_FACTOR,
    )


def passkey_mfa(pool: Pool, user: User) -> bool:
    """Whether this user's passkey sign-in counts as MFA: the pool's FactorConfiguration is
    MULTI_FACTOR_WITH_USER_VERIFICATION and the user's WebAuthnMfaSettings are enabled. Then
    the passkey is offered even where MFA hides passwordless factors, and must verify the user.
    """
    if not user.mfa.webauthn_mfa:
        return False
    raw = pool.raw.get("WebAuthnConfiguration")
    return isinstance(raw, Mapping) and raw.get("FactorConfiguration") == _MULTI_FACTOR


def passkey_mfa_preference(state: MfaState, enabled: bool) -> MfaState:
    """WebAuthnMfaSettings in (Admin)SetUserMFAPreference. "The user must also have at least
    one other MFA method such as SMS, TOTP, or email activated" (API reference,
    WebAuthnMfaSettingsType); enabling it without one is refused (the error is a guess)."""
    others = ("totp_enabled", "sms_enabled", "email_enabled")  # email MFA: when modelled
    if enabled and not any(getattr(state, name, False) for name in others):
        raise InvalidParameter("Passkey MFA requires another MFA method to be enabled.")
    return replace(state, webauthn_mfa=enabled)


def origin_allowed(rp_id: str, origin: str) -> bool:
    """``https://<rpId>``, ``https://*.<rpId>``, or ``http://localhost[:port]`` for localhost."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    if rp_id == "localhost" and parts.scheme in ("http", "https"):
        return host == "localhost"
    return parts.scheme == "https" and (host == rp_id or host.endswith("." + rp_id))


def _enabled(pool: Pool) -> WebAuthnSettings:
    if "WEB_AUTHN" not in pool.first_factors:
        raise WebAuthnNotEnabled("WebAuthn is not enabled for the user pool.")
    return settings(pool)


# -- registration ---------------------------------------------------------------------------
async def start_web_authn_registration(ctx: PoolContext, p: Params) -> dict[str, Any]:
    """StartWebAuthnRegistration: CredentialCreationOptions as a JSON document (§13.2)."""
    who = caller(ctx, p)
    config = _enabled(who.pool)
    existing = ctx.store.passkeys.of_user(who.pool.id, who.user.sub)
    if len(existing) >= MAX_PASSKEYS:
        raise LimitExceeded("The user has reached the maximum number of passkeys.")
    challenge = secrets.token_bytes(16)
    options = generate_registration_options(
        rp_id=config.rp_id,
        rp_name=config.rp_id,
        user_name=who.user.username,
        user_id=who.user.sub.encode(),
        user_display_name="",
        challenge=challenge,
        timeout=60000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement(config.user_verification),
        ),
        exclude_credentials=_descriptors(existing),
        supported_pub_key_algs=_ALGORITHMS,
    )
    pending = PendingRegistration(
        client_id=who.claims.client_id,
        challenge=bytes_to_base64url(challenge),
        rp_id=config.rp_id,
        expires=ctx.now() + ctx.scale.seconds(_REGISTRATION_SECONDS),
    )
    ctx.store.passkeys.start(who.pool.id, who.user.sub, pending)
    return {"CredentialCreationOptions": options_to_json_dict(options)}


def _descriptors(keys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id)) for k in keys]


async def complete_web_authn_registration(ctx: PoolContext, p: Params) -> dict[str, Any]:
    """CompleteWebAuthnRegistration: verify the attestation and keep the credential."""
    who = caller(ctx, p)
    credential = p.body.get("Credential")
    if not isinstance(credential, Mapping):
        raise InvalidParameter(Messages.missing("Credential"))
    config = _enabled(who.pool)
    pending = ctx.store.passkeys.take(who.pool.id, who.user.sub)
    if pending is None or pending.expires < ctx.now():
        raise WebAuthnChallengeNotFound("The challenge was not found or has expired.")
    if pending.client_id != who.claims.client_id:
        raise WebAuthnClientMismatch("The access token is for a different client.")
    if pending.rp_id != config.rp_id:
        raise WebAuthnRelyingPartyMismatch("The relying party id has changed.")
    origin = _checked_origin(config, credential)
    try:
        verified = verify_registration_response(
            credential=dict(credential),
            expected_challenge=base64url_to_bytes(pending.challenge),
            expected_rp_id=config.rp_id,
            expected_origin=origin,
            require_user_verification=config.uv_required,
            supported_pub_key_algs=_ALGORITHMS,
        )
    except WebAuthnException as exc:
        raise _registration_error(str(exc)) from None
    response = credential.get("response")
    transports = response.get("transports", []) if isinstance(response, Mapping) else []
    key = Passkey(
        credential_id=bytes_to_base64url(verified.credential_id),
        pool_id=who.pool.id,
        sub=who.user.sub,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        rp_id=config.rp_id,
        attachment=str(credential.get("authenticatorAttachment") or ""),
        transports=tuple(str(t) for t in transports if isinstance(t, str)),
        created=ctx.now(),
    )
    if not ctx.store.passkeys.add(key):
        raise WebAuthnCredentialNotSupported("The credential is already registered.")
    return {}


def _registration_error(reason: str) -> CognitoError:
    if "RP ID hash" in reason:
        return WebAuthnRelyingPartyMismatch("The relying party id does not match.")
    if "challenge" in reason:
        return WebAuthnChallengeNotFound("The challenge does not match.")
    return WebAuthnCredentialNotSupported("The credential is not supported.")


def _checked_origin(config: WebAuthnSettings, credential: Mapping[str, Any]) -> str:
    """clientDataJSON's origin, if the relying party may use it; else Cognito's refusal."""
    try:
        response = credential["response"]
        client_data = parse_client_data_json(base64url_to_bytes(response["clientDataJSON"]))
    except (KeyError, TypeError, ValueError, WebAuthnException) as exc:
        raise InvalidParameter("The credential is malformed.") from exc
    if not origin_allowed(config.rp_id, client_data.origin):
        raise WebAuthnOriginNotAllowed("The origin is not allowed for the relying party id.")
    return client_data.origin


async def list_web_authn_credentials(ctx: PoolContext, p: Params) -> dict[str, Any]:
    """ListWebAuthnCredentials: the caller's passkeys (at most 20, so one page)."""
    who = caller(ctx, p)
    keys = ctx.store.passkeys.of_user(who.pool.id, who.user.sub)
    return {"Credentials": [key.listed() for key in keys]}


async def delete_web_authn_credential(ctx: PoolContext, p: Params) -> dict[str, Any]:
    """DeleteWebAuthnCredential: ResourceNotFound for an id the caller does not have."""
    who = caller(ctx, p)
    credential_id = p.text("CredentialId", max_len=1024)
    if not ctx.store.passkeys.delete(who.pool.id, who.user.sub, credential_id):
        raise ResourceNotFound("The credential does not exist.")
    return {}


# -- sign-in ------------------------------------------------------------------------------------
def has_passkeys(ctx: PoolContext, pool: Pool, user: User) -> bool:
    return bool(ctx.store.passkeys.of_user(pool.id, user.sub))


def request_options(ctx: PoolContext, pool: Pool, user: User, timeout_ms: int) -> tuple[str, str]:
    """(challenge, CREDENTIAL_REQUEST_OPTIONS as a JSON string) for a WEB_AUTHN challenge."""
    keys = _descriptors(ctx.store.passkeys.of_user(pool.id, user.sub))
    return options_for(pool, keys, timeout_ms, verify_user=passkey_mfa(pool, user))


def options_for(
    pool: Pool,
    allowed: list[PublicKeyCredentialDescriptor],
    timeout_ms: int,
    *,
    verify_user: bool = False,
) -> tuple[str, str]:
    """The request options listing ``allowed`` (a real user's passkeys, or a simulated one);
    ``userVerification: required`` when the pool says so or ``verify_user`` (passkey MFA)."""
    config = settings(pool)
    challenge = secrets.token_bytes(16)
    verification = "required" if verify_user else config.user_verification
    options = generate_authentication_options(
        rp_id=config.rp_id,
        challenge=challenge,
        timeout=timeout_ms,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement(verification),
    )
    return bytes_to_base64url(challenge), options_to_json(options)


def verify_assertion(
    ctx: PoolContext, pool: Pool, user: User, challenge: str, credential_text: str
) -> None:
    """Verify a WEB_AUTHN answer's CREDENTIAL (a JSON string) and advance the counter."""
    config = settings(pool)
    try:
        credential = json.loads(credential_text)
    except ValueError as exc:
        raise InvalidParameter("CREDENTIAL is not valid JSON.") from exc
    if not isinstance(credential, dict):
        raise InvalidParameter("CREDENTIAL is not a JSON object.")
    key = _credential(ctx, pool, user, credential)
    origin = _checked_origin(config, credential)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=config.rp_id,
            expected_origin=origin,
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
            require_user_verification=config.uv_required or passkey_mfa(pool, user),
        )
    except WebAuthnException as exc:
        if "RP ID hash" in str(exc):
            raise WebAuthnRelyingPartyMismatch("The relying party id does not match.") from None
        raise NotAuthorized(Messages.INCORRECT_PASSWORD) from None
    if not ctx.store.passkeys.advance(key.credential_id, key.sign_count, verified.new_sign_count):
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)


def _credential(ctx: PoolContext, pool: Pool, user: User, credential: Mapping[str, Any]) -> Passkey:
    wanted = credential.get("rawId") or credential.get("id")
    for key in ctx.store.passkeys.of_user(pool.id, user.sub):
        if key.credential_id == wanted:
            return key
    raise NotAuthorized(Messages.INCORRECT_PASSWORD)
