"""Locustfile: the admin path, ADMIN_USER_PASSWORD_AUTH + SOFTWARE_TOKEN_MFA (login:admin).

    locust -f scenarios/admin.py --headless -u 10 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Target settings also come from COGNITO_* environment variables or locust.conf.
"""

from loadtest.locust.logins import AdminUser

__all__ = ["AdminUser"]
