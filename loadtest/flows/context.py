"""What every flow needs besides the identity: the app client, and injected time and randomness.

Flows take a :class:`FlowContext` instead of reaching for globals, so a test can pin the clock,
the ephemerals and the random bytes, and a driver can share one ephemeral pool and verifier
cache among all its virtual users.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import srp_fast
from loadtest.target.config import AppClient

from .codes import CodeSource

__all__ = ["AppClient", "CustomAnswerer", "FlowContext", "RandomBytes"]

RandomBytes = Callable[[int], bytes]
#: A CUSTOM_CHALLENGE's public parameters -> the ANSWER to send.
CustomAnswerer = Callable[[Mapping[str, str]], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowContext:
    """Shared, injected dependencies of flows.

    ``clock`` gives the current UTC time (TIMESTAMP, TOTP); ``ephemerals`` gives a fresh (a, A)
    pair (an :class:`srp_fast.EphemeralPool`'s ``take``) and ``ready_ephemeral``, if set, one
    already computed or ``None`` (the pool's ``take_ready``: no maths, so a driver runs it on its
    own thread); ``rand`` feeds device secrets.
    ``totp_next_step`` lets a TOTP login use the next 30 s step's code when the current one is
    spent (Cognito accepts codes one step ahead or behind).
    """

    client: AppClient
    clock: Callable[[], datetime]
    ephemerals: Callable[[], srp_fast.Ephemeral]
    ready_ephemeral: Callable[[], srp_fast.Ephemeral | None] | None = None
    verifiers: srp_fast.VerifierCache | None = None
    rand: RandomBytes = os.urandom
    device_name: str = "cognito-loadtest"
    totp_device_name: str = "cognito-loadtest"
    totp_next_step: bool = True
    #: Where SMS and e-mail codes come from (:mod:`.codes`): the local pool's message sink
    #: (``LocalSinkCodes(url)``) or a callable for a real pool; ``None``: no code flows.
    codes: CodeSource | None = None
    #: Answers CUSTOM_CHALLENGE from its public ChallengeParameters (USERNAME included); a
    #: locustfile supplies it, e.g. ``scenarios.triggers.captcha.solve``.
    custom_answers: CustomAnswerer | None = None
