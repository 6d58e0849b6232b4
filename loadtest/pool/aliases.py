"""Sign-in keys besides the username: aliases (AliasAttributes) and e-mail usernames
(UsernameAttributes), one owner for which values a user signs in with and who holds each.

- An **alias** (``email``, ``phone_number``, ``preferred_username``) signs a user in once it is
  verified (``preferred_username``: once set); no two users hold the same one. A verified e-mail
  or phone already held by another user is refused with ``AliasExistsException`` at ConfirmSignUp
  and AdminCreateUser unless ``ForceAliasCreation`` is true, which moves it (botocore's model);
  VerifyUserAttribute and an administrator's ``*_verified=true`` move it as well (boto3 #3213
  observed the move; a guess for VerifyUserAttribute). The older holder keeps the value but
  unverified, and can no longer sign in with it.
- An **e-mail username** pool signs users in by their address, verified or not; an address
  belongs to one user (``UsernameExistsException`` at sign-up, ``AliasExistsException`` at an
  update), and changing it moves the sign-in key with it.
- A username that looks like an address (or a phone number) is refused where that attribute is
  an alias (Developer Guide: "Amazon Cognito doesn't accept a user name that matches a valid
  email address format").

Values are folded: e-mail addresses to lower case, ``preferred_username`` as the pool folds
usernames, phone numbers as given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from loadtest.protocol.errors import AliasExists, InvalidParameter, UsernameExists

from .records import Pool, User
from .store import Store
from .store.users import AliasTaken

if TYPE_CHECKING:
    from .context import PoolContext

__all__ = ["MOVABLE", "check_username", "lookup", "sign_in_keys", "taken", "write"]

#: Aliases a newer verified holder may take from an older one.
MOVABLE = frozenset({"email", "phone_number"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_PHONE = re.compile(r"\+[0-9]{4,15}")


def fold(pool: Pool, kind: str, value: str) -> str:
    """The form a sign-in key is stored and looked up in."""
    if kind == "email":
        return value.lower()
    if kind == "preferred_username":
        return pool.user_key(value)
    return value


def sign_in_keys(pool: Pool, attributes: Mapping[str, str]) -> dict[str, str]:
    """The keys (kind -> folded value) these attributes let their user sign in with."""
    keys = {}
    for kind in pool.username_attributes:
        if attributes.get(kind):
            keys[kind] = fold(pool, kind, attributes[kind])
    for kind in pool.alias_attributes:
        value = attributes.get(kind)
        if not value or (kind in MOVABLE and attributes.get(f"{kind}_verified") != "true"):
            continue
        keys[kind] = fold(pool, kind, value)
    return keys


def lookup(store: Store, pool: Pool, name: str) -> User | None:
    """The user who signs in with ``name`` as an alias or e-mail username, if any."""
    for kind in sorted(pool.username_attributes | pool.alias_attributes):
        user = store.users.by_alias(pool.id, kind, fold(pool, kind, name))
        if user is not None:
            return user
    return None


def check_username(pool: Pool, username: str) -> None:
    """Refuse a username shaped like an alias the pool signs in with."""
    if "email" in pool.alias_attributes and _EMAIL.fullmatch(username):
        raise InvalidParameter(
            "Username cannot be of email format, since user pool is configured for email alias."
        )
    if "phone_number" in pool.alias_attributes and _PHONE.fullmatch(username):
        raise InvalidParameter(
            "Username cannot be of phone number format, since user pool is configured for "
            "phone number alias."
        )


def taken(pool: Pool, error: AliasTaken, *, creating: bool) -> Exception:
    """The error for a key another user holds (the texts are guesses but for sign-up's)."""
    message = f"An account with the given {error.kind} already exists."
    if creating and error.kind in pool.username_attributes:
        return UsernameExists(message)
    return AliasExists(message)


def write(
    ctx: PoolContext, pool: Pool, user: User, attributes: Mapping[str, str], *, take: bool
) -> User:
    """Store the user's attributes with the sign-in keys they give; with ``take`` a verified
    e-mail or phone alias moves from its older holder."""
    movable = MOVABLE & pool.alias_attributes if take else frozenset()
    email = attributes.get("email")
    email_key = email.lower() if email and pool.email_usernames else None
    try:
        return ctx.store.users.update_attributes(
            user,
            attributes,
            sign_in_keys(pool, attributes),
            modified=ctx.now(),
            take=movable,
            email_key=email_key,
        )
    except AliasTaken as error:
        raise taken(pool, error, creating=False) from None
