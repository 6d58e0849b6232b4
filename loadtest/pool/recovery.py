"""Passwords after sign-up: ForgotPassword, ConfirmForgotPassword, AdminResetUserPassword,
ChangePassword.

A reset code goes only to a verified e-mail or phone number; without one, Cognito answers
``InvalidParameterException`` (``Cannot reset password for the user as there is no
registered/verified email or phone_number``). PreventUserExistenceErrors ENABLED hides unknown
users: ForgotPassword answers a simulated CodeDeliveryDetails, ConfirmForgotPassword a
``CodeMismatchException``; LEGACY says ``Username/client id combination not found.``.
AdminResetUserPassword leaves the user RESET_REQUIRED: sign-in then answers
``PasswordResetRequiredException`` until ConfirmForgotPassword sets a new password.
"""

from __future__ import annotations

from typing import Any

import srp_fast
from loadtest.protocol.errors import (
    InvalidParameter,
    Messages,
    NotAuthorized,
)
from loadtest.protocol.names import Operation

from . import codes, limits
from .access import admin_user, caller
from .admin import check_password_policy
from .auth import password_ok
from .context import PoolContext
from .messages import Purpose
from .params import Params
from .records import Pool, User, UserStatus
from .signup import client_and_pool, code_recipient, simulated_delivery, unknown_user

__all__ = [
    "admin_reset_user_password",
    "change_password",
    "confirm_forgot_password",
    "forgot_password",
]


def _send_reset(ctx: PoolContext, pool: Pool, user: User) -> dict[str, str]:
    if not user.enabled:
        raise NotAuthorized(Messages.USER_DISABLED)
    medium = codes.delivery_medium(pool, user, verified_only=True)
    if medium is None:
        raise InvalidParameter(Messages.NO_RECOVERY_DESTINATION)
    return codes.issue(ctx, user, Purpose.FORGOT_PASSWORD, medium)


async def forgot_password(ctx: PoolContext, p: Params) -> dict[str, Any]:
    client, pool, username = client_and_pool(ctx, p)
    user = code_recipient(ctx, client, pool, username)
    if user is None:
        return simulated_delivery(pool, username)
    limits.charge(ctx, user, Operation.FORGOT_PASSWORD)
    return {"CodeDeliveryDetails": _send_reset(ctx, pool, user)}


async def confirm_forgot_password(ctx: PoolContext, p: Params) -> dict[str, Any]:
    client, pool, username = client_and_pool(ctx, p)
    code = p.text("ConfirmationCode", max_len=2048)
    password = p.text("Password", max_len=256)
    user = ctx.find_user(pool, username)
    if user is None:
        raise unknown_user(client)
    limits.charge(ctx, user, Operation.CONFIRM_FORGOT_PASSWORD)
    check_password_policy(pool, password)
    codes.redeem(ctx, user, Purpose.FORGOT_PASSWORD, code)
    await set_password(ctx, pool, user, password)
    return {}


async def set_password(ctx: PoolContext, pool: Pool, user: User, password: str) -> None:
    """A new permanent password: a fresh verifier, CONFIRMED, lockout counters cleared."""
    record = await ctx.srp.new_password(srp_fast.pool_name(pool.id), user.username, password)
    now = ctx.now()
    status = UserStatus.UNCONFIRMED if user.status is UserStatus.UNCONFIRMED else None
    ctx.store.users.update(
        user,
        salt=record.salt,
        verifier=record.verifier,
        x=record.x,
        password_set=now,
        status=status or UserStatus.CONFIRMED,
        failures=0,
        locked_until=0.0,
        modified=now,
    )


async def admin_reset_user_password(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool, user = admin_user(ctx, p)
    _send_reset(ctx, pool, user)
    ctx.store.users.update(user, status=UserStatus.RESET_REQUIRED, modified=ctx.now())
    return {}


async def change_password(ctx: PoolContext, p: Params) -> dict[str, Any]:
    who = caller(ctx, p)
    previous = p.text("PreviousPassword", max_len=256)
    proposed = p.text("ProposedPassword", max_len=256)
    limits.charge(ctx, who.user, Operation.CHANGE_PASSWORD)
    if not password_ok(ctx, who.pool, who.user, previous):
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    check_password_policy(who.pool, proposed)
    await set_password(ctx, who.pool, who.user, proposed)
    return {}
