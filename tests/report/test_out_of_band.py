"""A code's delivery is its own category: a sign-up against the local pool over HTTP waits for
its code from the message sink (``code:SIGN_UP``), and that wait is reported as out-of-band,
never as client maths ("a login spent 1e3 ms on client maths" for a slow inbox) nor as server
time: in the login record, its canonical event, ``summary.json``, ``report.html`` and the
Cognito tab."""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import jsonschema

import srp_fast
from loadtest.drivers import SyncDriver, Urllib3Transport
from loadtest.drivers.record import record
from loadtest.flows import AppClient, FlowContext, Identity, LocalSinkCodes
from loadtest.flows.account import sign_up
from loadtest.flows.effects import ComputeKind, FlowError
from loadtest.locust.web_tab import live_figures, tab_rows
from loadtest.protocol.errors import CognitoError, TransportError
from loadtest.report import Aggregate, Redactor, build_summary, schema
from loadtest.report.events import login_event
from loadtest.report.html import render_html

FLOW = "login:signup"


class MathsThreads(ThreadPoolExecutor):
    """The maths threads, noting the name of every function they were given."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.given: list[str] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.given.append(getattr(fn, "__name__", type(fn).__name__))
        return super().submit(fn, *args, **kwargs)


def _signed_up(pool_server: Any, maths: MathsThreads | None = None) -> Any:
    pool = pool_server("--no-quotas")
    app = pool.provision(auto_verified=("email",))  # SignUp sends a code to verify it
    client = AppClient(pool_id=app.pool_id, client_id=app.client_id)
    ctx = FlowContext(
        client=client,
        clock=lambda: datetime.now(UTC),
        ephemerals=srp_fast.new_ephemeral,
        codes=LocalSinkCodes(base_url=pool.url),
    )
    driver = SyncDriver(Urllib3Transport(pool.url), executor=maths)
    identity = Identity(username="lt-signup-1", password="Passw0rd!")
    errors = (CognitoError, TransportError, FlowError)
    return record(
        FLOW, lambda reporter: driver.run(sign_up(identity, ctx), reporter=reporter), errors
    )


def test_the_code_wait_is_out_of_band_everywhere(pool_server: Any) -> None:
    with MathsThreads() as maths:
        login = _signed_up(pool_server, maths)
    assert login.error is None
    assert "LocalSinkCodes" not in maths.given  # the wait never held a maths thread
    assert maths.given  # the maths did run there
    assert [w.name for w in login.waits] == ["code:SIGN_UP"]
    assert {w.kind for w in login.waits} == {ComputeKind.OUT_OF_BAND}
    assert "code:SIGN_UP" not in [c.name for c in login.computes]
    assert [c.name for c in login.computes] == ["ephemeral", "PASSWORD_VERIFIER"]
    assert login.out_of_band_ms == login.waits[0].compute_ms > 0
    assert login.compute_ms == sum(c.compute_ms for c in login.computes)
    assert login.server_ms + login.compute_ms + login.out_of_band_ms <= login.total_ms

    event = Redactor().redact(login_event(login)) | {"event": "login", "t": 100.0}
    assert {"out_of_band": "code:SIGN_UP", "ms": round(login.out_of_band_ms, 3)} in event["steps"]
    assert not any(step.get("compute") == "code:SIGN_UP" for step in event["steps"])
    assert event["out_of_band_ms"] == round(login.out_of_band_ms, 3)
    aggregate = Aggregate()
    aggregate.add(json.loads(json.dumps(event)))  # as read back from events.jsonl
    run = {"run_id": "r", "target": {}, "configuration": {}, "versions": {}, "git_revision": None}
    summary = build_summary(aggregate, run, source="live")
    jsonschema.validate(summary, schema())
    assert summary["out_of_band"][FLOW]["count"] == 1
    # the maths alone, to the histograms' 3 significant digits: the wait is not in it
    assert math.isclose(summary["client_compute"][FLOW]["max"], login.compute_ms, rel_tol=1e-2)
    assert math.isclose(summary["out_of_band"][FLOW]["max"], login.out_of_band_ms, rel_tol=1e-2)
    page = render_html(summary)
    assert "Out-of-band waits per login" in page
    assert "out-of-band wait" in page  # the third part of the per-login bars
    rows = tab_rows(live_figures(aggregate))
    assert [r["label"] for r in rows if r["section"] == "out-of-band wait (codes)"] == [FLOW]


def test_a_login_without_codes_has_no_out_of_band_row() -> None:
    from .test_validity import HEALTHY

    aggregate = Aggregate()
    for event in HEALTHY:
        aggregate.add(event)
    run = {"run_id": "r", "target": {}, "configuration": {}, "versions": {}, "git_revision": None}
    summary = build_summary(aggregate, run, source="live")
    assert summary["out_of_band"] == {}
    assert "Out-of-band waits" not in render_html(summary)
