"""Running ``cognito-loadtest capacity`` from the tests: a ramp around the quota model's onset
for a mix, against the embedded local pool with every quota scaled, its capacity.json back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from loadtest.capacity.ramp import quotas_under_test
from loadtest.protocol.quotas import DOMAIN_LIMITS
from loadtest.quota.model import throttle_onset

__all__ = ["capacity", "predicted"]


def predicted(mix: dict[str, float], scale: float, quotas: tuple[str, ...] = ()) -> float:
    """The quota model's onset, logins/s, for ``mix`` at every default quota and domain limit
    x ``scale`` (then the ``CATEGORY=RPS`` overrides), from one source IP, as capacity's."""
    limits = quotas_under_test(list(quotas), scale)
    domain = DOMAIN_LIMITS.scaled(scale)
    return throttle_onset(mix, limits, domain=domain, source_ips=1).logins_per_second


def capacity(
    tmp_path: Path,
    mix: dict[str, float],
    run_id: str,
    *,
    scale: float,
    steps: tuple[float, ...],
    step_seconds: float,
    warmup: float = 3.0,
    concurrency: int = 40,
    quotas: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Run the capacity command on a ramp whose steps are the given multiples of the model's
    onset (evenly spaced: first, second, last), after ``warmup`` seconds at the first; its
    capacity.json. The pool's burst is 0.25 s so that a bucket drains within a step or two of
    the rate passing its quota (a 1 s bucket takes 1/x s to drain at x over the quota).
    ``quotas``: ``CATEGORY=RPS`` overrides after the scaling, given to the model too."""
    onset = predicted(mix, scale, quotas)
    first, step = steps[0] * onset, (steps[1] - steps[0]) * onset
    count = round((steps[-1] - steps[0]) / (steps[1] - steps[0])) + 1
    last = first + (count - 1) * step  # as step_ramp computes it: no extra step at the ceiling
    command = [
        sys.executable, "-m", "loadtest.cli", "capacity",
        "--mix", ",".join(f"{k}={v}" for k, v in mix.items()),
        "--start", repr(first), "--step", repr(step), "--ceiling", repr(last),
        "--step-seconds", str(step_seconds), "--warmup", str(warmup),
        "--quota-scale", str(scale), "--burst-seconds", "0.25",
        "--concurrency", str(concurrency), "--stop-throttle-rate", "0.02",
        "--reports", str(tmp_path / "reports"), "--private", str(tmp_path / "private"),
        "--run-id", run_id,
        *[part for spec in quotas for part in ("--quota", spec)],
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    run_dir = tmp_path / "reports" / run_id
    log = (run_dir / "locust.log").read_text()[-3000:] if (run_dir / "locust.log").exists() else ""
    assert done.returncode == 0, done.stdout + done.stderr[-3000:] + log
    result: dict[str, Any] = json.loads((run_dir / "capacity.json").read_text())
    assert (run_dir / "capacity.html").read_text().count("<svg") == 3
    # the findings state the latencies' verdict, as the page's banner does
    trusted = result["validity"]["trustworthy"]
    said = result["findings"]["validity"]
    assert said.startswith("latencies trustworthy (" if trusted else "latencies untrustworthy: ")
    for flag in result["validity"]["flags"]:
        assert f"{flag['name']}: {flag['reason']}" in said
    assert re.search(rf"^validity: +{re.escape(said)}$", done.stdout, re.MULTILINE), done.stdout
    return result
