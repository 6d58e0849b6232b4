"""Benchmark baseline, not a scenario: a login's HTTP calls with the maths precomputed.

Each task replays one recorded login (see :mod:`benchmarks.replay`): the same request
bytes, POSTed through the generator's own client (:class:`~loadtest.locust.driver.GeventTransport`,
geventhttpclient), every answer decoded, one Locust request event per call and one ``login``
event per login, as the real users report. No flow, no maths, no identity leasing: what is left
is the bare cost of the calls, the HTTP half of ``make bench``'s floor.

Settings (environment): ``BENCH_REPLAY_RECORDING`` (the recording), ``BENCH_REPLAY_URL``
(where ``python -m benchmarks.replay`` serves it), ``BENCH_REPLAY_NAME`` (the login event's
name, e.g. ``login:srp_totp``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from locust import User, constant, task

from benchmarks.replay import Exchange, load_recording
from loadtest.drivers.common import decode
from loadtest.locust.driver import GeventTransport

__all__ = ["ReplayUser"]


class ReplayUser(User):
    """Replays one recorded login per task, one keep-alive connection per user."""

    wait_time = constant(1)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.exchanges: list[Exchange] = load_recording(Path(os.environ["BENCH_REPLAY_RECORDING"]))
        self.requests = [(e.label, e.headers, e.body.encode()) for e in self.exchanges]
        self.name = os.environ.get("BENCH_REPLAY_NAME", "login:replay")
        self.transport = GeventTransport(os.environ["BENCH_REPLAY_URL"], concurrency=1)

    def on_stop(self) -> None:
        self.transport.close()

    @task
    def login(self) -> None:
        start = time.perf_counter()
        for label, headers, body in self.requests:
            began = time.perf_counter()
            raw = self.transport.post(headers, body)
            decode(raw)
            self._fire("cognito", label, began, len(raw.body))
        self._fire("login", self.name, start, 0)

    def _fire(self, kind: str, name: str, start: float, length: int) -> None:
        self.environment.events.request.fire(
            request_type=kind,
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=length,
            response=None,
            context={},
            exception=None,
        )
