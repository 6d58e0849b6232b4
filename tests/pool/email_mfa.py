"""Shared set-up for the e-mail MFA tests: a pool that sends e-mail "through SES" (the local
pool checks the setting and keeps every code in its message sink) with e-mail MFA on."""

from __future__ import annotations

from typing import Any

from tests.conftest import App, PoolServer

#: EmailConfiguration with Amazon SES, which e-mail MFA requires (docs/challenges.md).
SES = {
    "EmailSendingAccount": "DEVELOPER",
    "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/no-reply@example.com",
    "From": "no-reply@example.com",
}
EMAIL_MFA = {"Message": "Your sign-in code is {####}", "Subject": "Your code"}


def email_app(server: PoolServer, mfa: str = "OPTIONAL", *, sms: bool = False) -> tuple[Any, App]:
    """A pool with SES e-mail, TOTP and e-mail MFA (and SMS MFA if asked), and its client."""
    idp = server.client()
    pool_id = idp.create_user_pool(PoolName="email-mfa", EmailConfiguration=SES)["UserPool"]["Id"]
    extra: dict[str, Any] = {}
    if sms:
        extra["SmsMfaConfiguration"] = {"SmsAuthenticationMessage": "Your code is {####}"}
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration=EMAIL_MFA,
        MfaConfiguration=mfa,
        **extra,
    )
    return idp, server.add_client(pool_id)


def email_user(
    server: PoolServer, idp: Any, app: App, name: str, *, preferred: bool = True, **attributes: str
) -> str:
    """A user with an (unverified) address on example.com and e-mail MFA on; the address."""
    address = f"{name}@example.com"
    server.add_user(app, name, attributes={"email": address, **attributes})
    idp.admin_set_user_mfa_preference(
        UserPoolId=app.pool_id,
        Username=name,
        EmailMfaSettings={"Enabled": True, "PreferredMfa": preferred},
    )
    return address


def last_message(server: PoolServer, app: App, name: str) -> dict[str, Any]:
    """The newest message the pool sent ``name``."""
    messages = server.get_json(f"/_pool/messages?username={name}&pool_id={app.pool_id}")
    message: dict[str, Any] = messages["messages"][-1]
    return message


def other_code(code: str) -> str:
    """A code of the same length that is not ``code``."""
    return "0" * len(code) if code != "0" * len(code) else "1" * len(code)
