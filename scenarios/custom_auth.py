"""Locustfile: CUSTOM_AUTH logins (login:custom_auth): SRP first, then the custom challenge's
rounds, each request named RespondToAuthChallenge:CUSTOM_CHALLENGE.

The example challenge is scenarios/triggers/captcha.py, three Lambda handlers the local pool
runs unchanged::

    cognito-loadtest pool serve \\
        --trigger define_auth_challenge=loadtest.scenarios.triggers.captcha:define_auth_challenge \\
        --trigger create_auth_challenge=loadtest.scenarios.triggers.captcha:create_auth_challenge \\
        --trigger verify_auth_challenge_response=\\
loadtest.scenarios.triggers.captcha:verify_auth_challenge_response
    locust -f scenarios/custom_auth.py --headless -u 10 -r 5 -t 30s --cognito-identities ids.jsonl

For your own challenge, set ``custom_answers`` to a function from the challenge's public
parameters (USERNAME included) to the ANSWER.
"""

from loadtest.scenarios.triggers import captcha

from loadtest.locust import logins


class CaptchaUser(logins.CustomAuthUser):
    """Answers the captcha trigger's sums."""

    custom_answers = staticmethod(captcha.solve)


__all__ = ["CaptchaUser"]
