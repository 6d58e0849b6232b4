"""User-pool domains and resource servers: the configuration behind managed login and OAuth.

A domain here is a prefix served under ``/domain/<prefix>/`` on the pool's own address (see
docs/managed-login.md: loopback has no wildcard DNS, so a path prefix stands for Cognito's
``<prefix>.auth.<region>.amazoncognito.com``). Resource servers hold the custom scopes an app
client may be allowed (``<identifier>/<scope name>``, cognito-facts §17.1).
"""

from __future__ import annotations

import re
from typing import Any

from loadtest.protocol.errors import InvalidParameter, ResourceNotFound, ScopeDoesNotExist

from .context import PoolContext
from .params import Params
from .records import AppClient
from .store import DomainRecord

__all__ = [
    "check_client_scopes",
    "create_resource_server",
    "create_user_pool_domain",
    "delete_resource_server",
    "delete_user_pool_domain",
    "describe_resource_server",
    "describe_user_pool_domain",
    "list_resource_servers",
]

_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")
_IDENTIFIER = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]{1,256}$")
_SCOPE_NAME = re.compile(r"^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$")
_MAX_SERVERS, _MAX_SCOPES = 25, 100


# -- domains ------------------------------------------------------------------------------------
async def create_user_pool_domain(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    domain = p.text("Domain", max_len=63, pattern=_DOMAIN)
    if p.body.get("CustomDomainConfig"):
        raise InvalidParameter("Custom domains are not supported by the local pool.")
    version = p.integer("ManagedLoginVersion", default=1, low=1, high=2)
    raw = {"ManagedLoginVersion": version}
    record = DomainRecord(domain=domain, pool_id=pool.id, raw=raw, created=ctx.now())
    if not ctx.store.domains.add(record):
        raise InvalidParameter("Domain already associated with another user pool.")
    return {"ManagedLoginVersion": version}


async def describe_user_pool_domain(ctx: PoolContext, p: Params) -> dict[str, Any]:
    record = ctx.store.domains.get(p.text("Domain", max_len=63))
    if record is None:
        return {"DomainDescription": {}}  # Cognito answers an unknown domain with an empty one
    return {
        "DomainDescription": {
            "UserPoolId": record.pool_id,
            "AWSAccountId": "000000000000",
            "Domain": record.domain,
            "S3Bucket": "",
            "CloudFrontDistribution": "",
            "Version": "1",
            "Status": "ACTIVE",
            "ManagedLoginVersion": record.raw.get("ManagedLoginVersion", 1),
        }
    }


async def delete_user_pool_domain(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    domain = p.text("Domain", max_len=63)
    record = ctx.store.domains.get(domain)
    if record is None or record.pool_id != pool.id:
        raise InvalidParameter("No such domain or user pool exists.")
    ctx.store.domains.delete(domain)
    return {}


# -- resource servers ---------------------------------------------------------------------------
def _scopes(p: Params) -> list[dict[str, str]]:
    given = p.body.get("Scopes") or []
    if not isinstance(given, list) or len(given) > _MAX_SCOPES:
        raise InvalidParameter(f"Scopes must be a list of at most {_MAX_SCOPES} items.")
    scopes = []
    for scope in given:
        name = scope.get("ScopeName") if isinstance(scope, dict) else None
        description = scope.get("ScopeDescription", "") if isinstance(scope, dict) else ""
        if not isinstance(name, str) or not _SCOPE_NAME.match(name):
            raise InvalidParameter(f"Invalid ScopeName: {str(name)[:64]}")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise InvalidParameter("ScopeDescription must be 1 to 256 characters.")
        scopes.append({"ScopeName": name, "ScopeDescription": description})
    return scopes


async def create_resource_server(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    identifier = p.text("Identifier", max_len=256, pattern=_IDENTIFIER)
    name = p.text("Name", max_len=256)
    existing = ctx.store.resource_servers.all(pool.id)
    if any(server["Identifier"] == identifier for server in existing):
        raise InvalidParameter(f"{identifier} already exists in pool {pool.id}")
    if len(existing) >= _MAX_SERVERS:
        raise InvalidParameter(f"A user pool has at most {_MAX_SERVERS} resource servers.")
    server = {"UserPoolId": pool.id, "Identifier": identifier, "Name": name, "Scopes": _scopes(p)}
    ctx.store.resource_servers.put(pool.id, server)
    return {"ResourceServer": server}


def _server(ctx: PoolContext, p: Params) -> tuple[str, dict[str, Any]]:
    pool = ctx.pool(p.pool_id())
    identifier = p.text("Identifier", max_len=256)
    server = ctx.store.resource_servers.get(pool.id, identifier)
    if server is None:
        raise ResourceNotFound(f"Resource server {identifier[:64]} does not exist.")
    return pool.id, server


async def describe_resource_server(ctx: PoolContext, p: Params) -> dict[str, Any]:
    return {"ResourceServer": _server(ctx, p)[1]}


async def list_resource_servers(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    p.integer("MaxResults", default=50, low=1, high=50)
    return {"ResourceServers": ctx.store.resource_servers.all(pool.id)}


async def delete_resource_server(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool_id, server = _server(ctx, p)
    ctx.store.resource_servers.delete(pool_id, server["Identifier"])
    return {}


def check_client_scopes(ctx: PoolContext, client: AppClient) -> None:
    """ScopeDoesNotExistException for a custom scope no resource server of the pool defines."""
    missing = client.oauth.custom_scopes - ctx.store.resource_servers.scopes(client.pool_id)
    if missing:
        raise ScopeDoesNotExist(f"Invalid scope requested: {sorted(missing)[0][:128]}")
