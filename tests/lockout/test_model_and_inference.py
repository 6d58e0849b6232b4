"""The lockout model, the poll spacing, and the schedule inference, all without sockets.

The inference is driven two ways: hand-written attempt logs (a lock lifting between polls, a
late answer, a lost one, throttles, the resets), and the probe's own plan run against a
simulated pool with jittered latencies (hypothesis draws the jitter and the seed).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from loadtest.lockout.inference import Verdict, infer
from loadtest.lockout.model import LockoutModel
from loadtest.lockout.plan import PlanSettings, PollSettings, UserPlan, poll_delay
from loadtest.lockout.records import Attempt, Credential, Outcome, Phase

from .sim import Network, SimPool, simulate

MODEL = LockoutModel()
NETWORK = Network()


# -- the model --------------------------------------------------------------------------------
def test_documented_schedule() -> None:
    assert [MODEL.lock_seconds(n) for n in range(1, 5)] == [0, 0, 0, 0]
    assert [MODEL.lock_seconds(n) for n in range(5, 17)] == [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900,
    ]  # fmt: skip
    assert MODEL.failures_to_cap() == 15
    assert MODEL.lock_duration(1) == 1
    assert MODEL.lock_duration(11) == 900
    assert MODEL.lock_seconds(10_000) == 900


def test_time_scale_maps_model_seconds_to_real_ones() -> None:
    scaled = LockoutModel(time_scale=0.01)
    assert scaled.expected(5) == pytest.approx(0.01)
    assert scaled.expected(15) == pytest.approx(9.0)
    assert scaled.idle_reset_real == pytest.approx(9.0)


def test_other_models_and_bad_parameters() -> None:
    model = LockoutModel(threshold=3, cap=60)
    assert [model.lock_seconds(n) for n in range(1, 11)] == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert model.failures_to_cap() == 9
    for bad in ({"threshold": 0}, {"cap": 0}, {"factor": 0.5}, {"time_scale": 0}):
        with pytest.raises(ValueError, match="must be"):
            LockoutModel(**bad)  # type: ignore[arg-type]


# -- poll spacing -----------------------------------------------------------------------------
@given(
    elapsed=st.floats(0, 5000, allow_nan=False),
    expected=st.sampled_from([0.0, 1.0, 16.0, 900.0]),
    scale=st.sampled_from([1.0, 0.01]),
)
def test_poll_delay_stays_within_its_bounds(elapsed: float, expected: float, scale: float) -> None:
    model = LockoutModel(time_scale=scale)
    poll = PollSettings()
    delay = poll_delay(elapsed, expected * scale, model, poll)
    assert max(poll.floor, 0.2 * scale) <= delay <= 30 * scale


@given(
    elapsed=st.floats(0, 5000, allow_nan=False),
    expected=st.sampled_from([0.0, 1.0, 16.0, 900.0]),
    scale=st.sampled_from([1.0, 0.01]),
    rtt=st.floats(0, 1, allow_nan=False),
)
def test_the_floor_between_polls_runs_from_one_sending_to_the_next(
    elapsed: float, expected: float, scale: float, rtt: float
) -> None:
    """Counted from the last answer, the wait is the floor less the last attempt's round
    trip (never under ``floor``), so polls go out at least the floor apart, and never more
    than the longest gap after the answer."""
    model = LockoutModel(time_scale=scale)
    poll = PollSettings()
    delay = poll_delay(elapsed, expected * scale, model, poll, rtt=rtt)
    assert delay >= poll.floor
    assert rtt + delay >= 0.2 * scale - 1e-12
    assert delay <= 30 * scale


def test_poll_delay_is_fine_near_the_expected_end_and_coarse_elsewhere() -> None:
    poll = PollSettings()
    assert poll_delay(0.0, 900.0, MODEL, poll) == 30.0  # coarse, capped
    # near 900 s the polls fall 1 % of 945 s apart, half a gap either side of 900
    assert poll_delay(895.275, 900.0, MODEL, poll) == pytest.approx(9.45)
    assert poll_delay(890.0, 900.0, MODEL, poll) == pytest.approx(5.275)  # to 895.275
    assert poll_delay(850.0, 900.0, MODEL, poll) == pytest.approx(7.475)  # 857.475: the window's
    # first lattice point (the window opens at 855)
    assert poll_delay(0.5, 1.0, MODEL, poll) == pytest.approx(0.2)  # 0.7, then 0.9 on the floor
    assert poll_delay(0.6, 1.0, MODEL, poll) == pytest.approx(0.3)  # no 0.8: 0.9 lies a gap apart
    # sent at 0.9, answered at 0.91: the next is sent at 1.1, a gap after the last one's sending
    assert poll_delay(0.91, 1.0, MODEL, poll, rtt=0.01) == pytest.approx(0.19)
    assert poll_delay(0.0, 0.0, MODEL, poll) == pytest.approx(0.2)  # no lock expected


# -- inference from scripted logs -------------------------------------------------------------
def _log(
    *rows: tuple[float, float, Outcome], credential: Credential = Credential.WRONG
) -> list[Attempt]:
    return [
        Attempt(
            user="lt-a",
            seq=i,
            phase=Phase.SCHEDULE,
            credential=credential if outcome is Outcome.SUCCESS else Credential.WRONG,
            sent_at=sent,
            answered_at=answered,
            outcome=outcome,
        )
        for i, (sent, answered, outcome) in enumerate(rows)
    ]


C, L, S, T, X = Outcome.COUNTED, Outcome.LOCKED, Outcome.SUCCESS, Outcome.THROTTLED, Outcome.LOST
SMALL = LockoutModel(threshold=2, first_lock=1.0, cap=4.0, idle_reset=100.0)


def test_a_lock_that_lifts_between_polls_is_bracketed() -> None:
    locks = infer(
        _log((0, 0.1, C), (0.2, 0.3, C), (0.5, 0.6, L), (0.9, 1.0, L), (1.4, 1.5, C)), SMALL
    )
    assert [lock.failure for lock in locks] == [1, 2, 3]
    first, second, third = locks
    assert first.verdict is Verdict.MATCH
    assert first.expected == 0
    assert first.polls == 0
    assert second.low == pytest.approx(0.9 - 0.3)
    assert second.high == pytest.approx(1.5 - 0.2)
    assert second.verdict is Verdict.MATCH
    assert second.polls == 2
    assert third.verdict is Verdict.UNMEASURED
    assert third.high is None
    assert second.seen
    assert not first.seen
    assert "not seen" not in second.statement()


def test_a_late_answer_widens_the_bracket_but_keeps_it_true() -> None:
    locks = infer(_log((0, 0.1, C), (0.2, 0.3, C), (0.5, 0.6, L), (0.9, 3.0, C)), SMALL)
    assert locks[1].low == pytest.approx(0.2)
    assert locks[1].high == pytest.approx(2.8)
    assert locks[1].verdict is Verdict.MATCH


def test_shorter_and_longer_locks_say_by_how_much() -> None:
    shorter = infer(_log((0, 0.1, C), (0.2, 0.3, C), (0.5, 0.6, C)), SMALL)[1]
    assert shorter.verdict is Verdict.SHORTER
    assert shorter.off_by == pytest.approx(1 - 0.4)
    assert "shorter by at least 0.6 s" in shorter.statement()
    longer = infer(_log((0, 0.1, C), (0.2, 0.3, C), (2.5, 2.6, L), (3.0, 3.1, C)), SMALL)[1]
    assert longer.verdict is Verdict.LONGER
    assert longer.off_by == pytest.approx(2.2 - 1)


def test_a_lock_the_model_does_not_have_is_named() -> None:
    early = infer(_log((0, 0.1, C), (0.15, 0.2, L), (0.5, 0.6, C)), SMALL)[0]
    assert early.expected == 0
    assert early.verdict is Verdict.LONGER
    assert "model: no lock" in early.statement()


def test_throttled_attempts_are_skipped() -> None:
    locks = infer(
        _log((0, 0.1, C), (0.2, 0.3, C), (0.5, 0.6, T), (0.9, 1.0, L), (1.4, 1.5, C)), SMALL
    )
    assert locks[1].polls == 1
    assert locks[1].verdict is Verdict.MATCH


def test_a_lost_answer_makes_the_count_inconclusive_until_a_success() -> None:
    rows = [(0, 0.1, C), (0.2, 0.3, C), (0.5, 0.6, L), (0.7, 1.2, X), (1.4, 1.5, C)]
    locks = infer(_log(*rows, (1.6, 1.7, L), (2.6, 2.7, S), (2.8, 2.9, C)), SMALL)
    assert [lock.verdict for lock in locks] == [
        Verdict.MATCH, Verdict.INCONCLUSIVE, Verdict.INCONCLUSIVE, Verdict.UNMEASURED,
    ]  # fmt: skip
    assert locks[3].failure == 1  # the success reset the count


def test_an_idle_gap_resets_the_count() -> None:
    locks = infer(_log((0, 0.1, C), (0.2, 0.3, C), (1.5, 1.6, C), (200, 200.1, C)), SMALL)
    assert [lock.failure for lock in locks] == [1, 2, 3, 1]
    assert locks[2].verdict is Verdict.UNMEASURED  # its end fell in the idle wait
    assert locks[3].expected == 0


def test_a_success_resets_the_count() -> None:
    rows = [(0, 0.1, C), (0.2, 0.3, C), (0.5, 0.6, L), (1.4, 1.5, S), (1.6, 1.7, C)]
    locks = infer(_log(*rows, credential=Credential.CORRECT), SMALL)
    assert [lock.failure for lock in locks] == [1, 2, 1]
    assert locks[1].verdict is Verdict.MATCH


# -- the plan against a simulated pool --------------------------------------------------------
def _run(
    model: LockoutModel,
    pool: SimPool,
    *,
    network: Network = NETWORK,
    seed: int = 1,
    knows_password: bool = True,
    **plan: object,
) -> tuple[UserPlan, list[Attempt]]:
    user_plan = UserPlan(model, PlanSettings(**plan), knows_password=knows_password)  # type: ignore[arg-type]
    return user_plan, simulate(user_plan, pool, network, seed)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    low=st.floats(0.0, 0.05),
    spread=st.floats(0.0, 0.5),
)
@example(seed=0, low=0.0, spread=0.0)
def test_full_schedule_with_jittered_latencies_matches_the_model(
    seed: int, low: float, spread: float
) -> None:
    plan, log = _run(MODEL, SimPool(), network=Network(low=low, high=low + spread), seed=seed)
    locks = infer(log, MODEL)
    assert plan.done_reason == "finished"
    assert {lock.verdict for lock in locks} == {Verdict.MATCH}
    timed = [lock for lock in locks if lock.expected and lock.phase is Phase.SCHEDULE]
    assert [lock.expected for lock in timed] == [MODEL.expected(n) for n in range(5, 17)]
    assert all(lock.error_bar is not None for lock in timed)
    assert {lock.phase for lock in locks} == {Phase.SCHEDULE, Phase.SUCCESS_RESET}


def test_error_bars_stay_small_without_flooding() -> None:
    _, log = _run(MODEL, SimPool(), network=Network(low=0.02, high=0.06))
    locks = [lock for lock in infer(log, MODEL) if lock.expected >= 64]
    # every long lock of the schedule (64 s up to the cap) was found, so the loop below checks
    long_locks = [MODEL.expected(n) for n in range(5, 17) if MODEL.expected(n) >= 64]
    assert [lock.expected for lock in locks] == long_locks
    for lock in locks:
        assert lock.error_bar is not None
        assert lock.error_bar <= 0.02 * lock.expected
        assert lock.polls <= 40
    assert len(log) < 400


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_polls_straddle_the_models_end_so_a_matching_lock_measures_as_the_model(
    seed: int,
) -> None:
    """The polls near a lock's expected end fall half a poll gap either side of it, so when
    the pool follows the model the bracket's midpoint is the model's value, not wherever the
    poll grid happened to fall (it read 0.91 ± 0.10 s for a 1 s lock, 897.5 ± 4.7 s for 900),
    and the bracket is no wider for it: one gap (the 0.2 s floor, or 1 % of the lock)."""
    _, log = _run(MODEL, SimPool(), seed=seed)
    latency = 2 * NETWORK.high
    timed = [lock for lock in infer(log, MODEL) if lock.expected]
    assert len(timed) == 13  # 12 schedule locks and the success reset's one
    for lock in timed:
        assert lock.measured is not None
        assert lock.error_bar is not None
        gap = max(0.2, 0.01 * 1.05 * lock.expected)
        assert lock.error_bar <= gap / 2 + latency, lock
        assert abs(lock.measured - lock.expected) <= 0.1 * gap + latency, lock


def test_a_different_pool_is_measured_as_different() -> None:
    pool = SimPool(threshold=3, cap=60)
    _plan, log = _run(MODEL, pool, schedule_failures=12, knows_password=False)
    locks = infer(log, MODEL)
    differ = {lock.failure: lock for lock in locks if lock.verdict is not Verdict.MATCH}
    assert differ[3].verdict is Verdict.LONGER
    assert differ[3].expected == 0
    assert differ[5].verdict is Verdict.LONGER
    assert differ[5].off_by > 2
    assert differ[11].verdict is Verdict.SHORTER
    assert differ[11].off_by > 3
    assert set(differ) >= {3, 4, 5, 6, 7, 8, 9, 10, 11, 12}


def test_the_same_pool_described_by_its_own_model_matches() -> None:
    model = LockoutModel(threshold=3, cap=60)
    _, log = _run(model, SimPool(threshold=3, cap=60), knows_password=False)
    locks = infer(log, model)
    assert {lock.verdict for lock in locks[:-1]} == {Verdict.MATCH}
    assert locks[-1].verdict is Verdict.UNMEASURED  # without the password it stays locked


def test_idle_reset_phase() -> None:
    model = LockoutModel(threshold=3, cap=8, idle_reset=20, time_scale=0.01)
    pool = SimPool(threshold=3, cap=8, idle_reset=20, scale=0.01)
    plan, log = _run(model, pool, idle_reset=True)
    locks = infer(log, model)
    idle = [lock for lock in locks if lock.phase is Phase.IDLE_RESET]
    assert [lock.failure for lock in idle] == [1, 2, 3]
    assert {lock.verdict for lock in idle} == {Verdict.MATCH}
    assert plan.done_reason == "finished"


def test_a_pool_that_never_resets_when_idle_is_caught() -> None:
    model = LockoutModel(threshold=3, cap=8, idle_reset=20, time_scale=0.01)
    pool = SimPool(threshold=3, cap=8, idle_reset=10_000, scale=0.01)
    _, log = _run(model, pool, idle_reset=True, success_reset=False, knows_password=False)
    idle = [lock for lock in infer(log, model) if lock.phase is Phase.IDLE_RESET]
    assert idle[0].verdict is Verdict.LONGER
    assert idle[0].expected == 0


def test_lost_answers_never_produce_a_false_verdict() -> None:
    _, log = _run(MODEL, SimPool(), network=Network(lost=0.05), seed=7, schedule_failures=10)
    verdicts = {lock.verdict for lock in infer(log, MODEL)}
    assert any(attempt.outcome is Outcome.LOST for attempt in log)
    assert Verdict.INCONCLUSIVE in verdicts
    assert verdicts <= {Verdict.MATCH, Verdict.INCONCLUSIVE, Verdict.UNMEASURED}


def test_a_schedule_that_strays_from_the_model_is_still_measured_finely() -> None:
    """Once a lock strays, the next polls are fine near its length and that times the factor,
    so a 60 s plateau the model does not know gets error bars of about 1 %."""
    _, log = _run(MODEL, SimPool(threshold=3, cap=60), schedule_failures=14, knows_password=False)
    plateau = [lock for lock in infer(log, MODEL) if 10 <= lock.failure <= 14]
    for lock in plateau:
        assert lock.measured == pytest.approx(60, abs=1.2)
        assert lock.error_bar is not None
        assert lock.error_bar <= 0.02 * 60
