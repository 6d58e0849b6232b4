"""Locustfile: machine-to-machine tokens from /oauth2/token (client credentials), uncached and
cached side by side, to show what caching does to ClientAuthentication (150/s, not adjustable).

    COGNITO_DOMAIN_URL=http://127.0.0.1:8000/domain/lt-demo COGNITO_M2M_CLIENT_ID=... \
    COGNITO_M2M_CLIENT_SECRET=... locust -f scenarios/client_credentials.py --headless \
        -u 4 -r 4 -t 30s --host http://127.0.0.1:8000
"""

from loadtest.locust.hosted import CachedClientCredentialsUser, ClientCredentialsUser

__all__ = ["CachedClientCredentialsUser", "ClientCredentialsUser"]
