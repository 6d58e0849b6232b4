"""The settings of one ``pool serve`` run, as one explicit object (no module-level toggles)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .clock import TimeScale
from .faults import Fault, Stall
from .lockout import LockoutPolicy
from .quotas import QuotaSettings

__all__ = ["ServeSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeSettings:
    """Everything ``cognito-loadtest pool serve`` can be told."""

    state: Path
    host: str = "127.0.0.1"
    port: int = 0
    workers: int = 1
    region: str = "us-east-1"
    scale: TimeScale = field(default_factory=TimeScale)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    quotas: QuotaSettings = field(default_factory=QuotaSettings)
    faults: tuple[Fault, ...] = ()
    stalls: tuple[Stall, ...] = ()
    seed: int | None = None
    test_clock: bool = False
    #: With ``test_clock``: time stands still at startup and moves only when advanced.
    freeze_clock: bool = False
    math_threads: int = 2
    allow_remote: bool = False
    max_body: int = 256 * 1024
    #: Requests one worker answers at once; beyond, TooManyRequestsException at once (0: none).
    max_in_flight: int = 512
    #: Event-loop lag (seconds) beyond which a worker sheds new requests (0: never).
    max_loop_lag: float = 0.0
    #: Append every message the pool "sends" (codes) to this JSON-lines file, mode 0600.
    messages_file: Path | None = None
    #: Local Lambda functions: (function name, ``package.module:function``) pairs; a name
    #: that is a trigger's (define_auth_challenge ...) is that trigger's server-wide default.
    triggers: tuple[tuple[str, str], ...] = ()
    #: Keep Cognito's per-user hourly limits on code and password operations (:mod:`.limits`).
    code_limits: bool = False
