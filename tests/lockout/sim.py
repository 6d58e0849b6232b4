"""A simulated pool and a simulated clock, to drive the probe's plan without sockets or sleeps.

:class:`SimPool` applies the documented lockout rules (the test's own reference, written
independently of the probe's model and of the local pool) at the instant the "server" decides.
:func:`simulate` runs a :class:`UserPlan` against it: each attempt is sent at the plan's time,
decided after an up-link latency and answered after a down-link latency, both drawn from a
seeded random source; an answer may be lost (the pool still decides, or not).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from loadtest.lockout.plan import ActionKind, UserPlan
from loadtest.lockout.records import Attempt, Credential, Outcome

MAX_STEPS = 20_000


@dataclass
class SimPool:
    """One user's lockout state on a pool with these parameters (real seconds)."""

    threshold: int = 5
    first_lock: float = 1.0
    factor: float = 2.0
    cap: float = 900.0
    idle_reset: float = 900.0
    scale: float = 1.0
    failures: int = 0
    locked_until: float = 0.0
    last_attempt: float | None = None
    decisions: list[tuple[float, Outcome]] = field(default_factory=list)

    def decide(self, credential: Credential, now: float) -> Outcome:
        if (
            self.last_attempt is not None
            and now - self.last_attempt >= self.idle_reset * self.scale
        ):
            self.failures, self.locked_until = 0, 0.0
        self.last_attempt = now
        if now < self.locked_until:
            outcome = Outcome.LOCKED
        elif credential is Credential.CORRECT:
            self.failures, self.locked_until, outcome = 0, 0.0, Outcome.SUCCESS
        else:
            self.failures += 1
            if self.failures >= self.threshold:
                exponent = self.failures - self.threshold
                lock = min(self.cap, self.first_lock * self.factor**exponent) * self.scale
                self.locked_until = now + lock
            outcome = Outcome.COUNTED
        self.decisions.append((now, outcome))
        return outcome


@dataclass(frozen=True)
class Network:
    """Latencies uniform in [low, high] each way; ``lost`` is the chance an answer is lost."""

    low: float = 0.001
    high: float = 0.003
    lost: float = 0.0
    timeout: float = 0.5


def simulate(
    plan: UserPlan, pool: SimPool, network: Network, seed: int, user: str = "lt-sim"
) -> list[Attempt]:
    """Run ``plan`` against ``pool`` until it is done; the attempt log."""
    rng = random.Random(seed)
    log: list[Attempt] = []
    clock = 0.0
    for seq in range(MAX_STEPS):
        action = plan.next_action()
        if action.kind is ActionKind.DONE:
            return log
        sent = max(clock, action.at)
        decided = sent + rng.uniform(network.low, network.high)
        outcome = pool.decide(action.credential, decided)
        answered = decided + rng.uniform(network.low, network.high)
        if rng.random() < network.lost:
            outcome, answered = Outcome.LOST, sent + network.timeout
        attempt = Attempt(
            user=user,
            seq=seq,
            phase=action.phase,
            credential=action.credential,
            sent_at=sent,
            answered_at=answered,
            outcome=outcome,
        )
        log.append(attempt)
        plan.record(attempt)
        clock = answered
    raise AssertionError("the plan never finished")
