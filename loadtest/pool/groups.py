"""Groups: CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, memberships.

A user's groups appear in its tokens as ``cognito:groups`` (cognito-facts §7), ordered by
precedence (lower first; unset last), which :meth:`~.store.Groups.of_user` owns.
"""

from __future__ import annotations

import re
from typing import Any

from loadtest.protocol.errors import GroupExists, Messages, ResourceNotFound

from .access import admin_user
from .admin import user_type
from .context import PoolContext
from .params import Params
from .records import Pool
from .store import Group

__all__ = [
    "admin_add_user_to_group",
    "admin_list_groups_for_user",
    "admin_remove_user_from_group",
    "create_group",
    "delete_group",
    "get_group",
    "list_groups",
    "list_users_in_group",
    "update_group",
]

_GROUP_NAME = re.compile(r"\S+")
_ROLE_ARN = re.compile(
    r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?"
)


def group_type(group: Group) -> dict[str, Any]:
    """Cognito's GroupType."""
    result: dict[str, Any] = {
        "GroupName": group.name,
        "UserPoolId": group.pool_id,
        "LastModifiedDate": group.modified,
        "CreationDate": group.created,
    }
    if group.description is not None:
        result["Description"] = group.description
    if group.role_arn is not None:
        result["RoleArn"] = group.role_arn
    if group.precedence is not None:
        result["Precedence"] = group.precedence
    return result


def _name(p: Params) -> str:
    return p.text("GroupName", max_len=128, pattern=_GROUP_NAME)


def _group(ctx: PoolContext, pool: Pool, name: str) -> Group:
    group = ctx.store.groups.get(pool.id, name)
    if group is None:
        raise ResourceNotFound(Messages.GROUP_NOT_FOUND)
    return group


def _precedence(p: Params) -> int | None:
    if p.body.get("Precedence") is None:
        return None
    return p.integer("Precedence", default=0, low=0, high=2**31 - 1)


async def create_group(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    now = ctx.now()
    group = Group(
        pool_id=pool.id,
        name=_name(p),
        description=p.optional_text("Description", max_len=2048, min_len=0),
        role_arn=p.optional_text("RoleArn", max_len=2048, pattern=_ROLE_ARN),
        precedence=_precedence(p),
        created=now,
        modified=now,
    )
    if not ctx.store.groups.insert(group):
        raise GroupExists(Messages.group_exists(group.name))
    return {"Group": group_type(group)}


async def get_group(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    return {"Group": group_type(_group(ctx, pool, _name(p)))}


async def update_group(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    old = _group(ctx, pool, _name(p))
    description = p.optional_text("Description", max_len=2048, min_len=0)
    role_arn = p.optional_text("RoleArn", max_len=2048, pattern=_ROLE_ARN)
    precedence = _precedence(p)
    group = Group(
        pool_id=pool.id,
        name=old.name,
        description=description if description is not None else old.description,
        role_arn=role_arn if role_arn is not None else old.role_arn,
        precedence=precedence if precedence is not None else old.precedence,
        created=old.created,
        modified=ctx.now(),
    )
    ctx.store.groups.replace(group)
    return {"Group": group_type(group)}


async def delete_group(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    ctx.store.groups.delete(pool.id, _group(ctx, pool, _name(p)).name)
    return {}


def _page(p: Params, token_name: str, limit_name: str) -> tuple[int, int]:
    token = p.optional_text(token_name)
    start = int(token) if token is not None and token.isdigit() else 0
    return start, p.integer(limit_name, default=60, low=0, high=60) or 60


async def list_groups(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    start, limit = _page(p, "NextToken", "Limit")
    found = ctx.store.groups.page(pool.id, offset=start, limit=limit + 1)
    result: dict[str, Any] = {"Groups": [group_type(g) for g in found[:limit]]}
    if len(found) > limit:
        result["NextToken"] = str(start + limit)
    return result


async def admin_add_user_to_group(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool, user = admin_user(ctx, p)
    ctx.store.groups.add_member(pool.id, _group(ctx, pool, _name(p)).name, user.sub)
    return {}


async def admin_remove_user_from_group(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool, user = admin_user(ctx, p)
    ctx.store.groups.remove_member(pool.id, _group(ctx, pool, _name(p)).name, user.sub)
    return {}


async def admin_list_groups_for_user(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool, user = admin_user(ctx, p)
    start, limit = _page(p, "NextToken", "Limit")
    found = ctx.store.groups.of_user(pool.id, user.sub)
    result: dict[str, Any] = {"Groups": [group_type(g) for g in found[start : start + limit]]}
    if len(found) > start + limit:
        result["NextToken"] = str(start + limit)
    return result


async def list_users_in_group(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    name = _group(ctx, pool, _name(p)).name
    start, limit = _page(p, "NextToken", "Limit")
    subs = ctx.store.groups.member_subs(pool.id, name, offset=start, limit=limit + 1)
    users = [u for u in (ctx.store.users.by_sub(pool.id, s) for s in subs[:limit]) if u]
    result: dict[str, Any] = {"Users": [user_type(u) for u in users]}
    if len(subs) > limit:
        result["NextToken"] = str(start + limit)
    return result
