"""Run the lockout probe: many users in parallel on one asyncio loop, bounded, interruptible.

:func:`run_probe` is the code entry point (the CLI and the demo call it): it checks the users
are synthetic, opens one aiohttp transport and one maths executor for all, runs one task per
user (its :class:`~.plan.UserPlan` decides, the task only sleeps and sends), writes events as
they happen and, however the run ends (finished, out of time, Ctrl-C), the summary.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import srp_fast
from loadtest.drivers import AiohttpTransport, AsyncDriver
from loadtest.flows import AppClient, FlowContext
from loadtest.flows.totp import STEP_SECONDS
from srp_fast.offload import math_executor

from .attempts import Attempter, Method, ProbeUser, TimedTransport
from .inference import LockMeasure, infer
from .model import LockoutModel
from .plan import ActionKind, PlanSettings, UserPlan
from .records import Attempt, Outcome
from .report import (
    EVENTS_FILE,
    SUMMARY_FILE,
    EventLog,
    overall_verdict,
    print_table,
    user_summary,
    write_summary,
)

__all__ = [
    "SYNTHETIC_PREFIX",
    "ProbeConfig",
    "UnsafeUsername",
    "check_users",
    "probe",
    "run_probe",
    "time_budget",
]

#: Usernames the probe may lock without being told otherwise (synthetic test users).
SYNTHETIC_PREFIX = "lt-"


class UnsafeUsername(ValueError):
    """A username without the synthetic prefix, and no explicit permission to probe it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeConfig:
    """Everything a probe run needs. ``max_seconds`` 0: :func:`time_budget` of the plan."""

    endpoint_url: str
    client: AppClient
    users: tuple[ProbeUser, ...]
    model: LockoutModel = field(default_factory=LockoutModel)
    plan: PlanSettings = field(default_factory=PlanSettings)
    method: Method = Method.SRP
    max_seconds: float = 0.0
    force_unsafe_username: bool = False
    timeout: float = 10.0


def check_users(users: Sequence[ProbeUser], *, force_unsafe: bool) -> tuple[ProbeUser, ...]:
    """Refuse non-synthetic usernames unless forced; a forced one never has its password used.

    Raises :class:`UnsafeUsername` naming every refused user, ``ValueError`` on a repeated
    username (two tasks on one user would disturb each other's measurement).
    """
    names = [u.username for u in users]
    if len(set(names)) != len(names):
        raise ValueError("each user may be probed once per run (a username is repeated)")
    unsafe = [u.username for u in users if not u.username.startswith(SYNTHETIC_PREFIX)]
    if unsafe and not force_unsafe:
        raise UnsafeUsername(
            f"refusing to lock users without the synthetic prefix {SYNTHETIC_PREFIX!r}: "
            f"{', '.join(unsafe)} (--force-unsafe-username to probe them anyway; their "
            "password is never sent)"
        )
    return tuple(
        u if u.username.startswith(SYNTHETIC_PREFIX) else ProbeUser(username=u.username)
        for u in users
    )


def time_budget(model: LockoutModel, plan: PlanSettings, *, totp: bool = False) -> float:
    """Real seconds a run may take: twice the locks it will wait out, the idle wait, 30 s.

    With ``totp`` (users whose sign-ins end with a TOTP code), a 30 s step more for each sign-in
    with the right password, and one: a code is taken once, so each may wait for a step to
    free, and another client (the probe run a minute ago) may have spent this step and the
    next."""
    locks = model.total_lock_seconds(plan.failures(model)) + model.first_lock
    if plan.success_reset:
        locks += model.first_lock
    if plan.idle_reset:
        locks += model.idle_reset * (1 + plan.idle_margin) + model.first_lock
    budget = 2 * model.real(locks) + 30.0
    if totp:
        sign_ins = 2 + plan.success_reset  # the baseline, the last lock's, the reset's
        budget += STEP_SECONDS * (sign_ins + 1)
    return budget


def _signs_in(user: ProbeUser, method: Method) -> bool:
    """Whether the probe signs this user in with the right password (a baseline, the success
    that lifts a lock): it knows the password, and is not sending wrong MFA codes."""
    return user.password is not None and method is not Method.MFA


def probe(
    config: ProbeConfig, run_dir: Path, *, out: IO[str] | None = None, quiet: bool = False
) -> dict[str, Any]:
    """:func:`run_probe` from synchronous code (the demo)."""
    return asyncio.run(run_probe(config, run_dir, out=out, quiet=quiet))


async def run_probe(
    config: ProbeConfig, run_dir: Path, *, out: IO[str] | None = None, quiet: bool = False
) -> dict[str, Any]:
    """Probe every user in parallel; write events and the summary into ``run_dir``.

    The table goes to ``out`` (standard output by default) unless ``quiet``.

    Returns the summary (also in ``run_dir/lockout-summary.json``). On cancellation (Ctrl-C)
    the summary of what was measured is written, marked ``interrupted``, and the cancellation
    propagates.
    """
    users = check_users(config.users, force_unsafe=config.force_unsafe_username)
    if config.method is Method.MFA and any(u.password is None for u in users):
        raise ValueError("--method mfa needs every user's password (an identities file)")
    run_dir.mkdir(parents=True, exist_ok=True)
    run = _Run(config, users, run_dir)
    if not quiet:
        print(run.start_line(), file=out or sys.stdout, flush=True)
    try:
        await run.all_users()
    except asyncio.CancelledError:
        run.interrupted = True
        raise
    finally:
        summary = run.finish()
        if not quiet:
            print_table(summary, out or sys.stdout)
    return summary


class _Run:
    """One probe run's shared state: clock, transport, events, each user's log and plan."""

    def __init__(self, config: ProbeConfig, users: tuple[ProbeUser, ...], run_dir: Path) -> None:
        self.config, self.users, self.run_dir = config, users, run_dir
        self.origin = time.monotonic()
        self.started = datetime.now(UTC)
        self.totp = any(u.totp_secret and _signs_in(u, config.method) for u in users)
        budget = config.max_seconds or time_budget(config.model, config.plan, totp=self.totp)
        self.deadline = budget
        self.events = EventLog(run_dir / EVENTS_FILE)
        self.logs: dict[str, list[Attempt]] = {u.username: [] for u in users}
        self.plans: dict[str, UserPlan] = {}
        self.interrupted = False
        self.events.write({"event": "run_started", **self.metadata()}, t=0.0)

    def start_line(self) -> str:
        """What the run will do and how long it may take, said before it goes quiet: the
        table comes at the end, and a TOTP user's sign-ins may each wait out a code step."""
        plan, count = self.config.plan, len(self.users)
        resets = " and the reset after a success" if plan.success_reset else ""
        resets += ", then the idle reset" if plan.idle_reset else ""
        step = f"; TOTP users wait for a fresh {STEP_SECONDS} s code step to sign in"
        waits = step if self.totp else ""
        return (
            f"probing {count} user{'s in parallel' if count != 1 else ''}: "
            f"{plan.failures(self.config.model)} counted failures each{resets}, for at most "
            f"{self.deadline:.0f} s (the time budget){waits}; the table follows at the end"
        )

    def clock(self) -> float:
        """The probe's clock: monotonic seconds since the run started."""
        return time.monotonic() - self.origin

    def metadata(self) -> dict[str, Any]:
        config = self.config
        return {
            "started": self.started.isoformat(timespec="seconds"),
            "endpoint": config.endpoint_url,
            "pool_id": config.client.pool_id,
            "client_id": config.client.client_id,
            "method": config.method.value,
            "model": {**config.model.to_json(), "description": config.model.describe()},
            "plan": {
                "schedule_failures": config.plan.failures(config.model),
                "idle_reset": config.plan.idle_reset,
                "success_reset": config.plan.success_reset,
                "max_attempts": config.plan.max_attempts,
            },
            "max_seconds": round(self.deadline, 3),
            "users": [u.username for u in self.users],
        }

    async def all_users(self) -> None:
        transport = AiohttpTransport(self.config.endpoint_url, timeout=self.config.timeout)
        executor = math_executor()
        try:
            async with asyncio.TaskGroup() as group:
                for user in self.users:
                    group.create_task(self.one_user(user, transport, executor))
        finally:
            await transport.close()
            executor.shutdown(wait=False, cancel_futures=True)

    async def one_user(self, user: ProbeUser, transport: AiohttpTransport, executor: Any) -> None:
        attempter = self._attempter(user, transport, executor)
        plan = UserPlan(
            self.config.model,
            self.config.plan,
            knows_password=_signs_in(user, self.config.method),
            start=self.clock(),
        )
        self.plans[user.username] = plan
        emitted = 0
        while (action := plan.next_action()).kind is ActionKind.SEND:
            if action.at > self.deadline:
                plan.stop(f"time budget of {self.deadline:.0f} s spent")
                break
            await asyncio.sleep(max(0.0, action.at - attempter.lead - self.clock()))
            attempt = await attempter.attempt(
                plan.attempts, action.credential, action.phase, at=action.at
            )
            self.logs[user.username].append(attempt)
            plan.record(attempt)
            self.events.write(attempt.to_json(), t=attempt.answered_at)
            emitted = self._emit_locks(user.username, attempt, emitted)
        self.events.write({"event": "user_done", "user": user.username, "why": plan.done_reason})

    def _attempter(self, user: ProbeUser, transport: AiohttpTransport, executor: Any) -> Attempter:
        timed = TimedTransport(transport, self.clock)
        context = FlowContext(
            client=self.config.client,
            clock=lambda: datetime.now(UTC),
            ephemerals=srp_fast.new_ephemeral,
        )
        driver = AsyncDriver(timed, executor=executor)
        return Attempter(user, self.config.method, transport=timed, driver=driver, context=context)

    def _emit_locks(self, user: str, attempt: Attempt, emitted: int) -> int:
        """Write ``lock`` events for locks whose end has now been seen."""
        if attempt.outcome not in (Outcome.COUNTED, Outcome.SUCCESS):
            return emitted
        closed = self._locks(user)
        if attempt.outcome is Outcome.COUNTED:
            closed = closed[:-1]  # the lock this failure started is still on
        for lock in closed[emitted:]:
            self.events.write(lock.to_json(self.config.model), t=attempt.answered_at)
        return max(emitted, len(closed))

    def _locks(self, user: str) -> list[LockMeasure]:
        return infer(self.logs[user], self.config.model)

    def finish(self) -> dict[str, Any]:
        """Build and write the summary; close the events file."""
        users = [self._user_summary(u.username) for u in self.users]
        summary = {
            "run": {
                **self.metadata(),
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "elapsed_s": round(self.clock(), 3),
                "interrupted": self.interrupted,
            },
            "verdict": overall_verdict(users),
            "users": users,
        }
        write_summary(self.run_dir / SUMMARY_FILE, summary)
        self.events.write({"event": "run_finished", "verdict": summary["verdict"]}, t=self.clock())
        self.events.close()
        return summary

    def _user_summary(self, user: str) -> dict[str, Any]:
        plan = self.plans.get(user)
        reason = plan.done_reason if plan is not None else ""
        if self.interrupted and not reason:
            reason = "interrupted"
        return user_summary(
            user,
            self.logs[user],
            self._locks(user),
            self.config.model,
            done_reason=reason,
            unexplained=plan is not None and plan.unexplained,
        )
