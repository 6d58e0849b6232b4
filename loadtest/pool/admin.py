"""Administration: user pools, app clients and users (the SigV4-signed operations)."""

from __future__ import annotations

import re
import secrets
import string
import uuid
from collections.abc import Mapping
from typing import Any

import srp_fast
from loadtest.protocol.errors import (
    InvalidParameter,
    InvalidPassword,
    Messages,
    UsernameExists,
)

from . import aliases
from .access import admin_user
from .context import PoolContext
from .domains import check_client_scopes
from .mfa_config import email_mfa_config
from .params import Params
from .records import AppClient, MfaMode, MfaState, Pool, User, UserStatus
from .store.users import AliasTaken

__all__ = [
    "check_password_policy",
    "create_user_pool",
    "new_user",
    "user_attributes",
]

_ALNUM = string.ascii_letters + string.digits
_POOL_NAME = re.compile(r"[\w\s+=,.@-]+")
_FLOWS = frozenset(
    {
        "ADMIN_NO_SRP_AUTH",
        "CUSTOM_AUTH_FLOW_ONLY",
        "USER_PASSWORD_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_CUSTOM_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_AUTH",
    }
)
_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


# -- pools ----------------------------------------------------------------------------------------
def pool_description(ctx: PoolContext, pool: Pool) -> dict[str, Any]:
    """The UserPool structure of DescribeUserPool / CreateUserPool."""
    raw = dict(pool.raw)
    raw.pop("SoftwareTokenMfaConfiguration", None)
    raw.pop("Schema", None)
    description: dict[str, Any] = {
        **raw,
        "SchemaAttributes": pool.schema.describe(),
        "Id": pool.id,
        "Name": pool.name,
        "Arn": f"arn:aws:cognito-idp:{ctx.region}:000000000000:userpool/{pool.id}",
        "Policies": {
            "PasswordPolicy": pool.password_policy.to_raw(),
            # botocore's UserPoolPolicyType: USER_AUTH clients read the factors from here
            "SignInPolicy": {"AllowedFirstAuthFactors": _first_factors(pool)},
        },
        "MfaConfiguration": str(pool.mfa),
        "LambdaConfig": raw.get("LambdaConfig", {}),
        "CreationDate": pool.created,
        "LastModifiedDate": pool.modified,
        "EstimatedNumberOfUsers": ctx.store.users.count(pool.id),
    }
    return description


def _first_factors(pool: Pool) -> list[str]:
    """AllowedFirstAuthFactors in the order given (``["PASSWORD"]`` unset, §12.1).

    A member sent as null is unset, as :meth:`Pool.validate` reads it (``.get(k, {})`` gave None).
    """
    policies = pool.raw.get("Policies") or {}
    given = (policies.get("SignInPolicy") or {}).get("AllowedFirstAuthFactors")
    return list(given or ["PASSWORD"])


async def create_user_pool(ctx: PoolContext, p: Params) -> dict[str, Any]:
    name = p.text("PoolName", max_len=128, pattern=_POOL_NAME)
    mfa = p.body.get("MfaConfiguration", "OFF")
    if mfa not in tuple(MfaMode):
        raise InvalidParameter(f"Invalid MfaConfiguration: {str(mfa)[:16]}")
    now = ctx.now()
    raw = {k: v for k, v in p.body.items() if k != "PoolName"}
    pool = Pool(
        id=f"{ctx.region}_{_random(_ALNUM, 9)}", name=name, raw=raw, created=now, modified=now
    )
    _check_settings(pool)
    ctx.store.pools.put(pool)
    return {"UserPool": pool_description(ctx, pool)}


async def describe_user_pool(ctx: PoolContext, p: Params) -> dict[str, Any]:
    return {"UserPool": pool_description(ctx, ctx.pool(p.pool_id()))}


async def delete_user_pool(ctx: PoolContext, p: Params) -> dict[str, Any]:
    ctx.store.pools.delete(ctx.pool(p.pool_id()).id)
    return {}


async def list_user_pools(ctx: PoolContext, p: Params) -> dict[str, Any]:
    limit = p.integer("MaxResults", default=60, low=1, high=60)
    start = _page_start(p.optional_text("NextToken"))
    pools = ctx.store.pools.all()
    page = pools[start : start + limit]
    result: dict[str, Any] = {
        "UserPools": [
            {
                "Id": pool.id,
                "Name": pool.name,
                "LambdaConfig": {},
                "LastModifiedDate": pool.modified,
                "CreationDate": pool.created,
            }
            for pool in page
        ]
    }
    if start + limit < len(pools):
        result["NextToken"] = str(start + limit)
    return result


def _page_start(token: str | None) -> int:
    if token is None:
        return 0
    if not (token.isascii() and token.isdigit()):  # "²".isdigit(); int("²") raises
        raise InvalidParameter("Invalid pagination token")
    return int(token)


async def set_user_pool_mfa_config(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    raw = dict(pool.raw)
    totp_config = p.mapping("SoftwareTokenMfaConfiguration")
    if totp_config:
        raw["SoftwareTokenMfaConfiguration"] = {"Enabled": bool(totp_config.get("Enabled"))}
    sms_config = p.mapping("SmsMfaConfiguration")
    if sms_config:
        raw["SmsMfaConfiguration"] = dict(sms_config)
    mode = p.optional_text("MfaConfiguration", max_len=8)
    if mode is not None:
        if mode not in tuple(MfaMode):
            raise InvalidParameter(f"Invalid MfaConfiguration: {mode}")
        raw["MfaConfiguration"] = mode
    webauthn = p.mapping("WebAuthnConfiguration")
    if webauthn:
        raw["WebAuthnConfiguration"] = _webauthn_config(webauthn)
    if p.body.get("EmailMfaConfiguration") is not None:  # {} turns it on too
        email = p.mapping("EmailMfaConfiguration")
        raw["EmailMfaConfiguration"] = email_mfa_config(pool, email, raw)
    updated = Pool(id=pool.id, name=pool.name, raw=raw, created=pool.created, modified=ctx.now())
    ctx.store.pools.put(updated)
    return _mfa_config(updated)


async def get_user_pool_mfa_config(ctx: PoolContext, p: Params) -> dict[str, Any]:
    return _mfa_config(ctx.pool(p.pool_id()))


def _webauthn_config(given: Mapping[str, Any]) -> dict[str, Any]:
    """WebAuthnConfiguration replaces the whole object; UserVerification defaults to
    ``preferred`` (cognito-facts §13.1)."""
    rp_id = given.get("RelyingPartyId")
    if rp_id is not None and (not isinstance(rp_id, str) or not 1 <= len(rp_id) <= 127):
        raise InvalidParameter("RelyingPartyId must be 1 to 127 characters")
    verification = given.get("UserVerification") or "preferred"
    if verification not in ("required", "preferred"):
        raise InvalidParameter(f"Invalid UserVerification: {str(verification)[:16]}")
    config: dict[str, Any] = {"UserVerification": verification}
    if rp_id:
        config["RelyingPartyId"] = rp_id
    factor = given.get("FactorConfiguration")
    if factor is not None:  # passkeys as MFA (docs/user-auth.md)
        if factor not in ("SINGLE_FACTOR", "MULTI_FACTOR_WITH_USER_VERIFICATION"):
            raise InvalidParameter(f"Invalid FactorConfiguration: {str(factor)[:40]}")
        config["FactorConfiguration"] = factor
    return config


def _mfa_config(pool: Pool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "SoftwareTokenMfaConfiguration": {"Enabled": pool.totp_enabled},
        "MfaConfiguration": str(pool.mfa),
    }
    if isinstance(pool.raw.get("WebAuthnConfiguration"), Mapping):
        config["WebAuthnConfiguration"] = dict(pool.raw["WebAuthnConfiguration"])
    sms = pool.raw.get("SmsMfaConfiguration")
    if isinstance(sms, Mapping):
        config["SmsMfaConfiguration"] = dict(sms)
    email = pool.raw.get("EmailMfaConfiguration")
    if isinstance(email, Mapping):
        config["EmailMfaConfiguration"] = dict(email)
    return config


# -- clients --------------------------------------------------------------------------------------
def client_description(client: AppClient) -> dict[str, Any]:
    description: dict[str, Any] = {
        **client.raw,
        "UserPoolId": client.pool_id,
        "ClientName": client.name,
        "ClientId": client.id,
        "LastModifiedDate": client.modified,
        "CreationDate": client.created,
        "ExplicitAuthFlows": sorted(client.flows),
        "AuthSessionValidity": int(client.session_seconds // 60),
    }
    description.pop("GenerateSecret", None)
    if client.secret is not None:
        description["ClientSecret"] = client.secret
    return description


async def create_user_pool_client(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    name = p.text("ClientName", max_len=128, pattern=_POOL_NAME)
    _check_client_settings(p)
    now = ctx.now()
    secret = (
        _random(string.ascii_lowercase + string.digits, 51) if p.flag("GenerateSecret") else None
    )
    raw = {k: v for k, v in p.body.items() if k not in ("UserPoolId", "ClientName")}
    raw.setdefault("PreventUserExistenceErrors", "LEGACY")
    raw.setdefault("EnableTokenRevocation", True)
    client = AppClient(
        id=_random(string.ascii_lowercase + string.digits, 26),
        pool_id=pool.id,
        name=name,
        secret=secret,
        raw=raw,
        created=now,
        modified=now,
    )
    _check_settings(client)
    check_client_scopes(ctx, client)
    ctx.store.clients.put(client)
    return {"UserPoolClient": client_description(client)}


def _check_client_settings(p: Params) -> None:
    flows = p.body.get("ExplicitAuthFlows") or []
    if not isinstance(flows, list) or any(not isinstance(f, str) or f not in _FLOWS for f in flows):
        raise InvalidParameter(f"Invalid ExplicitAuthFlows: {str(flows)[:128]}")
    p.integer("AuthSessionValidity", default=3, low=3, high=15)
    prevent = p.body.get("PreventUserExistenceErrors", "LEGACY")
    if prevent not in ("LEGACY", "ENABLED"):
        raise InvalidParameter(f"Invalid PreventUserExistenceErrors: {str(prevent)[:16]}")
    if not isinstance(p.body.get("EnableTokenRevocation", True), bool):
        raise InvalidParameter("EnableTokenRevocation must be a boolean")


def _check_settings(record: Pool | AppClient) -> None:
    """Settings are stored as sent: refuse now what would make every later call fail."""
    try:
        record.validate()
    except (ValueError, TypeError) as exc:
        raise InvalidParameter(str(exc)[:256]) from exc


#: UpdateUserPool cannot change these; they are kept from the pool as created.
_POOL_FIXED = (
    "UsernameAttributes",
    "AliasAttributes",
    "UsernameConfiguration",
    "Schema",
    "SoftwareTokenMfaConfiguration",
    "EmailMfaConfiguration",  # SetUserPoolMfaConfig's; UpdateUserPool has no such member
)


async def update_user_pool(ctx: PoolContext, p: Params) -> dict[str, Any]:
    """Settings not given return to their defaults, as the API reference warns."""
    pool = ctx.pool(p.pool_id())
    raw = {k: v for k, v in p.body.items() if k not in ("UserPoolId", *_POOL_FIXED)}
    raw.update({k: pool.raw[k] for k in _POOL_FIXED if k in pool.raw})
    if raw.get("MfaConfiguration", "OFF") not in tuple(MfaMode):
        raise InvalidParameter(f"Invalid MfaConfiguration: {str(raw['MfaConfiguration'])[:16]}")
    updated = Pool(id=pool.id, name=pool.name, raw=raw, created=pool.created, modified=ctx.now())
    _check_settings(updated)
    ctx.store.pools.put(updated)
    return {}


async def update_user_pool_client(ctx: PoolContext, p: Params) -> dict[str, Any]:
    """Like CreateUserPoolClient's settings; what is not given returns to its default."""
    client = ctx.client(p.client_id(), p.pool_id())
    name = p.optional_text("ClientName", max_len=128, pattern=_POOL_NAME) or client.name
    _check_client_settings(p)
    raw = {k: v for k, v in p.body.items() if k not in ("UserPoolId", "ClientId", "ClientName")}
    raw.setdefault("PreventUserExistenceErrors", "LEGACY")
    raw.setdefault("EnableTokenRevocation", True)
    updated = AppClient(
        id=client.id,
        pool_id=client.pool_id,
        name=name,
        secret=client.secret,
        raw=raw,
        created=client.created,
        modified=ctx.now(),
    )
    _check_settings(updated)
    ctx.store.clients.put(updated)
    return {"UserPoolClient": client_description(updated)}


async def list_user_pool_clients(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    limit = p.integer("MaxResults", default=60, low=1, high=60)
    start = _page_start(p.optional_text("NextToken"))
    clients = ctx.store.clients.of_pool(pool.id)
    result: dict[str, Any] = {
        "UserPoolClients": [
            {"ClientId": c.id, "UserPoolId": c.pool_id, "ClientName": c.name}
            for c in clients[start : start + limit]
        ]
    }
    if start + limit < len(clients):
        result["NextToken"] = str(start + limit)
    return result


async def describe_user_pool_client(ctx: PoolContext, p: Params) -> dict[str, Any]:
    client = ctx.client(p.client_id(), p.pool_id())
    return {"UserPoolClient": client_description(client)}


async def delete_user_pool_client(ctx: PoolContext, p: Params) -> dict[str, Any]:
    client = ctx.client(p.client_id(), p.pool_id())
    ctx.store.clients.delete(client.id)
    return {}


# -- users ----------------------------------------------------------------------------------------
def check_password_policy(pool: Pool, password: str) -> None:
    """InvalidPasswordException unless ``password`` satisfies the pool's policy."""
    policy = pool.password_policy
    problems = []
    if len(password) < policy.minimum_length:
        problems.append("Password not long enough")
    if policy.require_lowercase and not any(c.islower() for c in password):
        problems.append("Password must have lowercase characters")
    if policy.require_uppercase and not any(c.isupper() for c in password):
        problems.append("Password must have uppercase characters")
    if policy.require_numbers and not any(c.isdigit() for c in password):
        problems.append("Password must have numeric characters")
    if policy.require_symbols and not any(c in _SYMBOLS for c in password):
        problems.append("Password must have symbol characters")
    if len(password) > 256:
        problems.append("Password is too long")
    if problems:
        raise InvalidPassword(f"Password did not conform with policy: {problems[0]}")


def _temporary_password(pool: Pool) -> str:
    length = max(12, pool.password_policy.minimum_length)
    return "Aa1!" + _random(_ALNUM, length - 4)


def user_attributes(user: User) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in user.attributes.items()]


def mfa_settings(user: User, pool: Pool) -> dict[str, Any]:
    """UserMFASettingList and PreferredMfaSetting, as GetUser and AdminGetUser show them."""
    enabled = []
    if user.mfa.sms_enabled:
        enabled.append("SMS_MFA")
    if user.totp_active(pool) or (user.mfa.totp_secret and user.mfa.totp_enabled):
        enabled.append("SOFTWARE_TOKEN_MFA")
    if user.mfa.email_enabled:
        enabled.append("EMAIL_OTP")
    result: dict[str, Any] = {}
    if enabled:
        result["UserMFASettingList"] = enabled
    if user.mfa.totp_preferred:
        result["PreferredMfaSetting"] = "SOFTWARE_TOKEN_MFA"
    elif user.mfa.sms_preferred:
        result["PreferredMfaSetting"] = "SMS_MFA"
    elif user.mfa.email_preferred:
        result["PreferredMfaSetting"] = "EMAIL_OTP"
    return result


def user_type(user: User, *, attributes_key: str = "Attributes") -> dict[str, Any]:
    """The UserType structure (AdminCreateUser, ListUsers); AdminGetUser names its attributes
    ``UserAttributes``."""
    return {
        "Username": user.username,
        attributes_key: user_attributes(user),
        "UserCreateDate": user.created,
        "UserLastModifiedDate": user.modified,
        "Enabled": user.enabled,
        "UserStatus": str(user.status),
    }


async def admin_create_user(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    given = p.username()
    attributes = p.attributes("UserAttributes")
    temporary = p.optional_text("TemporaryPassword", max_len=256)
    action = p.optional_text("MessageAction", max_len=16)
    existing = ctx.find_user(pool, given)
    if existing is not None:
        if action == "RESEND":
            return {"User": user_type(existing)}
        raise UsernameExists(Messages.USER_EXISTS)
    if temporary is not None:
        check_password_policy(pool, temporary)
    pool.schema.check_values(attributes)  # required attributes may wait (Developer Guide)
    password = temporary or _temporary_password(pool)
    force = p.flag("ForceAliasCreation")
    user = await _new_user(ctx, pool, given, attributes, password, force_alias=force)
    return {"User": user_type(user)}


async def _new_user(
    ctx: PoolContext,
    pool: Pool,
    given: str,
    attributes: dict[str, str],
    password: str,
    status: UserStatus = UserStatus.FORCE_CHANGE_PASSWORD,
    *,
    force_alias: bool = False,
) -> User:
    sub = str(uuid.uuid4())
    username = given
    aliases.check_username(pool, given)
    if pool.email_usernames:
        if "@" not in given:
            raise InvalidParameter("Username should be an email.")
        attributes = {**attributes, "email": given}
        username = sub
    attributes = {"sub": sub, **{k: v for k, v in attributes.items() if k != "sub"}}
    record = await ctx.srp.new_password(srp_fast.pool_name(pool.id), username, password)
    now = ctx.now()
    user = User(
        pool_id=pool.id,
        username=username,
        sub=sub,
        attributes=attributes,
        status=status,
        enabled=True,
        salt=record.salt,
        verifier=record.verifier,
        x=record.x,
        password_set=now,
        mfa=MfaState(),
        totp_last_step=0,
        failures=0,
        locked_until=0.0,
        last_attempt=0.0,
        revoked_at=0.0,
        device_group="-" + _random(_ALNUM, 8),
        created=now,
        modified=now,
    )
    email = attributes.get("email")
    email_key = email.lower() if email and pool.email_usernames else None
    keys = aliases.sign_in_keys(pool, attributes)
    take = aliases.MOVABLE & pool.alias_attributes if force_alias else frozenset()
    try:
        inserted = ctx.store.users.insert(user, pool.user_key(username), email_key, keys, take)
    except AliasTaken as error:
        raise aliases.taken(pool, error, creating=True) from None
    if not inserted:
        raise UsernameExists(Messages.USER_EXISTS)
    return user


new_user = _new_user


async def admin_set_user_password(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool, user = admin_user(ctx, p)
    password = p.text("Password", max_len=256)
    check_password_policy(pool, password)
    permanent = p.flag("Permanent")
    record = await ctx.srp.new_password(srp_fast.pool_name(pool.id), user.username, password)
    status = UserStatus.CONFIRMED if permanent else UserStatus.FORCE_CHANGE_PASSWORD
    ctx.store.users.update(
        user,
        salt=record.salt,
        verifier=record.verifier,
        x=record.x,
        password_set=ctx.now(),
        status=status,
        modified=ctx.now(),
    )
    return {}


async def admin_get_user(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool, user = admin_user(ctx, p)
    return {**user_type(user, attributes_key="UserAttributes"), **mfa_settings(user, pool)}


async def admin_delete_user(ctx: PoolContext, p: Params) -> dict[str, Any]:
    _, user = admin_user(ctx, p)
    ctx.store.users.delete(user)
    return {}


async def admin_disable_user(ctx: PoolContext, p: Params) -> dict[str, Any]:
    return _set_enabled(ctx, p, enabled=False)


async def admin_enable_user(ctx: PoolContext, p: Params) -> dict[str, Any]:
    return _set_enabled(ctx, p, enabled=True)


def _set_enabled(ctx: PoolContext, p: Params, *, enabled: bool) -> dict[str, Any]:
    _, user = admin_user(ctx, p)
    ctx.store.users.update(user, enabled=enabled, modified=ctx.now())
    return {}


_FILTER = re.compile(r'\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*')


def _filter(text: str | None) -> tuple[str, str, str] | None:
    if not text:
        return None
    match = _FILTER.fullmatch(text)
    if match is None:
        raise InvalidParameter("Error while parsing filter.")
    return match[1], match[2], match[3]


def _matches(user: User, rule: tuple[str, str, str] | None) -> bool:
    if rule is None:
        return True
    name, op, wanted = rule
    if name == "username":
        value = user.username
    elif name in ("cognito:user_status", "status"):
        value = (
            str(user.status) if name != "status" else ("Enabled" if user.enabled else "Disabled")
        )
    else:
        value = user.attributes.get(name, "")
    return value == wanted if op == "=" else value.startswith(wanted)


async def list_users(ctx: PoolContext, p: Params) -> dict[str, Any]:
    pool = ctx.pool(p.pool_id())
    limit = p.integer("Limit", default=60, low=0, high=60) or 60
    start = _page_start(p.optional_text("PaginationToken"))
    rule = _filter(p.optional_text("Filter", max_len=256, min_len=0))
    if rule is None:
        users = ctx.store.users.page(pool.id, offset=start, limit=limit + 1)
    else:
        every = ctx.store.users.page(pool.id, offset=0, limit=1_000_000)
        users = [u for u in every if _matches(u, rule)][start : start + limit + 1]
    result: dict[str, Any] = {"Users": [user_type(user) for user in users[:limit]]}
    if len(users) > limit:
        result["PaginationToken"] = str(start + limit)
    return result
