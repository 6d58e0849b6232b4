"""The stall witness the validity tests lean on (tests/stalls.py): it sees a stall of its
process, and it forgives a compute flag only when the flow's typical login was healthy and the
stall was long enough."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.stalls import StallWitness, compute_flags_explained

ROOT = Path(__file__).resolve().parent.parent

#: Runs a witness for a second; says when it is up, then how late it woke at worst.
CHILD = """
import sys, time
from tests.stalls import stall_witness
with stall_witness() as witness:
    print("up", flush=True)
    time.sleep(1.0)
print(witness.longest_ms, flush=True)
"""


def test_the_witness_sees_its_process_stopped() -> None:
    """SIGSTOP is what a stalled VM does to every process: nothing runs until it resumes."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "up"
    time.sleep(0.2)
    child.send_signal(signal.SIGSTOP)
    time.sleep(0.25)
    child.send_signal(signal.SIGCONT)
    out, _ = child.communicate(timeout=30)
    assert child.returncode == 0
    assert float(out.strip()) >= 200


def _summary(flag: str, compute: dict[str, float], login: dict[str, float]) -> dict[str, Any]:
    flow = "login:srp"
    return {
        "validity": {"flags": [{"name": flag, "reason": f"{flow}: compute was slow"}]},
        "client_compute": {flow: compute},
        "flows": {flow: login},
    }


def _witness(longest_ms: float) -> StallWitness:
    witness = StallWitness()
    witness.longest_ms = longest_ms
    return witness


def test_a_stall_as_long_as_the_excess_explains_a_compute_flag() -> None:
    # as CI saw: a healthy flow, one login stalled 145 ms with the whole machine
    stalled = _summary("client_compute_max", {"p50": 2.0, "max": 145.0}, {"p50": 7.0})
    assert compute_flags_explained(stalled, _witness(140.0))
    assert compute_flags_explained(stalled, _witness(71.5))
    assert not compute_flags_explained(stalled, _witness(70.0))
    assert not compute_flags_explained(stalled, _witness(3.0))


def test_no_stall_explains_a_flow_whose_typical_login_is_slow() -> None:
    slow = _summary("client_compute_share", {"p50": 60.0, "max": 70.0}, {"p50": 100.0})
    assert not compute_flags_explained(slow, _witness(500.0))


def test_a_run_without_compute_flags_needs_no_explaining() -> None:
    run = {"validity": {"flags": [{"name": "loop_lag", "reason": "p99 12 ms"}]}}
    assert compute_flags_explained(run, _witness(0.0))
