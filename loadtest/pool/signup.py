"""Sign-up: SignUp, ConfirmSignUp, ResendConfirmationCode and AdminConfirmSignUp.

A signed-up user is UNCONFIRMED until a code (sent through the message sink to the first of the
pool's AutoVerifiedAttributes the user has) is confirmed, or an administrator confirms the user.
With no auto-verified attribute no code is sent and only AdminConfirmSignUp confirms.

PreventUserExistenceErrors (Developer Guide, "Managing user existence error responses"): with
ENABLED, ResendConfirmationCode for an unknown user answers a simulated CodeDeliveryDetails and
ConfirmSignUp a ``CodeMismatchException``; with LEGACY both say
``Username/client id combination not found.``. SignUp always says ``User already exists``.
"""

from __future__ import annotations

from typing import Any

from loadtest.protocol.errors import (
    CodeMismatch,
    InvalidParameter,
    Messages,
    NotAuthorized,
    UsernameExists,
    UserNotFound,
)
from loadtest.protocol.names import Operation

from . import aliases, codes, limits
from .access import admin_user
from .admin import check_password_policy, new_user
from .aliases import check_username
from .context import PoolContext
from .messages import Medium, Purpose, mask_destination
from .params import Params
from .records import AppClient, Pool, User, UserStatus

__all__ = [
    "admin_confirm_sign_up",
    "client_and_pool",
    "code_recipient",
    "confirm_sign_up",
    "resend_confirmation_code",
    "sign_up",
    "simulated_delivery",
    "unknown_user",
]


def client_and_pool(ctx: PoolContext, p: Params) -> tuple[AppClient, Pool, str]:
    """The app client, its pool and the Username, with the client's SecretHash checked."""
    client = ctx.client(p.client_id())
    pool = ctx.pool(client.pool_id)
    username = p.username()
    ctx.check_secret_hash(client, username, p.optional_text("SecretHash", max_len=128))
    return client, pool, username


def simulated_delivery(pool: Pool, username: str) -> dict[str, Any]:
    """A CodeDeliveryDetails for a user who does not exist (PreventUserExistenceErrors)."""
    medium = Medium.EMAIL if "email" in pool.auto_verified or not pool.auto_verified else Medium.SMS
    destination = username if "@" in username else f"{username}@example.com"
    if medium is Medium.SMS:
        destination = "+10000000000"
    return {
        "CodeDeliveryDetails": {
            "Destination": mask_destination(medium, destination),
            "DeliveryMedium": str(medium),
            "AttributeName": medium.attribute,
        }
    }


def _check_attributes(pool: Pool, username: str, attributes: dict[str, str]) -> None:
    """The schema's rules for a sign-up: known names, valid values, required ones present (an
    e-mail username pool takes the address from the username); no ``*_verified`` flags, which
    only confirmation or an administrator sets (a guess at Cognito's refusal)."""
    schema = pool.schema
    schema.check_values(attributes)
    flags = sorted(name for name in attributes if name.endswith("_verified"))
    if flags:
        raise InvalidParameter(f"Cannot set {flags[0]} at sign-up")
    given = {**attributes, "email": username} if pool.email_usernames else attributes
    schema.check_required(given)


async def sign_up(ctx: PoolContext, p: Params) -> dict[str, Any]:
    _client, pool, username = client_and_pool(ctx, p)
    password = p.text("Password", max_len=256)
    attributes = p.attributes("UserAttributes")
    if ctx.find_user(pool, username) is not None:
        raise UsernameExists(Messages.USER_EXISTS)
    check_username(pool, username)
    _check_attributes(pool, username, attributes)
    check_password_policy(pool, password)
    user = await new_user(ctx, pool, username, attributes, password, status=UserStatus.UNCONFIRMED)
    result: dict[str, Any] = {"UserConfirmed": False, "UserSub": user.sub}
    medium = codes.delivery_medium(pool, user, verified_only=False)
    if medium is not None:
        result["CodeDeliveryDetails"] = codes.issue(ctx, user, Purpose.SIGN_UP, medium)
    return result


def unknown_user(client: AppClient) -> Exception:
    """What a code's confirmation answers for an unknown user: ``CodeMismatchException`` where
    the client prevents user existence errors, else ``Username/client id combination not
    found.``."""
    if client.prevent_user_existence_errors:
        return CodeMismatch(Messages.CODE_MISMATCH)
    return UserNotFound(Messages.FORGOT_USER_NOT_FOUND)


def code_recipient(ctx: PoolContext, client: AppClient, pool: Pool, username: str) -> User | None:
    """The user a code would be sent to; None for an unknown user the client hides (the caller
    answers :func:`simulated_delivery`); ``UserNotFoundException`` for one it does not."""
    user = ctx.find_user(pool, username)
    if user is None and not client.prevent_user_existence_errors:
        raise UserNotFound(Messages.FORGOT_USER_NOT_FOUND)
    return user


async def confirm_sign_up(ctx: PoolContext, p: Params) -> dict[str, Any]:
    client, pool, username = client_and_pool(ctx, p)
    code = p.text("ConfirmationCode", max_len=2048, min_len=1)
    user = ctx.find_user(pool, username)
    if user is None:
        raise unknown_user(client)
    limits.charge(ctx, user, Operation.CONFIRM_SIGN_UP)
    if user.status is not UserStatus.UNCONFIRMED:
        raise NotAuthorized(Messages.cannot_confirm(str(user.status)))
    codes.redeem(ctx, user, Purpose.SIGN_UP, code)
    _confirm(ctx, pool, user, code_entered=True, force=p.flag("ForceAliasCreation"))
    return {}


def _confirm(
    ctx: PoolContext, pool: Pool, user: User, *, code_entered: bool, force: bool = False
) -> None:
    """CONFIRMED; with ``code_entered`` the auto-verified attributes the code went to are
    marked verified too, which makes them aliases where the pool has them (``force``: taken
    from an older holder, else ``AliasExistsException``, :mod:`.aliases`; the code is spent
    either way, a guess). An administrator's confirmation verifies nothing."""
    names = pool.auto_verified if code_entered else frozenset()
    verified = {f"{name}_verified": "true" for name in names if user.attributes.get(name)}
    if verified:
        user = aliases.write(ctx, pool, user, {**user.attributes, **verified}, take=force)
    ctx.store.users.update(user, status=UserStatus.CONFIRMED, modified=ctx.now())


async def resend_confirmation_code(ctx: PoolContext, p: Params) -> dict[str, Any]:
    client, pool, username = client_and_pool(ctx, p)
    user = code_recipient(ctx, client, pool, username)
    if user is None:
        return simulated_delivery(pool, username)
    limits.charge(ctx, user, Operation.RESEND_CONFIRMATION_CODE)
    if user.status is not UserStatus.UNCONFIRMED:
        raise InvalidParameter(Messages.ALREADY_CONFIRMED)
    medium = codes.delivery_medium(pool, user, verified_only=False)
    if medium is None:
        raise InvalidParameter(Messages.NO_RECOVERY_DESTINATION)
    return {"CodeDeliveryDetails": codes.issue(ctx, user, Purpose.SIGN_UP, medium)}


async def admin_confirm_sign_up(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool, user = admin_user(ctx, p)
    if user.status is not UserStatus.UNCONFIRMED:
        raise NotAuthorized(Messages.cannot_confirm(str(user.status)))
    _confirm(ctx, pool, user, code_entered=False)
    return {}
