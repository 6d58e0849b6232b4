"""The redaction processor: no secret leaves the process through an event.

Three nets, applied to every value however deeply nested in dicts, lists and tuples:

1. **Key names.** A value under a key that names a secret (password, secret, token, session,
   seed, code, signature, claim, SECRET_BLOCK, ...) is replaced whole.
2. **Known secrets.** The strings registered with :meth:`Redactor.add_secrets` (a run registers
   every password, TOTP seed and device password of its identities) are cut out of any string.
3. **Value shapes**, for keys nobody thought of: JWTs, long base64/hex blobs (tokens, sessions,
   SECRET_BLOCKs, claim signatures, hashes), base32 TOTP seeds and six-digit codes.

What is left is what a report needs: labels, outcomes, timings, error types and messages.

Every login's event passes through here, so the decisions that repeat are remembered: whether
a key names a secret (a pure function of the key), and the redacted form of a short string (a
pure function of the string and the registered secrets; forgotten when secrets are added).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import Enum
from functools import lru_cache
from typing import Any

from loadtest.protocol.quotas import QuotaCategory

__all__ = ["REDACTED", "Redactor", "is_secret_key"]

REDACTED = "[redacted]"

#: Key fragments (lower case, separators removed) that mark a secret.
_SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "session",
    "seed",
    "signature",
    "claim",
    "credential",
    "authorization",
    "cookie",
    "privatekey",
    "srpa",
    "srpb",
    "hash",
    "otp",
)
#: Whole keys (normalised) that are secrets although no fragment says so.
_SECRET_KEYS = frozenset({"code", "usercode", "mfacode", "answer", "key"})
#: Keys that look secret but are not (checked first).
_SAFE_KEYS = frozenset({"tokenuse", "errortype", "hashalgorithm"})
#: Quota categories: ``UserToken`` (the token operations' quota) names no credential, and a
#: number under it is a rate; any other value under it is still redacted whole.
_QUOTA_KEYS = frozenset(c.value for c in QuotaCategory)
#: Keys whose values this package writes itself from constants or its own figures, and whose
#: shape may look like a secret: an encoded histogram, a git revision, the run id, the app
#: client id (an identifier, not a secret), call and flow labels (``AdminRespondToAuthChallenge``
#: is long and mixed-case), error types, the locustfile's path (``.../python3.11/site-packages/
#: scenarios/srp.py`` has the shape of a base64 blob). Passed through, but only in a plain
#: alphabet.
_TRUSTED_KEYS = frozenset(
    {
        "loop_lag",
        "git_revision",
        "run_id",
        "client_id",
        "label",
        "flow",
        "compute",
        "out_of_band",
        "error_type",
        "locustfile",
    }
)

_SHAPES = (
    re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*"),  # JWT / JWE
    # base64 / hex blobs: 24+ characters with a digit, or with both upper and lower case
    re.compile(r"(?<![A-Za-z0-9+/_=-])(?=[A-Za-z0-9+/_-]*(?:\d|[a-z][A-Za-z0-9+/_-]*[A-Z]"
               r"|[A-Z][A-Za-z0-9+/_-]*[a-z]))[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/_=-])"),
    re.compile(r"(?<![A-Za-z0-9])[A-Z2-7]{16,}={0,6}(?![A-Za-z0-9])"),  # base32 seeds
    re.compile(r"(?<![0-9A-Za-z])\d{6}(?![0-9A-Za-z])"),  # TOTP / MFA codes
)  # fmt: skip


#: What a trusted value may hold: base64 (an encoded histogram), hex, a file name, a step
#: label (``POST /login``); else cut.
_TRUSTED_SHAPE = re.compile(r"[^A-Za-z0-9+/=._: -]")  # space: endpoint steps, "POST /login"


def _normalise(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


#: Strings up to this length have their redacted form remembered (labels, outcomes, names).
_CACHED_TEXT = 64
#: Most remembered strings; past it the memory starts again (a run's strings repeat).
_CACHE_SIZE = 4096


def _trusted(value: str) -> str:
    """A trusted key's value in its plain alphabet; short ones (labels, names) remembered."""
    return (
        _trusted_short(value) if len(value) <= _CACHED_TEXT else _TRUSTED_SHAPE.sub(REDACTED, value)
    )


@lru_cache(maxsize=_CACHE_SIZE)
def _trusted_short(value: str) -> str:
    return _TRUSTED_SHAPE.sub(REDACTED, value)


class _Key(Enum):
    """What a key's name says about its value: the same answer every time it is seen."""

    PLAIN = "plain"
    SECRET = "secret"
    TRUSTED = "trusted"


@lru_cache(maxsize=_CACHE_SIZE)
def _verdict(key: Any) -> _Key:
    if key in _TRUSTED_KEYS:
        return _Key.TRUSTED
    return _Key.SECRET if is_secret_key(key) else _Key.PLAIN


def is_secret_key(key: object) -> bool:
    """Whether a key names a secret (``SECRET_BLOCK``, ``device_password``, ``AccessToken``)."""
    return isinstance(key, str) and _is_secret_name(key)


@lru_cache(maxsize=_CACHE_SIZE)
def _is_secret_name(key: str) -> bool:
    norm = _normalise(key)
    if norm in _SAFE_KEYS:
        return False
    return norm in _SECRET_KEYS or any(part in norm for part in _SECRET_KEY_PARTS)


def _is_quota_rate(key: Any, value: Any) -> bool:
    """A quota category's rate (``"UserToken": 120.0``): a plain number, not a token."""
    kind = type(value)
    return key in _QUOTA_KEYS and (kind is int or kind is float)


class Redactor:
    """A structlog processor that redacts secrets by key, by known value and by shape."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._texts: dict[str, str] = {}
        self.add_secrets(secrets)

    def add_secrets(self, secrets: Iterable[str | None]) -> None:
        """Register strings that must never be written (passwords, seeds, device passwords)."""
        self._secrets.update(s for s in secrets if s)
        if self._secrets:
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        self._texts.clear()

    def __call__(self, logger: Any, method: str, event_dict: Any) -> Any:
        return self.redact(event_dict)

    def redact(self, value: Any) -> Any:
        """A copy of ``value`` with every secret replaced by ``[redacted]``."""
        kind = type(value)
        if kind is int or kind is float or kind is bool or value is None:
            return value
        if kind is str:
            return self._text(value)
        if kind is dict:  # before the ABC checks below, which cost more than the copy
            return self._dict(value)
        if kind is list:
            return [self.redact(item) for item in value]
        if isinstance(value, Mapping):
            return self._dict(value)
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact(item) for item in value]
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, bytes | bytearray):
            return REDACTED
        return value

    def _dict(self, value: Mapping[Any, Any]) -> dict[Any, Any]:
        """A mapping's redacted copy. Every login event passes here with the same few keys and
        mostly numbers and short labels, so the usual cases (a number under a plain key, a
        short string already seen) are decided in this loop; the rest go to :meth:`_entry`."""
        out: dict[Any, Any] = {}
        texts = self._texts
        for key, item in value.items():
            kind = type(item)
            verdict = _verdict(key)
            if verdict is _Key.PLAIN:
                if kind is int or kind is float or kind is bool or item is None:
                    out[key] = item
                    continue
                if kind is str:
                    done = texts.get(item)
                    out[key] = done if done is not None else self._text(item)
                    continue
            out[key] = self._entry(key, item)
        return out

    def _entry(self, key: Any, value: Any) -> Any:
        verdict = _verdict(key)
        kind = type(value)
        if verdict is _Key.TRUSTED and (kind is str or value is None):
            return value if value is None else _trusted(value)
        if verdict is _Key.SECRET and not _is_quota_rate(key, value):
            return REDACTED
        if kind is int or kind is float or kind is bool or value is None:
            return value
        return self.redact(value)

    def _text(self, text: str) -> str:
        if len(text) > _CACHED_TEXT:
            return self._scrub(text)
        done = self._texts.get(text)
        if done is None:
            if len(self._texts) >= _CACHE_SIZE:
                self._texts.clear()
            done = self._texts[text] = self._scrub(text)
        return done

    def _scrub(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
        for shape in _SHAPES:
            text = shape.sub(REDACTED, text)
        return text
