"""AWS JSON 1.1 as Cognito speaks it: requests, responses, and errors both ways.

Sans-I/O: bytes and header mappings in, dicts or typed errors out. The client transports and the
local pool's server both use it, so the two sides share one reading of the wire format
(cognito-facts §3): HTTP 400 for every client error including throttling, body
``{"__type", "message"}``, header ``x-amzn-ErrorType: <Name>:`` (read first, as Amplify does),
``x-amzn-ErrorMessage`` and ``x-amzn-RequestId``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import CognitoError, InternalError, MalformedResponse, error_class
from .names import CONTENT_TYPE, TARGET_PREFIX

__all__ = [
    "decode_response",
    "encode_body",
    "error_body",
    "error_headers",
    "parse_error_type",
    "request_headers",
    "target",
]


def target(operation: str) -> str:
    """The X-Amz-Target value for an operation."""
    return f"{TARGET_PREFIX}.{operation}"


def request_headers(operation: str) -> dict[str, str]:
    """Headers of an unsigned request (public operations need nothing more)."""
    return {"Content-Type": CONTENT_TYPE, "X-Amz-Target": target(operation)}


#: One encoder for every body: ``json.dumps`` with these arguments builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_body(body: Mapping[str, Any]) -> bytes:
    """A request or response body as compact JSON."""
    return _ENCODER.encode(body).encode()


def parse_error_type(raw: str) -> str:
    """The bare error name from a header or ``__type`` value (``a#Name:extra`` -> ``Name``)."""
    return raw.split(":", 1)[0].split(",", 1)[0].rsplit("#", 1)[-1].strip()


def decode_response(status: int, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """The JSON object of a success, or raise the typed error the answer describes.

    Raises :class:`CognitoError` subclasses for service errors (an unparseable 5xx becomes
    :class:`InternalError`) and :class:`MalformedResponse` for anything else.
    """
    parsed = _json_object(body)
    if 200 <= status < 300:
        if parsed is None:
            raise MalformedResponse(
                f"HTTP {status} with a body that is not a JSON object", status=status
            )
        return parsed
    lower = {k.lower(): v for k, v in headers.items()}  # only errors read headers
    raise _error_from(status, lower, parsed or {})


def _json_object(body: bytes) -> dict[str, Any] | None:
    if not body:
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _error_from(status: int, headers: Mapping[str, str], body: Mapping[str, Any]) -> Exception:
    raw_type = headers.get("x-amzn-errortype") or body.get("__type") or body.get("code") or ""
    message = body.get("message", body.get("Message", headers.get("x-amzn-errormessage", "")))
    request_id = headers.get("x-amzn-requestid")
    name = parse_error_type(str(raw_type))
    if name:
        return error_class(name)(str(message), request_id=request_id)
    if status >= 500:
        return InternalError(f"HTTP {status} without an error type", request_id=request_id)
    return MalformedResponse(f"HTTP {status} without a Cognito error type", status=status)


def error_headers(error: CognitoError, request_id: str) -> dict[str, str]:
    """Response headers of an error answer, as Cognito sends them."""
    return {
        "Content-Type": CONTENT_TYPE,
        "x-amzn-ErrorType": f"{error.error_type}:",
        "x-amzn-ErrorMessage": _header_safe(error.message),
        "x-amzn-RequestId": request_id,
    }


def error_body(error: CognitoError) -> bytes:
    """The JSON body of an error answer: ``{"__type": ..., "message": ...}``."""
    return encode_body({"__type": error.error_type, "message": error.message})


def _header_safe(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)[:1024]
