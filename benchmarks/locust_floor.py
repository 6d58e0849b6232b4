"""Benchmark baseline, not a scenario: a login's HTTP calls with the maths precomputed.

Each task replays one recorded login (see :mod:`benchmarks.replay`): the same request
bytes, POSTed through the generator's own client (:class:`~loadtest.locust.driver.GeventTransport`,
geventhttpclient), every answer decoded, one Locust request event per call, as the real users'
bare calls report (a real login is not a Locust request: the honest totals keep it out). The
probe counts the floor's logins from :data:`benchmarks.replay.REPLAYED`. No flow, no maths, no
identity leasing: what is left is the bare cost of the calls, the HTTP half of ``make bench``'s
floor.

With ``BENCH_FLOOR_POWMOD_BITS`` set (the floor's exponent size, 512), each login also does
the one exponentiation the protocol demands, where a client must: on the hub, between the
first answer (InitiateAuth's SRP_B) and the second request (the password verifier). That is
the floor measured in place, under the same wake-ups and cold caches as the login it stands
beside, and not as a hot loop's powmod added to the calls.

Settings (environment): ``BENCH_REPLAY_RECORDING`` (the recording), ``BENCH_REPLAY_URL``
(where ``python -m benchmarks.replay`` serves it), ``BENCH_FLOOR_POWMOD_BITS``.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import gmpy2
from locust import User, constant, task

import srp_fast
from benchmarks._calls import fire_call
from benchmarks.replay import REPLAYED, Exchange, load_recording
from loadtest.drivers.common import decode
from loadtest.locust.driver import GeventTransport

__all__ = ["ReplayUser"]

_said: list[bool] = []


class ReplayUser(User):
    """Replays one recorded login per task, one keep-alive connection per user."""

    wait_time = constant(1)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.exchanges: list[Exchange] = load_recording(Path(os.environ["BENCH_REPLAY_RECORDING"]))
        self.requests = [(e.label, e.headers, e.body.encode()) for e in self.exchanges]
        self.transport = GeventTransport(os.environ["BENCH_REPLAY_URL"], concurrency=1)
        bits = int(os.environ.get("BENCH_FLOOR_POWMOD_BITS", "0"))
        self.exponent = (
            gmpy2.mpz(int.from_bytes(os.urandom(bits // 8), "big")) | (1 << (bits - 1))
            if bits
            else None
        )
        self.base = gmpy2.mpz(int.from_bytes(os.urandom(384), "big")) % srp_fast.N
        if not _said:
            _said.append(True)
            maths = f"one {bits}-bit exponentiation in place" if bits else "no maths"
            logging.getLogger(__name__).info("floor replay: the calls, %s", maths)

    def on_stop(self) -> None:
        self.transport.close()

    @task
    def login(self) -> None:
        for index, (label, headers, body) in enumerate(self.requests):
            if index == 1 and self.exponent is not None:
                gmpy2.powmod(self.base, self.exponent, srp_fast.N)
            began = time.perf_counter()
            try:
                raw = self.transport.post(headers, body)
                decode(raw)
            except Exception as error:
                fire_call(self.environment.events, label, began, 0, error)
                REPLAYED["failed"] += 1
                return
            fire_call(self.environment.events, label, began, len(raw.body))
        REPLAYED["ok"] += 1
