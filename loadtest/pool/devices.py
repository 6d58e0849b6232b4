"""Remembered devices: ConfirmDevice, UpdateDeviceStatus, GetDevice, ListDevices, ForgetDevice,
AdminListDevices, AdminForgetDevice, AdminGetDevice, AdminUpdateDeviceStatus.

A device key is handed out in NewDeviceMetadata and carried in that sign-in's access token
(``device_key``), so ConfirmDevice can check that the key was issued to the caller without a
pending-device row. Its verifier is what DEVICE_PASSWORD_VERIFIER later checks, with
DeviceGroupKey as the SRP prefix and DeviceKey as the identity (cognito-facts §1.6).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import srp_fast
from loadtest.protocol.errors import InvalidParameter, Messages, ResourceNotFound

from .access import admin_user, caller
from .context import PoolContext
from .params import Params
from .records import Device, User

__all__ = [
    "admin_forget_device",
    "admin_get_device",
    "admin_list_devices",
    "admin_update_device_status",
    "confirm_device",
    "forget_device",
    "get_device",
    "list_devices",
    "update_device_status",
]

_DEVICE_KEY_MAX = 55


def device_type(device: Device) -> dict[str, Any]:
    """The DeviceType structure."""
    status = "remembered" if device.remembered else "not_remembered"
    return {
        "DeviceKey": device.key,
        "DeviceAttributes": [
            {"Name": "device_status", "Value": "valid"},
            {"Name": "device_name", "Value": device.name},
            {"Name": "dev:device_remembered_status", "Value": status},
            {"Name": "last_ip_used", "Value": "127.0.0.1"},
        ],
        "DeviceCreateDate": device.created,
        "DeviceLastModifiedDate": device.modified,
        "DeviceLastAuthenticatedDate": device.last_auth,
    }


async def confirm_device(ctx: PoolContext, p: Params) -> dict[str, Any]:
    who = caller(ctx, p)
    key = p.text("DeviceKey", max_len=_DEVICE_KEY_MAX)
    config = p.mapping("DeviceSecretVerifierConfig")
    name = p.optional_text("DeviceName", max_len=1024) or ""
    known = ctx.store.devices.get(who.pool.id, who.user.sub, key)
    if who.claims.device_key != key and known is None:
        raise ResourceNotFound(Messages.DEVICE_NOT_FOUND)
    try:
        verifier = srp_fast.verifier_from_config(config.get("Salt"), config.get("PasswordVerifier"))
    except srp_fast.MalformedInput as exc:
        raise InvalidParameter(f"Invalid DeviceSecretVerifierConfig: {exc.reason}") from exc
    now = ctx.now()
    device = Device(
        key=key,
        pool_id=who.pool.id,
        sub=who.user.sub,
        group_key=who.user.device_group,
        name=name,
        salt=int(verifier.salt),
        verifier=int(verifier.verifier),
        remembered=not who.pool.remember_on_prompt,
        created=known.created if known else now,
        modified=now,
        last_auth=now,
    )
    ctx.store.devices.put(device)
    return {"UserConfirmationNecessary": who.pool.remember_on_prompt}


async def update_device_status(ctx: PoolContext, p: Params) -> dict[str, Any]:
    return _set_status(ctx, p, caller(ctx, p).user)


def _set_status(ctx: PoolContext, p: Params, user: User) -> dict[str, Any]:
    device = ctx.device(user, p.text("DeviceKey", max_len=_DEVICE_KEY_MAX))
    status = p.optional_text("DeviceRememberedStatus", max_len=16) or "not_remembered"
    if status not in ("remembered", "not_remembered"):
        raise InvalidParameter(f"Invalid DeviceRememberedStatus: {status}")
    ctx.store.devices.put(replace(device, remembered=status == "remembered", modified=ctx.now()))
    return {}


async def get_device(ctx: PoolContext, p: Params) -> dict[str, Any]:
    who = caller(ctx, p)
    return {"Device": device_type(ctx.device(who.user, p.text("DeviceKey", max_len=55)))}


def _listing(ctx: PoolContext, p: Params, user: User) -> dict[str, Any]:
    limit = p.integer("Limit", default=60, low=0, high=60) or 60
    token = p.optional_text("PaginationToken", max_len=64)
    start = int(token) if token and token.isascii() and token.isdigit() else 0
    devices = ctx.store.devices.of_user(user.pool_id, user.sub)
    result: dict[str, Any] = {"Devices": [device_type(d) for d in devices[start : start + limit]]}
    if start + limit < len(devices):
        result["PaginationToken"] = str(start + limit)
    return result


async def list_devices(ctx: PoolContext, p: Params) -> dict[str, Any]:
    return _listing(ctx, p, caller(ctx, p).user)


async def forget_device(ctx: PoolContext, p: Params) -> dict[str, Any]:
    who = caller(ctx, p)
    device = ctx.device(who.user, p.text("DeviceKey", max_len=_DEVICE_KEY_MAX))
    ctx.store.devices.delete(device.key)
    return {}


async def admin_list_devices(ctx: PoolContext, p: Params) -> dict[str, Any]:
    _, user = admin_user(ctx, p)
    return _listing(ctx, p, user)


async def admin_forget_device(ctx: PoolContext, p: Params) -> dict[str, Any]:
    _, user = admin_user(ctx, p)
    device = ctx.device(user, p.text("DeviceKey", max_len=_DEVICE_KEY_MAX))
    ctx.store.devices.delete(device.key)
    return {}


async def admin_get_device(ctx: PoolContext, p: Params) -> dict[str, Any]:
    _, user = admin_user(ctx, p)
    return {"Device": device_type(ctx.device(user, p.text("DeviceKey", max_len=_DEVICE_KEY_MAX)))}


async def admin_update_device_status(ctx: PoolContext, p: Params) -> dict[str, Any]:
    _, user = admin_user(ctx, p)
    return _set_status(ctx, p, user)
