"""Locustfile: SRP + TOTP MFA logins (login:srp_totp); identities need a TOTP secret.

    locust -f scenarios/srp_totp.py --headless -u 10 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Target settings also come from COGNITO_* environment variables or locust.conf.
"""

from loadtest.locust.logins import SrpTotpUser

__all__ = ["SrpTotpUser"]
