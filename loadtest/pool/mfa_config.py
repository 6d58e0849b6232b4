"""SetUserPoolMfaConfig's EmailMfaConfiguration: what a pool must have before e-mail MFA.

Cognito (cognito-facts §15; API reference EmailMfaConfigType, the Developer Guide's e-mail MFA
page) asks three things of a pool that turns e-mail MFA on, and the local pool asks the same,
so a setup script that works here works on a real pool:

- MFA is not OFF: ``Invalid MFA configuration given, can't turn off MFA and configure an MFA
  together.`` (measured, go-to-k/cdkd #1923);
- the pool is in the Essentials tier or above (``UserPoolTier`` not LITE);
- the pool sends e-mail through Amazon SES: ``EmailConfiguration.EmailSendingAccount`` is
  ``DEVELOPER`` (with the SES identity's ``SourceArn``). The local pool never calls SES: the
  setting is checked and kept, and every code goes to the message sink instead.

The texts of the last two refusals are **guesses** (no capture found). ``Message`` must hold the
``{####}`` placeholder and be 6 to 20,000 characters; ``Subject`` must not be empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loadtest.protocol.errors import InvalidParameter

from .records import MfaMode, Pool

__all__ = ["MFA_OFF_WITH_FACTOR", "NEEDS_DEVELOPER_EMAIL", "NEEDS_ESSENTIALS", "email_mfa_config"]

MFA_OFF_WITH_FACTOR = (
    "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
)
NEEDS_ESSENTIALS = "Email MFA is available only in the Essentials and Plus feature plans."
NEEDS_DEVELOPER_EMAIL = (
    "Email MFA requires the user pool to send email with Amazon SES: set "
    "EmailConfiguration.EmailSendingAccount to DEVELOPER."
)


def email_mfa_config(
    pool: Pool, given: Mapping[str, Any], raw: Mapping[str, Any]
) -> dict[str, Any]:
    """The EmailMfaConfiguration to keep, or InvalidParameterException (``raw``: the pool's
    settings with this request's MfaConfiguration applied)."""
    if raw.get("MfaConfiguration", "OFF") == MfaMode.OFF:
        raise InvalidParameter(MFA_OFF_WITH_FACTOR)
    if pool.tier == "LITE":
        raise InvalidParameter(NEEDS_ESSENTIALS)
    if not pool.developer_email:
        raise InvalidParameter(NEEDS_DEVELOPER_EMAIL)
    config: dict[str, Any] = {}
    message = given.get("Message")
    if message is not None:
        if not isinstance(message, str) or "{####}" not in message:
            raise InvalidParameter("EmailMfaConfiguration.Message must contain {####}")
        if not 6 <= len(message) <= 20000:
            raise InvalidParameter("EmailMfaConfiguration.Message must be 6 to 20000 characters")
        config["Message"] = message
    subject = given.get("Subject")
    if subject is not None:
        if not isinstance(subject, str) or not subject.strip():
            raise InvalidParameter("EmailMfaConfiguration.Subject must not be empty")
        config["Subject"] = subject
    return config
