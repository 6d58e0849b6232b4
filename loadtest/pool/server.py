"""Running the pool: bind the socket, prepare the state file, fork workers, serve until told.

With ``--workers N`` the parent binds one listening socket and forks N processes that accept on
it (the kernel spreads connections), each with its own event loop, SQLite connection and math
threads. Shared memory (quota buckets, the test clock, the stall deadline) is allocated before
the fork. Children die with the parent (``PR_SET_PDEATHSIG``), so a SIGKILLed pool leaves no
orphan holding the port. Readiness: one line ``listening http://HOST:PORT`` on stdout, printed
once every worker serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import ipaddress
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from aiohttp import web

import srp_fast
from srp_fast.offload import math_executor

from .app import InFlight, Runtime, build_app
from .clock import Clock, OffsetClock, SystemClock
from .context import PoolContext
from .faults import FaultPlan
from .messages import MessageSink
from .quotas import Quotas
from .sessions import Sealer
from .settings import ServeSettings
from .shared import SharedMemory
from .srp import XU_BITS, SrpEngine
from .store import Store
from .tokens import TokenAuthority
from .triggers import Triggers

__all__ = ["LoopbackOnly", "serve"]

_PURGE_SECONDS = 60.0
_PR_SET_PDEATHSIG = 1


class LoopbackOnly(ValueError):
    """A bind address off the loopback interface without ``--allow-remote``."""


def check_host(host: str, *, allow_remote: bool) -> None:
    """Refuse to listen beyond loopback unless explicitly forced."""
    if allow_remote or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise LoopbackOnly(f"{host} is not a loopback address (use --allow-remote to force it)")


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno != errno.EADDRINUSE:
            raise
        raise OSError(
            f"{host}:{port} is in use (another pool serve?): --port N serves on another, "
            "--port 0 on a free one"
        ) from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _prepare_state(settings: ServeSettings) -> bool:
    """Create the schema and the persistent keys once, before any worker starts; whether the
    state holds a user pool yet.

    The state holds the signing and sealing keys, TOTP seeds and verifiers: it and its WAL
    files are the owner's only (mode 0600), whatever the umask, including a state file made
    before by a looser process.
    """
    os.umask(0o077)  # this process and its workers create only private files
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{settings.state}{suffix}")
        if path.exists():
            path.chmod(0o600)
    store = Store.open(settings.state)
    try:
        store.secrets.get_or_create("seal-key", Sealer.new_key)
        store.secrets.get_or_create("simulation-key", lambda: os.urandom(32))
        store.secrets.get_or_create("access-key", TokenAuthority.new_key_pem)
        store.secrets.get_or_create("id-key", TokenAuthority.new_key_pem)
        return bool(store.pools.all())
    finally:
        store.close()


def serve(settings: ServeSettings) -> int:
    """Serve until SIGTERM or SIGINT; returns the exit code."""
    check_host(settings.host, allow_remote=settings.allow_remote)
    has_pool = _prepare_state(settings)
    sock = _listen(settings.host, settings.port)
    shared = SharedMemory.create(settings.quotas.bucket_slots)
    srp_fast.g_table().reserve(XU_BITS)  # built once, shared copy-on-write by the workers
    started = time.monotonic()
    port = sock.getsockname()[1]
    announce = _announcer(settings.host, port, empty=None if has_pool else settings.state)
    if settings.workers <= 1:
        _run_worker(_worker_main(settings, sock, shared, started, index=0, ready=announce))
        return 0
    return _supervise(settings, sock, shared, started, announce)


def _announcer(host: str, port: int, *, empty: Path | None = None) -> Callable[[], None]:
    """The readiness line on stdout; for a state with no user pool yet (``empty``), where to
    get one, on stderr (a newcomer's plain ``pool serve`` otherwise only says it listens)."""
    shown = f"[{host}]" if ":" in host else host

    def announce() -> None:
        print(f"listening http://{shown}:{port}", flush=True)
        if empty is not None:
            print(
                f"no user pool in {empty} yet: 'cognito-loadtest pool serve --bootstrap DIR' "
                "makes one, with test users and a locust.conf for every scenario; or create "
                f"yours at http://{shown}:{port} (CreateUserPool, CreateUserPoolClient, with "
                "boto3 or the AWS CLI)",
                file=sys.stderr,
                flush=True,
            )

    return announce


def _supervise(
    settings: ServeSettings,
    sock: socket.socket,
    shared: SharedMemory,
    started: float,
    announce: Callable[[], None],
) -> int:
    read_end, write_end = os.pipe()
    children = []
    for index in range(settings.workers):
        pid = os.fork()
        if pid == 0:  # child
            os.close(read_end)
            _die_with_parent()
            signal_ready = _pipe_signal(write_end)
            code = 0
            try:
                _run_worker(
                    _worker_main(settings, sock, shared, started, index=index, ready=signal_ready)
                )
            except BaseException:
                logging.getLogger("loadtest.pool").exception("worker %d failed", index)
                code = 1
            os._exit(code)
        children.append(pid)
    os.close(write_end)
    sock.close()
    _await_ready(read_end, settings.workers)
    announce()
    return _wait_children(children)


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:
        os._exit(1)


def _pipe_signal(fd: int) -> Callable[[], None]:
    def ready() -> None:
        os.write(fd, b"r")
        os.close(fd)

    return ready


def _await_ready(fd: int, workers: int) -> None:
    received = 0
    while received < workers:
        chunk = os.read(fd, workers)
        if not chunk:
            raise RuntimeError("a worker exited before it was ready")
        received += len(chunk)
    os.close(fd)


def _wait_children(children: list[int]) -> int:
    def forward(signum: int, _frame: object) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        code = max(code, os.waitstatus_to_exitcode(status) if status else 0)
    return 0 if code < 0 else code


# -- one worker ---------------------------------------------------------------------------------
def _run_worker(main: Coroutine[Any, Any, None]) -> None:
    """Run one worker's event loop (uvloop where available) until it stops."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux and macOS
        asyncio.run(main)
    else:
        uvloop.run(main)


def _build_context(settings: ServeSettings, store: Store, clock: Clock) -> PoolContext:
    sealer = Sealer(store.secrets.get_or_create("seal-key", Sealer.new_key))
    tokens = TokenAuthority(
        store.secrets.get_or_create("access-key", TokenAuthority.new_key_pem),
        store.secrets.get_or_create("id-key", TokenAuthority.new_key_pem),
        sealer,
        settings.region,
    )
    srp = SrpEngine(math_executor(settings.math_threads, name="pool-srp"))
    srp.warm_up()
    return PoolContext(
        store=store,
        sealer=sealer,
        tokens=tokens,
        clock=clock,
        scale=settings.scale,
        lockout=settings.lockout,
        srp=srp,
        region=settings.region,
        simulation_key=store.secrets.get_or_create("simulation-key", lambda: os.urandom(32)),
        sink=MessageSink(store=store, file=settings.messages_file),
        triggers=Triggers.load(dict(settings.triggers)),
        code_limits=settings.code_limits,
    )


def _runtime(settings: ServeSettings, shared: SharedMemory, started: float, index: int) -> Runtime:
    frozen_at = shared.frozen_at.value if settings.freeze_clock else None
    test_clock = OffsetClock(shared.clock_offset, frozen_at=frozen_at)
    clock: Clock = test_clock if settings.test_clock else SystemClock()
    ctx = _build_context(settings, Store.open(settings.state), clock)
    seed = None if settings.seed is None else settings.seed + index
    return Runtime(
        ctx=ctx,
        quotas=Quotas(settings.quotas, shared.buckets, shared.lock),
        faults=FaultPlan(settings.faults, seed=seed),
        stalls=settings.stalls,
        shared=shared,
        started=started,
        test_clock=test_clock if settings.test_clock else None,
        workers=settings.workers,
        max_body=settings.max_body,
        in_flight=InFlight(settings.max_in_flight, settings.max_loop_lag),
        settings=_describe(settings),
    )


def _describe(settings: ServeSettings) -> dict[str, Any]:
    """The settings that change what a load test measures, as JSON (``GET /_pool/settings``)."""
    lockout, quotas = settings.lockout, settings.quotas
    return {
        "region": settings.region,
        "workers": settings.workers,
        "max_in_flight": settings.max_in_flight,
        "max_loop_lag": settings.max_loop_lag,
        "time_scale": settings.scale.factor,
        "test_clock": settings.test_clock,
        "lockout": {
            "threshold": lockout.threshold,
            "first_lock_s": lockout.first_lock,
            "factor": lockout.factor,
            "cap_s": lockout.cap,
            "idle_reset_s": lockout.idle_reset,
        },
        "quotas": {
            "enabled": quotas.enabled,
            "rps": {str(category): rate for category, rate in sorted(quotas.rps.items())},
            "per_user_rps": quotas.per_user_rps,
            "per_pool_operation_rps": quotas.per_pool_operation_rps,
            "burst_seconds": quotas.burst_seconds,
        },
        "faults": [
            {"kind": str(f.kind), "rate": f.rate, "operation": f.operation} for f in settings.faults
        ],
        "stalls": len(settings.stalls),
        "messages_file": settings.messages_file is not None,
        "triggers": {name: spec for name, spec in settings.triggers},
        "user_code_limits": settings.code_limits,
    }


async def _worker_main(
    settings: ServeSettings,
    sock: socket.socket,
    shared: SharedMemory,
    started: float,
    *,
    index: int,
    ready: Callable[[], None],
) -> None:
    rt = _runtime(settings, shared, started, index)
    runner = web.AppRunner(build_app(rt), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.SockSite(runner, sock, shutdown_timeout=1.0)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    purge = asyncio.create_task(_purge_loop(rt, stop)) if index == 0 else None
    ready()
    try:
        await stop.wait()
    finally:
        if purge is not None:
            purge.cancel()
        await runner.cleanup()
        rt.ctx.store.close()
        sys.stdout.flush()


async def _purge_loop(rt: Runtime, stop: asyncio.Event) -> None:
    """Drop records of consumed sessions once they would have expired anyway."""
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=_PURGE_SECONDS)
        rt.ctx.store.purge_expired(rt.ctx.now())
