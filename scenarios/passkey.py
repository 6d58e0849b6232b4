"""Locustfile: passkey sign-in (USER_AUTH, PREFERRED_CHALLENGE=WEB_AUTHN).

    cognito-loadtest provision -n 50 --identities ids.jsonl --no-totp --no-device --passkeys \
        --pool-id us-east-1_AbC --client-id 1example
    locust -f scenarios/passkey.py --headless -u 20 -r 5 -t 60s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Each identity's passkey (a software authenticator's P-256 key, made by ``provision
--passkeys``) answers the WEB_AUTHN challenge: one signature on the client, no SRP maths.
Requests are named InitiateAuth:USER_AUTH and RespondToAuthChallenge:WEB_AUTHN.
"""

from loadtest.locust.logins import UserAuthPasskeyUser

__all__ = ["UserAuthPasskeyUser"]
