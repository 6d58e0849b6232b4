"""Cognito's errors as typed exceptions, and the exact messages the service uses.

One root, :class:`CognitoError`, for everything the service answers with an error; a separate
root, :class:`TransportError`, for what happens before there is an answer (an unreachable
endpoint, a dropped connection, a body that is not Cognito's). Classes are named like the
service's error types without the ``Exception`` suffix and carry ``error_type``, ``message`` and
``request_id``. The local pool raises the same classes to answer with them.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AliasExists",
    "CodeMismatch",
    "CognitoError",
    "ConnectionFailed",
    "EnableSoftwareTokenMFA",
    "ExpiredCode",
    "GroupExists",
    "InternalError",
    "InvalidLambdaResponse",
    "InvalidParameter",
    "InvalidPassword",
    "InvalidUserPoolConfiguration",
    "LimitExceeded",
    "MalformedResponse",
    "Messages",
    "MissingAuthenticationToken",
    "NotAuthorized",
    "PasswordResetRequired",
    "RefreshTokenReuse",
    "ResourceNotFound",
    "ScopeDoesNotExist",
    "Serialization",
    "ServiceUnavailable",
    "SoftwareTokenMFANotFound",
    "TooManyFailedAttempts",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
    "UnknownOperation",
    "UnrecognizedClient",
    "UnsupportedOperation",
    "UnsupportedTokenType",
    "UserLambdaValidation",
    "UserNotConfirmed",
    "UserNotFound",
    "UsernameExists",
    "ValidationError",
    "WebAuthnChallengeNotFound",
    "WebAuthnClientMismatch",
    "WebAuthnConfigurationMissing",
    "WebAuthnCredentialNotSupported",
    "WebAuthnNotEnabled",
    "WebAuthnOriginNotAllowed",
    "WebAuthnRelyingPartyMismatch",
    "error_class",
]


#: Every CognitoError subclass by its wire type, filled as each class is declared.
_BY_TYPE: dict[str, type[CognitoError]] = {}


class Messages:
    """Exact message strings of the service (cognito-facts §3.1)."""

    INCORRECT_PASSWORD = "Incorrect username or password."
    ATTEMPTS_EXCEEDED = "Password attempts exceeded"
    USER_DISABLED = "User is disabled."
    USER_NOT_FOUND = "User does not exist."
    USER_NOT_CONFIRMED = "User is not confirmed."
    SESSION_EXPIRED = "Invalid session for the user, session is expired."
    SESSION_USED = "Invalid session for the user, session can only be used once."
    SESSION_INVALID = "Invalid session for the user."
    TOTP_MISMATCH = "Invalid code received for user"
    #: SMS_MFA (and EMAIL_OTP, assumed) wrong code (cognito-facts §3.1, §15).
    SMS_CODE_MISMATCH = "Invalid code or auth state for the user."
    LAMBDA_OUTPUT_INVALID = "Unrecognizable lambda output"
    TOTP_REPLAYED = "Your software token has already been used once."
    VERIFY_TOTP_MISMATCH = "Code mismatch and fail enable Software Token MFA"
    DEVICE_NOT_FOUND = "Device does not exist."
    RATE_EXCEEDED = "Rate exceeded"
    TEMPORARY_PASSWORD_EXPIRED = (
        "Temporary password has expired and must be reset by an administrator."
    )
    AUTH_METHOD_NOT_SUPPORTED = "Initiate Auth method not supported."
    TOTP_NOT_ENABLED_BY_POOL = "Software Token MFA has not been enabled by the userPool"
    NO_TOTP_DELIVERY = "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA"
    USER_EXISTS = "User already exists"
    BAD_SIGNATURE_FORMAT = "Invalid PASSWORD_CLAIM_SIGNATURE format. Must be a Base64 string."
    BAD_TIMESTAMP_FORMAT = "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."
    SRP_NOT_ENABLED = "USER_SRP_AUTH is not enabled for the client."
    USER_PASSWORD_NOT_ENABLED = "USER_PASSWORD_AUTH flow not enabled for this client"
    AUTH_FLOW_NOT_ENABLED = "Auth flow not enabled for this client"
    REFRESH_NOT_ENABLED = "Refresh Token has been disabled for this client"
    MISSING_CHALLENGE_RESPONSES = "Missing required parameter challenge responses."
    ACCESS_TOKEN_INVALID = "Invalid Access Token"
    ACCESS_TOKEN_EXPIRED = "Access Token has expired"
    ACCESS_TOKEN_REVOKED = "Access Token has been revoked"
    REFRESH_TOKEN_INVALID = "Invalid Refresh Token"
    REFRESH_TOKEN_EXPIRED = "Refresh Token has expired"
    REFRESH_TOKEN_REVOKED = "Refresh Token has been revoked"
    MISSING_AUTH_TOKEN = "Missing Authentication Token"
    SERIALIZATION = "Start of structure or map found where not expected."
    TOTP_NOT_FOUND_FOR_USER = "Software Token MFA does not exist for the user."
    USER_AUTH_NOT_ENABLED = "USER_AUTH flow not enabled for this client"
    REFRESH_TOKEN_REUSE = "Refresh token reuse detected"
    OTP_MISMATCH = "Invalid code received for user"
    # the account journey (issue 19): §3.1 where it has them, else docs/account-journey.md
    CODE_MISMATCH = "Invalid verification code provided, please try again."
    CODE_EXPIRED = "Invalid code provided, please request a code again."
    ATTEMPT_LIMIT = "Attempt limit exceeded, please try after some time."
    FORGOT_USER_NOT_FOUND = "Username/client id combination not found."
    ALREADY_CONFIRMED = "User is already confirmed."
    PASSWORD_RESET_REQUIRED = "Password reset required for the user"
    NO_RECOVERY_DESTINATION = (
        "Cannot reset password for the user as there is no registered/verified email or "
        "phone_number"
    )
    GROUP_NOT_FOUND = "Group not found."
    REVOCATION_DISABLED = "Token revocation is not enabled for this app client."
    NOT_A_REFRESH_TOKEN = "Only refresh tokens can be revoked."
    ALIAS_EXISTS = "An account with the given email already exists."

    @staticmethod
    def cannot_confirm(status: str) -> str:
        return f"User cannot be confirmed. Current status is {status}"

    @staticmethod
    def group_exists(name: str) -> str:
        return f"A group with the name {name} already exists."

    @staticmethod
    def pool_not_found(pool_id: str) -> str:
        return f"User pool {pool_id} does not exist."

    @staticmethod
    def client_not_found(client_id: str) -> str:
        return f"User pool client {client_id} does not exist."

    @staticmethod
    def validation(errors: list[tuple[str, str, str]]) -> str:
        """AWS's generic validation text for ``(value, member, constraint)`` triples."""
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        parts = "; ".join(
            f"Value {value} at '{member}' failed to satisfy constraint: {constraint}"
            for value, member, constraint in errors
        )
        return f"{count} validation {noun} detected: {parts}"

    @staticmethod
    def missing(parameter: str) -> str:
        return f"Missing required parameter {parameter}"

    @staticmethod
    def secret_not_received(client_id: str) -> str:
        return f"Client {client_id} is configured for secret but secret was not received"

    @staticmethod
    def secret_mismatch(client_id: str) -> str:
        return f"Unable to verify secret hash for client {client_id}"


class CognitoError(Exception):
    """An error answer from Cognito (or the local pool): type, message and request id.

    A subclass's ``error_type`` is its name with the ``Exception`` suffix unless it says
    otherwise, and every subclass is registered for :func:`error_class`, so declaring an error
    is naming it once.
    """

    error_type: ClassVar[str] = "CognitoException"
    #: HTTP status on the wire: 400 for client errors, throttling included; 5xx for faults.
    status: ClassVar[int] = 400

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "error_type" not in cls.__dict__:
            cls.error_type = f"{cls.__name__}Exception"
        _BY_TYPE[cls.error_type] = cls

    def __init__(self, message: str = "", *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"

    @property
    def name(self) -> str:
        """The service's error name, e.g. ``NotAuthorizedException``."""
        return self.error_type


class NotAuthorized(CognitoError):
    """Wrong password or secret hash, lockout, disabled user, bad session."""


class RefreshTokenReuse(CognitoError):
    """A rotated-out refresh token was presented after its grace period (cognito-facts §14.2)."""


class WebAuthnNotEnabled(CognitoError):
    """Passkeys are not enabled for the pool (cognito-facts §13)."""


class WebAuthnConfigurationMissing(CognitoError):
    """No relying party id and no domain to take one from (cognito-facts §13)."""


class WebAuthnChallengeNotFound(CognitoError):
    """The registration challenge has expired or was never issued (cognito-facts §13)."""


class WebAuthnRelyingPartyMismatch(CognitoError):
    """The credential names another relying party (cognito-facts §13)."""


class WebAuthnClientMismatch(CognitoError):
    """The access token is for another client than the registration's (cognito-facts §13)."""


class WebAuthnOriginNotAllowed(CognitoError):
    """The origin does not align with the relying party id (cognito-facts §13)."""


class WebAuthnCredentialNotSupported(CognitoError):
    """An unsupported device or provider (cognito-facts §13)."""


class UserNotFound(CognitoError):
    """Unknown user (PreventUserExistenceErrors = LEGACY)."""


class UserNotConfirmed(CognitoError):
    """The user has not confirmed sign-up."""


class PasswordResetRequired(CognitoError):
    """An administrator reset the password."""


class CodeMismatch(CognitoError):
    """A wrong MFA code; the session stays usable."""


class ExpiredCode(CognitoError):
    """A replayed TOTP code, or an expired code."""


class EnableSoftwareTokenMFA(CognitoError):
    """VerifySoftwareToken with a wrong code."""


class SoftwareTokenMFANotFound(CognitoError):
    """TOTP not enabled or not associated."""


class InvalidParameter(CognitoError):
    """A parameter is missing, malformed or not allowed here."""


class InvalidPassword(CognitoError):
    """The password does not satisfy the pool's policy."""


class InvalidUserPoolConfiguration(CognitoError):
    """The pool is not configured for this."""


class ResourceNotFound(CognitoError):
    """Unknown pool, client or device."""


class ScopeDoesNotExist(CognitoError):
    """An app client names an OAuth scope no resource server of the pool defines."""


class TooManyRequests(CognitoError):
    """Throttled by a quota: HTTP 400, not 429."""


class TooManyFailedAttempts(CognitoError):
    """Modelled by the service; sign-in lockout shows as NotAuthorized."""


class LimitExceeded(CognitoError):
    """A per-user hourly limit."""


class UsernameExists(CognitoError):
    """AdminCreateUser of an existing user."""


class AliasExists(CognitoError):
    """An alias already belongs to another user."""


class GroupExists(CognitoError):
    """CreateGroup with a name the pool already has."""


class UnsupportedOperation(CognitoError):
    """RevokeToken on a client whose EnableTokenRevocation is off."""


class UnsupportedTokenType(CognitoError):
    """RevokeToken given something that is not a refresh token."""


class Unauthorized(CognitoError):
    """RevokeToken with a wrong client secret."""


class UnrecognizedClient(CognitoError):
    """The request's signature or security token is not valid."""


class ValidationError(CognitoError):
    """Generic AWS input validation failure."""

    error_type = "ValidationException"


class Serialization(CognitoError):
    """The request body is not the JSON the operation expects."""


class MissingAuthenticationToken(CognitoError):
    """An operation that needs SigV4 was called without a signature."""


class UnknownOperation(CognitoError):
    """An X-Amz-Target that is not served."""


class InternalError(CognitoError):
    """A fault on the service side (5xx)."""

    status = 500


class UserLambdaValidation(CognitoError):
    """A trigger failed: ``<Trigger> failed with error <message>.`` (cognito-facts §16.2)."""


class InvalidLambdaResponse(CognitoError):
    """A trigger returned something Cognito cannot read (``Unrecognizable lambda output``)."""


class ServiceUnavailable(CognitoError):
    """The service is unavailable (5xx)."""

    status = 503


def error_class(error_type: str) -> type[CognitoError]:
    """The class for a wire error type; unknown types get a fresh subclass of CognitoError."""
    found = _BY_TYPE.get(error_type)
    if found is None:
        doc = "An error type not modelled here."
        found = type(error_type, (CognitoError,), {"__doc__": doc, "error_type": error_type})
    return found


class TransportError(Exception):
    """No Cognito answer: the request did not complete, or the answer was not Cognito's."""


class ConnectionFailed(TransportError):
    """The endpoint could not be reached, or the connection dropped mid-request."""


class MalformedResponse(TransportError):
    """An answer that is not a well-formed Cognito JSON response (e.g. an HTML error page)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status
