"""Random phases: a user leaves a wait for the next TOTP step, and begins, at a random point of
one of its waits; other waits and pacing are left as they were.

The arithmetic is checked on a stand-in user (:mod:`loadtest.locust.phase` needs only its
``wait_time`` and ``random_phase``); Locust's own users and pacing in a child process, because
importing Locust monkey-patches the interpreter.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from loadtest.flows.identities import NoIdentityAvailable
from loadtest.locust.phase import phase, step_wait
from tests.child import python_json

STEP = NoIdentityAvailable("every fitting identity used its TOTP step", 0.4, at_step=True)
LEASED = NoIdentityAvailable("every fitting identity is leased", 0.1)


@dataclass
class Stand:
    """What the phase reads of a user: a one-second wait, and whether to phase at all."""

    random_phase: bool = True

    def wait_time(self) -> float:
        return 1.0


def user(*, random_phase: bool = True) -> Stand:
    return Stand(random_phase)


def test_leaving_a_step_wait_lands_at_a_random_point_of_one_wait_past_the_step() -> None:
    pauses = [step_wait(user(), STEP, math.inf) for _ in range(400)]
    assert all(0.4 <= p < 1.4 for p in pauses), (min(pauses), max(pauses))
    assert max(pauses) - min(pauses) > 0.8  # spread over the wait, not one instant


def test_a_step_further_than_a_second_is_waited_for_a_second_at_a_time() -> None:
    far = NoIdentityAvailable("every fitting identity used its TOTP step", 12.0, at_step=True)
    assert step_wait(user(), far, math.inf) == 1.0


def test_a_leased_identity_is_asked_for_again_soon_without_a_phase() -> None:
    """A leased identity comes back when one login ends, to whoever asks first: no shared
    instant to spread."""
    assert {step_wait(user(), LEASED, math.inf) for _ in range(50)} == {0.1}


def test_the_deadline_bounds_the_wait() -> None:
    assert step_wait(user(), STEP, 0.5) <= 0.5
    assert step_wait(user(), STEP, -1.0) == 0.0


def test_without_a_random_phase_the_step_wait_ends_at_the_step() -> None:
    assert step_wait(user(random_phase=False), STEP, math.inf) == 0.4
    assert phase(user(random_phase=False)) == 0.0


def test_a_phase_is_within_one_wait() -> None:
    phases = [phase(user()) for _ in range(400)]
    assert all(0 <= p < 1 for p in phases)
    assert max(phases) - min(phases) > 0.8


#: In a child: real Locust users; a ``constant(1)`` user's phases, and a
#: ``constant_throughput(10)`` user's pacing after its phase and a ~20 ms first task.
_LOCUST_USERS = """
import json, time
from locust import User, constant, constant_throughput
from locust.env import Environment
from loadtest.locust.phase import phase, start_at_random_phase

class Paced(User):
    wait_time = constant(1)

class Throughput(User):
    wait_time = constant_throughput(10)

env = Environment(user_classes=[Paced, Throughput])
phases = [phase(Paced(env)) for _ in range(200)]
paced, slept = Throughput(env), []
start_at_random_phase(paced, slept.append)
began = time.perf_counter()
time.sleep(0.02)
task = time.perf_counter() - began
print(json.dumps({"phases": phases, "slept": slept, "task": task, "next": paced.wait_time()}))
"""


def test_locust_users_phase_within_one_wait_and_keep_their_pacing() -> None:
    """Asking ``constant_throughput`` for its period moves its clock; after the phase the
    user's first task is paced as if the user had just started: one period less the task."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    seen = python_json(_LOCUST_USERS, env=base)
    assert all(0 <= p < 1 for p in seen["phases"])
    assert max(seen["phases"]) - min(seen["phases"]) > 0.8
    assert len(seen["slept"]) <= 1
    assert all(0 < s < 0.1 for s in seen["slept"])
    # paced from the end of the phase: the period less the task (and the few µs around it);
    # with the clock the phase's question moved, it would be a period later less the phase
    expected = max(0.0, 0.1 - seen["task"])
    assert expected - 0.01 <= seen["next"] <= expected + 0.001, seen
