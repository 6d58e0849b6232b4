"""A throttle-onset ramp for HTTP entries the open model cannot run (client credentials).

An open model in one process: arrivals are due at ``k / rate`` within each step and are handed
to a fixed pool of threads (``--concurrency``), so a slow answer does not delay the next
arrival; an arrival with no free thread waits (counted late, not dropped: the pool of threads
is sized well above rate x latency). Each step's answers are tallied into the capacity
analysis's own :class:`~.analysis.StepResult`, and its :func:`~.analysis.onset` and
:func:`~.analysis.infer_category` decide, so the verdict reads exactly as ``capacity``'s.

    python -m loadtest.capacity.http_onset --domain-url http://127.0.0.1:8000/domain/lt-x \\
        --client-id ID --start 120 --step 6 --ceiling 180 --step-seconds 4
    (the client secret from COGNITO_M2M_CLIENT_SECRET)

Bounded: at most ``MAX_STEPS`` steps of at most ``MAX_STEP_SECONDS`` s, loopback only.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3

from loadtest.protocol.names import GrantType
from loadtest.protocol.quotas import QuotaCategory
from loadtest.quota.model import throttle_onset

from .analysis import StepResult, infer_category, onset

__all__ = ["OnsetVerdict", "RampPlan", "main", "ramp", "token_sender"]

MAX_STEPS = 40
MAX_STEP_SECONDS = 30.0
LABEL = f"POST /oauth2/token:{GrantType.CLIENT_CREDENTIALS}"
#: Send one request; return its HTTP status (the caller counts it).
Sender = Callable[[], int]


@dataclass(frozen=True, slots=True, kw_only=True)
class RampPlan:
    """Rates to step through, each held ``step_seconds``, after a warm-up at the first."""

    start: float
    step: float
    ceiling: float
    step_seconds: float = 4.0
    warmup_seconds: float = 2.0
    concurrency: int = 16

    def rates(self) -> list[float]:
        if self.start <= 0 or self.step <= 0 or self.ceiling < self.start:
            raise ValueError("need 0 < start <= ceiling and step > 0")
        count = int((self.ceiling - self.start) / self.step + 1e-9) + 1
        if count > MAX_STEPS or self.step_seconds > MAX_STEP_SECONDS:
            raise ValueError(f"at most {MAX_STEPS} steps of {MAX_STEP_SECONDS:g} s")
        return [self.start + i * self.step for i in range(count)]


@dataclass(frozen=True, slots=True, kw_only=True)
class OnsetVerdict:
    """The steps, the measured onset (or none) and its category, against the model."""

    steps: list[StepResult]
    onset_rate: float | None
    category: str | None
    model_rate: float
    model_category: str

    def as_json(self) -> dict[str, Any]:
        return {
            "onset": None
            if self.onset_rate is None
            else {"rate": self.onset_rate, "category": self.category},
            "model": {"onset_rate": self.model_rate, "category": self.model_category},
            "steps": [s.as_json() for s in self.steps],
        }


def token_sender(domain_url: str, client_id: str, secret: str) -> Sender:
    """A thread-safe sender of one client-credentials token request (HTTP Basic)."""
    host = urlsplit(domain_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the ramp only targets a loopback domain, not {host!r}")
    web = urllib3.PoolManager(maxsize=64, retries=False, timeout=30.0)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = urlencode({"grant_type": str(GrantType.CLIENT_CREDENTIALS)})
    url = f"{domain_url.rstrip('/')}/oauth2/token"

    def send() -> int:
        return int(web.request("POST", url, body=body, headers=headers).status)

    return send


def _run_step(
    pool: ThreadPoolExecutor, send: Sender, rate: float, seconds: float, stage: int
) -> StepResult:
    """Send ``rate * seconds`` requests on schedule; tally their answers."""
    scheduled = round(rate * seconds)
    step = StepResult(stage=stage, rate=rate, seconds=seconds, scheduled=scheduled)
    lock, futures = threading.Lock(), []
    begin = time.monotonic()
    for k in range(scheduled):
        delay = begin + k / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing the open model's arrivals, not waiting out flakiness
        futures.append(pool.submit(send))
    for future in futures:
        with lock:
            _tally(step, future)
    return step


def _tally(step: StepResult, future: Future[int]) -> None:
    step.started += 1
    try:
        status = future.result()
    except Exception:
        step.failed += 1
        return
    if status == 200:
        step.ok += 1
    elif status == 429:
        step.throttled += 1
        step.throttled_calls[LABEL] = step.throttled_calls.get(LABEL, 0) + 1
    else:
        step.failed += 1


def ramp(
    send: Sender, plan: RampPlan, quotas: dict[QuotaCategory, float] | None = None
) -> OnsetVerdict:
    """Warm up, step through the plan's rates, and judge the onset as ``capacity`` does."""
    rates = plan.rates()
    with ThreadPoolExecutor(plan.concurrency) as pool:
        _run_step(pool, send, rates[0], plan.warmup_seconds, 0)
        steps = [_run_step(pool, send, r, plan.step_seconds, i + 1) for i, r in enumerate(rates)]
    found = onset(steps, 0.01, consecutive=2)
    category = None if found is None else infer_category(found, None)[0]
    model = throttle_onset({"client_credentials": 1}, quotas or {})
    return OnsetVerdict(
        steps=steps,
        onset_rate=None if found is None else found.rate,
        category=category,
        model_rate=model.logins_per_second,
        model_category=str(model.category),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The by-hand ramp; prints the verdict as JSON."""
    parser = argparse.ArgumentParser(prog="python -m loadtest.capacity.http_onset")
    parser.add_argument("--domain-url", required=True)
    parser.add_argument("--client-id", required=True)
    for name, default in (
        ("start", 120.0),
        ("step", 6.0),
        ("ceiling", 180.0),
        ("step-seconds", 4.0),
    ):
        parser.add_argument(f"--{name}", type=float, default=default)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    secret = os.environ.get("COGNITO_M2M_CLIENT_SECRET", "")
    try:
        send = token_sender(args.domain_url, args.client_id, secret)
        plan = RampPlan(
            start=args.start,
            step=args.step,
            ceiling=args.ceiling,
            step_seconds=args.step_seconds,
            concurrency=args.concurrency,
        )
        verdict = ramp(send, plan)
    except (ValueError, urllib3.exceptions.HTTPError) as exc:
        print(f"http_onset: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(verdict.as_json(), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
