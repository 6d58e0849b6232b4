"""Concrete Locust users, one per login flow. A locustfile imports the ones it runs.

=====================  ==================  =================================================
user                   login event         flow
=====================  ==================  =================================================
SrpUser                login:srp           USER_SRP_AUTH (+ whatever challenge follows)
SrpTotpUser            login:srp_totp      USER_SRP_AUTH + SOFTWARE_TOKEN_MFA
DeviceUser             login:device        remembered device: DEVICE_SRP_AUTH skips MFA
AdminUser              login:admin         ADMIN_USER_PASSWORD_AUTH (+ SOFTWARE_TOKEN_MFA)
LostPhoneUser          login:lost_phone    admin MFA reset, re-enrollment, TOTP login
RefreshUser            refresh             REFRESH_TOKEN_AUTH (after one SRP login)
=====================  ==================  =================================================
"""

from __future__ import annotations

from typing import Any

from locust import task

from loadtest.flows import (
    Identity,
    LoginOptions,
    LoginResult,
    admin_login,
    lost_phone,
    refresh_after,
    srp_login,
)

from .base import CognitoUser

__all__ = [
    "AdminUser",
    "DeviceUser",
    "LostPhoneUser",
    "RefreshUser",
    "SrpTotpUser",
    "SrpUser",
]

NO_DEVICE = LoginOptions(use_device=False)
REMEMBER_DEVICE = LoginOptions(use_device=True, remember_device=True)


class SrpUser(CognitoUser):
    """USER_SRP_AUTH logins, answering whatever challenge follows."""

    @task
    def srp(self) -> None:
        ctx = self.runtime.context
        self.login("login:srp", lambda identity: srp_login(identity, ctx, NO_DEVICE))


class SrpTotpUser(CognitoUser):
    """SRP + TOTP logins, never sending a TOTP code twice."""

    needs_totp = True

    @task
    def srp_totp(self) -> None:
        ctx = self.runtime.context
        self.login("login:srp_totp", lambda identity: srp_login(identity, ctx, NO_DEVICE))


class DeviceUser(CognitoUser):
    """Remembered-device logins: the first registers the device, later ones skip MFA."""

    def sends_totp(self, identity: Identity) -> bool:
        return identity.totp_secret is not None and identity.device is None

    @task
    def device(self) -> None:
        ctx = self.runtime.context
        self.login("login:device", lambda identity: srp_login(identity, ctx, REMEMBER_DEVICE))


class AdminUser(CognitoUser):
    """The admin path: AdminInitiateAuth + AdminRespondToAuthChallenge."""

    @task
    def admin(self) -> None:
        ctx = self.runtime.context
        self.login("login:admin", lambda identity: admin_login(identity, ctx, NO_DEVICE))


class LostPhoneUser(CognitoUser):
    """An administrator resets MFA; the user enrolls a new authenticator and signs in."""

    @task
    def lost_phone(self) -> None:
        ctx = self.runtime.context
        self.login("login:lost_phone", lambda identity: lost_phone(identity, ctx))


class RefreshUser(CognitoUser):
    """One SRP login per user, then REFRESH_TOKEN_AUTH (with the device key if any)."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.session: LoginResult | None = None

    @task
    def refresh(self) -> None:
        ctx = self.runtime.context
        if self.session is None or self.session.tokens.refresh_token is None:
            self.session = self.login(
                "login:srp", lambda identity: srp_login(identity, ctx, NO_DEVICE)
            )
            return
        self.run_flow("refresh", refresh_after(ctx, self.session))
