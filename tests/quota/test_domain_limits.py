"""The quota model's view of a domain's bulk limits (300/s per source IP, 300/s per app client,
500/s per domain): the domain requests of a managed-login mix against each, their onsets beside
the quota categories', the spread that passes them, and the command's warning and advice."""

from __future__ import annotations

import json
import math

import pytest

from loadtest.cli import main
from loadtest.protocol.quotas import DEFAULT_RPS, DOMAIN_LIMITS, DomainLimit, QuotaCategory
from loadtest.quota import (
    category_rates,
    domain_onsets,
    domain_rows,
    limit_loads,
    throttle_onset,
)
from loadtest.quota.cli import plan

Q = QuotaCategory
L = DomainLimit
#: authorize, the form, its POST, the TOTP page, the code redemption
MANAGED_LOGIN_REQUESTS = 5


def _rows(mix: dict[str, float], rate: float, source_ips: int = 1) -> dict[L, tuple[float, ...]]:
    return {
        r.limit: (r.demand, r.rps, r.onset, r.spread_needed)
        for r in domain_rows(mix, rate, source_ips=source_ips)
    }


def test_a_managed_login_sends_five_domain_requests_against_each_limit() -> None:
    rows = _rows({"managed_login": 1}, 100)
    assert rows == {
        L.PER_IP: (500.0, 300.0, 60.0, 2),
        L.PER_CLIENT: (500.0, 300.0, 60.0, 2),
        L.PER_DOMAIN: (500.0, 500.0, 100.0, 1),
    }


def test_a_managed_login_without_mfa_sends_four_and_one_user_authentication_request() -> None:
    # authorize, the form, its POST, the code redemption: no TOTP page
    assert _rows({"managed_login_password": 1}, 100) == {
        L.PER_IP: (400.0, 300.0, 75.0, 2),
        L.PER_CLIENT: (400.0, 300.0, 75.0, 2),
        L.PER_DOMAIN: (400.0, 500.0, 125.0, 1),
    }
    rates = category_rates({"managed_login_password": 1}, 100)
    assert rates[Q.USER_AUTHENTICATION] == pytest.approx(100.0)  # the form's POST alone
    assert category_rates({"managed_login": 1}, 100)[Q.USER_AUTHENTICATION] == pytest.approx(200)
    # a file of three no-MFA sign-ins to one TOTP one: 1.25 UserAuthentication requests each
    mixed = category_rates({"managed_login_password": 3, "managed_login": 1}, 100)
    assert mixed[Q.USER_AUTHENTICATION] == pytest.approx(125.0)
    onset = throttle_onset({"managed_login_password": 1})
    assert (onset.logins_per_second, onset.category) == (75.0, L.PER_IP)


def test_a_temporary_passwords_managed_login_counts_its_new_password_page_as_a_sign_in() -> None:
    # the page's POST is UserAuthentication (footnote 2's "each managed login ... operation
    # during sign-in"), where the API's NEW_PASSWORD_REQUIRED answer is UserAccountRecovery
    hosted = category_rates({"managed_login_new_password": 1}, 10)
    assert {c: r for c, r in hosted.items() if r} == {Q.USER_AUTHENTICATION: pytest.approx(20.0)}
    api = category_rates({"new_password": 1}, 10)
    assert api[Q.USER_ACCOUNT_RECOVERY] == pytest.approx(10.0)
    assert _rows({"managed_login_new_password": 1}, 100)[L.PER_IP][0] == 500.0


def test_source_ips_share_the_per_ip_limit_and_nothing_else() -> None:
    rows = _rows({"managed_login": 1}, 100, source_ips=4)
    assert rows[L.PER_IP] == (125.0, 300.0, 240.0, 2)
    assert rows[L.PER_CLIENT] == (500.0, 300.0, 60.0, 2)
    assert rows[L.PER_DOMAIN] == (500.0, 500.0, 100.0, 1)


def test_each_app_client_has_its_own_per_client_limit() -> None:
    # half managed login (code client: 5 a sign-in), half client credentials (machine: 1)
    mix = {"managed_login": 1, "client_credentials": 1}
    onsets = domain_onsets(mix)
    assert onsets[L.PER_IP] == pytest.approx(300 / 3)  # 3 domain requests per sign-in
    assert onsets[L.PER_CLIENT] == pytest.approx(300 / 2.5)  # the code client's 2.5
    assert onsets[L.PER_DOMAIN] == pytest.approx(500 / 3)


def test_an_api_only_mix_has_no_domain_rows_and_no_domain_onset() -> None:
    assert domain_rows({"srp": 1}, 100) == []
    assert all(math.isinf(r) for r in domain_onsets({"srp": 1}).values())
    assert throttle_onset({"srp": 1}).category is Q.USER_AUTHENTICATION


def test_the_onset_is_the_lowest_of_the_categories_and_the_domain_limits() -> None:
    # managed login at the defaults: UserAuthentication (2 steps) and per-IP (5 requests)
    # both reach their limit at 60/s; the tie goes to the category
    onset = throttle_onset({"managed_login": 1})
    assert (onset.logins_per_second, onset.category) == (60.0, Q.USER_AUTHENTICATION)
    assert not onset.domain_limit
    # with UserAuthentication raised, the domain's per-IP limit throttles first
    raised = throttle_onset({"managed_login": 1}, {Q.USER_AUTHENTICATION: 1000})
    assert (raised.logins_per_second, raised.category) == (60.0, L.PER_IP)
    assert raised.domain_limit
    # two source IPs: the per-client limit (one code client) is next, at the same 60/s
    two = throttle_onset({"managed_login": 1}, {Q.USER_AUTHENTICATION: 1000}, source_ips=2)
    assert (two.logins_per_second, two.category) == (60.0, L.PER_CLIENT)
    # the categories alone
    alone = throttle_onset({"managed_login": 1}, {Q.USER_AUTHENTICATION: 1000}, domain=None)
    assert alone.category is Q.USER_AUTHENTICATION
    assert alone.logins_per_second == pytest.approx(500.0)


def test_scaled_limits_keep_their_proportions_against_scaled_quotas() -> None:
    scale = 0.2
    quotas = {c: r * scale for c, r in DEFAULT_RPS.items()}
    mix = {"managed_login": 1, "client_credentials": 1}
    onset = throttle_onset(mix, quotas, domain=DOMAIN_LIMITS.scaled(scale))
    # 3 domain requests per sign-in against 60/s per IP: 20/s, before UserAuthentication's
    # 24/s (one step per sign-in on average against 24/s)
    assert (onset.logins_per_second, onset.category) == (pytest.approx(20.0), L.PER_IP)
    loads = limit_loads(mix, 30, quotas, domain=DOMAIN_LIMITS.scaled(scale))
    assert loads[L.PER_IP.value] == pytest.approx(1.5)
    assert loads[Q.USER_AUTHENTICATION.value] == pytest.approx(1.25)


def test_client_credentials_meet_client_authentication_long_before_the_domain() -> None:
    onset = throttle_onset({"client_credentials": 1})
    assert (onset.logins_per_second, onset.category) == (150.0, Q.CLIENT_AUTHENTICATION)
    assert not plan({"client_credentials": 1}, 100, {}).per_ip_first


def test_the_plan_flags_one_generator_meeting_the_per_ip_limit_first() -> None:
    flagged = plan({"managed_login": 1}, 50, {Q.USER_AUTHENTICATION: 1000})
    assert flagged.per_ip_first
    assert flagged.onset.category is L.PER_IP
    # from two IPs the per-IP limit is at 120/s, after UserAuthentication's 60/s at defaults
    assert plan({"managed_login": 1}, 50, {}).per_ip_first  # a tie at 60/s: flagged
    assert not plan({"managed_login": 1}, 50, {}, source_ips=2).per_ip_first


def test_the_command_shows_the_limits_the_warning_and_the_spread(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["quota", "--mix", "managed_login", "--rate", "100"]
    assert main([*argv, "--quota", "UserAuthentication=1000"]) == 0
    out = capsys.readouterr().out
    assert "domain per-IP           500.0        300      -67%  YES  (1 source IP)" in out
    assert "domain total            500.0        500        0%  no" in out
    assert "domain per-IP: NOT adjustable; 100.0 sign-ins/s need at least 2 source IPs" in out
    assert "WARNING: from 1 source IP (one per load generator) the domain's per-IP limit" in out
    assert "first to throttle: domain per-IP at 60.0 sign-ins/s" in out
    assert main([*argv, "--source-ips", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["domain"]["source_ips"] == 2
    per_ip = data["domain"]["limits"][0]
    assert (per_ip["limit"], per_ip["demand_rps"], per_ip["onset_logins_per_second"]) == (
        "domain per-IP",
        250.0,
        120.0,
    )
    assert main(["quota", "--mix", "srp", "--rate", "10", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["domain"] is None


def test_zero_source_ips_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quota", "--mix", "managed_login", "--rate", "1", "--source-ips", "0"]) == 2
    assert "--source-ips must be at least 1" in capsys.readouterr().err
