"""A user's attributes after sign-up: update, delete, verify; DeleteUser; AddCustomAttributes.

Every write is checked against the pool's schema (:mod:`.schema`: known names, values of their
type and constraints, mutable ones only, required ones kept) and stored with the sign-in keys
it gives (:mod:`.aliases`: a verified e-mail or phone alias, an e-mail username).

Changing ``email`` or ``phone_number`` marks it unverified; if the pool auto-verifies that
attribute, a VERIFY_ATTRIBUTE code goes to the new value through the message sink and its
CodeDeliveryDetails come back (UpdateUserAttributes' CodeDeliveryDetailsList). An administrator
may set ``email_verified`` / ``phone_number_verified`` in the same call instead (which takes the
alias from an older holder); a user may not set them (a guess at Cognito's refusal).

Where the pool lists the attribute in ``UserAttributeUpdateSettings.
AttributesRequireVerificationBeforeUpdate``, the new value waits (``pending_values``) and the
old one stays, verified, for sign-in and messages, until VerifyUserAttribute enters the code
sent to the new value (botocore: "Amazon Cognito doesn't change the value of the attribute until
your user responds to the verification message"). A newer change replaces a waiting one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loadtest.protocol.errors import InvalidParameter
from loadtest.protocol.names import Operation

from . import aliases, codes, limits
from .access import admin_user, caller
from .context import PoolContext
from .messages import Medium, Purpose
from .params import Params
from .records import Pool, User
from .schema import check_custom_definitions

__all__ = [
    "add_custom_attributes",
    "admin_delete_user_attributes",
    "admin_update_user_attributes",
    "delete_user",
    "delete_user_attributes",
    "get_user_attribute_verification_code",
    "update_user_attributes",
    "verify_user_attribute",
]

_MEDIUM = {"email": Medium.EMAIL, "phone_number": Medium.SMS}
_FLAGS = frozenset(f"{name}_verified" for name in _MEDIUM)


def _check(pool: Pool, given: dict[str, str], *, admin: bool) -> None:
    schema = pool.schema
    schema.check_values(given)
    schema.check_update(given, admin=admin)
    flags = sorted(_FLAGS & set(given))
    if flags and not admin:
        raise InvalidParameter(f"Cannot modify {flags[0]}: only an administrator may")


def _apply(
    ctx: PoolContext, pool: Pool, user: User, given: dict[str, str], *, admin: bool
) -> list[dict[str, str]]:
    """Write the attributes; send verification codes for changed contact attributes."""
    _check(pool, given, admin=admin)
    changed = [n for n in _MEDIUM if n in given and given[n] != user.attributes.get(n)]
    confirmed = {n for n in changed if admin and given.get(f"{n}_verified") == "true"}
    waiting = {n for n in changed if n in pool.verify_before_update and n not in confirmed}
    attributes = {**user.attributes, **{k: v for k, v in given.items() if k not in waiting}}
    for name in set(changed) - waiting:
        if name not in confirmed:
            attributes[f"{name}_verified"] = "false"
    updated = aliases.write(ctx, pool, user, attributes, take=admin)
    sent = []
    for name in changed:
        if name in waiting:
            ctx.store.users.set_pending(updated, name, given[name])
            sent.append(_send(ctx, updated, name, given[name]))
        elif name in pool.auto_verified and name not in confirmed:
            ctx.store.users.drop_pending(updated, name)
            sent.append(_send(ctx, updated, name, given[name]))
    return sent


def _send(ctx: PoolContext, user: User, name: str, value: str) -> dict[str, str]:
    """A VERIFY_ATTRIBUTE code to ``value`` (the new one, which may not be stored yet)."""
    to = replace(user, attributes={**user.attributes, name: value})
    return codes.issue(ctx, to, Purpose.VERIFY_ATTRIBUTE, _MEDIUM[name], name)


async def update_user_attributes(ctx: PoolContext, p: Params) -> dict[str, Any]:
    who = caller(ctx, p)
    given = p.attributes("UserAttributes")
    sent = _apply(ctx, who.pool, who.user, given, admin=False)
    return {"CodeDeliveryDetailsList": sent} if sent else {}


async def admin_update_user_attributes(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool, user = admin_user(ctx, p)
    _apply(ctx, pool, user, p.attributes("UserAttributes"), admin=True)
    return {}


def _names(p: Params) -> list[str]:
    value = p.body.get("UserAttributeNames")
    if not isinstance(value, list) or not all(isinstance(n, str) and n for n in value):
        raise InvalidParameter("UserAttributeNames must be a list of attribute names")
    return value


def _delete(
    ctx: PoolContext, pool: Pool, user: User, names: list[str], *, admin: bool
) -> dict[str, Any]:
    pool.schema.check_delete(names, admin=admin)
    attributes = {k: v for k, v in user.attributes.items() if k not in names}
    aliases.write(ctx, pool, user, attributes, take=False)
    return {}


async def delete_user_attributes(ctx: PoolContext, p: Params) -> dict[str, Any]:
    who = caller(ctx, p)
    return _delete(ctx, who.pool, who.user, _names(p), admin=False)


async def admin_delete_user_attributes(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool, user = admin_user(ctx, p)
    return _delete(ctx, pool, user, _names(p), admin=True)


def _contact(p: Params, user: User) -> tuple[str, Medium]:
    name = p.text("AttributeName", max_len=32)
    medium = _MEDIUM.get(name)
    if medium is None or not user.attributes.get(name):
        raise InvalidParameter(f"Invalid attribute name or the user has no {name[:32]}.")
    return name, medium


async def get_user_attribute_verification_code(ctx: PoolContext, p: Params) -> dict[str, Any]:
    """A new code, to the value waiting for verification if there is one."""
    who = caller(ctx, p)
    name, _medium = _contact(p, who.user)
    limits.charge(ctx, who.user, Operation.GET_USER_ATTRIBUTE_VERIFICATION_CODE)
    value = ctx.store.users.pending(who.user, name) or who.user.attributes[name]
    return {"CodeDeliveryDetails": _send(ctx, who.user, name, value)}


async def verify_user_attribute(ctx: PoolContext, p: Params) -> dict[str, Any]:
    """The code verifies the attribute (the waiting value replaces the old one); a verified
    e-mail or phone alias moves to this user from an older holder (:mod:`.aliases`)."""
    who = caller(ctx, p)
    name, _medium = _contact(p, who.user)
    limits.charge(ctx, who.user, Operation.VERIFY_USER_ATTRIBUTE)
    codes.redeem(ctx, who.user, Purpose.VERIFY_ATTRIBUTE, p.text("Code", max_len=2048), name)
    value = ctx.store.users.pending(who.user, name) or who.user.attributes[name]
    attributes = {**who.user.attributes, name: value, f"{name}_verified": "true"}
    updated = aliases.write(ctx, who.pool, who.user, attributes, take=True)
    ctx.store.users.drop_pending(updated, name)
    return {}


async def delete_user(ctx: PoolContext, p: Params) -> dict[str, Any]:
    ctx.store.users.delete(caller(ctx, p).user)
    return {}


async def add_custom_attributes(ctx: PoolContext, p: Params) -> dict[str, Any]:
    """AddCustomAttributes: new ``custom:`` (or ``dev:``) attributes join the pool's schema."""
    pool = ctx.pool(p.pool_id())
    given = p.body.get("CustomAttributes")
    if not isinstance(given, list) or not 1 <= len(given) <= 25:
        raise InvalidParameter("CustomAttributes must list 1 to 25 attributes")
    added = check_custom_definitions(given, pool.schema)
    schema = [*(pool.raw.get("Schema") or []), *(a.describe() for a in added)]
    updated = replace(pool, raw={**pool.raw, "Schema": schema}, modified=ctx.now())
    ctx.store.pools.put(updated)
    return {}
