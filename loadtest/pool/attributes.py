"""A user's attributes after sign-up: update, delete, verify; and DeleteUser.

Changing ``email`` or ``phone_number`` marks it unverified; if the pool auto-verifies that
attribute, a VERIFY_ATTRIBUTE code goes to the new value through the message sink and its
CodeDeliveryDetails come back (UpdateUserAttributes' CodeDeliveryDetailsList). An administrator
may set ``email_verified`` / ``phone_number_verified`` in the same call instead.
``sub`` is immutable.
"""

from __future__ import annotations

from typing import Any

from loadtest.protocol.errors import InvalidParameter

from . import codes
from .access import caller
from .context import PoolContext
from .messages import Medium, Purpose
from .params import Params
from .records import Pool, User

__all__ = [
    "admin_delete_user_attributes",
    "admin_update_user_attributes",
    "delete_user",
    "delete_user_attributes",
    "get_user_attribute_verification_code",
    "update_user_attributes",
    "verify_user_attribute",
]

_MEDIUM = {"email": Medium.EMAIL, "phone_number": Medium.SMS}
_IMMUTABLE = frozenset({"sub"})


def _check_names(names: list[str] | dict[str, str]) -> None:
    for name in names:
        if name in _IMMUTABLE:
            raise InvalidParameter(f"Cannot modify an immutable attribute: {name}")


def _apply(
    ctx: PoolContext, pool: Pool, user: User, given: dict[str, str], *, admin: bool
) -> list[dict[str, str]]:
    """Write the attributes; send verification codes for changed contact attributes."""
    _check_names(given)
    attributes = {**user.attributes, **given}
    changed = [n for n in _MEDIUM if n in given and given[n] != user.attributes.get(n)]
    for name in changed:
        if not (admin and f"{name}_verified" in given):
            attributes[f"{name}_verified"] = "false"
    updated = ctx.store.users.update(user, attributes=attributes, modified=ctx.now())
    sent = []
    for name in changed:
        if name in pool.auto_verified and attributes[f"{name}_verified"] != "true":
            sent.append(codes.issue(ctx, updated, Purpose.VERIFY_ATTRIBUTE, _MEDIUM[name], name))
    return sent


async def update_user_attributes(ctx: PoolContext, p: Params) -> dict[str, Any]:
    who = caller(ctx, p)
    given = p.attributes("UserAttributes")
    sent = _apply(ctx, who.pool, who.user, given, admin=False)
    return {"CodeDeliveryDetailsList": sent} if sent else {}


async def admin_update_user_attributes(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    user = ctx.user(pool, p.username())
    _apply(ctx, pool, user, p.attributes("UserAttributes"), admin=True)
    return {}


def _names(p: Params) -> list[str]:
    value = p.body.get("UserAttributeNames")
    if not isinstance(value, list) or not all(isinstance(n, str) and n for n in value):
        raise InvalidParameter("UserAttributeNames must be a list of attribute names")
    return value


def _delete(ctx: PoolContext, user: User, names: list[str]) -> dict[str, Any]:
    _check_names(names)
    attributes = {k: v for k, v in user.attributes.items() if k not in names}
    ctx.store.users.update(user, attributes=attributes, modified=ctx.now())
    return {}


async def delete_user_attributes(ctx: PoolContext, p: Params) -> dict[str, Any]:
    return _delete(ctx, caller(ctx, p).user, _names(p))


async def admin_delete_user_attributes(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    return _delete(ctx, ctx.user(pool, p.username()), _names(p))


def _contact(p: Params, user: User) -> tuple[str, Medium]:
    name = p.text("AttributeName", max_len=32)
    medium = _MEDIUM.get(name)
    if medium is None or not user.attributes.get(name):
        raise InvalidParameter(f"Invalid attribute name or the user has no {name[:32]}.")
    return name, medium


async def get_user_attribute_verification_code(ctx: PoolContext, p: Params) -> dict[str, Any]:
    who = caller(ctx, p)
    name, medium = _contact(p, who.user)
    details = codes.issue(ctx, who.user, Purpose.VERIFY_ATTRIBUTE, medium, name)
    return {"CodeDeliveryDetails": details}


async def verify_user_attribute(ctx: PoolContext, p: Params) -> dict[str, Any]:
    who = caller(ctx, p)
    name, _medium = _contact(p, who.user)
    codes.redeem(ctx, who.user, Purpose.VERIFY_ATTRIBUTE, p.text("Code", max_len=2048), name)
    attributes = {**who.user.attributes, f"{name}_verified": "true"}
    ctx.store.users.update(who.user, attributes=attributes, modified=ctx.now())
    return {}


async def delete_user(ctx: PoolContext, p: Params) -> dict[str, Any]:
    ctx.store.users.delete(caller(ctx, p).user)
    return {}
