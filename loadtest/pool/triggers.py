"""Local Lambda triggers: Python functions with Lambda's handler signature, run in the pool.

``pool serve --trigger NAME=package.module:function`` registers a function
``handler(event, context)`` written exactly as for AWS Lambda's Python runtime as the local
Lambda function ``NAME``. Which pool runs which function is each pool's own ``LambdaConfig``
(CreateUserPool / UpdateUserPool), as in Cognito:

- a pool whose LambdaConfig names a trigger's ARN (``DefineAuthChallenge:
  arn:aws:lambda:us-east-1:123456789012:function:captcha-define``) runs the function whose
  name is the ARN's function name (``captcha-define``; a version or alias qualifier is
  ignored), so two pools can run different handlers for the same trigger;
- a pool created without any LambdaConfig runs, for each custom-auth trigger, the function
  registered under that trigger's own name (``define_auth_challenge``, ``DefineAuthChallenge``
  ...; any case, ``-`` or ``_``): the server-wide triggers of the command line before
  per-pool LambdaConfig, which keeps working unchanged.

The pool builds Cognito's event (cognito-facts §16.2: the ``version`` / ``triggerSource`` /
``region`` / ``userPoolId`` / ``userName`` / ``callerContext`` envelope with ``request`` and
``response``), passes the handler a deep copy and a Lambda-like context, and reads
``response`` from what it returns (handlers return the event). Handlers are synchronous, so
they run on a thread, off the event loop, bounded by Lambda's 5 s trigger timeout.

Failures as Cognito reports them (§16.2): an exception is ``UserLambdaValidationException``
``<Trigger> failed with error <message>.``; a return value without a ``response`` object is
``InvalidLambdaResponseException`` ``Unrecognizable lambda output``. A LambdaConfig ARN whose
function was not registered fails the same way at sign-in (``... failed with error Function
not found: <arn>.``, the text a **guess**); Cognito does not check that a function exists
when the pool is configured either.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import os
import re
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
    "function_name",
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
    def lookup(cls, text: str) -> TriggerName | None:
        """``define_auth_challenge`` or ``DefineAuthChallenge`` (any case, - or _); else None."""
        wanted = text.replace("_", "").replace("-", "").lower()
        for name in cls:
            if name.value.lower() == wanted:
                return name
        return None

    @classmethod
    def parse(cls, text: str) -> TriggerName:
        """Like :meth:`lookup`, raising :class:`TriggerError` for other names."""
        name = cls.lookup(text)
        if name is None:
            known = ", ".join(_snake(n.value) for n in cls)
            raise TriggerError(f"unknown trigger {text!r}: use one of {known}")
        return name


#: A Lambda function's name (the AWS Lambda API's FunctionName without ARN or qualifier).
_FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def function_name(arn: str) -> str:
    """The function an ARN names: ``arn:aws:lambda:R:A:function:NAME[:QUALIFIER]`` -> NAME."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[5] == "function":
        return parts[6]
    return arn


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


def parse_trigger(option: str) -> tuple[str, str]:
    """One ``--trigger NAME=package.module:function`` option: (function name, handler)."""
    name, sep, spec = (part.strip() for part in option.partition("="))
    if not sep:
        raise TriggerError(f"bad --trigger {option!r}: use NAME=package.module:function")
    if not _FUNCTION_NAME.fullmatch(name):
        raise TriggerError(
            f"bad --trigger name {name!r}: a Lambda function name (letters, digits, - and _) "
            "or a trigger's name such as define_auth_challenge"
        )
    return name, spec


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
    """The local Lambda functions the pool was started with, by function name, and the
    server-wide default for each trigger (pools with no LambdaConfig)."""

    functions: Mapping[str, Handler] = field(default_factory=dict)
    defaults: Mapping[TriggerName, str] = field(default_factory=dict)
    timeout: float = TRIGGER_TIMEOUT_S

    @classmethod
    def load(cls, specs: Mapping[str, str]) -> Triggers:
        """Import each ``name -> package.module:function``; a trigger's name is its default."""
        defaults = {}
        for name in specs:
            trigger = TriggerName.lookup(name)
            if trigger is not None:
                defaults[trigger] = name
        functions = {name: load_handler(spec) for name, spec in specs.items()}
        return cls(functions=functions, defaults=defaults)

    def arn(self, name: TriggerName, config: Mapping[str, str] | None) -> str | None:
        """The ARN of the function a pool runs for ``name`` (``config``: its LambdaConfig,
        None for a pool that has none), or None when the pool has no such trigger."""
        if config is not None:
            return config.get(name.value)
        function = self.defaults.get(name)
        return None if function is None else _local_arn(function)

    def has(self, name: TriggerName, config: Mapping[str, str] | None) -> bool:
        return self.arn(name, config) is not None

    async def invoke(
        self, name: TriggerName, event: dict[str, Any], config: Mapping[str, str] | None
    ) -> dict[str, Any]:
        """Run a trigger on a thread; its ``response``, or the error Cognito would answer."""
        arn = self.arn(name, config)
        handler = None if arn is None else self.functions.get(function_name(arn))
        if arn is None or handler is None:
            raise UserLambdaValidation(f"{name.value} failed with error Function not found: {arn}.")
        context = _context(function_name(arn), arn, self.timeout)
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


def _local_arn(function: str) -> str:
    return f"arn:aws:lambda:local:000000000000:function:{function}"


def _context(function: str, arn: str, timeout: float) -> LambdaContext:
    return LambdaContext(
        function_name=function,
        aws_request_id=str(uuid.uuid4()),
        deadline=time.monotonic() + timeout,
        invoked_function_arn=arn,
        log_group_name=f"/aws/lambda/{function}",
    )


def _response(returned: object) -> dict[str, Any]:
    response = returned.get("response") if isinstance(returned, Mapping) else None
    if not isinstance(response, Mapping):
        raise InvalidLambdaResponse(Messages.LAMBDA_OUTPUT_INVALID)
    return dict(response)
