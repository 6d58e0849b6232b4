"""The local pool under fuzzing: >= 10,000 generated requests over HTTP, all answered, all
Cognito-shaped, none a 5xx, none a hang, and no tokens without the right proof.

One real pool server process (``--freeze-clock``), provisioned with users in every state and
genuine artefacts (SRP exchanges, device exchanges, sessions, tokens) that the strategies in
:mod:`tests.fuzz.cases` tamper with. Hypothesis draws batches of cases; each batch is sent
concurrently from a few threads with a client timeout per request, so a hang fails the test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from loadtest.protocol.quotas import QuotaCategory
from tests.conftest import PASSWORD, PoolServer

from .cases import all_cases, json_values, member_cases, token_cases
from .harness import Case, Sender, Tally, run
from .world import World, build_world

pytestmark = [
    pytest.mark.e2e,
    # a failing batch is reported through its problems; hypothesis's repr of it is only long
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

BATCH = 40
BATCHES = 260  # 10,400 cases
MINIMUM_CASES = 10_000
_SETTINGS = settings(
    max_examples=BATCHES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    # no shrinking: every problem is reported with its request, and shrinking re-sends batches
    phases=(Phase.explicit, Phase.generate),
)


def _start(tmp: Path, *args: str) -> PoolServer:
    return PoolServer(state=tmp / "pool.sqlite3", args=args).start()


@pytest.fixture(scope="module")
def fuzz_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PoolServer]:
    server = _start(
        tmp_path_factory.mktemp("fuzz-pool"),
        "--freeze-clock",
        "--no-quotas",
        "--lockout-threshold",
        "1000000",  # wrong proofs must reach the proof check, not the lockout
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def world(fuzz_pool: PoolServer) -> World:
    return build_world(fuzz_pool)


@pytest.fixture(scope="module")
def sender(fuzz_pool: PoolServer) -> Iterator[Sender]:
    client = Sender(fuzz_pool.url, threads=8)
    yield client
    client.close()


def _fuzz(sender: Sender, strategy: st.SearchStrategy[Case], batches: int, tally: Tally) -> None:
    @settings(_SETTINGS, max_examples=batches)
    @given(st.lists(strategy, min_size=BATCH, max_size=BATCH))
    def batch(cases: list[Case]) -> None:
        run(sender, cases, tally)  # problems are collected and reported all at once

    batch()


def _summary(problems: list[str]) -> str:
    """One line per distinct kind of problem (the label and answer), with a count."""
    kinds = Counter(p.split(" body=")[0] for p in problems)
    return f"{len(problems)} problems:\n" + "\n".join(
        f"{count:5d} x {kind[:300]}" for kind, count in kinds.most_common(40)
    )


def test_ten_thousand_generated_requests(world: World, sender: Sender) -> None:
    tally = Tally()
    _fuzz(sender, all_cases(world), BATCHES, tally)
    print(
        f"\nfuzz: {tally.total} cases, statuses {dict(tally.statuses)}, "
        f"{tally.signed_in} legitimate sign-ins, error types {dict(tally.types.most_common(12))}"
    )
    assert tally.problems == [], _summary(tally.problems)
    assert tally.total >= MINIMUM_CASES
    assert set(tally.statuses) <= {200, 400}
    # the cases reached deep code: proofs were checked and some legitimate ones passed
    assert tally.signed_in > 0
    assert tally.types["NotAuthorizedException"] > 0
    assert tally.types["InvalidParameterException"] > 0


def test_fuzz_with_quotas_on(tmp_path: Path) -> None:
    """The quota path reads user names from bodies and unverified tokens before any handler."""
    rates = [f"{category}=1000000" for category in QuotaCategory]
    args = ["--freeze-clock", "--per-user-rps", "1000000"]
    for rate in rates:
        args += ["--quota", rate]
    server = _start(tmp_path, *args)
    try:
        world = build_world(server, exchanges_per_user=2)
        sender = Sender(server.url, threads=8)
        tally = Tally()
        try:
            _fuzz(sender, st.one_of(member_cases(world), token_cases(world)), 25, tally)
        finally:
            sender.close()
    finally:
        server.stop()
    assert tally.problems == [], _summary(tally.problems)
    assert tally.total == 25 * BATCH


POOL_SETTINGS = (
    "Policies", "MfaConfiguration", "UsernameAttributes", "UsernameConfiguration",
    "DeviceConfiguration", "AliasAttributes", "AutoVerifiedAttributes",
)  # fmt: skip
CLIENT_SETTINGS = (
    "AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits",
    "AuthSessionValidity", "PreventUserExistenceErrors", "GenerateSecret", "ExplicitAuthFlows",
)  # fmt: skip
_SETTING_VALUES = st.one_of(
    json_values(),
    st.sampled_from(
        (
            {"PasswordPolicy": {"MinimumLength": "x"}}, {"PasswordPolicy": []},
            {"PasswordPolicy": {"MinimumLength": 10**30}}, {"AccessToken": "weeks"},
            {"AccessToken": "minutes"}, ["email"], ["phone_number"], {"CaseSensitive": False},
            {"ChallengeRequiredOnNewDevice": True}, 1e308, 10**20, -5, 0, 60, "1",
        )
    ),
)  # fmt: skip


def test_fuzzed_pool_and_client_settings_never_poison_later_calls(
    fuzz_pool: PoolServer, sender: Sender
) -> None:
    """Settings are stored as sent: a bad one must be refused, not crash every later sign-in."""
    tally = Tally()

    @settings(_SETTINGS, max_examples=60)
    @given(
        st.dictionaries(st.sampled_from(POOL_SETTINGS), _SETTING_VALUES, max_size=3),
        st.dictionaries(st.sampled_from(CLIENT_SETTINGS), _SETTING_VALUES, max_size=3),
    )
    def lifecycle(pool_settings: dict[str, Any], client_settings: dict[str, Any]) -> None:
        created = sender.send(Case.of("CreateUserPool", {"PoolName": "cfg", **pool_settings}))
        tally.add(Case("CreateUserPool", b"", label="cfg-pool"), created)
        pool = (created.json() or {}).get("UserPool", {}).get("Id", "us-east-1_missing0")
        flows = {"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}
        client_body = {"UserPoolId": pool, "ClientName": "cfg", **flows, **client_settings}
        made = sender.send(Case.of("CreateUserPoolClient", client_body))
        tally.add(Case("CreateUserPoolClient", b"", label="cfg-client"), made)
        client = (made.json() or {}).get("UserPoolClient", {}).get("ClientId", "missing")
        user = {"UserPoolId": pool, "Username": "cfg@example.com"}
        steps = [
            Case.of("AdminCreateUser", {**user, "MessageAction": "SUPPRESS"}),
            Case.of("AdminSetUserPassword", {**user, "Password": PASSWORD, "Permanent": True}),
            Case.of(
                "InitiateAuth",
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": client,
                    "AuthParameters": {"USERNAME": "cfg@example.com", "PASSWORD": PASSWORD},
                },
                may_sign_in=True,
            ),
            Case.of("AdminGetUser", user),
            Case.of("DescribeUserPool", {"UserPoolId": pool}),
            Case.of("DescribeUserPoolClient", {"UserPoolId": pool, "ClientId": client}),
            Case.of("DeleteUserPool", {"UserPoolId": pool}),
        ]
        for step in steps:
            tally.add(step, sender.send(step))

    lifecycle()
    assert tally.problems == [], _summary(tally.problems)
    assert tally.total == 60 * 9
