"""Locustfile: password recovery (login:forgot_password): ForgotPassword, the e-mailed code,
ConfirmForgotPassword with a fresh password, then a login with it.

    locust -f scenarios/forgot_password.py --headless -u 5 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Identities need a verified e-mail (provision with one) and no TOTP. The new password is kept on
the identity for its next run within this process only. Counts under UserAccountRecovery
(30 requests/s, not adjustable).
"""

from loadtest.locust.logins import ForgotPasswordUser

__all__ = ["ForgotPasswordUser"]
