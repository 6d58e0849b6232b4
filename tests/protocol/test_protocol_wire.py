"""The shared wire format: how answers are read, and errors written, as Cognito does."""

from __future__ import annotations

import json

import pytest

from loadtest.protocol import errors, wire
from loadtest.protocol.names import Challenge, Operation
from loadtest.protocol.quotas import DEFAULT_RPS, QuotaCategory, category_of


def test_request_headers() -> None:
    assert wire.request_headers(Operation.INITIATE_AUTH) == {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    }


def test_success_is_the_json_object() -> None:
    body = b'{"ChallengeName":"PASSWORD_VERIFIER","ChallengeParameters":{}}'
    assert wire.decode_response(200, {}, body)["ChallengeName"] == "PASSWORD_VERIFIER"


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"[1, 2]", b"\xff\xfe"])
def test_success_status_with_a_foreign_body_is_malformed(body: bytes) -> None:
    with pytest.raises(errors.MalformedResponse):
        wire.decode_response(200, {}, body)


def test_error_type_is_read_from_the_header_first_like_amplify() -> None:
    headers = {
        "x-amzn-ErrorType": "NotAuthorizedException:",
        "x-amzn-RequestId": "req-1",
    }
    body = b'{"__type":"SomethingElse","message":"Incorrect username or password."}'
    with pytest.raises(errors.NotAuthorized) as info:
        wire.decode_response(400, headers, body)
    assert info.value.message == errors.Messages.INCORRECT_PASSWORD
    assert info.value.request_id == "req-1"
    assert info.value.name == "NotAuthorizedException"


@pytest.mark.parametrize(
    "raw",
    [
        "TooManyRequestsException",
        "com.amazonaws.cognito#TooManyRequestsException",
        "TooManyRequestsException:http://internal.amazon.com/coral/",
    ],
)
def test_body_type_forms(raw: str) -> None:
    body = json.dumps({"__type": raw, "message": "Rate exceeded"}).encode()
    with pytest.raises(errors.TooManyRequests):
        wire.decode_response(400, {}, body)


def test_unknown_error_types_still_raise_a_cognito_error_with_their_name() -> None:
    body = b'{"__type":"BrandNewException","Message":"new"}'
    with pytest.raises(errors.CognitoError) as info:
        wire.decode_response(400, {}, body)
    assert info.value.name == "BrandNewException"
    assert info.value.message == "new"


def test_every_modelled_error_reads_back_as_its_own_class_by_its_wire_name() -> None:
    modelled = [
        cls
        for name in errors.__all__
        if isinstance(cls := getattr(errors, name), type)
        and issubclass(cls, errors.CognitoError)
        and cls is not errors.CognitoError
    ]
    assert len(modelled) == 39
    for cls in modelled:
        assert errors.error_class(cls.error_type) is cls
        assert cls.error_type.endswith("Exception")
    assert errors.NotAuthorized.error_type == "NotAuthorizedException"
    assert errors.ValidationError.error_type == "ValidationException"
    assert (errors.InternalError.status, errors.ServiceUnavailable.status) == (500, 503)


def test_an_unknown_wire_type_gets_one_class_that_keeps_its_name() -> None:
    first = errors.error_class("NeverSeenBeforeException")
    assert first is errors.error_class("NeverSeenBeforeException")
    assert issubclass(first, errors.CognitoError)
    assert first.error_type == "NeverSeenBeforeException"


def test_5xx_without_a_type_is_an_internal_error_and_4xx_html_is_malformed() -> None:
    with pytest.raises(errors.InternalError):
        wire.decode_response(502, {}, b"<html>Bad Gateway</html>")
    with pytest.raises(errors.MalformedResponse) as info:
        wire.decode_response(404, {}, b"<html>Not Found</html>")
    assert info.value.status == 404


def test_error_written_as_cognito_writes_it_and_read_back() -> None:
    error = errors.NotAuthorized(errors.Messages.ATTEMPTS_EXCEEDED)
    headers = wire.error_headers(error, "rid-9")
    assert headers["x-amzn-ErrorType"] == "NotAuthorizedException:"
    assert headers["x-amzn-ErrorMessage"] == "Password attempts exceeded"
    body = wire.error_body(error)
    assert json.loads(body) == {
        "__type": "NotAuthorizedException",
        "message": "Password attempts exceeded",
    }
    with pytest.raises(errors.NotAuthorized) as info:
        wire.decode_response(error.status, headers, body)
    assert info.value.request_id == "rid-9"


def test_throttling_is_400_and_faults_5xx() -> None:
    assert errors.TooManyRequests.status == 400
    assert errors.InternalError.status == 500


def test_error_header_is_ascii_safe() -> None:
    headers = wire.error_headers(errors.InvalidParameter("bad ünïcode\nline"), "r")
    assert headers["x-amzn-ErrorMessage"].isascii()
    assert "\n" not in headers["x-amzn-ErrorMessage"]


@pytest.mark.parametrize(
    ("operation", "challenge", "category"),
    [
        (Operation.INITIATE_AUTH, None, QuotaCategory.USER_AUTHENTICATION),
        (
            Operation.RESPOND_TO_AUTH_CHALLENGE,
            Challenge.PASSWORD_VERIFIER,
            QuotaCategory.USER_AUTHENTICATION,
        ),
        (
            Operation.RESPOND_TO_AUTH_CHALLENGE,
            Challenge.NEW_PASSWORD_REQUIRED,
            QuotaCategory.USER_ACCOUNT_RECOVERY,
        ),
        (
            Operation.ADMIN_RESPOND_TO_AUTH_CHALLENGE,
            Challenge.NEW_PASSWORD_REQUIRED,
            QuotaCategory.USER_ACCOUNT_RECOVERY,
        ),
        (Operation.ADMIN_SET_USER_PASSWORD, None, QuotaCategory.USER_ACCOUNT_RECOVERY),
        (Operation.CONFIRM_DEVICE, None, QuotaCategory.USER_RESOURCE_UPDATE),
        (Operation.VERIFY_SOFTWARE_TOKEN, None, QuotaCategory.USER_RESOURCE_UPDATE),
        (Operation.GET_USER, None, QuotaCategory.USER_READ),
        (Operation.GLOBAL_SIGN_OUT, None, QuotaCategory.USER_UPDATE),
        (Operation.ADMIN_CREATE_USER, None, QuotaCategory.USER_CREATION),
    ],
)
def test_quota_categories(operation: Operation, challenge: str | None, category: str) -> None:
    assert category_of(operation, challenge) == category


def test_default_quotas() -> None:
    assert DEFAULT_RPS[QuotaCategory.USER_AUTHENTICATION] == 120
    assert DEFAULT_RPS[QuotaCategory.USER_RESOURCE_UPDATE] == 25
    assert DEFAULT_RPS[QuotaCategory.USER_CREATION] == 50
    assert DEFAULT_RPS[QuotaCategory.USER_ACCOUNT_RECOVERY] == 30


def test_every_operation_has_a_quota_category() -> None:
    for operation in Operation:
        assert category_of(operation) in QuotaCategory
