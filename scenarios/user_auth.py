"""Locustfile: choice-based sign-in (USER_AUTH), a weighted mix of the first factors.

    cognito-loadtest provision -n 50 --identities ids.jsonl --no-totp --no-device \
        --passkeys --emails --phones --pool-id us-east-1_AbC --client-id 1example
    locust -f scenarios/user_auth.py --headless -u 20 -r 5 -t 60s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

The pool must allow every first factor (AllowedFirstAuthFactors), name a WebAuthn relying
party, and the app client allow ALLOW_USER_AUTH. Against a real pool each EMAIL_OTP and SMS_OTP
sign-in sends a real message (to reserved addresses and fictional numbers, but it counts
against your sending quotas); codes are read from the message sink of the local pool only.
Edit the weights to match your traffic.
"""

from loadtest.locust import logins


class UserAuthPasswordUser(logins.UserAuthPasswordUser):
    weight = 3


class UserAuthSrpUser(logins.UserAuthSrpUser):
    weight = 3


class UserAuthEmailUser(logins.UserAuthEmailUser):
    weight = 2


class UserAuthSmsUser(logins.UserAuthSmsUser):
    weight = 1


class UserAuthPasskeyUser(logins.UserAuthPasskeyUser):
    weight = 4


class UserAuthSelectUser(logins.UserAuthSelectUser):
    weight = 1
