"""Test triggers written as Lambda handlers: ones that fail, as Cognito reports failures."""


def define_raises(event, context):
    raise RuntimeError("User does not exist")


def create_returns_garbage(event, context):
    return "not an event"


def define_echo_metadata(event, context):
    """Issue tokens only when clientMetadata says so (it arrives from RespondToAuthChallenge)."""
    request = event["request"]
    metadata = request.get("clientMetadata") or {}
    if request["session"] and metadata.get("finish") == "yes":
        event["response"]["issueTokens"] = True
    elif len(request["session"]) >= 2:
        event["response"]["failAuthentication"] = True
    else:
        event["response"]["challengeName"] = "CUSTOM_CHALLENGE"
    event["response"].setdefault("issueTokens", False)
    event["response"].setdefault("failAuthentication", False)
    assert context.get_remaining_time_in_millis() > 0
    return event


def create_names_its_function(event, context):
    """A sum like the captcha's, whose public parameters also name the function that ran."""
    event["response"]["publicChallengeParameters"] = {
        "question": "What is 1 + 1?",
        "function": context.function_name,
        "arn": context.invoked_function_arn,
    }
    event["response"]["privateChallengeParameters"] = {"answer": "2"}
    return event
