"""Locustfile: a weighted mix of every login flow, as a production-like population.

    locust -f scenarios/mix.py --headless -u 50 -r 10 -t 60s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Edit the weights to match your traffic. LostPhoneUser is rare and uses admin calls (SigV4).
"""

from loadtest.locust import logins


class SrpUser(logins.SrpUser):
    weight = 20


class SrpTotpUser(logins.SrpTotpUser):
    weight = 40


class DeviceUser(logins.DeviceUser):
    weight = 25


class RefreshUser(logins.RefreshUser):
    weight = 10


class AdminUser(logins.AdminUser):
    weight = 4


class LostPhoneUser(logins.LostPhoneUser):
    weight = 1
