"""Reading request members, with the validation errors AWS answers for bad input.

Missing, mistyped or oversized members become ``InvalidParameterException`` with AWS's generic
"1 validation error detected: Value ... at 'member' failed to satisfy constraint: ..." text,
never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from loadtest.protocol.errors import InvalidParameter, Messages

__all__ = ["POOL_ID", "USERNAME", "Params"]

POOL_ID = re.compile(r"[\w-]+_[0-9a-zA-Z]+")
CLIENT_ID = re.compile(r"[\w+]+")
USERNAME = re.compile(r"[\w\s+=,.@!#$%&'*/?^`{|}~()\[\]:;<>\"\\-]+", re.UNICODE)
_DEFAULT_MAX = 2048


def _member(name: str) -> str:
    return name[:1].lower() + name[1:]


def _invalid(value: Any, name: str, constraint: str) -> InvalidParameter:
    shown = "null" if value is None else f"'{str(value)[:64]}'"
    return InvalidParameter(Messages.validation([(shown, _member(name), constraint)]))


class Params:
    """A request body with typed, validated accessors."""

    __slots__ = ("body",)

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body

    def text(
        self,
        name: str,
        *,
        max_len: int = _DEFAULT_MAX,
        min_len: int = 1,
        pattern: re.Pattern[str] | None = None,
    ) -> str:
        """A required string member."""
        value = self.body.get(name)
        if value is None:
            raise _invalid(None, name, "Member must not be null")
        return self._check(name, value, max_len, min_len, pattern)

    def optional_text(
        self,
        name: str,
        *,
        max_len: int = _DEFAULT_MAX,
        min_len: int = 1,
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        """An optional string member (None when absent)."""
        value = self.body.get(name)
        if value is None:
            return None
        return self._check(name, value, max_len, min_len, pattern)

    @staticmethod
    def _check(
        name: str, value: Any, max_len: int, min_len: int, pattern: re.Pattern[str] | None
    ) -> str:
        if not isinstance(value, str):
            raise _invalid(value, name, "Member must be a string")
        if len(value) > max_len:
            raise _invalid(value, name, f"Member must have length less than or equal to {max_len}")
        if len(value) < min_len:
            raise _invalid(
                value, name, f"Member must have length greater than or equal to {min_len}"
            )
        if pattern is not None and not pattern.fullmatch(value):
            raise _invalid(
                value, name, f"Member must satisfy regular expression pattern: {pattern.pattern}"
            )
        return value

    def pool_id(self) -> str:
        return self.text("UserPoolId", max_len=55, pattern=POOL_ID)

    def client_id(self) -> str:
        return self.text("ClientId", max_len=128, pattern=CLIENT_ID)

    def username(self, name: str = "Username") -> str:
        return self.text(name, max_len=128, pattern=USERNAME)

    def string_map(self, name: str, *, required: bool = False) -> dict[str, str]:
        """A map of strings to strings (AuthParameters, ChallengeResponses)."""
        value = self.body.get(name)
        if value is None:
            if required:
                raise _invalid(None, name, "Member must not be null")
            return {}
        if not isinstance(value, dict) or len(value) > 64:
            raise _invalid(value, name, "Member must be a map of strings")
        for key, item in value.items():
            if not isinstance(item, str) or len(item) > 8192:
                raise _invalid(item, f"{name}.{key}", "Member must be a string")
        return value

    def mapping(self, name: str) -> dict[str, Any]:
        """An optional structure member ({} when absent)."""
        value = self.body.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _invalid(value, name, "Member must be a structure")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.body.get(name, default)
        if not isinstance(value, bool):
            raise _invalid(value, name, "Member must be a boolean")
        return value

    def integer(self, name: str, *, default: int, low: int, high: int) -> int:
        value = self.body.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise _invalid(value, name, f"Member must be an integer between {low} and {high}")
        return value

    def attributes(self, name: str) -> dict[str, str]:
        """A list of {Name, Value} attribute entries, as a dict."""
        value = self.body.get(name) or []
        if not isinstance(value, list) or len(value) > 100:
            raise _invalid(value, name, "Member must be a list of attributes")
        result: dict[str, str] = {}
        for entry in value:
            key = entry.get("Name") if isinstance(entry, dict) else None
            item = entry.get("Value", "") if isinstance(entry, dict) else None
            if not isinstance(key, str) or not isinstance(item, str) or not key:
                raise _invalid(entry, name, "Member must be a list of {Name, Value}")
            result[key] = item
        return result
