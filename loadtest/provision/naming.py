"""Synthetic user names: ``lt-<run>-00001`` ..., and the guard that keeps teardown to them.

Every user provisioning creates carries :data:`SYNTHETIC_PREFIX`, and teardown deletes nothing
else, so a mistyped prefix or identities file cannot remove real users. The users of a run are
named deterministically from its run id and index, which is what makes a run resumable: the
same command knows which names it still owes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "EMAIL_DOMAIN",
    "SYNTHETIC_PREFIX",
    "NotSynthetic",
    "RunNaming",
    "check_synthetic",
    "email_of",
    "phone_of",
    "run_id_from",
]

#: The prefix that marks a user as synthetic (created by this toolkit, safe to delete).
SYNTHETIC_PREFIX = "lt-"

#: Synthetic users' e-mail domain: reserved by RFC 2606 (and RFC 7505's null MX makes mail to
#: it go nowhere), so an e-mailed code from a real pool reaches nobody.
EMAIL_DOMAIN = "example.com"
#: NANP numbers 555-0100..555-0199 are reserved for fiction in every area code (NANPA).
_FICTIONAL_LINES = 100
_FIRST_AREA, _AREAS = 200, 800

_RUN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_INDEX_DIGITS = 5


class NotSynthetic(ValueError):
    """A user name or prefix without the synthetic prefix: refused."""


def check_synthetic(name: str) -> str:
    """``name`` if it starts with the synthetic prefix; raises :class:`NotSynthetic` otherwise."""
    if not name.startswith(SYNTHETIC_PREFIX):
        raise NotSynthetic(f"{name!r} does not start with {SYNTHETIC_PREFIX!r}: not synthetic")
    return name


def run_id_from(text: str) -> str:
    """A valid run id from free text (e.g. the identities file's name): ``[A-Za-z0-9_-]``."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")[:40]
    if not cleaned:
        raise ValueError(f"cannot make a run id from {text!r}; pass one")
    return cleaned


@dataclass(frozen=True, slots=True)
class RunNaming:
    """The user names of one run: ``lt-<run>-<index>``, index from 1, five digits or more."""

    run: str

    def __post_init__(self) -> None:
        if not _RUN.match(self.run):
            raise ValueError(f"run id {self.run!r}: 1-40 of letters, digits, '-' or '_'")

    @property
    def prefix(self) -> str:
        """What every user name of the run starts with."""
        return f"{SYNTHETIC_PREFIX}{self.run}-"

    def username(self, index: int) -> str:
        """The name of user ``index`` (1-based)."""
        if index < 1:
            raise ValueError(f"user indexes start at 1, got {index}")
        return f"{self.prefix}{index:0{_INDEX_DIGITS}d}"

    def index_of(self, username: str) -> int | None:
        """The index of one of this run's names, or ``None`` if it is not one."""
        digits = username.removeprefix(self.prefix)
        if digits == username or not digits.isdigit() or len(digits) < _INDEX_DIGITS:
            return None
        index = int(digits)
        return index if index >= 1 and self.username(index) == username else None


def email_of(username: str) -> str:
    """A synthetic user's e-mail address, on the reserved domain."""
    return f"{username}@{EMAIL_DOMAIN}"


def phone_of(index: int) -> str:
    """User ``index``'s phone number: +1 NPA 555-01XX, the fictional lines, the area code
    stepping every 100 users (80,000 numbers before they repeat; repeats are harmless)."""
    slot = (index - 1) % (_FICTIONAL_LINES * _AREAS)
    area = _FIRST_AREA + slot // _FICTIONAL_LINES
    return f"+1{area}5550{100 + slot % _FICTIONAL_LINES}"
