"""Locustfile: one SRP login per user, then GetTokensFromRefreshToken under rotation.

    locust -f scenarios/refresh_rotation.py --headless -u 10 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

The app client must have RefreshTokenRotation ENABLED: every exchange hands out a new refresh
token, which the user exchanges next (the old one is refused after the grace period).
"""

from loadtest.locust.logins import RefreshRotationUser

__all__ = ["RefreshRotationUser"]
