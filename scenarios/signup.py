"""Locustfile: sign-ups (login:signup): SignUp, the e-mailed code, ConfirmSignUp, first login.

    locust -f scenarios/signup.py --headless -u 5 -r 5 -t 30s \
        --cognito-pool-id us-east-1_AbC --cognito-client-id 1example --cognito-identities ids.jsonl

Each run creates a new user ``lt-signup-<hex>`` (remove them with ``cognito-loadtest teardown
--prefix lt-signup-``). Against the local pool the codes come from its message sink; a pool
that is not local would really send one e-mail per sign-up, so there is no code source for it
here. The pool must auto-verify e-mail (AutoVerifiedAttributes). Counts under UserCreation.
"""

from loadtest.locust.logins import SignupUser

__all__ = ["SignupUser"]
