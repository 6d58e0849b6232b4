"""Names on the wire: operations, auth flows, challenges, and the JSON 1.1 constants."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CONTENT_TYPE",
    "PUBLIC_OPERATIONS",
    "TARGET_PREFIX",
    "AuthFlow",
    "Challenge",
    "Endpoint",
    "GrantType",
    "Operation",
]

TARGET_PREFIX = "AWSCognitoIdentityProviderService"
CONTENT_TYPE = "application/x-amz-json-1.1"


class Operation(StrEnum):
    """Cognito user-pool API operations this project sends or serves."""

    CREATE_USER_POOL = "CreateUserPool"
    DESCRIBE_USER_POOL = "DescribeUserPool"
    DELETE_USER_POOL = "DeleteUserPool"
    LIST_USER_POOLS = "ListUserPools"
    UPDATE_USER_POOL = "UpdateUserPool"
    ADD_CUSTOM_ATTRIBUTES = "AddCustomAttributes"
    SET_USER_POOL_MFA_CONFIG = "SetUserPoolMfaConfig"
    GET_USER_POOL_MFA_CONFIG = "GetUserPoolMfaConfig"
    CREATE_USER_POOL_CLIENT = "CreateUserPoolClient"
    DESCRIBE_USER_POOL_CLIENT = "DescribeUserPoolClient"
    DELETE_USER_POOL_CLIENT = "DeleteUserPoolClient"
    ADMIN_CREATE_USER = "AdminCreateUser"
    ADMIN_SET_USER_PASSWORD = "AdminSetUserPassword"
    ADMIN_GET_USER = "AdminGetUser"
    ADMIN_DELETE_USER = "AdminDeleteUser"
    ADMIN_DISABLE_USER = "AdminDisableUser"
    ADMIN_ENABLE_USER = "AdminEnableUser"
    LIST_USERS = "ListUsers"
    ADMIN_SET_USER_MFA_PREFERENCE = "AdminSetUserMFAPreference"
    SET_USER_MFA_PREFERENCE = "SetUserMFAPreference"
    ASSOCIATE_SOFTWARE_TOKEN = "AssociateSoftwareToken"
    VERIFY_SOFTWARE_TOKEN = "VerifySoftwareToken"
    INITIATE_AUTH = "InitiateAuth"
    ADMIN_INITIATE_AUTH = "AdminInitiateAuth"
    RESPOND_TO_AUTH_CHALLENGE = "RespondToAuthChallenge"
    ADMIN_RESPOND_TO_AUTH_CHALLENGE = "AdminRespondToAuthChallenge"
    CONFIRM_DEVICE = "ConfirmDevice"
    UPDATE_DEVICE_STATUS = "UpdateDeviceStatus"
    GET_DEVICE = "GetDevice"
    LIST_DEVICES = "ListDevices"
    FORGET_DEVICE = "ForgetDevice"
    ADMIN_LIST_DEVICES = "AdminListDevices"
    ADMIN_FORGET_DEVICE = "AdminForgetDevice"
    GET_USER = "GetUser"
    GLOBAL_SIGN_OUT = "GlobalSignOut"
    ADMIN_USER_GLOBAL_SIGN_OUT = "AdminUserGlobalSignOut"
    GET_TOKENS_FROM_REFRESH_TOKEN = "GetTokensFromRefreshToken"
    START_WEB_AUTHN_REGISTRATION = "StartWebAuthnRegistration"
    COMPLETE_WEB_AUTHN_REGISTRATION = "CompleteWebAuthnRegistration"
    LIST_WEB_AUTHN_CREDENTIALS = "ListWebAuthnCredentials"
    DELETE_WEB_AUTHN_CREDENTIAL = "DeleteWebAuthnCredential"
    CREATE_USER_POOL_DOMAIN = "CreateUserPoolDomain"
    DESCRIBE_USER_POOL_DOMAIN = "DescribeUserPoolDomain"
    DELETE_USER_POOL_DOMAIN = "DeleteUserPoolDomain"
    CREATE_RESOURCE_SERVER = "CreateResourceServer"
    DESCRIBE_RESOURCE_SERVER = "DescribeResourceServer"
    LIST_RESOURCE_SERVERS = "ListResourceServers"
    DELETE_RESOURCE_SERVER = "DeleteResourceServer"
    # the account journey (issue 19)
    UPDATE_USER_POOL_CLIENT = "UpdateUserPoolClient"
    LIST_USER_POOL_CLIENTS = "ListUserPoolClients"
    SIGN_UP = "SignUp"
    CONFIRM_SIGN_UP = "ConfirmSignUp"
    RESEND_CONFIRMATION_CODE = "ResendConfirmationCode"
    ADMIN_CONFIRM_SIGN_UP = "AdminConfirmSignUp"
    FORGOT_PASSWORD = "ForgotPassword"
    CONFIRM_FORGOT_PASSWORD = "ConfirmForgotPassword"
    ADMIN_RESET_USER_PASSWORD = "AdminResetUserPassword"
    CHANGE_PASSWORD = "ChangePassword"
    UPDATE_USER_ATTRIBUTES = "UpdateUserAttributes"
    ADMIN_UPDATE_USER_ATTRIBUTES = "AdminUpdateUserAttributes"
    DELETE_USER_ATTRIBUTES = "DeleteUserAttributes"
    ADMIN_DELETE_USER_ATTRIBUTES = "AdminDeleteUserAttributes"
    GET_USER_ATTRIBUTE_VERIFICATION_CODE = "GetUserAttributeVerificationCode"
    VERIFY_USER_ATTRIBUTE = "VerifyUserAttribute"
    DELETE_USER = "DeleteUser"
    REVOKE_TOKEN = "RevokeToken"
    CREATE_GROUP = "CreateGroup"
    GET_GROUP = "GetGroup"
    LIST_GROUPS = "ListGroups"
    UPDATE_GROUP = "UpdateGroup"
    DELETE_GROUP = "DeleteGroup"
    ADMIN_ADD_USER_TO_GROUP = "AdminAddUserToGroup"
    ADMIN_REMOVE_USER_FROM_GROUP = "AdminRemoveUserFromGroup"
    ADMIN_LIST_GROUPS_FOR_USER = "AdminListGroupsForUser"
    LIST_USERS_IN_GROUP = "ListUsersInGroup"
    ADMIN_GET_DEVICE = "AdminGetDevice"
    ADMIN_UPDATE_DEVICE_STATUS = "AdminUpdateDeviceStatus"


class Endpoint(StrEnum):
    """The HTTP endpoints of a user-pool domain (managed login and OAuth 2.0), by path.

    Calls to them are not JSON operations: a quota or a report keys them by endpoint and a
    detail (the grant type of ``oauth2/token``), as operations are keyed by challenge.
    """

    AUTHORIZE = "oauth2/authorize"
    LOGIN = "login"
    MFA = "mfa"
    #: TOTP enrolment and the new-password page after the password (paths are guesses:
    #: docs/managed-login.md).
    MFA_SETUP = "mfa_setup"
    NEW_PASSWORD = "forceChangePassword"
    TOKEN = "oauth2/token"
    USER_INFO = "oauth2/userInfo"
    REVOKE = "oauth2/revoke"
    LOGOUT = "logout"


class GrantType(StrEnum):
    """``grant_type`` values of ``/oauth2/token`` (cognito-facts §17.4)."""

    AUTHORIZATION_CODE = "authorization_code"
    REFRESH_TOKEN = "refresh_token"
    CLIENT_CREDENTIALS = "client_credentials"


#: Operations the service models with ``authtype: none``: unsigned, authorised by token/session.
PUBLIC_OPERATIONS = frozenset(
    {
        Operation.INITIATE_AUTH,
        Operation.RESPOND_TO_AUTH_CHALLENGE,
        Operation.ASSOCIATE_SOFTWARE_TOKEN,
        Operation.VERIFY_SOFTWARE_TOKEN,
        Operation.SET_USER_MFA_PREFERENCE,
        Operation.CONFIRM_DEVICE,
        Operation.UPDATE_DEVICE_STATUS,
        Operation.GET_DEVICE,
        Operation.LIST_DEVICES,
        Operation.FORGET_DEVICE,
        Operation.GET_USER,
        Operation.GLOBAL_SIGN_OUT,
        Operation.GET_TOKENS_FROM_REFRESH_TOKEN,
        Operation.START_WEB_AUTHN_REGISTRATION,
        Operation.COMPLETE_WEB_AUTHN_REGISTRATION,
        Operation.LIST_WEB_AUTHN_CREDENTIALS,
        Operation.DELETE_WEB_AUTHN_CREDENTIAL,
        Operation.SIGN_UP,
        Operation.CONFIRM_SIGN_UP,
        Operation.RESEND_CONFIRMATION_CODE,
        Operation.FORGOT_PASSWORD,
        Operation.CONFIRM_FORGOT_PASSWORD,
        Operation.CHANGE_PASSWORD,
        Operation.UPDATE_USER_ATTRIBUTES,
        Operation.DELETE_USER_ATTRIBUTES,
        Operation.GET_USER_ATTRIBUTE_VERIFICATION_CODE,
        Operation.VERIFY_USER_ATTRIBUTE,
        Operation.DELETE_USER,
        Operation.REVOKE_TOKEN,
    }
)


class AuthFlow(StrEnum):
    """``AuthFlow`` values of InitiateAuth / AdminInitiateAuth."""

    USER_SRP_AUTH = "USER_SRP_AUTH"
    USER_PASSWORD_AUTH = "USER_PASSWORD_AUTH"
    ADMIN_USER_PASSWORD_AUTH = "ADMIN_USER_PASSWORD_AUTH"
    #: The legacy name of ADMIN_USER_PASSWORD_AUTH, still accepted (cognito-facts §15).
    ADMIN_NO_SRP_AUTH = "ADMIN_NO_SRP_AUTH"
    REFRESH_TOKEN_AUTH = "REFRESH_TOKEN_AUTH"
    REFRESH_TOKEN = "REFRESH_TOKEN"
    CUSTOM_AUTH = "CUSTOM_AUTH"
    USER_AUTH = "USER_AUTH"


class Challenge(StrEnum):
    """``ChallengeName`` values."""

    PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
    SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
    SMS_MFA = "SMS_MFA"
    SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
    MFA_SETUP = "MFA_SETUP"
    NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"
    DEVICE_SRP_AUTH = "DEVICE_SRP_AUTH"
    DEVICE_PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"
    CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
    SELECT_CHALLENGE = "SELECT_CHALLENGE"
    PASSWORD = "PASSWORD"
    PASSWORD_SRP = "PASSWORD_SRP"
    EMAIL_OTP = "EMAIL_OTP"
    SMS_OTP = "SMS_OTP"
    WEB_AUTHN = "WEB_AUTHN"
