"""The open model's schedule and the capacity analysis, without a pool: pure functions."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from typing import Any

import pytest

from loadtest.capacity.analysis import (
    Limits,
    StepResult,
    StepTally,
    highest_sustained,
    infer_category,
    knee,
    onset,
)
from loadtest.capacity.kinds import needs_of
from loadtest.capacity.schedule import (
    ScheduleError,
    Stage,
    arrivals,
    most_in_window,
    parse_stages,
    step_ramp,
)
from loadtest.flows import MixError, parse_mix

RAMP = parse_stages("7:3s,7-31:5s,31-2:2.5s,4:1s")


def test_arrivals_follow_the_integral_of_the_rate() -> None:
    found = list(arrivals(RAMP, {"srp": 1}))
    expected = 7 * 3 + (7 + 31) / 2 * 5 + (31 + 2) / 2 * 2.5 + 4
    assert len(found) == pytest.approx(expected, abs=1)
    assert [a.index for a in found] == list(range(len(found)))
    assert all(b.at >= a.at for a, b in pairwise(found))
    ramp = [a.at for a in found if a.stage == 1]
    gaps = [b - a for a, b in pairwise(ramp)]
    assert gaps[0] > gaps[-1] > 0  # the rate ramps up: arrivals come closer together
    assert all(3 <= a.at < 8 for a in found if a.stage == 1)


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
def test_workers_split_the_schedule_without_overlap_or_gap(workers: int) -> None:
    everyone = list(arrivals(RAMP, {"srp": 2, "srp_totp": 1}))
    mix = {"srp": 2, "srp_totp": 1}
    shares = [list(arrivals(RAMP, mix, worker=w, workers=workers)) for w in range(workers)]
    merged = sorted((a for share in shares for a in share), key=lambda a: a.index)
    assert merged == everyone
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_poisson_arrivals_are_a_poisson_process_of_the_rate() -> None:
    """10,000 expected at 50/s: the count within 4 standard deviations (100), gaps with a
    coefficient of variation of 1 and 1 - 1/e of them under the mean (exponential gaps; even
    ones have a CV of 0 and all or none under), so they bunch up as independent clients do."""
    found = list(arrivals(parse_stages("50:200s"), {"srp": 1}, process="poisson"))
    assert abs(len(found) - 10_000) < 400
    gaps = [b.at - a.at for a, b in pairwise(found)]
    mean = sum(gaps) / len(gaps)
    spread = (sum((g - mean) ** 2 for g in gaps) / len(gaps)) ** 0.5
    assert mean == pytest.approx(0.02, rel=0.05)
    assert spread / mean == pytest.approx(1.0, abs=0.05)
    assert sum(g < mean for g in gaps) / len(gaps) == pytest.approx(1 - 1 / 2.718281828, abs=0.02)
    assert [a.index for a in found] == list(range(len(found)))
    assert all(0 <= a.at < 200 for a in found)


def test_poisson_arrivals_follow_a_ramp() -> None:
    """A ramp from 10 to 90/s over 100 s holds 1,500 arrivals in its first half and 3,500 in
    its second (the integral of the rate), within 4 standard deviations."""
    found = list(arrivals(parse_stages("10-90:100s"), {"srp": 1}, process="poisson"))
    first = sum(a.at < 50 for a in found)
    assert abs(first - 1_500) < 4 * 1_500**0.5
    assert abs(len(found) - first - 3_500) < 4 * 3_500**0.5


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_poisson_workers_split_one_schedule_that_a_seed_fixes(workers: int) -> None:
    mix = {"srp": 2, "srp_totp": 1}
    everyone = list(arrivals(RAMP, mix, process="poisson", seed=7))
    assert everyone == list(arrivals(RAMP, mix, process="poisson", seed=7))
    assert everyone != list(arrivals(RAMP, mix, process="poisson", seed=8))
    shares = [
        list(arrivals(RAMP, mix, worker=w, workers=workers, process="poisson", seed=7))
        for w in range(workers)
    ]
    merged = sorted((a for share in shares for a in share), key=lambda a: a.index)
    assert merged == everyone
    flows = Counter(a.flow for a in everyone)  # the mix is still dealt by round-robin
    assert abs(flows["srp"] - 2 * flows["srp_totp"]) <= 2


def test_an_unknown_arrival_process_is_refused() -> None:
    with pytest.raises(ScheduleError, match="even or poisson"):
        list(arrivals(RAMP, {"srp": 1}, process="bursty"))


def test_the_mix_is_exact_in_every_window_of_its_weights() -> None:
    mix = {"srp": 2, "srp_totp": 1, "device": 2, "device_new": 5}
    flows = [a.flow for a in arrivals(parse_stages("10:10s"), mix)]
    for start in range(0, len(flows) - 10, 10):
        assert Counter(flows[start : start + 10]) == Counter(mix)


def test_parsing_and_ramps() -> None:
    assert parse_stages("10:5s, 10-20:1m") == [
        Stage(start_rate=10, end_rate=10, seconds=5),
        Stage(start_rate=10, end_rate=20, seconds=60),
    ]
    assert [s.start_rate for s in step_ramp(start=5, step=5, step_seconds=2, ceiling=17)] == [
        5,
        10,
        15,
        17,
    ]
    assert parse_mix("srp=2, device") == {"srp": 2.0, "device": 1.0}
    for bad in ("", "10", "ten:5s", "5:0s"):
        with pytest.raises(ScheduleError):
            parse_stages(bad)
    with pytest.raises(MixError):
        parse_mix("srp=0")
    with pytest.raises(ScheduleError):
        list(arrivals(RAMP, {"srp": 1}, worker=2, workers=2))


def test_identities_are_sized_to_the_totp_logins_of_a_step() -> None:
    stages = step_ramp(start=10, step=10, step_seconds=20, ceiling=40)
    window = most_in_window(stages, 30)
    assert window == pytest.approx(40 * 20 + 30 * 10, abs=10)  # the last 30 s: 20 s at 40, 10 at 30
    needs = needs_of({"srp": 1, "srp_totp": 1}, 40, window)
    by_name = {group.name: count for group, count in needs}
    totp, plain = "totp-no_email_mfa-no_sms_mfa", "no_email_mfa-no_sms_mfa-no_totp"
    assert by_name[totp] >= window / 2
    assert by_name[plain] >= 20
    assert set(by_name) == {totp, plain}  # no device group: no entry needs one


def step(stage: int, rate: float, **values: Any) -> StepResult:
    seconds = 4.0
    defaults: dict[str, Any] = {"started": round(rate * seconds), "p99_intended_ms": 50.0}
    result = StepResult(stage=stage, rate=rate, seconds=seconds, scheduled=round(rate * seconds))
    for key, value in (defaults | values).items():
        setattr(result, key, value)
    return result


def test_onset_knee_and_highest_sustained() -> None:
    steps = [
        step(1, 10, p99_intended_ms=40.0),
        step(2, 20, p99_intended_ms=42.0),
        step(3, 30, p99_intended_ms=45.0),
        step(4, 40, p99_intended_ms=60.0, throttled=1),
        step(5, 50, p99_intended_ms=400.0, throttled=12),
        step(6, 60, p99_intended_ms=900.0, throttled=40),
    ]
    slo = Limits(throttle_rate=0.001, error_rate=0.01, p99_ms=500)
    assert onset(steps, 0.01) is steps[4]
    assert onset(steps, 0.005) is steps[3]
    hiccup = [step(1, 10, throttled=5), step(2, 20), *steps[2:]]
    assert onset(hiccup, 0.01) is hiccup[0]
    assert onset(hiccup, 0.01, consecutive=2) is steps[4]  # one hiccup is not the onset
    assert onset(steps[:5], 0.01, consecutive=2) is steps[4]  # the ramp ended there
    assert highest_sustained(steps, slo) is steps[2]
    assert knee(steps) is steps[3]  # the last step before the curve bends up
    assert knee(steps[:2]) is None
    assert knee(steps[:4]) is None  # 40 to 60 ms: noise, not a knee


def test_the_category_comes_from_the_throttled_operations_and_the_model() -> None:
    only = step(1, 10, throttled_calls={"ConfirmDevice": 3})
    assert infer_category(only, None)[0] == "UserResourceUpdate"
    both = step(1, 10, throttled_calls={"ConfirmDevice": 1, "InitiateAuth:USER_SRP_AUTH": 2})
    assert infer_category(both, {"UserResourceUpdate": 1.2, "UserAuthentication": 0.4})[0] == (
        "UserResourceUpdate"
    )
    assert infer_category(both, None)[0] == "UserAuthentication"


def test_the_tally_cuts_events_by_step_and_keeps_views_apart() -> None:
    stages = [Stage(start_rate=2, end_rate=2, seconds=1)] * 3
    tally = StepTally(stages, warmup=1)
    calls = [{"label": "InitiateAuth:USER_SRP_AUTH", "outcome": "throttled", "ms": 1.0}]
    events = [
        {"event": "login", "stage": 0, "outcome": "ok", "total_ms": 5, "t0": 100.0},
        {"event": "login", "stage": 1, "outcome": "ok", "total_ms": 10, "t0": 100.0},
        {"event": "login", "stage": 1, "outcome": "throttled", "total_ms": 3, "steps": calls},
        {"event": "login", "stage": 1, "view": "intended", "outcome": "ok", "total_ms": 900},
        {"event": "login", "stage": 2, "view": "dropped", "outcome": "dropped", "total_ms": 0},
        # cut short by the SIGTERM that ends a ramp: its truncated time is no result
        {"event": "login", "stage": 1, "outcome": "stopped", "total_ms": 4000, "steps": []},
        {"event": "validity", "stage": 2},
    ]
    results = tally.add_all(events).results()
    assert [r.stage for r in results] == [1, 2]
    first, second = results
    assert (first.started, first.ok, first.throttled, first.dropped) == (2, 1, 1, 0)
    assert first.p99_service_ms == pytest.approx(10, rel=0.01)
    assert first.throttled_categories == {"UserAuthentication": 1}
    assert first.p99_intended_ms == pytest.approx(900, rel=0.01)
    assert (second.started, second.dropped, second.error_rate) == (0, 1, 1.0)
    assert tally.end_of(1) == 102.0
