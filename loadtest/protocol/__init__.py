"""The Cognito wire protocol, shared by clients and the local pool: names, quotas, errors, JSON.

No sockets here: see ``loadtest.pool`` for the server and the drivers for clients.
"""

from __future__ import annotations

from . import errors
from .errors import CognitoError, ConnectionFailed, MalformedResponse, Messages, TransportError
from .names import CONTENT_TYPE, PUBLIC_OPERATIONS, TARGET_PREFIX, AuthFlow, Challenge, Operation
from .quotas import DEFAULT_RPS, QuotaCategory, category_of
from .wire import decode_response, encode_body, error_body, error_headers, request_headers

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_RPS",
    "PUBLIC_OPERATIONS",
    "TARGET_PREFIX",
    "AuthFlow",
    "Challenge",
    "CognitoError",
    "ConnectionFailed",
    "MalformedResponse",
    "Messages",
    "Operation",
    "QuotaCategory",
    "TransportError",
    "category_of",
    "decode_response",
    "encode_body",
    "error_body",
    "error_headers",
    "errors",
    "request_headers",
]
