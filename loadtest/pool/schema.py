"""A pool's attribute schema, and the checks SignUp, AdminCreateUser and the attribute writes make.

Sources (docs/account-journey.md, "Attributes", says which rule comes from where):

- the standard attributes are the Developer Guide's list (*User pool attributes*); ``sub`` is
  required and immutable, only ``email`` and ``phone_number`` can be verified, and their
  ``*_verified`` flags are Booleans (they appear in every DescribeUserPool's SchemaAttributes);
- botocore's model: ``SchemaAttributeType`` (Name up to 20 characters, AttributeDataType String,
  Number, DateTime or Boolean, Mutable, Required, String/NumberAttributeConstraints),
  ``CustomAttributesListType`` (1 to 25 per AddCustomAttributes call), AttributeValueType (2048
  characters at most); CreateUserPool's Schema holds standard attributes (their properties
  changed) and custom ones (named ``custom:<Name>``);
- "If false [Mutable], the attribute value can only be set up on sign-up or administrator
  creation of users" (AddCustomAttributes); "When you mark a standard attribute as Required, a
  user can't register unless they provide a value ... administrators can use AdminCreateUser"
  without it (Developer Guide).

Messages are ``InvalidParameterException`` with the texts :class:`SchemaMessages` gives; which of
them are captures and which guesses is in the docs page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from loadtest.protocol.errors import InvalidParameter

__all__ = [
    "MAX_CUSTOM",
    "STANDARD",
    "Attribute",
    "PoolSchema",
    "SchemaMessages",
    "check_custom_definitions",
]

#: Custom attributes a pool may have (Developer Guide: "up to 50 custom attributes").
MAX_CUSTOM = 50
_VALUE_MAX = 2048
_NAME = re.compile(r"\S{1,20}")
_TYPES = ("String", "Number", "DateTime", "Boolean")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_PHONE = re.compile(r"\+[0-9]{4,15}")
_NOT_CONFORM = "Attributes did not conform to the schema: "


class SchemaMessages:
    """The texts of the schema's refusals (all ``InvalidParameterException``)."""

    @staticmethod
    def unknown(name: str) -> str:
        return f"{_NOT_CONFORM}Type for attribute {{{name}}} could not be determined"

    @staticmethod
    def required(*names: str) -> str:
        return _NOT_CONFORM + "\n".join(f"{name}: The attribute is required" for name in names)

    @staticmethod
    def immutable(name: str) -> str:
        return f"Cannot modify an immutable attribute: {name}"

    @staticmethod
    def too_long(name: str, limit: int) -> str:
        return f"{_NOT_CONFORM}{name}: String must be no longer than {limit} characters"

    @staticmethod
    def too_short(name: str, limit: int) -> str:
        return f"{_NOT_CONFORM}{name}: String must be no shorter than {limit} characters"

    @staticmethod
    def not_number(name: str) -> str:
        return f"{_NOT_CONFORM}{name}: Number is not valid"

    @staticmethod
    def out_of_range(name: str) -> str:
        return f"{_NOT_CONFORM}{name}: Number is out of range"

    @staticmethod
    def not_boolean(name: str) -> str:
        return f"{_NOT_CONFORM}{name}: Boolean must be true or false"

    EMAIL = "Invalid email address format."
    PHONE = "Invalid phone number format."
    REQUIRED_CUSTOM = "Required custom attributes are not supported currently."

    @staticmethod
    def exists(name: str) -> str:
        return f"Existing attribute already has name {name}."


@dataclass(frozen=True, slots=True, kw_only=True)
class Attribute:
    """One attribute of the schema (SchemaAttributeType, with the full ``custom:`` name)."""

    name: str
    kind: str = "String"
    mutable: bool = True
    required: bool = False
    min_length: int = 0
    max_length: int = _VALUE_MAX
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    developer_only: bool = False

    def describe(self) -> dict[str, Any]:
        """The SchemaAttributeType DescribeUserPool lists."""
        result: dict[str, Any] = {
            "Name": self.name,
            "AttributeDataType": self.kind,
            "DeveloperOnlyAttribute": self.developer_only,
            "Mutable": self.mutable,
            "Required": self.required,
        }
        if self.kind == "String":
            result["StringAttributeConstraints"] = {
                "MinLength": str(self.min_length),
                "MaxLength": str(self.max_length),
            }
        if self.kind == "Number":
            bounds = {"MinValue": self.min_value, "MaxValue": self.max_value}
            result["NumberAttributeConstraints"] = {
                k: str(v) for k, v in bounds.items() if v is not None
            }
        return result

    def check(self, value: str) -> None:
        """InvalidParameter unless ``value`` fits the type and constraints."""
        if self.kind == "String":
            self._check_length(value)
        elif self.kind == "Number":
            self._check_number(value)
        elif self.kind == "Boolean" and value.lower() not in ("true", "false"):
            raise InvalidParameter(SchemaMessages.not_boolean(self.name))
        if len(value) > _VALUE_MAX:
            raise InvalidParameter(SchemaMessages.too_long(self.name, _VALUE_MAX))
        if self.name == "email" and not _EMAIL.fullmatch(value):
            raise InvalidParameter(SchemaMessages.EMAIL)
        if self.name == "phone_number" and not _PHONE.fullmatch(value):
            raise InvalidParameter(SchemaMessages.PHONE)

    def _check_length(self, value: str) -> None:
        if len(value) > self.max_length:
            raise InvalidParameter(SchemaMessages.too_long(self.name, self.max_length))
        if len(value) < self.min_length:
            raise InvalidParameter(SchemaMessages.too_short(self.name, self.min_length))

    def _check_number(self, value: str) -> None:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise InvalidParameter(SchemaMessages.not_number(self.name)) from None
        if not number.is_finite():
            raise InvalidParameter(SchemaMessages.not_number(self.name))
        low, high = self.min_value, self.max_value
        if (low is not None and number < low) or (high is not None and number > high):
            raise InvalidParameter(SchemaMessages.out_of_range(self.name))


def _standard() -> dict[str, Attribute]:
    strings = (
        "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
        "profile", "picture", "website", "email", "gender", "zoneinfo", "locale",
        "phone_number", "address",
    )  # fmt: skip
    attributes = {name: Attribute(name=name) for name in strings}
    attributes |= {
        "sub": Attribute(name="sub", mutable=False, required=True, min_length=1),
        "birthdate": Attribute(name="birthdate", min_length=10, max_length=10),
        "updated_at": Attribute(name="updated_at", kind="Number", min_value=Decimal(0)),
        "email_verified": Attribute(name="email_verified", kind="Boolean"),
        "phone_number_verified": Attribute(name="phone_number_verified", kind="Boolean"),
    }
    return attributes


#: The standard attributes with their default properties.
STANDARD: Mapping[str, Attribute] = _standard()


def _flag(raw: Mapping[str, Any], name: str, default: bool) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise InvalidParameter(f"{name} must be a boolean")
    return value


def _bound(raw: Mapping[str, Any], group: str, name: str) -> Decimal | None:
    given = (raw.get(group) or {}).get(name)
    if given is None:
        return None
    try:
        value = Decimal(str(given))
    except InvalidOperation:
        raise InvalidParameter(f"{group}.{name} must be a number") from None
    if not value.is_finite():
        raise InvalidParameter(f"{group}.{name} must be a number")
    return value


def _length(raw: Mapping[str, Any], name: str, default: int) -> int:
    value = _bound(raw, "StringAttributeConstraints", name)
    if value is None:
        return default
    if value != value.to_integral_value() or not 0 <= value <= _VALUE_MAX:
        raise InvalidParameter(f"StringAttributeConstraints.{name} must be 0 to {_VALUE_MAX}")
    return int(value)


def _definition(raw: object, *, custom: bool) -> Attribute:
    """One SchemaAttributeType as given; custom names get their ``custom:`` (or ``dev:``)."""
    if not isinstance(raw, Mapping):
        raise InvalidParameter("Schema attributes must be structures")
    name = raw.get("Name")
    prefixed = isinstance(name, str) and custom and name.startswith(("custom:", "dev:"))
    bare = name.split(":", 1)[1] if prefixed and isinstance(name, str) else name
    if not isinstance(name, str) or not isinstance(bare, str) or not _NAME.fullmatch(bare):
        raise InvalidParameter("Schema attribute Name must be 1 to 20 characters")
    kind = raw.get("AttributeDataType", "String")
    if kind not in _TYPES:
        raise InvalidParameter(f"Invalid AttributeDataType: {str(kind)[:16]}")
    developer = _flag(raw, "DeveloperOnlyAttribute", False)
    if custom and not name.startswith(("custom:", "dev:")):
        name = f"{'dev' if developer else 'custom'}:{name}"
    return Attribute(
        name=name,
        kind=str(kind),
        mutable=_flag(raw, "Mutable", True),
        required=_flag(raw, "Required", False),
        min_length=_length(raw, "MinLength", 0),
        max_length=_length(raw, "MaxLength", _VALUE_MAX),
        min_value=_bound(raw, "NumberAttributeConstraints", "MinValue"),
        max_value=_bound(raw, "NumberAttributeConstraints", "MaxValue"),
        developer_only=developer,
    )


def check_custom_definitions(given: Iterable[object], existing: PoolSchema) -> list[Attribute]:
    """AddCustomAttributes' list, checked against the pool's schema: new names, not required,
    at most :data:`MAX_CUSTOM` custom attributes in all."""
    added = [_definition(raw, custom=True) for raw in given]
    for attribute in added:
        if attribute.required:
            raise InvalidParameter(SchemaMessages.REQUIRED_CUSTOM)
        if attribute.name in existing.attributes:
            raise InvalidParameter(SchemaMessages.exists(attribute.name))
    if len({a.name for a in added}) != len(added):
        raise InvalidParameter("CustomAttributes names must be unique")
    custom = [n for n in existing.attributes if n not in STANDARD]
    if len(custom) + len(added) > MAX_CUSTOM:
        raise InvalidParameter(f"A user pool may have at most {MAX_CUSTOM} custom attributes")
    return added


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolSchema:
    """Every attribute a pool's users may hold, by name (standard first, then custom)."""

    attributes: Mapping[str, Attribute] = field(default_factory=lambda: dict(STANDARD))

    @classmethod
    def from_raw(cls, schema: object) -> PoolSchema:
        """The pool's schema: the standard attributes, changed and extended by CreateUserPool's
        ``Schema`` (a name that is not standard is a custom attribute)."""
        given = schema or []
        if not isinstance(given, list):
            raise InvalidParameter("Schema must be a list of attributes")
        attributes = dict(STANDARD)
        for raw in given:
            name = raw.get("Name") if isinstance(raw, Mapping) else None
            standard = isinstance(name, str) and name in STANDARD
            attribute = _definition(raw, custom=not standard)
            if attribute.required and not standard:
                raise InvalidParameter(SchemaMessages.REQUIRED_CUSTOM)
            attributes[attribute.name] = attribute
        return cls(attributes=attributes)

    def describe(self) -> list[dict[str, Any]]:
        return [attribute.describe() for attribute in self.attributes.values()]

    def _get(self, name: str) -> Attribute:
        attribute = self.attributes.get(name)
        if attribute is None:
            raise InvalidParameter(SchemaMessages.unknown(name))
        return attribute

    def check_values(self, given: Mapping[str, str]) -> None:
        """Every name known and every value of its type and within its constraints."""
        for name, value in given.items():
            self._get(name).check(value)

    def check_required(self, attributes: Mapping[str, str]) -> None:
        """SignUp: every required attribute (but ``sub``, which the pool assigns) present; the
        refusal names each missing one, a line each, as captured messages do."""
        missing = [
            name
            for name, attribute in self.attributes.items()
            if attribute.required and name != "sub" and not attributes.get(name)
        ]
        if missing:
            raise InvalidParameter(SchemaMessages.required(*missing))

    def check_update(self, names: Iterable[str], *, admin: bool) -> None:
        """A write after creation: known, mutable, and ``dev:`` attributes by administrators
        only (botocore: DeveloperOnlyAttribute "can't be updated using UpdateUserAttributes")."""
        for name in names:
            attribute = self._get(name)
            if not attribute.mutable or (attribute.developer_only and not admin):
                raise InvalidParameter(SchemaMessages.immutable(name))

    def check_delete(self, names: Iterable[str], *, admin: bool) -> None:
        """DeleteUserAttributes: like an update, and a required attribute stays (a guess)."""
        names = list(names)
        self.check_update(names, admin=admin)
        for name in names:
            if self.attributes[name].required:
                raise InvalidParameter(SchemaMessages.required(name))
