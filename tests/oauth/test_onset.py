"""Client credentials against a pool enforcing ClientAuthentication: the measured throttle onset
is within 10 % of the quota model's and is named ClientAuthentication.

As tests/capacity/test_onset.py does, the quota is scaled (15/s instead of 150/s: this machine's
two shared cores cannot offer and serve 150 signed tokens a second beside the other tests); the
default-quota run is done by hand, its command and figures in docs/capacity-planning.md. The
ramp spans 0.88x to 1.12x the prediction in steps of 4 %, 2.5 s each after a warm-up, with the
pool's buckets holding 0.25 s of their rate so that one drains within a step of being passed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.capacity.http_onset import RampPlan, ramp, token_sender
from loadtest.protocol.quotas import QuotaCategory
from loadtest.provision.oauth import provision_oauth
from tests.conftest import StartPool

pytestmark = pytest.mark.e2e

QUOTA = 15.0


def test_client_credentials_onset_is_within_10_percent_and_named(
    pool_server: StartPool, tmp_path: Path
) -> None:
    state = tmp_path / "onset.sqlite3"
    setup_pool = pool_server("--no-quotas", state=state)  # provisioning is paced by no quota
    app = setup_pool.provision()
    setup = provision_oauth(setup_pool.client(), app.pool_id, domain="lt-onset")
    setup_pool.stop()
    server = pool_server(
        "--quota", f"ClientAuthentication={QUOTA}", "--burst-seconds", "0.25", state=state
    )
    send = token_sender(
        f"{server.url}/domain/{setup.domain}", setup.m2m_client_id, setup.m2m_client_secret
    )
    plan = RampPlan(
        start=0.88 * QUOTA,
        step=0.04 * QUOTA,
        ceiling=1.12 * QUOTA,
        step_seconds=2.5,
        warmup_seconds=1.5,
        concurrency=8,
    )
    verdict = ramp(send, plan, {QuotaCategory.CLIENT_AUTHENTICATION: QUOTA})
    steps = [s.as_json() for s in verdict.steps]
    assert verdict.model_category == "ClientAuthentication"
    assert verdict.model_rate == pytest.approx(QUOTA)
    assert verdict.onset_rate is not None, steps
    assert abs(verdict.onset_rate / verdict.model_rate - 1) <= 0.10, steps
    assert verdict.category == "ClientAuthentication"
    assert verdict.steps[0].throttled == 0, steps  # the ramp starts below the quota
    assert all(s.failed == 0 for s in verdict.steps), steps
