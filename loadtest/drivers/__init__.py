"""Drivers: run a sans-I/O flow over a transport, timing every call.

- :class:`SyncDriver` with :class:`Urllib3Transport`: plain blocking code;
- the gevent driver and transport (Locust; maths on native threads) live in
  :mod:`loadtest.locust.driver`, the only place that imports gevent;
- :class:`AsyncDriver` with :class:`AiohttpTransport`: asyncio; maths on a thread pool.

Each reports one :class:`CallEvent` per API call (label, response time, length, exception,
:class:`~loadtest.flows.Outcome`) and one :class:`ComputeEvent` per piece of client maths, kept
apart so client compute time never counts as server latency. :func:`record` runs a flow and
gathers them into a :class:`LoginRecord`.
"""

from __future__ import annotations

from .aio import AsyncDriver
from .common import NO_RETRY, RetryPolicy, Signer
from .events import CallEvent, ComputeEvent, Event, Reporter
from .record import LoginRecord, record
from .signing import SigV4Signer
from .stepper import MAX_EFFECTS, Stepper
from .sync import SyncDriver
from .transport import (
    AiohttpTransport,
    AsyncTransport,
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
    "LoginRecord",
    "RawResponse",
    "Reporter",
    "RetryPolicy",
    "SigV4Signer",
    "Signer",
    "Stepper",
    "SyncDriver",
    "Transport",
    "Urllib3Transport",
    "record",
]
