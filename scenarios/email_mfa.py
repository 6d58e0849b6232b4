"""Locustfile: SRP + e-mail MFA logins (login:email_mfa): after the password Cognito e-mails a
code and asks EMAIL_OTP, answered with EMAIL_OTP_CODE; each request is named by challenge
(RespondToAuthChallenge:EMAIL_OTP). Identities need an e-mail address and e-mail MFA on, no
TOTP (``cognito-loadtest provision --email-mfa --no-totp``); the pool needs e-mail MFA
(SetUserPoolMfaConfig EmailMfaConfiguration), which Cognito allows only for pools that send
e-mail through Amazon SES (EmailConfiguration EmailSendingAccount DEVELOPER).

    locust -f scenarios/email_mfa.py --headless -u 10 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Codes are read from the local pool's message sink. Against a real pool each login sends a real
e-mail through your SES account (its sending quota and reputation apply): set ``code_source``
to a callable that returns the code Cognito sent (``CodeRequest -> str``, e.g. reading a test
inbox), and confirm the messages with ``--cognito-confirm-messages N``, without which every
e-mail login is refused.
"""

from loadtest.locust.logins import EmailMfaUser

__all__ = ["EmailMfaUser"]
