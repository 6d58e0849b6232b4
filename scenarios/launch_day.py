"""Locustfile: launch day: sign-ups, first sign-ins, recoveries and returning sign-ins.

    locust -f scenarios/launch_day.py --headless -u 20 -r 10 -t 60s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Each sign-up ends with the new user's first sign-in. The first quota to throttle in such a mix
is rarely UserAuthentication: ``cognito-loadtest quota --mix launch_day --rate R`` names it
(UserCreation at 50 requests/s by default), and ``capacity --mix`` with the weights below finds
it on a pool. Identities need a verified e-mail for recoveries; see forgot_password.py.
"""

from loadtest.locust import logins


class SignupUser(logins.SignupUser):
    weight = 30


class ForgotPasswordUser(logins.ForgotPasswordUser):
    weight = 10


class ProfileUpdateUser(logins.ProfileUpdateUser):
    weight = 5


class SrpUser(logins.SrpUser):
    weight = 55
