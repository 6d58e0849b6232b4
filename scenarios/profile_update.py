"""Locustfile: profile edits (login:profile_update): a login, then UpdateUserAttributes of
``name`` (an attribute that needs no verification code).

    locust -f scenarios/profile_update.py --headless -u 5 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

UpdateUserAttributes counts under UserUpdate (25 requests/s, not adjustable).
"""

from loadtest.locust.logins import ProfileUpdateUser

__all__ = ["ProfileUpdateUser"]
