"""Where a flow gets the codes Cognito sends by SMS or e-mail: a code source.

A code source is any callable ``source(request) -> code``. Flows stay sans-I/O: they yield a
:class:`~loadtest.flows.effects.Compute` effect that calls the source (:func:`read_code`), so
the driver runs it off its event loop. Its time is the code's delivery as the client sees it
(an HTTP read of the local sink, or the user's inbox or SMS store), so it is reported as an
out-of-band wait (:attr:`~loadtest.flows.effects.ComputeKind.OUT_OF_BAND`): neither client maths
nor server time. Two sources:

- :class:`LocalSinkCodes` (the default against the local pool) reads the pool's message sink,
  ``GET /_pool/messages?username=U&pool_id=P``, and returns the newest code of the purpose
  asked for;
- any callable the user supplies for a real pool, e.g. one that reads their custom SMS
  sender's store or a test inbox. It gets the masked destination Cognito reported, the
  username and the purpose, and returns the code (or raises :class:`CodeUnavailable`).
"""

from __future__ import annotations

import importlib
import json
import math
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from .effects import ComputeKind, Flow, FlowError, compute

__all__ = [
    "CodeRequest",
    "CodeSource",
    "CodeUnavailable",
    "LocalSinkCodes",
    "MessageBudget",
    "MessagesNotConfirmed",
    "code_source_from",
    "read_code",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeRequest:
    """What a flow knows about a code it needs: whose, by which medium, where, and why.

    ``purpose`` is the challenge or action (``SMS_MFA``, ``EMAIL_OTP``, ``SIGN_UP`` ...),
    ``destination`` the masked one from CODE_DELIVERY_DESTINATION.
    """

    pool_id: str
    username: str
    medium: str
    destination: str
    purpose: str


CodeSource = Callable[[CodeRequest], str]


class CodeUnavailable(FlowError):
    """The code source has no code for this request."""

    def __init__(self, request: CodeRequest, reason: str) -> None:
        super().__init__(f"no {request.purpose} code for {request.username!r}: {reason}")
        self.request = request


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalSinkCodes:
    """Read codes from the local pool's message sink at ``base_url`` (loopback)."""

    base_url: str
    timeout: float = 10.0

    def __call__(self, request: CodeRequest) -> str:
        query = urllib.parse.urlencode({"username": request.username, "pool_id": request.pool_id})
        url = f"{self.base_url.rstrip('/')}/_pool/messages?{query}"
        with urllib.request.urlopen(url, timeout=self.timeout) as answer:  # noqa: S310
            messages = json.loads(answer.read())["messages"]
        for message in reversed(messages):
            if message["purpose"] == request.purpose and message["medium"] == request.medium:
                return str(message["code"])
        raise CodeUnavailable(request, "the local pool sent none")


def code_source_from(spec: str | None, *, local_url: str | None) -> CodeSource | None:
    """The code source a run uses: ``spec`` (``"module:callable"``, imported here) if given,
    else the local pool's message sink at ``local_url`` if the target is local, else none.
    ``ValueError`` for a spec that does not name a callable."""
    if spec:
        module_name, _, attribute = spec.partition(":")
        if not module_name or not attribute:
            raise ValueError(f"code source {spec!r}: expected MODULE:CALLABLE")
        found = getattr(importlib.import_module(module_name), attribute, None)
        if not callable(found):
            raise ValueError(f"code source {spec!r} is not a callable")
        return cast(CodeSource, found)
    return None if local_url is None else LocalSinkCodes(base_url=local_url)


def read_code(source: CodeSource | None, request: CodeRequest) -> Flow[str]:
    """Ask ``source`` for a code, as an out-of-band Compute effect labelled
    ``code:<purpose>``."""
    if source is None:
        raise CodeUnavailable(request, "no code source configured")
    label = f"code:{request.purpose}"
    code: str = yield from compute(label, source, request, kind=ComputeKind.OUT_OF_BAND)
    return code


# -- the rail: messages to a real pool cost money ------------------------------------------------
class MessagesNotConfirmed(FlowError):
    """A run has spent the SMS or e-mail messages confirmed for a pool that is not the local one
    (the start-of-run check is :func:`loadtest.target.safety.guard_messages`)."""


@dataclass(slots=True)
class MessageBudget:
    """The messages a run may still cause, taken before each login that sends some; shared by
    a process's virtual users (thread-safe). ``limit`` None: no limit (the local pool)."""

    limit: int | None
    sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, messages: float, pool_id: str) -> None:
        """Reserve one login's messages (an entry's ``messages``, rounded up), or raise
        :class:`MessagesNotConfirmed` when spent."""
        count = math.ceil(messages)
        if count <= 0:
            return
        with self._lock:
            if self.limit is not None and self.sent + count > self.limit:
                raise MessagesNotConfirmed(
                    f"the run's {self.limit} confirmed messages to pool {pool_id} are spent"
                )
            self.sent += count
