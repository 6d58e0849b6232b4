"""What a finished flow hands back: tokens, and what happened on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .effects import UnexpectedResponse

__all__ = ["LoginResult", "NewDevice", "Note", "Tokens", "Trail", "tokens_from"]


class Note(StrEnum):
    """Notable things a login did besides answering challenges."""

    TOTP_SENT = "totp_sent"
    DEVICE_AUTH = "device_auth"
    DEVICE_CONFIRMED = "device_confirmed"
    DEVICE_REMEMBERED = "device_remembered"
    DEVICE_FORGOTTEN = "device_forgotten"
    MFA_ENROLLED = "mfa_enrolled"
    MFA_RESET = "mfa_reset"
    PASSWORD_CHANGED = "password_changed"
    #: An SMS or e-mail code was read from the code source and sent.
    CODE_READ = "code_read"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewDevice:
    """``NewDeviceMetadata`` of an AuthenticationResult."""

    device_key: str
    device_group_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Tokens:
    """An AuthenticationResult. ``refresh_token`` is None after a refresh without rotation."""

    access_token: str = field(repr=False)
    id_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_in: int = 3600
    token_type: str = "Bearer"
    new_device: NewDevice | None = None


def tokens_from(result: object, label: str) -> Tokens:
    """Parse an AuthenticationResult; raises :class:`UnexpectedResponse` without the tokens."""
    if not isinstance(result, dict):
        raise UnexpectedResponse(label, "AuthenticationResult is not an object")
    access, id_token = result.get("AccessToken"), result.get("IdToken")
    if not isinstance(access, str) or not isinstance(id_token, str):
        raise UnexpectedResponse(label, "AuthenticationResult without AccessToken and IdToken")
    return Tokens(
        access_token=access,
        id_token=id_token,
        refresh_token=result.get("RefreshToken"),
        expires_in=int(result.get("ExpiresIn", 3600)),
        token_type=str(result.get("TokenType", "Bearer")),
        new_device=_new_device(result.get("NewDeviceMetadata")),
    )


def _new_device(data: Any) -> NewDevice | None:
    if not isinstance(data, dict) or not data.get("DeviceKey"):
        return None
    return NewDevice(device_key=data["DeviceKey"], device_group_key=data["DeviceGroupKey"])


class Trail:
    """The steps of one flow as it goes: call labels, challenges answered, notes."""

    __slots__ = ("calls", "challenges", "notes")

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.challenges: list[str] = []
        self.notes: list[Note] = []

    def note(self, note: Note) -> None:
        """Record something notable (once per kind is enough)."""
        if note not in self.notes:
            self.notes.append(note)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginResult:
    """A finished login.

    ``username`` is the internal user name Cognito gave (USER_ID_FOR_SRP), used for SECRET_HASH
    later; ``device_key`` is the device the tokens are bound to (for REFRESH_TOKEN_AUTH), if any.
    """

    tokens: Tokens
    username: str
    device_key: str | None = None
    challenges: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    notes: frozenset[Note] = frozenset()
