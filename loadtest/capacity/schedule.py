"""The open model's schedule: when each login should start, which flow it runs, which worker
starts it. Sans-I/O: offsets in seconds from the schedule's start, no clock.

A schedule is a list of stages, as in k6's ramping-arrival-rate executor: each stage goes from
its start rate to its end rate (logins per second) linearly over its duration; a constant rate
is one stage whose two rates are equal. Arrival ``k`` (counting from 0 over the whole schedule)
is due when the cumulative rate reaches ``k`` (so the first is due at 0).

Workers split the schedule by arrival index: worker ``i`` of ``n`` takes every arrival with
``k % n == i``. Every arrival belongs to exactly one worker whatever the rates, so nothing is
counted twice or lost, and the merged totals are the schedule's; splitting the rate instead
(``rate/n`` per worker with phase offsets) is only exact for constant rates and drifts at every
ramp and stage boundary. Each worker's share is still evenly spaced (every n-th of an even
sequence).

Arrivals are evenly spaced by default, as k6's arrival-rate executors space them. With
``poisson`` they form a Poisson process of the same rate, as requests from many independent
clients do (Tsung's arrival phases, Gatling's ``randomized`` injection): arrival ``k`` is due
when the cumulative rate reaches the sum of ``k + 1`` independent exponential draws of mean 1
(the time-rescaling of a unit-rate Poisson process, so ramps keep their shape). At the same
mean rate random arrivals bunch up and queue more than even ones; a capacity measured with
even arrivals is an upper bound for real traffic. The draws come from a seeded generator, so
every worker computes the same schedule (and takes its every ``n``-th arrival, as above), and
a run can be repeated arrival for arrival.

The flow of arrival ``k`` comes from the mix by smooth weighted round-robin (nginx's), so every
window of ``sum(weights)`` consecutive arrivals holds each flow exactly its weight's times: a
step of the ramp gets the mix it asked for, not a random draw of it. Mixes are parsed by
:func:`loadtest.flows.parse_mix`, the one mix parser.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from loadtest.protocol.units import BadValue, parse_duration

__all__ = [
    "ARRIVAL_PROCESSES",
    "Arrival",
    "Mix",
    "ScheduleError",
    "Stage",
    "arrivals",
    "duration",
    "most_in_window",
    "parse_stages",
    "step_ramp",
]

#: The most arrivals one schedule may hold: every load loop is bounded in count.
MAX_ARRIVALS = 5_000_000
#: How arrivals are spaced: evenly (the default), or as a Poisson process of the same rate.
ARRIVAL_PROCESSES = ("even", "poisson")


class ScheduleError(ValueError):
    """A stage list, ramp or mix that does not parse or makes no sense."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    """``seconds`` long, from ``start_rate`` to ``end_rate`` logins per second (linearly)."""

    start_rate: float
    end_rate: float
    seconds: float

    def __post_init__(self) -> None:
        if self.seconds <= 0 or min(self.start_rate, self.end_rate) < 0:
            raise ScheduleError(f"a stage needs a positive duration and rates >= 0: {self}")

    @property
    def arrivals(self) -> float:
        """How many logins the stage holds (the integral of its rate)."""
        return (self.start_rate + self.end_rate) / 2 * self.seconds

    def offset_of(self, count: float) -> float:
        """Seconds into the stage at which ``count`` arrivals (fractional) have been due."""
        r0, slope = self.start_rate, (self.end_rate - self.start_rate) / self.seconds
        if abs(slope) < 1e-12:
            return count / r0
        # r0 t + slope t^2 / 2 = count
        return (-r0 + math.sqrt(r0 * r0 + 2 * slope * count)) / slope


Mix = Mapping[str, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class Arrival:
    """One scheduled login: its index in the whole schedule, when it is due (seconds from the
    start), its stage (index) and its flow."""

    index: int
    at: float
    stage: int
    flow: str


def duration(stages: Sequence[Stage]) -> float:
    """The schedule's length in seconds."""
    return sum(stage.seconds for stage in stages)


def arrivals(
    stages: Sequence[Stage],
    mix: Mix,
    *,
    worker: int = 0,
    workers: int = 1,
    process: str = "even",
    seed: int = 1,
) -> Iterator[Arrival]:
    """This worker's arrivals, in order (see the module docstring for the split and the
    ``process``: ``even`` or ``poisson``, whose draws ``seed`` fixes)."""
    if workers < 1 or not 0 <= worker < workers:
        raise ScheduleError(f"worker {worker} out of range for {workers} workers")
    if process not in ARRIVAL_PROCESSES:
        raise ScheduleError(f"arrivals are {' or '.join(ARRIVAL_PROCESSES)}, not {process!r}")
    total = sum(stage.arrivals for stage in stages)
    if total > MAX_ARRIVALS:
        raise ScheduleError(f"{total:.0f} arrivals is more than the limit of {MAX_ARRIVALS}")
    flows = _round_robin(mix)
    if process == "poisson":
        yield from _poisson(stages, flows, worker=worker, workers=workers, seed=seed)
        return
    index, before, start = 0, 0.0, 0.0
    for number, stage in enumerate(stages):
        while index < before + stage.arrivals - 1e-9:
            flow = next(flows)
            if index % workers == worker:
                at = start + stage.offset_of(index - before)
                yield Arrival(index=index, at=at, stage=number, flow=flow)
            index += 1
        before += stage.arrivals
        start += stage.seconds


def _poisson(
    stages: Sequence[Stage], flows: Iterator[str], *, worker: int, workers: int, seed: int
) -> Iterator[Arrival]:
    """Arrival ``k`` at the cumulative rate ``E_0 + ... + E_k`` (each ``E`` exponential, mean
    1): a Poisson process whose rate follows the stages. The draws and the flows advance for
    every arrival, this worker's or not, so all workers walk one schedule."""
    draw = random.Random(seed).expovariate  # noqa: S311  (a schedule, not a secret)
    index, target = 0, draw(1.0)
    before, start = 0.0, 0.0
    for number, stage in enumerate(stages):
        while target < before + stage.arrivals:
            flow = next(flows)
            if index % workers == worker:
                at = start + stage.offset_of(target - before)
                yield Arrival(index=index, at=at, stage=number, flow=flow)
            index += 1
            if index > MAX_ARRIVALS:
                raise ScheduleError(f"more than {MAX_ARRIVALS} arrivals drawn")
            target += draw(1.0)
        before += stage.arrivals
        start += stage.seconds


def _round_robin(mix: Mix) -> Iterator[str]:
    """Smooth weighted round-robin over the mix, forever."""
    weights = {name: float(weight) for name, weight in mix.items() if weight > 0}
    if not weights:
        raise ScheduleError("the mix needs at least one flow with a positive weight")
    total = sum(weights.values())
    current = dict.fromkeys(weights, 0.0)
    while True:
        for name, weight in weights.items():
            current[name] += weight
        chosen = max(current, key=lambda name: current[name])
        current[chosen] -= total
        yield chosen


_STAGE = re.compile(r"(?P<r0>[0-9.]+)(?:-(?P<r1>[0-9.]+))?:(?P<d>[0-9.a-z]+)")


def _seconds(text: str) -> float:
    try:
        return parse_duration(text)
    except BadValue as exc:
        raise ScheduleError(str(exc)) from None


def parse_stages(text: str) -> list[Stage]:
    """``"10:5s,10-20:10s,20:1m"``: 10/s for 5 s, then 10 to 20/s over 10 s, then 20/s for
    a minute."""
    stages = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _STAGE.fullmatch(part)
        if match is None:
            raise ScheduleError(f"not a stage: {part!r} (use RATE[-RATE]:DURATION, e.g. 10:5s)")
        r0 = float(match["r0"])
        r1 = float(match["r1"]) if match["r1"] else r0
        stages.append(Stage(start_rate=r0, end_rate=r1, seconds=_seconds(match["d"])))
    if not stages:
        raise ScheduleError("no stages given")
    return stages


def step_ramp(*, start: float, step: float, step_seconds: float, ceiling: float) -> list[Stage]:
    """Constant-rate steps: ``start``, ``start + step``, ... up to ``ceiling`` (included when
    the steps land on it; a last step at the ceiling otherwise)."""
    if start <= 0 or step <= 0 or step_seconds <= 0 or ceiling < start:
        raise ScheduleError("a ramp needs start > 0, step > 0, step seconds > 0, ceiling >= start")
    count = math.floor((ceiling - start) / step + 1e-9) + 1
    rates = [start + i * step for i in range(count)]
    if ceiling - rates[-1] > 1e-9:
        rates.append(ceiling)
    return [Stage(start_rate=r, end_rate=r, seconds=step_seconds) for r in rates]


def most_in_window(stages: Sequence[Stage], seconds: float, *, resolution: float = 0.25) -> float:
    """The most arrivals due in any window of ``seconds`` (to within ``resolution`` s)."""
    total = duration(stages)
    marks = [i * resolution for i in range(math.ceil(total / resolution) + 1)]
    due = [_due_by(stages, t) for t in marks]
    width = max(1, round(seconds / resolution))
    if width >= len(due):
        return due[-1]
    return max(due[i + width] - due[i] for i in range(len(due) - width))


def _due_by(stages: Sequence[Stage], t: float) -> float:
    """Arrivals due in the first ``t`` seconds (the integral of the rate)."""
    count, start = 0.0, 0.0
    for stage in stages:
        if t <= start:
            break
        span = min(t - start, stage.seconds)
        slope = (stage.end_rate - stage.start_rate) / stage.seconds
        count += stage.start_rate * span + slope * span * span / 2
        start += stage.seconds
    return count
