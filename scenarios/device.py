"""Locustfile: remembered-device logins (login:device): the first registers, later ones skip MFA.

    locust -f scenarios/device.py --headless -u 10 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Target settings also come from COGNITO_* environment variables or locust.conf.
"""

from loadtest.locust.logins import DeviceUser

__all__ = ["DeviceUser"]
