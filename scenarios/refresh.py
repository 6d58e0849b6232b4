"""Locustfile: one SRP login per user, then REFRESH_TOKEN_AUTH (refresh).

    locust -f scenarios/refresh.py --headless -u 10 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Target settings also come from COGNITO_* environment variables or locust.conf.
"""

from loadtest.locust.logins import RefreshUser

__all__ = ["RefreshUser"]
