"""Locustfile: password changes (login:change_password): a login, then ChangePassword.

    locust -f scenarios/change_password.py --headless -u 5 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

The new password is kept on the identity for its next run within this process only.
ChangePassword counts under UserAccountRecovery (30 requests/s, not adjustable).
"""

from loadtest.locust.logins import ChangePasswordUser

__all__ = ["ChangePasswordUser"]
