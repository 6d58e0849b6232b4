"""Drivers: run a sans-I/O flow over a transport, timing every call.

- :class:`SyncDriver` with :class:`Urllib3Transport`: plain blocking code;
- :class:`GeventDriver` with :class:`GeventTransport`: Locust; maths on native threads;
- :class:`AsyncDriver` with :class:`AiohttpTransport`: asyncio; maths on a thread pool.

Each reports one :class:`CallEvent` per API call (label, response time, length, exception,
:class:`~loadtest.flows.Outcome`) and one :class:`ComputeEvent` per piece of client maths, kept
apart so client compute time never counts as server latency.
"""

from __future__ import annotations

from .aio import AsyncDriver
from .common import NO_RETRY, RetryPolicy, Signer
from .events import CallEvent, ComputeEvent, Event, Reporter, Tally
from .signing import SigV4Signer
from .stepper import MAX_EFFECTS, Stepper
from .sync import GeventDriver, SyncDriver
from .transport import (
    AiohttpTransport,
    AsyncTransport,
    GeventTransport,
    RawResponse,
    Transport,
    Urllib3Transport,
)

__all__ = [
    "MAX_EFFECTS",
    "NO_RETRY",
    "AiohttpTransport",
    "AsyncDriver",
    "AsyncTransport",
    "CallEvent",
    "ComputeEvent",
    "Event",
    "GeventDriver",
    "GeventTransport",
    "RawResponse",
    "Reporter",
    "RetryPolicy",
    "SigV4Signer",
    "Signer",
    "Stepper",
    "SyncDriver",
    "Tally",
    "Transport",
    "Urllib3Transport",
]
