"""Local Lambda triggers: Python functions with Lambda's handler signature, run in the pool.

``pool serve --trigger define_auth_challenge=package.module:handler`` (also
``create_auth_challenge`` and ``verify_auth_challenge_response``; Cognito's names such as
``DefineAuthChallenge`` work too) names a function ``handler(event, context)`` written exactly
as for AWS Lambda's Python runtime. The pool builds Cognito's event (cognito-facts §16.2: the
``version`` / ``triggerSource`` / ``region`` / ``userPoolId`` / ``userName`` /
``callerContext`` envelope with ``request`` and ``response``), passes the handler a deep copy
and a Lambda-like context, and reads ``response`` from what it returns (handlers return the
event). Handlers are synchronous, so they run on a thread, off the event loop, bounded by
Lambda's 5 s trigger timeout.

Failures as Cognito reports them (§16.2): an exception is ``UserLambdaValidationException``
``<Trigger> failed with error <message>.``; a return value without a ``response`` object is
``InvalidLambdaResponseException`` ``Unrecognizable lambda output``. Triggers are server-wide:
every pool the local server holds uses them (Cognito configures them per pool in LambdaConfig).
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from loadtest.protocol.errors import InvalidLambdaResponse, Messages, UserLambdaValidation

__all__ = [
    "TRIGGER_TIMEOUT_S",
    "LambdaContext",
    "TriggerError",
    "TriggerName",
    "Triggers",
    "load_handler",
    "parse_trigger",
]

#: Cognito waits 5 s for a synchronous trigger (cognito-facts §16.2).
TRIGGER_TIMEOUT_S = 5.0

Handler = Callable[[dict[str, Any], Any], Any]


class TriggerError(ValueError):
    """A ``--trigger`` option that names no loadable handler."""


class TriggerName(StrEnum):
    """The custom-authentication triggers, by their LambdaConfig names."""

    DEFINE_AUTH_CHALLENGE = "DefineAuthChallenge"
    CREATE_AUTH_CHALLENGE = "CreateAuthChallenge"
    VERIFY_AUTH_CHALLENGE_RESPONSE = "VerifyAuthChallengeResponse"

    @property
    def trigger_source(self) -> str:
        return f"{self.value}_Authentication"

    @classmethod
    def parse(cls, text: str) -> TriggerName:
        """``define_auth_challenge`` or ``DefineAuthChallenge`` (any case, - or _)."""
        wanted = text.replace("_", "").replace("-", "").lower()
        for name in cls:
            if name.value.lower() == wanted:
                return name
        known = ", ".join(_snake(n.value) for n in cls)
        raise TriggerError(f"unknown trigger {text!r}: use one of {known}")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def load_handler(spec: str) -> Handler:
    """The function ``package.module:function`` names (the current directory is importable)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise TriggerError(f"bad handler {spec!r}: use package.module:function")
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TriggerError(f"cannot import {module_name!r}: {exc}") from exc
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise TriggerError(f"{spec!r} is not a function")
    return handler  # type: ignore[no-any-return]


def parse_trigger(option: str) -> tuple[TriggerName, str]:
    """One ``--trigger NAME=package.module:function`` option."""
    name, sep, spec = option.partition("=")
    if not sep:
        raise TriggerError(f"bad --trigger {option!r}: use NAME=package.module:function")
    return TriggerName.parse(name.strip()), spec.strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class LambdaContext:
    """What a Lambda handler's ``context`` offers (the attributes AWS documents for Python)."""

    function_name: str
    aws_request_id: str
    deadline: float = field(repr=False)
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True, slots=True, kw_only=True)
class Triggers:
    """The handlers the pool was started with, by trigger."""

    handlers: Mapping[TriggerName, Handler] = field(default_factory=dict)
    timeout: float = TRIGGER_TIMEOUT_S

    @classmethod
    def load(cls, specs: Mapping[TriggerName, str]) -> Triggers:
        return cls(handlers={name: load_handler(spec) for name, spec in specs.items()})

    def has(self, name: TriggerName) -> bool:
        return name in self.handlers

    async def invoke(self, name: TriggerName, event: dict[str, Any]) -> dict[str, Any]:
        """Run a trigger on a thread; its ``response``, or the error Cognito would answer."""
        handler = self.handlers[name]
        context = _context(name, self.timeout)
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(None, handler, copy.deepcopy(event), context)
        try:
            returned = await asyncio.wait_for(call, timeout=self.timeout)
        except TimeoutError:
            # Guess: the text Lambda reports for a timeout, wrapped as Cognito wraps errors.
            message = f"Task timed out after {self.timeout:.2f} seconds"
            raise UserLambdaValidation(f"{name.value} failed with error {message}.") from None
        except Exception as exc:  # a handler's own failure, whatever it is
            raise UserLambdaValidation(f"{name.value} failed with error {exc}.") from None
        return _response(returned)


def _context(name: TriggerName, timeout: float) -> LambdaContext:
    function = f"local-{_snake(name.value).replace('_', '-')}"
    return LambdaContext(
        function_name=function,
        aws_request_id=str(uuid.uuid4()),
        deadline=time.monotonic() + timeout,
        invoked_function_arn=f"arn:aws:lambda:local:000000000000:function:{function}",
        log_group_name=f"/aws/lambda/{function}",
    )


def _response(returned: object) -> dict[str, Any]:
    response = returned.get("response") if isinstance(returned, Mapping) else None
    if not isinstance(response, Mapping):
        raise InvalidLambdaResponse(Messages.LAMBDA_OUTPUT_INVALID)
    return dict(response)
