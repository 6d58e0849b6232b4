"""An example custom-authentication challenge, written exactly as AWS Lambda handlers are.

Deploy each function as its own Lambda (DefineAuthChallenge, CreateAuthChallenge,
VerifyAuthChallengeResponse) or run all three in the local pool unchanged::

    cognito-loadtest pool serve \\
        --trigger define_auth_challenge=scenarios.triggers.captcha:define_auth_challenge \\
        --trigger create_auth_challenge=scenarios.triggers.captcha:create_auth_challenge \\
        --trigger verify_auth_challenge_response=\
scenarios.triggers.captcha:verify_auth_challenge_response

The challenge is a sum ("What is 3 + 4?"), standing in for a captcha or an own one-time code.
A sign-in passes after ROUNDS right answers and fails after MAX_WRONG wrong ones. With SRP first
(``CHALLENGE_NAME=SRP_A``) the password is verified before the first sum. Answer it from a
locustfile with :func:`solve`.
"""

import secrets

ROUNDS = 2
MAX_WRONG = 3


def define_auth_challenge(event, context):
    """Decide the next step from the rounds so far (event["request"]["session"])."""
    session = event["request"]["session"]
    response = event["response"]
    custom = [r for r in session if r["challengeName"] == "CUSTOM_CHALLENGE"]
    right = sum(1 for r in custom if r["challengeResult"])
    wrong = len(custom) - right
    response["issueTokens"] = False
    response["failAuthentication"] = False
    if session and session[-1]["challengeName"] in ("SRP_A", "PASSWORD_VERIFIER"):
        if not session[-1]["challengeResult"]:
            response["failAuthentication"] = True
        elif session[-1]["challengeName"] == "SRP_A":
            response["challengeName"] = "PASSWORD_VERIFIER"
        else:
            response["challengeName"] = "CUSTOM_CHALLENGE"
    elif wrong >= MAX_WRONG:
        response["failAuthentication"] = True
    elif right >= ROUNDS:
        response["issueTokens"] = True
    else:
        response["challengeName"] = "CUSTOM_CHALLENGE"
    return event


def create_auth_challenge(event, context):
    """A new sum each round; the expected answer stays private."""
    a, b = secrets.randbelow(90) + 10, secrets.randbelow(90) + 10
    event["response"]["publicChallengeParameters"] = {"question": f"What is {a} + {b}?"}
    event["response"]["privateChallengeParameters"] = {"answer": str(a + b)}
    event["response"]["challengeMetadata"] = f"CAPTCHA-{len(event['request']['session'])}"
    return event


def verify_auth_challenge_response(event, context):
    """Right when the answer is the sum."""
    expected = event["request"]["privateChallengeParameters"]["answer"]
    event["response"]["answerCorrect"] = event["request"]["challengeAnswer"].strip() == expected
    return event


def solve(parameters):
    """The client side: answer a challenge's public parameters ("What is 3 + 4?" -> "7")."""
    words = parameters["question"].rstrip("?").split()
    return str(int(words[-3]) + int(words[-1]))
