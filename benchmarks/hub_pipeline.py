"""A login's own Python work on the hub, measured hot, with no network, no maths and no VM noise.

``python -m benchmarks.hub_pipeline [--logins 3000] [--rounds 5]`` records one real SRP + TOTP
login against the local pool (:func:`benchmarks.replay.record_login`), then, in this process:

- **ours**: runs that login again and again the way a Locust user does, minus the network and
  the maths: the flow (:func:`~loadtest.flows.srp_login`) on the sync driver over a transport
  that hands back the recorded answers, :func:`~loadtest.drivers.record.record`, one Locust
  request event per call into Locust's own ``RequestStats``, then the login's canonical event
  into a real :class:`~loadtest.report.run.RunReport` (redaction, ``events.jsonl``, HDR
  histograms) with the secrets of ``--identities`` identities registered. The maths is done once
  and its results handed back (an executor that remembers each Compute effect's answer by
  label; the stocked ephemeral is a deque pop, as in a run);
- **bare**: what the floor's replay does for the same login (:mod:`benchmarks.locust_floor`):
  decode each recorded answer and fire its request event.

It prints CPU µs per login for each, split into the flow (with driver, record and Locust
events) and the report, and ``ours - bare``: the Python a login costs the hub beyond its bare
calls. The figures are hot-loop ones (warm caches, no wake-ups, no GIL contention): in a real run
the same work costs two to three times as much (``make bench``'s hub figures), but they move
only with the code, so a change to the flow, the driver, the adapter or the report can be
judged in seconds, where the generator suite needs 17 minutes on a noisy machine and cannot
resolve 0.1 ms. Medians over ``--rounds``; the rounds alternate the two, so drift spreads.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from gevent import monkey

if not monkey.is_module_patched("socket"):  # as locust would on import, but before ssl is
    monkey.patch_all()  # imported (a second patch_all warns); nothing here runs a greenlet

from locust.event import Events
from locust.stats import RequestStats

import srp_fast
from loadtest.drivers import RawResponse, SyncDriver
from loadtest.drivers.common import decode
from loadtest.drivers.events import Reporter
from loadtest.drivers.record import record
from loadtest.flows import Flow, FlowContext, Identity, LoginResult, srp_login
from loadtest.locust.base import FLOW_ERRORS
from loadtest.locust.run import LocustRun
from loadtest.report.events import login_event
from loadtest.report.run import RunReport
from loadtest.target.launch import local_pool

from ._calls import fire_call
from ._target import create_app, create_users
from .replay import Exchange, record_login, replay_key

__all__ = ["Figures", "main", "measure"]


class _Replay:
    """A transport answering each request with the recorded answer to its operation."""

    url = "http://127.0.0.1:9/"

    def __init__(self, exchanges: Sequence[Exchange]) -> None:
        self._answers = {
            e.label: RawResponse(
                status=e.status, headers=e.answer_headers, body=e.answer_body.encode()
            )
            for e in exchanges
        }
        # the recorded request bodies, by the bytes a login sends: no JSON parse per call
        self._keys: dict[bytes, str] = {}

    def close(self) -> None:
        """Nothing to close."""

    def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse:
        key = self._keys.get(body)
        if key is None:
            key = self._keys[body] = replay_key(headers["X-Amz-Target"], body)
        return self._answers[key]


class _Remembered(Executor):
    """Runs each Compute effect once per label and hands back that answer ever after: the
    replayed answers never change, so the proof computed for them stays valid."""

    def __init__(self) -> None:
        self._answers: dict[str, Any] = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        label = getattr(fn, "func", fn).__name__
        if label not in self._answers:
            self._answers[label] = fn(*args, **kwargs)
        return _Done(self._answers[label])


class _Done(Future[Any]):
    """A settled future, as cheap as a :class:`srp_fast.offload.HubExecutor`'s (whose
    ``Future.__init__`` is skipped for the same reason: no condition variable per job)."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def result(self, timeout: float | None = None) -> Any:
        return self._value


def _identities(recorded: Identity, count: int) -> list[Identity]:
    """``count`` identities shaped like the recorded one (each its own password and seed)."""
    return [
        replace(
            recorded,
            username=f"lt-pipe-{i:05d}",
            password=base64.b32encode(os.urandom(10)).decode(),
            totp_secret=base64.b32encode(os.urandom(20)).decode(),
        )
        for i in range(count)
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Figures:
    """CPU µs per login, medians over rounds."""

    flow_us: float
    report_us: float
    bare_us: float
    #: Request events Locust's stats counted, both ways (a check that the events went there).
    requests: int

    @property
    def ours_us(self) -> float:
        return self.flow_us + self.report_us

    @property
    def excess_us(self) -> float:
        return self.ours_us - self.bare_us


def measure(
    exchanges: Sequence[Exchange],
    recorded: Identity,
    ctx: FlowContext,
    *,
    logins: int,
    rounds: int,
    identities: int,
    workdir: Path,
) -> Figures:
    """Run ``rounds`` of ``logins`` logins each way; the medians. The report goes to
    ``workdir / "report"``. Imports locust, which monkey-patches: run it in its own process."""
    events, stats = Events(), RequestStats()  # type: ignore[no-untyped-call]
    events.request.add_listener(_stats_listener(stats))  # type: ignore[no-untyped-call]
    ids = _identities(recorded, identities)
    report = RunReport(workdir / "report", run={"run_id": "hub-pipeline"}, process="local")
    report.add_secrets([s for i in ids for s in (i.password, i.totp_secret)])
    transport = _Replay(exchanges)
    driver = SyncDriver(transport, executor=_Remembered())
    stock: deque[srp_fast.Ephemeral] = deque()
    ctx = replace(ctx, ephemerals=stock.popleft, ready_ephemeral=stock.popleft)

    adapter = LocustRun(SimpleNamespace(events=events))  # its ``event``: a Locust request

    flow_s, report_s, bare_s = [], [], []
    raws = [(e.label, transport.post(e.headers, e.body.encode())) for e in exchanges]
    for _ in range(rounds):
        stock.extend(srp_fast.new_ephemeral() for _ in range(logins))
        flow_cpu = report_cpu = 0.0
        for n in range(logins):
            identity = ids[n % len(ids)]
            identity.last_totp_step = None  # the replay takes any code; a run leases anew
            start = time.process_time()
            login = record(
                "login:srp_totp",
                partial(_run, driver, srp_login(identity, ctx)),
                FLOW_ERRORS,
                on_event=adapter.event,
            )
            middle = time.process_time()
            report.login(login_event(login))
            report_cpu += time.process_time() - middle
            flow_cpu += middle - start
            if login.error is not None:
                raise RuntimeError(f"the replayed login failed: {login.error!r}")
        flow_s.append(flow_cpu)
        report_s.append(report_cpu)
        start = time.process_time()
        for _ in range(logins):
            for label, raw in raws:
                began = time.perf_counter()
                decode(raw)
                fire_call(events, label, began, len(raw.body))
        bare_s.append(time.process_time() - start)
    report.close()

    def per_login(samples: list[float]) -> float:
        return statistics.median(samples) * 1e6 / logins

    return Figures(
        flow_us=per_login(flow_s),
        report_us=per_login(report_s),
        bare_us=per_login(bare_s),
        requests=stats.total.num_requests,
    )


def _run(driver: SyncDriver, flow: Flow[LoginResult], reporter: Reporter) -> LoginResult:
    return driver.run(flow, reporter=reporter)


def _stats_listener(stats: RequestStats) -> Callable[..., None]:
    """What Locust's runner does with each request event: log it into its stats."""

    def on_request(
        request_type: str,
        name: str,
        response_time: Any,
        response_length: int,
        exception: Any = None,
        **_: Any,
    ) -> None:
        stats.log_request(request_type, name, response_time, response_length)
        if exception is not None:
            stats.log_error(request_type, name, exception)

    return on_request


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hub_pipeline")
    parser.add_argument("--logins", type=int, default=3000, help="logins per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--identities", type=int, default=1300, help="identities whose secrets are registered"
    )
    parser.add_argument("--keep", type=Path, help="write the report's folder here")
    args = parser.parse_args(argv)
    if args.logins < 1 or args.rounds < 1 or args.identities < 1:
        parser.error("--logins, --rounds and --identities must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        workdir = Path(tmp)
        with local_pool(workdir / "pool.sqlite", ["--no-quotas"]) as pool:
            app = create_app(pool.url)
            recorded = create_users(app, "lt-pipe-rec-", 1, totp=True)[0]
            ctx = FlowContext(
                client=app.app_client,
                clock=lambda: datetime.now(UTC),
                ephemerals=srp_fast.new_ephemeral,
                verifiers=srp_fast.VerifierCache(),
            )
            exchanges = record_login(app.url, recorded, ctx)
        figures = measure(
            exchanges,
            recorded,
            ctx,
            logins=args.logins,
            rounds=args.rounds,
            identities=args.identities,
            workdir=args.keep or workdir,
        )
    print(f"CPU per SRP + TOTP login, hot, no network, no maths ({args.rounds} rounds of "
          f"{args.logins}; medians)")  # fmt: skip
    print(f"  ours: flow, driver, record, Locust events  {figures.flow_us:7.1f} µs")
    print(f"  ours: canonical event and report           {figures.report_us:7.1f} µs")
    print(f"  ours, in all                               {figures.ours_us:7.1f} µs")
    print(f"  bare calls (the floor's decode and events) {figures.bare_us:7.1f} µs")
    print(f"  ours - bare                                {figures.excess_us:7.1f} µs")
    print(f"  requests in Locust's stats (both ways): {figures.requests}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
