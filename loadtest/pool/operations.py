"""The table of served operations: name -> handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from loadtest.protocol.names import Operation

from . import account, admin, attributes, devices, domains, groups, mfa, recovery, signup, webauthn
from .auth import initiate_auth
from .challenges import respond_to_auth_challenge
from .context import PoolContext
from .params import Params
from .refresh import get_tokens_from_refresh_token

__all__ = ["HANDLERS", "Handler"]

Handler = Callable[[PoolContext, Params], Awaitable[dict[str, Any]]]

Op = Operation
HANDLERS: dict[Operation, Handler] = {
    Op.CREATE_USER_POOL: admin.create_user_pool,
    Op.DESCRIBE_USER_POOL: admin.describe_user_pool,
    Op.DELETE_USER_POOL: admin.delete_user_pool,
    Op.LIST_USER_POOLS: admin.list_user_pools,
    Op.SET_USER_POOL_MFA_CONFIG: admin.set_user_pool_mfa_config,
    Op.GET_USER_POOL_MFA_CONFIG: admin.get_user_pool_mfa_config,
    Op.CREATE_USER_POOL_CLIENT: admin.create_user_pool_client,
    Op.DESCRIBE_USER_POOL_CLIENT: admin.describe_user_pool_client,
    Op.DELETE_USER_POOL_CLIENT: admin.delete_user_pool_client,
    Op.ADMIN_CREATE_USER: admin.admin_create_user,
    Op.ADMIN_SET_USER_PASSWORD: admin.admin_set_user_password,
    Op.ADMIN_GET_USER: admin.admin_get_user,
    Op.ADMIN_DELETE_USER: admin.admin_delete_user,
    Op.ADMIN_DISABLE_USER: admin.admin_disable_user,
    Op.ADMIN_ENABLE_USER: admin.admin_enable_user,
    Op.LIST_USERS: admin.list_users,
    Op.ADMIN_SET_USER_MFA_PREFERENCE: mfa.admin_set_user_mfa_preference,
    Op.SET_USER_MFA_PREFERENCE: mfa.set_user_mfa_preference,
    Op.ASSOCIATE_SOFTWARE_TOKEN: mfa.associate_software_token,
    Op.VERIFY_SOFTWARE_TOKEN: mfa.verify_software_token,
    Op.INITIATE_AUTH: partial(initiate_auth, admin=False),
    Op.ADMIN_INITIATE_AUTH: partial(initiate_auth, admin=True),
    Op.RESPOND_TO_AUTH_CHALLENGE: partial(respond_to_auth_challenge, admin=False),
    Op.ADMIN_RESPOND_TO_AUTH_CHALLENGE: partial(respond_to_auth_challenge, admin=True),
    Op.CONFIRM_DEVICE: devices.confirm_device,
    Op.UPDATE_DEVICE_STATUS: devices.update_device_status,
    Op.GET_DEVICE: devices.get_device,
    Op.LIST_DEVICES: devices.list_devices,
    Op.FORGET_DEVICE: devices.forget_device,
    Op.ADMIN_LIST_DEVICES: devices.admin_list_devices,
    Op.ADMIN_FORGET_DEVICE: devices.admin_forget_device,
    Op.GET_USER: account.get_user,
    Op.GLOBAL_SIGN_OUT: account.global_sign_out,
    Op.ADMIN_USER_GLOBAL_SIGN_OUT: account.admin_user_global_sign_out,
    Op.GET_TOKENS_FROM_REFRESH_TOKEN: get_tokens_from_refresh_token,
    Op.START_WEB_AUTHN_REGISTRATION: webauthn.start_web_authn_registration,
    Op.COMPLETE_WEB_AUTHN_REGISTRATION: webauthn.complete_web_authn_registration,
    Op.LIST_WEB_AUTHN_CREDENTIALS: webauthn.list_web_authn_credentials,
    Op.DELETE_WEB_AUTHN_CREDENTIAL: webauthn.delete_web_authn_credential,
    Op.CREATE_USER_POOL_DOMAIN: domains.create_user_pool_domain,
    Op.DESCRIBE_USER_POOL_DOMAIN: domains.describe_user_pool_domain,
    Op.DELETE_USER_POOL_DOMAIN: domains.delete_user_pool_domain,
    Op.CREATE_RESOURCE_SERVER: domains.create_resource_server,
    Op.DESCRIBE_RESOURCE_SERVER: domains.describe_resource_server,
    Op.LIST_RESOURCE_SERVERS: domains.list_resource_servers,
    Op.DELETE_RESOURCE_SERVER: domains.delete_resource_server,
    Op.REVOKE_TOKEN: account.revoke_token,
    # the account journey (issue 19)
    Op.UPDATE_USER_POOL: admin.update_user_pool,
    Op.ADD_CUSTOM_ATTRIBUTES: attributes.add_custom_attributes,
    Op.UPDATE_USER_POOL_CLIENT: admin.update_user_pool_client,
    Op.LIST_USER_POOL_CLIENTS: admin.list_user_pool_clients,
    Op.SIGN_UP: signup.sign_up,
    Op.CONFIRM_SIGN_UP: signup.confirm_sign_up,
    Op.RESEND_CONFIRMATION_CODE: signup.resend_confirmation_code,
    Op.ADMIN_CONFIRM_SIGN_UP: signup.admin_confirm_sign_up,
    Op.FORGOT_PASSWORD: recovery.forgot_password,
    Op.CONFIRM_FORGOT_PASSWORD: recovery.confirm_forgot_password,
    Op.ADMIN_RESET_USER_PASSWORD: recovery.admin_reset_user_password,
    Op.CHANGE_PASSWORD: recovery.change_password,
    Op.UPDATE_USER_ATTRIBUTES: attributes.update_user_attributes,
    Op.ADMIN_UPDATE_USER_ATTRIBUTES: attributes.admin_update_user_attributes,
    Op.DELETE_USER_ATTRIBUTES: attributes.delete_user_attributes,
    Op.ADMIN_DELETE_USER_ATTRIBUTES: attributes.admin_delete_user_attributes,
    Op.GET_USER_ATTRIBUTE_VERIFICATION_CODE: attributes.get_user_attribute_verification_code,
    Op.VERIFY_USER_ATTRIBUTE: attributes.verify_user_attribute,
    Op.DELETE_USER: attributes.delete_user,
    Op.CREATE_GROUP: groups.create_group,
    Op.GET_GROUP: groups.get_group,
    Op.LIST_GROUPS: groups.list_groups,
    Op.UPDATE_GROUP: groups.update_group,
    Op.DELETE_GROUP: groups.delete_group,
    Op.ADMIN_ADD_USER_TO_GROUP: groups.admin_add_user_to_group,
    Op.ADMIN_REMOVE_USER_FROM_GROUP: groups.admin_remove_user_from_group,
    Op.ADMIN_LIST_GROUPS_FOR_USER: groups.admin_list_groups_for_user,
    Op.LIST_USERS_IN_GROUP: groups.list_users_in_group,
    Op.ADMIN_GET_DEVICE: devices.admin_get_device,
    Op.ADMIN_UPDATE_DEVICE_STATUS: devices.admin_update_device_status,
}
