"""The password-flow attempt, outcome classification, the safety checks and the demo entry."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import pytest

import srp_fast
from loadtest.flows import AppClient
from loadtest.lockout.attempts import ProbeUser, classify, password_attempt, wrong_password
from loadtest.lockout.inference import LockMeasure, Verdict
from loadtest.lockout.model import LockoutModel
from loadtest.lockout.plan import ActionKind, PlanSettings, UserPlan
from loadtest.lockout.probe import UnsafeUsername, check_users, time_budget
from loadtest.lockout.records import Attempt, Credential, Outcome, Phase
from loadtest.lockout.report import overall_verdict, user_summary, user_verdict
from loadtest.protocol import errors
from tests.flows.scripted import CLIENT_ID, Step, Transcript, run, tokens

LABEL = "InitiateAuth:USER_PASSWORD_AUTH"


def test_password_attempt_sends_user_password_auth_with_the_secret_hash() -> None:
    client = AppClient(pool_id="us-east-1_AbC", client_id=CLIENT_ID, client_secret="s3cr3t")
    seen = Transcript()
    answer = run(password_attempt("lt-a", "pw", client), [Step(LABEL, tokens())], seen)
    assert "AuthenticationResult" in answer
    body = seen.body(LABEL)
    assert body["AuthFlow"] == "USER_PASSWORD_AUTH"
    assert body["AuthParameters"]["SECRET_HASH"] == srp_fast.secret_hash(
        "lt-a", CLIENT_ID, "s3cr3t"
    )
    refused = errors.NotAuthorized(errors.Messages.INCORRECT_PASSWORD)
    with pytest.raises(errors.NotAuthorized):
        run(password_attempt("lt-a", "pw", client), [Step(LABEL, refused)])


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (None, Outcome.SUCCESS),
        (errors.NotAuthorized(errors.Messages.ATTEMPTS_EXCEEDED), Outcome.LOCKED),
        (errors.NotAuthorized(errors.Messages.INCORRECT_PASSWORD), Outcome.COUNTED),
        (errors.CodeMismatch(errors.Messages.TOTP_MISMATCH), Outcome.COUNTED),
        (errors.TooManyRequests(errors.Messages.RATE_EXCEEDED), Outcome.THROTTLED),
        (errors.ConnectionFailed("reset"), Outcome.LOST),
        (errors.UserNotFound(errors.Messages.USER_NOT_FOUND), Outcome.ERROR),
        (errors.NotAuthorized(errors.Messages.USER_DISABLED), Outcome.ERROR),
    ],
)
def test_classify(error: BaseException | None, outcome: Outcome) -> None:
    assert classify(error)[0] is outcome


def test_unsafe_usernames_are_refused_unless_forced_and_then_lose_their_password() -> None:
    users = [ProbeUser(username="lt-ok", password="a"), ProbeUser(username="bob", password="b")]
    with pytest.raises(UnsafeUsername, match="bob"):
        check_users(users, force_unsafe=False)
    with pytest.raises(ValueError, match="repeated"):
        check_users([users[0], users[0]], force_unsafe=False)
    checked = check_users(users, force_unsafe=True)
    assert checked[0].password == "a"
    assert checked[1].password is None


def test_wrong_passwords_are_random_and_never_the_right_one() -> None:
    assert wrong_password() != wrong_password()
    with pytest.raises(ValueError, match="differ"):
        ProbeUser(username="lt-a", password="same", wrong="same")


def test_the_plan_stops_on_an_unexpected_answer_and_on_its_budget() -> None:
    plan = UserPlan(LockoutModel(), PlanSettings(max_attempts=3), knows_password=False)
    attempt = Attempt(
        user="lt-a",
        seq=0,
        phase=Phase.SCHEDULE,
        credential=Credential.WRONG,
        sent_at=0,
        answered_at=0.1,
        outcome=Outcome.ERROR,
        message="UserNotFoundException: User does not exist.",
    )
    plan.record(attempt)
    action = plan.next_action()
    assert action.kind is ActionKind.DONE
    assert "User does not exist." in action.reason
    assert plan.unexplained  # the rest of its plan is not known to match
    budget = UserPlan(LockoutModel(), PlanSettings(max_attempts=2), knows_password=False)
    for seq in range(2):
        budget.record(
            Attempt(
                user="lt-a",
                seq=seq,
                phase=Phase.SCHEDULE,
                credential=Credential.WRONG,
                sent_at=seq,
                answered_at=seq + 0.1,
                outcome=Outcome.COUNTED,
            )
        )
    assert budget.next_action().reason == "attempt budget of 2 spent"
    assert not budget.unexplained  # a rail, not an answer the model cannot explain


def _lock(failure: int, verdict: Verdict, expected: float) -> LockMeasure:
    return LockMeasure(
        user="lt-a",
        failure=failure,
        phase=Phase.SCHEDULE,
        started_at=0.0,
        low=expected,
        high=expected + 0.1,
        expected=expected,
        verdict=verdict,
        off_by=0.0,
        polls=3,
    )


def test_a_user_stopped_by_an_unexplained_answer_is_inconclusive_unless_it_differs() -> None:
    """The locks it measured matched, but the ones its plan did not reach are unknown: the
    verdict (and the probe's exit code) must not say the pool matches the model."""
    matched = [_lock(5, Verdict.MATCH, 1.0), _lock(6, Verdict.MATCH, 2.0)]
    model = LockoutModel()
    done = "stopped on an unexpected answer: ExpiredCodeException: ..."
    assert user_summary("lt-a", [], matched, model, done_reason="finished")["verdict"] == "match"
    cut = user_summary("lt-a", [], matched, model, done_reason=done, unexplained=True)
    assert cut["verdict"] == "inconclusive"
    assert cut["done"] == done
    differs = [*matched, _lock(7, Verdict.LONGER, 4.0)]
    assert user_verdict(differs, unexplained=True) is Verdict.LONGER
    assert overall_verdict([cut, {"verdict": "match"}]) == "inconclusive"


def test_time_budget_covers_the_locks_it_waits_out() -> None:
    model = LockoutModel(time_scale=0.01)
    assert time_budget(model, PlanSettings()) > model.real(model.total_lock_seconds(16))
    assert time_budget(LockoutModel(), PlanSettings()) < 2 * 3600


def test_time_budget_lets_totp_users_wait_for_a_free_step_at_each_sign_in() -> None:
    """A TOTP user's baseline may wait a step for a code another client left spent (this
    step's and the next), and each later sign-in a step more: at time scale 0.01 the locks
    take seconds, and the waits for codes most of the run."""
    model = LockoutModel(time_scale=0.01)
    for plan, sign_ins in ((PlanSettings(), 3), (PlanSettings(success_reset=False), 2)):
        plain = time_budget(model, plan)
        assert time_budget(model, plan, totp=True) >= plain + 30 * (sign_ins + 1)


@pytest.mark.e2e
def test_demo_probe(tmp_path: Path) -> None:
    from loadtest.lockout.demo import demo_probe

    summary = demo_probe(tmp_path / "run", tmp_path / "private", users=2, failures=7, quiet=True)
    assert summary["verdict"] == "match"
    assert len(summary["users"]) == 2
    assert (tmp_path / "run" / "lockout-summary.json").is_file()
    assert not (tmp_path / "run" / "lockout-pool.sqlite").exists()


def test_timed_transport_holds_the_deciding_call_until_its_time() -> None:
    """The SRP attempt's RespondToAuthChallenge waits for its time; other calls do not."""
    from loadtest.drivers import RawResponse
    from loadtest.lockout.attempts import TimedTransport

    now = [10.0]

    class Inner:
        url = "http://127.0.0.1:1/"

        async def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse:
            now[0] += 0.5  # the answer takes half a second of the fake clock
            return RawResponse(status=200, headers={}, body=b"{}")

        async def close(self) -> None:
            """Nothing to close."""

    async def sleep_on_fake_clock(seconds: float) -> None:
        now[0] += seconds

    timed = TimedTransport(Inner(), lambda: now[0])
    timed.hold = ("RespondToAuthChallenge", 12.0)
    initiate = {"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"}
    respond = {"X-Amz-Target": "AWSCognitoIdentityProviderService.RespondToAuthChallenge"}

    async def exchange() -> None:
        await timed.post(initiate, b"{}")
        assert timed.window == (10.0, 10.5)
        await timed.post(respond, b"{}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asyncio, "sleep", sleep_on_fake_clock)
        asyncio.run(exchange())
    assert timed.reached == 10.5
    assert timed.window == (12.0, 12.5)
    assert timed.hold is None
