"""Random phases for users that would otherwise move in step.

Locust starts ``floor(spawn rate)`` users at once, and users of equal pacing then stay in step
for the whole run: each second a burst of logins whose maths queue behind one another on the
process's maths threads and whose requests reach the pool together. That is client queueing
no set of real clients has (each has its own CPU) and an arrival pattern none makes; it shows
in login latency, client compute and server time. The same happens when every user waiting
for the next TOTP step is released at its first instant.

A user that starts, or leaves such a wait, at a random point of one wait (its class's
``wait_time``) arrives as independent clients do; the pacing after it is the class's own.
A user class sets ``random_phase = False`` where its users are started at chosen moments
already (the benchmark's evenly staggered users).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from loadtest.flows.identities import NoIdentityAvailable

__all__ = ["phase", "start_at_random_phase", "step_wait"]


def phase(user: Any) -> float:
    """A random part of one of ``user``'s waits, in seconds; 0 with ``random_phase`` off."""
    if not getattr(user, "random_phase", True):
        return 0.0
    return random.random() * float(user.wait_time())  # noqa: S311  (a phase, not a secret)


def start_at_random_phase(user: Any, sleep: Callable[[float], object]) -> None:
    """Sleep :func:`phase` before ``user``'s first task, from its ``on_start``.

    Asking a pacing ``wait_time`` (Locust's ``constant_pacing`` and ``constant_throughput``)
    for its period moves its clock, so the clock is set back afterwards to where a user
    starting its first task now would have it.
    """
    delay = phase(user)
    if delay > 0:
        sleep(delay)
    if hasattr(user, "_cp_last_run"):
        user._cp_last_run, user._cp_last_wait_time = time.perf_counter(), 0


def step_wait(user: Any, busy: NoIdentityAvailable, left: float) -> float:
    """How long a user whose lease failed with ``busy`` sleeps before asking again.

    At most a second at a time (a released identity is taken by whoever asks first), and never
    past ``left``. When the next TOTP step frees every fitting identity within that second,
    the sleep runs past it by :func:`phase`, so the users waiting for it do not all sign in at
    its first instant and then in step.
    """
    retry_in = 1.0 if busy.retry_in is None else busy.retry_in
    if busy.at_step and retry_in <= 1.0:
        return max(0.0, min(retry_in + phase(user), left))
    return max(0.0, min(retry_in, left, 1.0))
