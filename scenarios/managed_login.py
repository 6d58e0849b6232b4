"""Locustfile: sign-ins through managed login (the hosted UI) with TOTP, as a browser makes them.

    COGNITO_DOMAIN_URL=http://127.0.0.1:8000/domain/lt-demo COGNITO_OAUTH_CLIENT_ID=... \
    COGNITO_OAUTH_IDENTITIES=ids.jsonl locust -f scenarios/managed_login.py --headless \
        -u 5 -r 5 -t 30s --host http://127.0.0.1:8000

Each step is a request named by it (GET /oauth2/authorize, GET /login, POST /login, POST /mfa,
POST /oauth2/token:authorization_code); each sign-in is one ``login:managed_login`` event.
Every POST of a sign-in step is one UserAuthentication request (docs/managed-login.md).
Identities need a TOTP secret; managed_login_password.py signs in those with no second factor.
"""

from loadtest.locust.hosted import ManagedLoginUser

__all__ = ["ManagedLoginUser"]
