"""The one Locust request event per API call that every benchmark baseline fires, as ours does
(:meth:`loadtest.locust.run.LocustRun.event`): the same fields, so each pays the same to Locust."""

from __future__ import annotations

import time
from typing import Any

from loadtest.locust.run import CALL_REQUEST_TYPE

__all__ = ["fire_call"]


def fire_call(
    events: Any, name: str, began: float, length: int, error: BaseException | None = None
) -> None:
    """Fire the request event of a call that began at ``began`` (``time.perf_counter()``)."""
    events.request.fire(
        request_type=CALL_REQUEST_TYPE,
        name=name,
        response_time=(time.perf_counter() - began) * 1000,
        response_length=length,
        response=None,
        context={},
        exception=error,
    )
