"""The maths runs on native threads without holding the GIL, so event loops keep running.

These tests count progress, they do not time it: while an exponentiation job runs on a worker,
the thread or loop that waits for it must keep making progress.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from typing import Any

import gmpy2
import pytest

import srp_fast
from srp_fast.offload import math_executor, run_async
from tests.child import python_json

BASE = gmpy2.mpz(3) ** 2000 % srp_fast.N
EXP = gmpy2.mpz(2) ** 1023 + 12345
LONG_EXP = gmpy2.mpz(2) ** 24000 + 12345  # one call of ~0.1 s


def heavy(count: int = 25) -> int:
    for _ in range(count):
        srp_fast.powmod(BASE, EXP)
    return count


def progress_during(powmod: Callable[[Any, Any, Any], Any]) -> int:
    """How far this thread gets while another thread is inside one long ``powmod`` call.

    The switch interval is raised to 1 s, so a GIL-holding call (~0.1 s here) would finish long
    before this thread could preempt it: progress is then 0. A GIL-releasing call lets this
    thread count all along.
    """
    state = {"inside": False, "finished": False}

    def work() -> None:
        state["inside"] = True
        powmod(BASE, LONG_EXP, srp_fast.N)
        state["finished"] = True

    old = sys.getswitchinterval()
    sys.setswitchinterval(1.0)
    progress = 0
    try:
        worker = threading.Thread(target=work)
        worker.start()
        while not state["finished"]:
            if state["inside"]:
                progress += 1
        worker.join()
    finally:
        sys.setswitchinterval(old)
    return progress


def test_powmod_releases_the_gil() -> None:
    assert progress_during(srp_fast.powmod) > 10_000


def test_the_probe_detects_a_gil_holder() -> None:
    # gmpy2.powmod in a default context holds the GIL: the probe must see no progress.
    assert progress_during(gmpy2.powmod) == 0


@pytest.mark.asyncio
async def test_asyncio_loop_keeps_running_while_maths_runs() -> None:
    executor = math_executor(1)
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        assert await run_async(executor, heavy, 25) == 25
    finally:
        done = True
        await task
        executor.shutdown()
    assert ticks > 100


GEVENT_PROBE = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()
    import json, threading
    import gevent
    import srp_fast
    from srp_fast.offload import gevent_math_executor

    base = srp_fast.powmod(3, 2000) ; exp = (1 << 1023) + 12345
    executor = gevent_math_executor(1)
    ticks = 0
    done = False
    def ticker():
        global ticks
        while not done:
            ticks += 1
            gevent.sleep(0)
    def job():
        for _ in range(10):
            srp_fast.powmod(base, exp)
        return monkey.get_original("threading", "get_ident")()
    greenlet = gevent.spawn(ticker)
    worker_ident = executor.submit(job).result()
    done = True
    greenlet.join()
    main_ident = monkey.get_original("threading", "get_ident")()
    print(json.dumps({"ticks": ticks, "native_worker": worker_ident != main_ident}))
    """
)


def test_gevent_hub_keeps_serving_while_maths_runs_on_a_native_thread() -> None:
    report = python_json(GEVENT_PROBE)
    assert report["native_worker"] is True
    assert report["ticks"] > 100


_NICENESS_CHECK = """
import os, sys
if sys.argv[1] == "gevent":
    from gevent import monkey; monkey.patch_all()
from srp_fast.offload import gevent_math_executor, math_executor
def niceness(): return os.getpriority(os.PRIO_PROCESS, 0)
before = niceness()
if sys.argv[1] == "gevent":
    executor = gevent_math_executor(2, niceness=4)
else:
    executor = math_executor(2, niceness=4)
seen = {executor.submit(niceness).result() for _ in range(20)}
print(before, sorted(seen), niceness())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
@pytest.mark.parametrize("kind", ["threads", "gevent"])
def test_math_threads_run_nicer_than_the_thread_that_made_them(kind: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _NICENESS_CHECK, kind], capture_output=True, text=True, check=True
    )
    parts = run.stdout.split()
    before, after = int(parts[0]), int(parts[-1])
    seen = [int(x) for x in " ".join(parts[1:-1]).strip("[]").split(",")]
    assert after == before, "the caller's own priority is left alone"
    assert seen == [min(19, before + 4)]


_HUB_EXECUTOR_CHECK = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()
    import json
    import gevent
    from concurrent.futures import TimeoutError as FutureTimeout
    from srp_fast.offload import HubExecutor

    executor = HubExecutor(2)
    out = {}
    # many greenlets at once, each waiting on its own job
    jobs = [gevent.spawn(lambda i=i: executor.submit(pow, 3, 10_000 + i, 10**9 + 7).result())
            for i in range(50)]
    gevent.joinall(jobs, raise_error=True)
    out["values_right"] = [j.value for j in jobs] == [pow(3, 10_000 + i, 10**9 + 7)
                                                      for i in range(50)]
    # a job's exception reaches the waiter, and the executor keeps working
    def boom():
        raise ValueError("no")
    try:
        executor.submit(boom).result()
        out["raised"] = None
    except ValueError as exc:
        out["raised"] = str(exc)
    out["after_error"] = executor.submit(sum, [1, 2, 3]).result()
    # a greenlet killed while it waits: the job still settles, nobody is woken wrongly
    import time
    slow = executor.submit(time.sleep, 0.2)
    waiter = gevent.spawn(slow.result)
    gevent.sleep(0.01)
    waiter.kill()
    out["killed_waiter_dead"] = waiter.dead
    out["done_later"] = (gevent.sleep(0.4), slow.done())[1]
    # a timeout while waiting
    try:
        executor.submit(time.sleep, 0.3).result(timeout=0.05)
        out["timed_out"] = False
    except FutureTimeout:
        out["timed_out"] = True
    executor.shutdown()
    try:
        executor.submit(sum, [1])
        out["refused_after_shutdown"] = False
    except RuntimeError:
        out["refused_after_shutdown"] = True
    print(json.dumps(out))
    """
)


def test_the_hub_executor_settles_each_job_for_its_own_greenlet_and_survives_errors() -> None:
    """Run as a script: it must also end by itself (an idle executor keeps no hub alive)."""
    report = python_json(_HUB_EXECUTOR_CHECK, timeout=60)
    assert report == {
        "values_right": True,
        "raised": "no",
        "after_error": 6,
        "killed_waiter_dead": True,
        "done_later": True,
        "timed_out": True,
        "refused_after_shutdown": True,
    }


_FORK_CHECK = textwrap.dedent(
    """
    import json, os
    from srp_fast.offload import HubExecutor

    # no monkey-patching: the real fork and a blocking waitpid (gevent's waitpid, patched in,
    # waits on a child watcher; a run of this check hung once that way in CI)
    before_fork = HubExecutor(1)
    child = os.fork()
    if child == 0:
        try:
            before_fork.submit(sum, [1])
            os._exit(1)
        except RuntimeError:
            os._exit(0)
    status = os.waitpid(child, 0)[1]
    print(json.dumps({
        "child_refused": status == 0,
        "parent_still_works": before_fork.submit(sum, [2, 3]).result() == 5,
    }))
    """
)


def test_a_hub_executor_made_before_a_fork_refuses_jobs_in_the_child() -> None:
    """Its threads stayed in the parent: a job in the child would wait forever."""
    report = python_json(_FORK_CHECK, timeout=60)
    assert report == {"child_refused": True, "parent_still_works": True}
