"""Locustfile: sign-ins through managed login (the hosted UI) with no second factor.

    COGNITO_DOMAIN_URL=http://127.0.0.1:8000/domain/lt-demo COGNITO_OAUTH_CLIENT_ID=... \
    COGNITO_OAUTH_IDENTITIES=ids.jsonl locust -f scenarios/managed_login_password.py \
        --headless -u 5 -r 5 -t 30s --host http://127.0.0.1:8000

Each step is a request named by it (GET /oauth2/authorize, GET /login, POST /login,
POST /oauth2/token:authorization_code); each sign-in is one ``login:managed_login_password``
event. An identity with a temporary password (AdminCreateUser's) sets a generated one on the
new-password page (POST /forceChangePassword) at its first sign-in and keeps it; a TOTP
identity is signed in as managed_login.py does (POST /mfa), under the same event.
"""

from loadtest.locust.hosted import ManagedLoginPasswordUser

__all__ = ["ManagedLoginPasswordUser"]
