"""Locustfile: SRP + SMS_MFA logins (login:sms_mfa); identities need a phone number and SMS MFA
on (``cognito-loadtest provision --sms-mfa --no-totp``). For identities with TOTP as well,
whose sign-in asks SELECT_MFA_TYPE (``provision --sms-mfa``), import ``SelectMfaUser`` from
``loadtest.locust.logins`` instead (login:select_mfa).

    locust -f scenarios/sms_mfa.py --headless -u 10 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Codes are read from the local pool's message sink. Against a real pool, SMS costs money: set
``code_source`` to a callable that returns the code Cognito sent (``CodeRequest -> str``, e.g.
reading your custom SMS sender's store), and confirm the messages with
``--cognito-confirm-messages N``, without which every SMS login is refused.
"""

from loadtest.locust.logins import SmsMfaUser

__all__ = ["SmsMfaUser"]
