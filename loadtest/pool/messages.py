"""The local message sink: every SMS and e-mail code the pool would send is kept, not sent.

:func:`send_code` is the one way any feature of the pool "sends" a code (SMS_MFA and EMAIL_OTP
challenges now; sign-up confirmation, forgot password, attribute verification and passwordless
codes later). It draws the code, keeps the message in the state file (``store.messages``), and,
when the pool was started with ``--messages-file``, appends it as one JSON line to that file
(mode 0600: the codes are secrets). Tests and load runs read messages back through
``GET /_pool/messages?username=U[&pool_id=P]`` (:mod:`.app`), newest last.

Destinations are kept masked as Cognito shows them (cognito-facts §15): a phone number as
``+``, one ``*`` per digit but the last four, then those four (``+*******0008``); an e-mail as
its first character, ``***@``, the domain's first character and ``***`` (``j***@e***``).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .store import MessageRecord, Store

__all__ = [
    "CODE_DIGITS",
    "Medium",
    "MessageSink",
    "Purpose",
    "challenge_parameters",
    "code_delivery_details",
    "mask_destination",
    "mask_email",
    "mask_phone",
    "send_code",
]


class Medium(StrEnum):
    """How a message would travel (Cognito's DeliveryMediumType)."""

    SMS = "SMS"
    EMAIL = "EMAIL"

    @property
    def attribute(self) -> str:
        """The user attribute a message of this medium goes to."""
        return "phone_number" if self is Medium.SMS else "email"


class Purpose(StrEnum):
    """Why a code was sent; readers filter on it."""

    SMS_MFA = "SMS_MFA"
    EMAIL_OTP = "EMAIL_OTP"
    SMS_OTP = "SMS_OTP"
    SIGN_UP = "SIGN_UP"
    FORGOT_PASSWORD = "FORGOT_PASSWORD"
    VERIFY_ATTRIBUTE = "VERIFY_ATTRIBUTE"


#: Code lengths: 6 for MFA and account codes, 8 for first-factor OTPs (cognito-facts §12.6,
#: §15; the length of SMS_MFA codes is unconfirmed, 6 is the documented sign-up length).
CODE_DIGITS: dict[Purpose, int] = {
    Purpose.SMS_MFA: 6,
    Purpose.EMAIL_OTP: 6,
    Purpose.SMS_OTP: 8,
    Purpose.SIGN_UP: 6,
    Purpose.FORGOT_PASSWORD: 6,
    Purpose.VERIFY_ATTRIBUTE: 6,
}


def mask_phone(number: str) -> str:
    """``+`` then ``*`` for each digit but the last four, then those four (cognito-facts §15)."""
    digits = [c for c in number if c.isdigit()]
    shown = "".join(digits[-4:])
    return "+" + "*" * max(0, len(digits) - 4) + shown


def mask_email(address: str) -> str:
    """First character of the local part, ``***@``, first of the domain, ``***`` (§15)."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def mask_destination(medium: Medium, destination: str) -> str:
    return mask_phone(destination) if medium is Medium.SMS else mask_email(destination)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSink:
    """Where sent messages go: the state file always, and a JSON-lines file if configured."""

    store: Store
    file: Path | None = None

    def keep(self, message: MessageRecord) -> None:
        self.store.messages.add(message)
        if self.file is not None:
            _append_line(self.file, json.dumps(message.to_json(), sort_keys=True))


def _append_line(path: Path, line: str) -> None:
    """One ``write`` with O_APPEND per line, so workers' lines never interleave; mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def new_code(purpose: Purpose, digits: int | None = None) -> str:
    """A random code of ``digits`` digits (the purpose's usual length if not given)."""
    digits = digits or CODE_DIGITS[purpose]
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def send_code(
    sink: MessageSink,
    *,
    pool_id: str,
    username: str,
    medium: Medium,
    destination: str,
    purpose: Purpose,
    now: float,
    digits: int | None = None,
) -> MessageRecord:
    """Draw a code for ``purpose``, keep the message, and return it (the caller checks codes)."""
    message = MessageRecord(
        pool_id=pool_id,
        username=username,
        medium=str(medium),
        destination=mask_destination(medium, destination),
        purpose=str(purpose),
        code=new_code(purpose, digits),
        sent_at=now,
    )
    sink.keep(message)
    return message


def code_delivery_details(message: MessageRecord) -> dict[str, str]:
    """Cognito's CodeDeliveryDetailsType for a sent message."""
    medium = Medium(message.medium)
    return {
        "Destination": message.destination,
        "DeliveryMedium": medium.value,
        "AttributeName": medium.attribute,
    }


def challenge_parameters(message: MessageRecord) -> dict[str, str]:
    """The CODE_DELIVERY_* challenge parameters of SMS_MFA and EMAIL_OTP (§15)."""
    return {
        "CODE_DELIVERY_DELIVERY_MEDIUM": message.medium,
        "CODE_DELIVERY_DESTINATION": message.destination,
    }
