"""The quota model's arithmetic: the allowance and its spill, onsets, headroom, per-user limits."""

from __future__ import annotations

import math
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtest.protocol.names import Challenge, Operation
from loadtest.protocol.quotas import DEFAULT_RPS, QuotaCategory
from loadtest.quota import (
    PROFILES,
    FlowProfile,
    QuotaModelError,
    UnknownFlow,
    category_rates,
    challenge_allowance,
    domain_rows,
    headroom,
    per_pool_operations,
    per_user,
    required_quotas,
    throttle_onset,
)

Q = QuotaCategory
RTAC = Operation.RESPOND_TO_AUTH_CHALLENGE

#: The Developer Guide's example: one InitiateAuth and four challenge responses per sign-in.
FOUR_CHALLENGES = MappingProxyType(
    {
        "four": FlowProfile(
            name="four",
            calls={(Operation.INITIATE_AUTH, None): 1, (RTAC, Challenge.PASSWORD_VERIFIER): 4},
        )
    }
)


def test_the_developer_guides_worked_example_is_throttled() -> None:
    """Quota 80, 70 sign-ins/s with 4 challenges: 280 responses, 40 over 240, 40 + 70 = 110."""
    quotas = {Q.USER_AUTHENTICATION: 80.0}
    allowance = challenge_allowance({"four": 1}, 70, quotas, profiles=FOUR_CHALLENGES)
    assert (allowance.demand, allowance.allowance, allowance.spill) == (280, 240, 40)
    rates = category_rates({"four": 1}, 70, quotas, profiles=FOUR_CHALLENGES)
    assert rates[Q.USER_AUTHENTICATION] == 110
    (row,) = headroom({"four": 1}, 70, quotas, profiles=FOUR_CHALLENGES)
    assert row.throttled
    assert row.ratio == pytest.approx(110 / 80)
    onset = throttle_onset({"four": 1}, quotas, profiles=FOUR_CHALLENGES)
    assert onset.category is Q.USER_AUTHENTICATION
    assert onset.logins_per_second == pytest.approx(64)  # 64 + (256 - 240) = 80


def test_srp_alone_throttles_on_initiate_auth_at_the_quota() -> None:
    """Two calls a login, the challenge inside its allowance: 120 logins/s at the default."""
    onset = throttle_onset({"srp": 1})
    assert (onset.logins_per_second, onset.category) == (120, Q.USER_AUTHENTICATION)
    assert category_rates({"srp": 1}, 100)[Q.USER_AUTHENTICATION] == 100


def test_challenges_alone_spill_only_above_three_times_the_quota() -> None:
    profiles = {"c": FlowProfile(name="c", calls={(RTAC, Challenge.SOFTWARE_TOKEN_MFA): 1})}
    assert category_rates({"c": 1}, 360, profiles=profiles)[Q.USER_AUTHENTICATION] == 0
    assert category_rates({"c": 1}, 400, profiles=profiles)[Q.USER_AUTHENTICATION] == 40
    assert throttle_onset({"c": 1}, profiles=profiles).logins_per_second == 480


def test_new_password_answers_count_under_account_recovery_not_the_allowance() -> None:
    rates = category_rates({"new_password": 1}, 10)
    assert rates[Q.USER_ACCOUNT_RECOVERY] == 10
    assert challenge_allowance({"new_password": 1}, 10).demand == 10  # PASSWORD_VERIFIER only
    onset = throttle_onset({"new_password": 1})
    assert (onset.logins_per_second, onset.category) == (30, Q.USER_ACCOUNT_RECOVERY)


def test_new_devices_throttle_on_user_resource_update_first() -> None:
    onset = throttle_onset({"srp": 0.5, "device_new": 0.5})
    assert onset.category is Q.USER_RESOURCE_UPDATE
    assert onset.logins_per_second == pytest.approx(50)  # 25 rps / 0.5 ConfirmDevice a login
    prompt = throttle_onset({"srp": 0.5, "device_new_prompt": 0.5})
    assert prompt.logins_per_second == pytest.approx(25)  # ConfirmDevice + UpdateDeviceStatus
    few = throttle_onset({"srp": 0.9, "device_new": 0.1})
    assert (few.logins_per_second, few.category) == (120, Q.USER_AUTHENTICATION)


def test_refreshes_count_under_user_authentication() -> None:
    assert category_rates({"refresh": 1}, 50)[Q.USER_AUTHENTICATION] == 50


def test_lost_phone_sends_to_four_categories() -> None:
    rates = category_rates({"lost_phone": 1}, 1)
    assert rates[Q.USER_RESOURCE_UPDATE] == 4  # AdminSetUserMFAPreference + 3 enrollment calls
    assert rates[Q.USER_AUTHENTICATION] == 2  # the two InitiateAuth; 3 responses in allowance
    assert challenge_allowance({"lost_phone": 1}, 1).demand == 3


def test_weights_are_normalised() -> None:
    assert category_rates({"srp": 2, "refresh": 2}, 10) == category_rates(
        {"srp": 0.5, "refresh": 0.5}, 10
    )


def test_quotas_override_the_defaults_one_category_at_a_time() -> None:
    onset = throttle_onset({"srp": 1}, {Q.USER_AUTHENTICATION: 1000})
    assert onset.logins_per_second == 1000
    raised = headroom({"srp_totp": 1}, 100, {Q.USER_AUTHENTICATION: 200})
    assert [r.quota for r in raised] == [200]


def test_required_quota_of_user_authentication_accounts_for_the_growing_allowance() -> None:
    needed = required_quotas({"four": 1}, 70, profiles=FOUR_CHALLENGES)[Q.USER_AUTHENTICATION]
    assert needed == pytest.approx((70 + 280) / 4)
    at_needed = {Q.USER_AUTHENTICATION: needed}
    rates = category_rates({"four": 1}, 70, at_needed, profiles=FOUR_CHALLENGES)
    assert rates[Q.USER_AUTHENTICATION] == pytest.approx(needed)


@given(
    weights=st.dictionaries(
        st.sampled_from(sorted(PROFILES)), st.floats(0.01, 10), min_size=1, max_size=5
    )
)
def test_the_onset_is_where_some_category_first_reaches_its_quota(
    weights: dict[str, float],
) -> None:
    onset = throttle_onset(weights, domain=None)  # the categories alone
    assert isinstance(onset.category, QuotaCategory)
    below = headroom(weights, onset.logins_per_second * 0.999)
    above = {r.category: r for r in headroom(weights, onset.logins_per_second * 1.001)}
    assert not any(r.throttled for r in below)
    assert above[onset.category].throttled
    needed = required_quotas(weights, onset.logins_per_second)
    assert needed[onset.category] == pytest.approx(DEFAULT_RPS[onset.category])


@given(
    weights=st.dictionaries(
        st.sampled_from(sorted(PROFILES)), st.floats(0.01, 10), min_size=1, max_size=5
    )
)
def test_the_onset_is_where_a_category_or_a_domain_limit_first_throttles(
    weights: dict[str, float],
) -> None:
    onset = throttle_onset(weights)

    def throttled(rate: float) -> set[str]:
        rows = headroom(weights, rate)
        over = {r.category.value for r in rows if r.throttled}
        return over | {r.limit.value for r in domain_rows(weights, rate) if r.throttled}

    assert throttled(onset.logins_per_second * 0.999) == set()
    assert onset.category.value in throttled(onset.logins_per_second * 1.001)


def test_headroom_rows_say_what_cannot_be_raised() -> None:
    rows = {r.category: r for r in headroom({"srp": 0.5, "device_new": 0.5}, 100)}
    assert set(rows) == {Q.USER_AUTHENTICATION, Q.USER_RESOURCE_UPDATE}
    update = rows[Q.USER_RESOURCE_UPDATE]
    assert (update.demand, update.quota, update.adjustable) == (50, 25, False)
    assert update.throttled
    assert update.increase == 25
    assert update.headroom == -1
    assert rows[Q.USER_AUTHENTICATION].adjustable


def test_per_user_limit_and_totp_steps() -> None:
    check = per_user({"srp_totp": 1}, 100, identities=20)
    assert check.calls_per_identity == 15
    assert not check.within
    assert check.min_identities == 30
    assert check.min_totp_identities == 3000  # one code per identity per 30 s step
    assert per_user({"srp_totp": 1}, 100, identities=30).within


def test_our_flows_touch_no_per_pool_operation_category() -> None:
    assert per_pool_operations(dict.fromkeys(PROFILES, 1.0), 1000) == []


def test_a_per_pool_category_is_checked_per_pool() -> None:
    profiles = {
        "odd": FlowProfile(name="odd", calls={(Operation.GET_USER_POOL_MFA_CONFIG, None): 1})
    }
    (row,) = per_pool_operations({"odd": 1}, 12, pools=2, profiles=profiles)
    assert (row.operation, row.demand_per_pool, row.within) == (
        Operation.GET_USER_POOL_MFA_CONFIG,
        6,
        False,
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: category_rates({"nope": 1}, 1), "unknown flow 'nope'"),
        (lambda: category_rates({"srp": -1}, 1), "must be a number >= 0"),
        (lambda: category_rates({"srp": 0}, 1), "no flow with a weight above 0"),
        (lambda: category_rates({"srp": 1}, -5), "sign-in rate must be"),
        (lambda: category_rates({"srp": 1}, math.nan), "sign-in rate must be"),
        (lambda: throttle_onset({"srp": 1}, {Q.USER_AUTHENTICATION: -1}), "quota of"),
        (lambda: per_user({"srp": 1}, 1, identities=0), "identities must be"),
    ],
)
def test_bad_input_is_refused_clearly(call: object, message: str) -> None:
    with pytest.raises(QuotaModelError, match=message):
        call()  # type: ignore[operator]


def test_unknown_flow_names_the_known_ones() -> None:
    with pytest.raises(UnknownFlow, match="srp_totp"):
        throttle_onset({"bogus": 1})
